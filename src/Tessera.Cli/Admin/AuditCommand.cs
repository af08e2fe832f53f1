using System.CommandLine;
using System.Data.Common;
using System.Globalization;
using System.Text.Json;
using Tessera.Audit;
using Tessera.Broker.Hosting;
using Tessera.Keys;
using Tessera.Storage.PostgreSql;
using Tessera.Storage.Sqlite;

namespace Tessera.Cli.Admin;

/// <summary>
/// <c>tessera audit tail|export|verify</c>. Verify exit codes: 0 intact, 2 an event altered,
/// 3 an event inserted or removed, 4 the tail cut or rewritten, 5 a checkpoint not signed by a
/// published key, 1 usage or unreadable input.
/// </summary>
internal static class AuditCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var tailBroker = AdminCommand.BrokerOption();
        var tailJson = AdminCommand.JsonOption();
        var limit = new Option<int>("--limit") { Description = "How many of the latest events.", DefaultValueFactory = _ => 20 };
        var agent = new Option<string?>("--agent-id") { Description = "Only this agent." };
        var type = new Option<string?>("--event-type") { Description = "Only this event type." };
        var outcome = new Option<string?>("--outcome") { Description = "Only this outcome." };
        var tail = new Command("tail", "Show the latest audit events.") { tailBroker, tailJson, limit, agent, type, outcome };
        tail.SetAction((r, ct) => TailAsync(r.GetValue(tailBroker)!, r.GetValue(limit), r.GetValue(agent), r.GetValue(type), r.GetValue(outcome), r.GetValue(tailJson), output, error, ct));

        var exportBroker = AdminCommand.BrokerOption();
        var file = new Option<string?>("--output", "-o") { Description = "Write the export here (JSON Lines) instead of standard output." };
        var export = new Command("export", "Export the whole audit chain with its signed checkpoints as JSON Lines.") { exportBroker, file };
        export.SetAction((r, ct) => ExportAsync(r.GetValue(exportBroker)!, r.GetValue(file), output, error, ct));

        var db = new Option<string?>("--db") { Description = "A broker's database to verify, read-only: its SQLite file, or its PostgreSQL URL (postgres://...) or connection string (Host=...)." };
        var fromExport = new Option<string?>("--from-export") { Description = "A file written by 'tessera audit export'." };
        var jwks = new Option<string?>("--jwks") { Description = "JWKS (file or http(s) URL) to check checkpoint signatures with." };
        var verifyJson = AdminCommand.JsonOption();
        var verify = new Command("verify", "Recompute the audit hash chain offline and check its signed checkpoints.") { db, fromExport, jwks, verifyJson };
        verify.SetAction((r, ct) => VerifyAsync(r.GetValue(db), r.GetValue(fromExport), r.GetValue(jwks), r.GetValue(verifyJson), output, error, ct));
        return new Command("audit", "The hash-chained audit trail.") { tail, export, verify };
    }

    public static Task<int> TailAsync(string broker, int limit, string? agentId, string? eventType, string? outcome, bool json, TextWriter output, TextWriter error, CancellationToken cancellationToken, string? adminSecret = null) =>
        AdminCommand.RunAsync(broker, error, async client =>
        {
            if (limit is < 1 or > 1000)
            {
                await error.WriteLineAsync("error: --limit must be between 1 and 1000");
                return 1;
            }

            string filter = Filter(agentId, eventType, outcome);
            var first = await client.SendAsync(HttpMethod.Get, $"/v1/audit/events?limit=1{filter}", null, cancellationToken);
            long total = first!["total"]!.GetValue<long>();
            long offset = Math.Max(0, total - limit);
            var page = await client.SendAsync(HttpMethod.Get, $"/v1/audit/events?limit={limit}&offset={offset}{filter}", null, cancellationToken);
            if (json)
            {
                await AdminCommand.WriteJsonAsync(output, page);
                return 0;
            }

            foreach (var e in page!["events"]!.AsArray())
            {
                // Every field is escaped before it is cut: a line break or an ESC sequence in an
                // event (old events were stored unescaped) can neither forge a line nor reach the terminal.
                string detail = TerminalText.Escape(e!["detail"]?.GetValue<string>());
                if (detail.Length > 80)
                {
                    detail = detail[..77] + "...";
                }

                await output.WriteLineAsync(
                    $"{Shown(e["id"]),-11} {Shown(e["timestamp"]),-24} {Shown(e["event_type"]),-32} {Shown(e["outcome"]),-8} {(e["agent_id"] is null ? "-" : Shown(e["agent_id"]))}  {detail}");
            }

            await error.WriteLineAsync($"{page["events"]!.AsArray().Count} of {total} events");
            return 0;
        }, adminSecret);

    public static Task<int> ExportAsync(string broker, string? file, TextWriter output, TextWriter error, CancellationToken cancellationToken, string? adminSecret = null) =>
        AdminCommand.RunAsync(broker, error, async client =>
        {
            using var response = await client.SendRawAsync(HttpMethod.Get, "/v1/audit/export", null, cancellationToken, HttpCompletionOption.ResponseHeadersRead);
            await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
            if (file is null)
            {
                using var reader = new StreamReader(body);
                while (await reader.ReadLineAsync(cancellationToken) is { } line)
                {
                    await output.WriteLineAsync(line);
                }

                return 0;
            }

            string temp = file + ".partial";
            await using (var target = File.Create(temp))
            {
                await body.CopyToAsync(target, cancellationToken);
            }

            File.Move(temp, file, overwrite: true);
            await error.WriteLineAsync($"exported to {file}");
            return 0;
        }, adminSecret);

    public static async Task<int> VerifyAsync(string? db, string? fromExport, string? jwks, bool json, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        if ((db is null) == (fromExport is null))
        {
            await error.WriteLineAsync("error: give exactly one of --db PATH or --from-export FILE");
            return 1;
        }

        List<AuditEvent> events;
        List<AuditCheckpoint> checkpoints;
        try
        {
            (events, checkpoints) = db is null ? ReadExport(fromExport!)
                : StorageProvider.Detect(db) == StorageProviderKind.PostgreSql ? await PostgreSqlAuditReader.ReadAllAsync(db, cancellationToken)
                : SqliteAuditReader.ReadAll(db);
        }
        catch (Exception ex) when (ex is IOException or DbException or JsonException or FormatException or InvalidOperationException or KeyNotFoundException or UnauthorizedAccessException)
        {
            // Never echo a connection string: it may carry a password.
            string source = db is not null && StorageProvider.Detect(db) == StorageProviderKind.PostgreSql ? "the PostgreSQL database" : (db ?? fromExport)!;
            await error.WriteLineAsync($"error: cannot read {source}: {ex.Message}");
            return 1;
        }

        JwksKeySource? keys = null;
        if (jwks is not null)
        {
            try
            {
                keys = await JwksKeySource.LoadAsync(jwks, cancellationToken);
            }
            catch (Exception ex) when (ex is IOException or HttpRequestException or JsonException or UnauthorizedAccessException or TaskCanceledException)
            {
                await error.WriteLineAsync($"error: cannot load JWKS from {jwks}: {ex.Message}");
                return 1;
            }
        }

        var result = AuditVerifier.Verify(events, checkpoints, keys);
        if (json)
        {
            await output.WriteLineAsync(JsonSerializer.Serialize(
                new Dictionary<string, object?>
                {
                    ["verdict"] = result.Verdict.ToString().ToLowerInvariant(),
                    ["seq"] = result.Sequence,
                    ["event_id"] = result.EventId,
                    ["message"] = result.Message,
                    ["events_checked"] = result.EventsChecked,
                    ["checkpoints"] = checkpoints.Count,
                    ["signatures_verified"] = result.CheckpointsChecked,
                },
                AdminCommand.Pretty));
        }
        else
        {
            await (result.Verdict == AuditVerdict.Intact ? output : error).WriteLineAsync(result.Message);
            if (keys is null && checkpoints.Count > 0)
            {
                await error.WriteLineAsync("note: checkpoint signatures not checked; pass --jwks to check them");
            }
            else if (keys is not null && result.CheckpointsChecked < checkpoints.Count && result.Verdict == AuditVerdict.Intact)
            {
                await error.WriteLineAsync($"note: {checkpoints.Count - result.CheckpointsChecked} checkpoint(s) signed by keys not in this JWKS were checked for position and hash only; keep JWKS snapshots to check retired keys");
            }
        }

        return (int)result.Verdict;
    }

    private static (List<AuditEvent>, List<AuditCheckpoint>) ReadExport(string path)
    {
        var events = new List<AuditEvent>();
        var checkpoints = new List<AuditCheckpoint>();
        foreach (string line in File.ReadLines(path))
        {
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            using var doc = JsonDocument.Parse(line);
            var root = doc.RootElement;
            if (root.TryGetProperty("checkpoint", out var c))
            {
                checkpoints.Add(new AuditCheckpoint(
                    c.GetProperty("seq").GetInt64(), c.GetProperty("hash").GetString()!, c.GetProperty("kid").GetString()!,
                    c.GetProperty("alg").GetString()!, c.GetProperty("signature").GetString()!, Ms(c.GetProperty("created_at").GetString()!)));
                continue;
            }

            events.Add(new AuditEvent
            {
                Sequence = root.GetProperty("seq").GetInt64(),
                Id = root.GetProperty("id").GetString()!,
                TimestampMs = Ms(root.GetProperty("timestamp").GetString()!),
                EventType = root.GetProperty("event_type").GetString()!,
                AgentId = Optional(root, "agent_id"),
                TaskId = Optional(root, "task_id"),
                OrchId = Optional(root, "orch_id"),
                Detail = Optional(root, "detail"),
                Resource = Optional(root, "resource"),
                Outcome = Optional(root, "outcome"),
                DelegDepth = root.TryGetProperty("deleg_depth", out var d) ? d.GetInt32() : 0,
                DelegChainHash = Optional(root, "deleg_chain_hash"),
                PrevHash = root.GetProperty("prev_hash").GetString()!,
                Hash = root.GetProperty("hash").GetString()!,
            });
        }

        return (events, checkpoints);
    }

    private static string Shown(System.Text.Json.Nodes.JsonNode? value) => TerminalText.Escape(value?.ToString());

    private static string Optional(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString()! : "";

    private static long Ms(string rfc3339) =>
        DateTimeOffset.Parse(rfc3339, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal).ToUnixTimeMilliseconds();

    private static string Filter(string? agentId, string? eventType, string? outcome)
    {
        string result = "";
        if (agentId is not null)
        {
            result += "&agent_id=" + Uri.EscapeDataString(agentId);
        }

        if (eventType is not null)
        {
            result += "&event_type=" + Uri.EscapeDataString(eventType);
        }

        if (outcome is not null)
        {
            result += "&outcome=" + Uri.EscapeDataString(outcome);
        }

        return result;
    }
}

/// <summary>Public keys from a JWKS document, for offline checks.</summary>
internal sealed class JwksKeySource : IVerificationKeySource
{
    private readonly IReadOnlyDictionary<string, VerificationKey> _keys;

    private JwksKeySource(IReadOnlyDictionary<string, VerificationKey> keys) => _keys = keys;

    public static async Task<JwksKeySource> LoadAsync(string location, CancellationToken cancellationToken)
    {
        string json;
        if (location.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || location.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
            json = await http.GetStringAsync(new Uri(location), cancellationToken);
        }
        else
        {
            json = await File.ReadAllTextAsync(location, cancellationToken);
        }

        using var doc = JsonDocument.Parse(json);
        if (!JsonWebKeySet.TryParse(doc.RootElement, algorithm: null, maxKeys: int.MaxValue, out var keys, out string? error))
        {
            throw new JsonException(error);
        }

        return new JwksKeySource(keys);
    }

    public bool TryGetKey(string keyId, out VerificationKey? key) => _keys.TryGetValue(keyId, out key);
}
