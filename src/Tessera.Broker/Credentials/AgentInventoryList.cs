using System.Buffers.Text;
using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Primitives;
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

    public static async Task ListAsync(HttpContext context)
    {
        if (Parse(context.Request.Query, out var query) is { } problem)
        {
            await new ProblemResult(ErrorCatalog.InvalidRequest, problem).ExecuteAsync(context);
            return;
        }

        var page = await context.RequestServices.GetRequiredService<IAgentInventory>().ListAsync(query, context.RequestAborted);
        var items = page.Agents.Select(Item).ToArray();
        string? next = page.Next is { } position ? EncodeCursor(position) : null;
        await Results.Json(new AgentListResponse(items, page.Total, next), BrokerJson.Default.AgentListResponse).ExecuteAsync(context);
    }

    /// <summary>Reads the query string; returns the problem detail naming the bad parameter, or null.</summary>
    internal static string? Parse(IQueryCollection q, out AgentInventoryQuery query)
    {
        query = new AgentInventoryQuery();
        string?[] values = new string?[6];
        string[] names = ["kind", "status", "app_id", "orch_id", "task_id", "search"];
        for (int i = 0; i < names.Length; i++)
        {
            if (Single(q, names[i], out values[i]) is { } problem)
            {
                return problem;
            }
        }

        if (values[0] is { } kind && kind is not (AgentInventoryKinds.Registered or AgentInventoryKinds.Credential))
        {
            return "invalid kind: use registered or credential";
        }

        if (values[1] is { } status && status is not ("active" or "suspended" or "revoked"))
        {
            return "invalid status: use active, suspended or revoked";
        }

        int limit = DefaultLimit;
        if (Single(q, "limit", out string? limitText) is { } limitProblem)
        {
            return limitProblem;
        }

        if (limitText is not null && (!int.TryParse(limitText, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > MaxLimit))
        {
            return $"invalid limit: an integer from 1 to {MaxLimit}";
        }

        if (Single(q, "cursor", out string? cursorText) is { } cursorProblem)
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
    private static string? Single(IQueryCollection q, string name, out string? value)
    {
        value = null;
        if (!q.TryGetValue(name, out StringValues given))
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
            AppAdminEndpoints.Rfc3339(e.CreatedAtMs), null,
            c?.Owner, c is null ? null : AgentAdminEndpoints.ReadMetadata(c.MetadataJson), c?.StatusReason, c?.TokenTtl,
            c is null ? null : AgentAdminEndpoints.Method(c), c is null ? null : AgentAdminEndpoints.KeyIds(c.Jwks),
            c is null ? null : [.. e.Grants.Select(g => new GrantView(g.PlatformId, [.. g.Scopes], AppAdminEndpoints.Rfc3339(g.UpdatedAtMs)))],
            c?.ConsecutiveDenials, c is null ? null : AppAdminEndpoints.Rfc3339(c.UpdatedAtMs),
            c?.PreviousValidUntilMs is { } until ? AppAdminEndpoints.Rfc3339(until) : null);
    }

    private static string? Empty(string value) => value.Length == 0 ? null : value;
}
