using System.Globalization;
using System.Text;

namespace Tessera.Cli.Admin;

/// <summary>The filters and paging of <c>tessera agents list</c>, sent as the inventory's query string.</summary>
/// <param name="Kind"><c>registered</c> or <c>credential</c>.</param>
/// <param name="Status"><c>active</c>, <c>suspended</c> or <c>revoked</c>.</param>
/// <param name="Search">Case-insensitive part of the name, agent id or key id.</param>
/// <param name="Limit">Page size, 1-500.</param>
/// <param name="Cursor">The previous page's <c>next_cursor</c>.</param>
internal sealed record AgentListFilter(string? Kind = null, string? Status = null, string? Search = null, int? Limit = null, string? Cursor = null)
{
    /// <summary>The query string, empty when nothing is set; the broker checks the values.</summary>
    public string ToQuery()
    {
        var query = new StringBuilder();
        Append(query, "kind", Kind);
        Append(query, "status", Status);
        Append(query, "search", Search);
        Append(query, "limit", Limit?.ToString(CultureInfo.InvariantCulture));
        Append(query, "cursor", Cursor);
        return query.ToString();
    }

    private static void Append(StringBuilder query, string name, string? value)
    {
        if (value is null)
        {
            return;
        }

        query.Append(query.Length == 0 ? '?' : '&').Append(name).Append('=').Append(Uri.EscapeDataString(value));
    }
}
