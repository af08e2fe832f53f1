using System.Text.Json.Nodes;

namespace Tessera.Cli.Admin;

/// <summary>
/// An agent named on the command line: its agent id (<c>spiffe://…</c>), its key id (<c>tsr_kid_…</c>)
/// or its name. A name is looked up among the broker's agents and must name exactly one; a verb never
/// sends a name where the broker expects an id, where it would match nothing and still answer success.
/// </summary>
internal static class AgentTarget
{
    public const string AgentIdPrefix = "spiffe://";
    public const string KeyIdPrefix = "tsr_kid_";

    /// <summary>Pages of 500 read at most when resolving a name (100,000 agents whose name or id contains it).</summary>
    private const int MaxPages = 200;

    /// <summary>True when <paramref name="target"/> is written as an id the broker's agent endpoints take as is.</summary>
    public static bool IsId(string target) =>
        target.StartsWith(AgentIdPrefix, StringComparison.Ordinal) || target.StartsWith(KeyIdPrefix, StringComparison.Ordinal);

    /// <summary>
    /// The id to send for <paramref name="target"/>: ids unchanged, a name replaced by the one agent's
    /// agent id (said on <paramref name="notes"/>). Throws <see cref="CliConfigurationException"/> when
    /// no agent or several agents have that name.
    /// </summary>
    public static async Task<string> ResolveNameAsync(BrokerClient client, string target, TextWriter notes, CancellationToken cancellationToken)
    {
        if (IsId(target))
        {
            return target;
        }

        // The inventory's search narrows to the agents whose name (or id) contains the target; every page
        // of that is read (a common name part can match more than one page), the exact names kept here.
        var matches = new List<string>();
        string? cursor = null;
        for (int page = 0; page < MaxPages; page++)
        {
            var listed = await client.SendAsync(HttpMethod.Get, "/v1/admin/agents" + new AgentListFilter(Search: target, Limit: 500, Cursor: cursor).ToQuery(), null, cancellationToken);
            matches.AddRange((listed?["agents"]?.AsArray() ?? [])
                .Where(a => string.Equals(a?["name"]?.GetValue<string>(), target, StringComparison.Ordinal))
                .Select(a => a!["agent_id"]!.GetValue<string>()));
            cursor = listed?["next_cursor"]?.GetValue<string>();
            if (cursor is null)
            {
                break;
            }
        }

        string shown = TerminalText.Escape(target);
        switch (matches.Count)
        {
            case 0:
                throw new CliConfigurationException(
                    $"no agent named '{shown}'; give its agent_id (spiffe://…) or key_id (tsr_kid_…): 'tessera agents list --search <part of the name>' shows the agents");
            case 1:
                await notes.WriteLineAsync($"agent '{shown}' is {matches[0]}");
                return matches[0];
            default:
                throw new CliConfigurationException($"{matches.Count} agents are named '{shown}': {string.Join(", ", matches)}; give the agent_id of the one you mean");
        }
    }

    /// <summary>
    /// The agent id for a revocation at level agent or chain (the broker matches it against token subjects):
    /// a name or a key id becomes the agent's agent id. An agent id the broker does not know is kept
    /// (revoking ahead of a registration is allowed), with a warning on <paramref name="error"/>.
    /// </summary>
    public static async Task<string> ResolveForRevocationAsync(BrokerClient client, string target, TextWriter notes, TextWriter error, CancellationToken cancellationToken)
    {
        if (target.StartsWith(KeyIdPrefix, StringComparison.Ordinal))
        {
            var agent = await FindStandingAsync(client, target, cancellationToken)
                ?? throw new CliConfigurationException($"no agent has key_id '{TerminalText.Escape(target)}'; 'tessera agents list' shows the key ids");
            string id = agent["agent_id"]!.GetValue<string>();
            await notes.WriteLineAsync($"agent '{TerminalText.Escape(target)}' is {id}");
            return id;
        }

        if (!target.StartsWith(AgentIdPrefix, StringComparison.Ordinal))
        {
            return await ResolveNameAsync(client, target, notes, cancellationToken);
        }

        if (await FindStandingAsync(client, target, cancellationToken) is null && !await WasRegisteredAsync(client, target, cancellationToken))
        {
            await error.WriteLineAsync(
                $"warning: the broker knows no agent {TerminalText.Escape(target)} (none with standing credentials, no registration in the audit trail); " +
                "the revocation is recorded all the same and refuses that id's tokens if it ever gets any: check the id");
        }

        return target;
    }

    private static async Task<JsonNode?> FindStandingAsync(BrokerClient client, string id, CancellationToken cancellationToken)
    {
        try
        {
            return await client.SendAsync(HttpMethod.Get, AgentsCommand.Path(id), null, cancellationToken);
        }
        catch (BrokerException ex) when (ex.Status == 404)
        {
            return null;
        }
    }

    /// <summary>
    /// Whether the audit trail records a registration of <paramref name="agentId"/> (agents registered with a
    /// launch token have no admin listing). True when the trail cannot be read: the check only decides a warning.
    /// </summary>
    private static async Task<bool> WasRegisteredAsync(BrokerClient client, string agentId, CancellationToken cancellationToken)
    {
        try
        {
            var found = await client.SendAsync(
                HttpMethod.Get, $"/v1/audit/events?agent_id={Uri.EscapeDataString(agentId)}&event_type=agent_registered&limit=1", null, cancellationToken);
            return found?["events"] is not JsonArray { Count: 0 };
        }
        catch (BrokerException)
        {
            return true;
        }
    }
}
