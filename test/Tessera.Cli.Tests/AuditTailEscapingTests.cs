using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Tessera.Cli.Admin;
using Tessera.Storage.Audit;

namespace Tessera.Cli.Tests;

/// <summary>
/// Issue 17, finding 5: request paths and names reached <c>tessera audit tail</c> unescaped, so a
/// <c>%0A</c> path printed a forged event line and an ESC sequence reached the terminal. Old events
/// (stored unescaped) and new ones print as one line each, with control characters shown as
/// <c>\uXXXX</c>, and the chain of old and new events still verifies.
/// </summary>
public sealed class AuditTailEscapingTests
{
    private static readonly CancellationToken None = CancellationToken.None;

    [Fact]
    public async Task AuditTail_PrintsOneEscapedLinePerEvent_WhenOldAndNewEventsCarryLineBreaksAndEscapes()
    {
        await using var broker = await CliBroker.StartAsync(new Dictionary<string, string?> { ["audit_checkpoint_interval"] = "3" });
        long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

        // As the broker stored them before details were escaped.
        await broker.Services.GetRequiredService<IAuditStore>().AppendAsync(
        [
            new AuditEventDraft { TimestampMs = now, EventType = "token_auth_failed", Outcome = "denied", Detail = "token verification failed | path=/v1/x\nevt-999999 2026-01-01T00:00:00.000Z admin_auth success" },
            new AuditEventDraft { TimestampMs = now, EventType = "token_auth_failed", Outcome = "denied", Detail = "token verification failed | path=/v1/x\u001b[2J\u001b]0;owned\u0007" },
        ], None);
        foreach (string path in new[] { "/v1/admin/apps/x%0Aevt-999998%202026-01-01T00:00:00Z%20admin_auth%20success", "/v1/admin/apps/x%1B%5B2J%1B%5B31m" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "x");
            using var response = await broker.Client.SendAsync(request);
            Assert.Equal(401, (int)response.StatusCode);

            // Refused bearer checks are audited once a second per address and reason (real clock here).
            await Task.Delay(TimeSpan.FromMilliseconds(1100));
        }

        var human = await Cli.RunAsync((o, e) => AuditCommand.TailAsync(broker.Url, 1000, null, "token_auth_failed", null, false, o, e, None, CliBroker.AdminSecret));
        var json = await Cli.RunAsync((o, e) => AuditCommand.TailAsync(broker.Url, 1000, null, "token_auth_failed", null, true, o, e, None, CliBroker.AdminSecret));

        Assert.True(human.Code == 0, human.ToString());
        Assert.DoesNotContain('\u001b', human.Out);
        Assert.DoesNotContain('\u0007', human.Out);
        Assert.DoesNotContain('\u001b', json.Out);
        string[] lines = human.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(4, lines.Length);
        Assert.All(lines, l => Assert.StartsWith("evt-00000", l, StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.StartsWith("evt-99999", StringComparison.Ordinal));
        Assert.Equal(2, lines.Count(l => l.Contains("\\u000a", StringComparison.Ordinal)));
        Assert.Equal(2, lines.Count(l => l.Contains("\\u001b", StringComparison.Ordinal)));
        var events = JsonNode.Parse(json.Out)!["events"]!.AsArray();
        Assert.Equal(4, events.Count);

        // Old-format and new-format events verify as one chain.
        await broker.StopAsync();
        var verify = await Cli.RunAsync((o, e) => AuditCommand.VerifyAsync(broker.DbPath, null, null, false, o, e, None));
        Assert.True(verify.Code == 0, verify.ToString());
    }

    [Fact]
    public async Task LaunchTokenCreate_PrintsTheRefusalEscaped_WhenTheAgentNameHoldsAnEscapeSequence()
    {
        await using var broker = await CliBroker.StartAsync();

        var result = await Cli.RunAsync((o, e) => LaunchTokenCommand.RunAsync(broker.Url, "x\u001b[31m | max_ttl=86400", ["read:data:*"], [], null, null, false, false, o, e, None, CliBroker.AdminSecret));

        Assert.Equal(2, result.Code);
        Assert.DoesNotContain('\u001b', result.Err);
        Assert.StartsWith("error: broker answered 400 invalid_request: agent_name must be at most 128 printable characters", result.Err, StringComparison.Ordinal);
    }
}
