using System.Buffers.Text;
using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Primitives;
using Tessera.Identity;
using Tessera.Broker.Apps;
using Tessera.Broker.Http;
using Tessera.Errors;
using Tessera.Storage.Agents;

namespace Tessera.Broker.Credentials;

/// <summary>
/// <c>GET /v1/admin/agents</c>: every agent whichever way it authenticates, filtered, searched and
/// paged by an opaque cursor, one store query per page.
/// </summary>
internal static class AgentInventoryList
{
    public const int DefaultLimit = 100;

    public const int MaxLimit = 500;

    private const int MaxFilterLength = 256;

    /// <summary>One page of the inventory.</summary>
    public static async Task<Results<Ok<AgentListResponse>, ProblemResult>> ListAsync(
        [AsParameters] AgentInventoryParameters parameters, IAgentInventory inventory, CancellationToken cancellationToken)
    {
        if (Parse(parameters, out var query) is { } problem)
        {
            return new ProblemResult(ErrorCatalog.InvalidRequest, problem);
        }

        var page = await inventory.ListAsync(query, cancellationToken);
        var items = page.Agents.Select(Item).ToArray();
        string? next = page.Next is { } position ? EncodeCursor(position) : null;
        return TypedResults.Ok(new AgentListResponse(items, page.Total, next));
    }

    /// <summary>Reads the query string; returns the problem detail naming the bad parameter, or null.</summary>
    internal static string? Parse(AgentInventoryParameters q, out AgentInventoryQuery query)
    {
        query = new AgentInventoryQuery();
        string?[] values = new string?[6];
        (string Name, StringValues? Given)[] filters =
            [("kind", q.Kind), ("status", q.Status), ("app_id", q.AppId), ("orch_id", q.OrchId), ("task_id", q.TaskId), ("search", q.Search)];
        for (int i = 0; i < filters.Length; i++)
        {
            if (Single(filters[i].Given, filters[i].Name, out values[i]) is { } problem)
            {
                return problem;
            }
        }

        if (values[0] is { } kind && kind is not (AgentInventoryKinds.Registered or AgentInventoryKinds.Credential))
        {
            return "invalid kind: use registered or credential";
        }

        if (values[1] is { } status && status is not (AgentStatuses.Active or AgentStatuses.Suspended or AgentStatuses.Revoked))
        {
            return "invalid status: use active, suspended or revoked";
        }

        int limit = DefaultLimit;
        if (Single(q.Limit, "limit", out string? limitText) is { } limitProblem)
        {
            return limitProblem;
        }

        if (limitText is not null && (!int.TryParse(limitText, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > MaxLimit))
        {
            return $"invalid limit: an integer from 1 to {MaxLimit}";
        }

        if (Single(q.Cursor, "cursor", out string? cursorText) is { } cursorProblem)
        {
            return cursorProblem;
        }

        AgentInventoryPosition? after = null;
        if (cursorText is not null)
        {
            if (DecodeCursor(cursorText) is not { } position)
            {
                return "invalid cursor: pass next_cursor from the previous page unchanged";
            }

            after = position;
        }

        query = new AgentInventoryQuery
        {
            Kind = values[0], Status = values[1], AppId = values[2], OrchId = values[3], TaskId = values[4], Search = values[5],
            Limit = limit, After = after,
        };
        return null;
    }

    /// <summary>An absent parameter is null; present, it must be given once, non-empty and short.</summary>
    private static string? Single(StringValues? sent, string name, out string? value)
    {
        value = null;
        if (sent is not { Count: > 0 } given)
        {
            return null;
        }

        if (given.Count != 1 || string.IsNullOrEmpty(given[0]) || given[0]!.Length > (name == "cursor" ? 4 * MaxFilterLength * 3 : MaxFilterLength))
        {
            return $"invalid {name}: give it once, non-empty, at most {MaxFilterLength} characters";
        }

        value = given[0];
        return null;
    }

    /// <summary>The cursor is the last agent's position, base64url of <c>created_at_ms:agent_id</c>: opaque to clients.</summary>
    internal static string EncodeCursor(AgentInventoryPosition position) =>
        Base64Url.EncodeToString(Encoding.UTF8.GetBytes(position.CreatedAtMs.ToString(CultureInfo.InvariantCulture) + ":" + position.AgentId));

    internal static AgentInventoryPosition? DecodeCursor(string cursor)
    {
        byte[] bytes;
        try
        {
            bytes = Base64Url.DecodeFromChars(cursor);
        }
        catch (FormatException)
        {
            return null;
        }

        string text;
        try
        {
            text = new UTF8Encoding(false, true).GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            return null;
        }

        int colon = text.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0 || colon == text.Length - 1
            || !long.TryParse(text.AsSpan(0, colon), NumberStyles.None, CultureInfo.InvariantCulture, out long ms))
        {
            return null;
        }

        return new AgentInventoryPosition(ms, text[(colon + 1)..]);
    }

    private static AgentListItem Item(AgentInventoryEntry e)
    {
        var c = e.Credential;
        return new AgentListItem(
            e.Kind, e.AgentId, c?.ClientId, e.Name, e.Status, Empty(e.AppId), Empty(e.OrchId), Empty(e.TaskId),
            AppAdminEndpoints.Rfc3339(e.CreatedAtMs), e.LastSeenAtMs is { } seen ? AppAdminEndpoints.Rfc3339(seen) : null,
            c?.Owner, c is null ? null : AgentViews.ReadMetadata(c.MetadataJson), c?.StatusReason, c?.TokenTtl,
            c is null ? null : AgentViews.Method(c), c is null ? null : AgentViews.KeyIds(c.Jwks),
            c is null ? null : [.. e.Grants.Select(g => new GrantView(g.PlatformId, [.. g.Scopes], AppAdminEndpoints.Rfc3339(g.UpdatedAtMs)))],
            c?.ConsecutiveDenials, c is null ? null : AppAdminEndpoints.Rfc3339(c.UpdatedAtMs),
            c?.PreviousValidUntilMs is { } until ? AppAdminEndpoints.Rfc3339(until) : null);
    }

    private static string? Empty(string value) => value.Length == 0 ? null : value;
}

/// <summary>
/// The query of <c>GET /v1/admin/agents</c>, each parameter as sent: given once at most, checked by
/// <see cref="AgentInventoryList.Parse"/> (a repeated or empty one is refused by name).
/// </summary>
/// <param name="Kind"><c>registered</c> or <c>credential</c>.</param>
/// <param name="Status"><c>active</c>, <c>suspended</c> or <c>revoked</c>.</param>
/// <param name="AppId">Only agents of this app.</param>
/// <param name="OrchId">Only agents of this orchestration.</param>
/// <param name="TaskId">Only agents of this task.</param>
/// <param name="Search">Part of the agent id, name or key id (case-insensitive).</param>
/// <param name="Limit">Page size, 1 to 500 (default 100).</param>
/// <param name="Cursor"><c>next_cursor</c> of the previous page.</param>
internal readonly record struct AgentInventoryParameters(
    [FromQuery(Name = "kind")] StringValues? Kind,
    [FromQuery(Name = "status")] StringValues? Status,
    [FromQuery(Name = "app_id")] StringValues? AppId,
    [FromQuery(Name = "orch_id")] StringValues? OrchId,
    [FromQuery(Name = "task_id")] StringValues? TaskId,
    [FromQuery(Name = "search")] StringValues? Search,
    [FromQuery(Name = "limit")] StringValues? Limit,
    [FromQuery(Name = "cursor")] StringValues? Cursor);
