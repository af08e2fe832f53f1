using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Tessera.Audit;
using Tessera.Broker.Tests.Infrastructure;
using Tessera.Storage.Sqlite;
using static Tessera.Broker.Tests.Infrastructure.BrokerApi;

namespace Tessera.Broker.Tests;

public sealed class AuditApiTests
{
    [Fact]
    public async Task Events_Returns403InsufficientScope_WhenBearerIsAnAgentToken()
    {
        await using var broker = await BrokerFixture.StartAsync();
        var agent = await broker.RegisterAgentAsync();

        var events = await broker.GetWithBearerAsync("/v1/audit/events", agent.Token);

        // Refused bearer checks are audited at most once a second per address, subject and reason.
        broker.Time.Advance(TimeSpan.FromSeconds(1));
        var export = await broker.GetWithBearerAsync("/v1/audit/export", agent.Token);

        await RegistrationTests.AssertProblem(events, 403, "insufficient_scope", "token lacks required scope: admin:audit:*");
        await RegistrationTests.AssertProblem(export, 403, "insufficient_scope", "token lacks required scope: admin:audit:*");
        var denied = await broker.AuditEventsAsync($"event_type=scope_violation&agent_id={Q(agent.AgentId)}");
        Assert.Equal(2, denied["total"]!.GetValue<long>());
        Assert.Equal(
            ["token lacks required scope: admin:audit:* | path=/v1/audit/events", "token lacks required scope: admin:audit:* | path=/v1/audit/export"],
            denied["events"]!.AsArray().Select(e => e!["detail"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Events_Returns401_WhenNoBearer()
    {
        await using var broker = await BrokerFixture.StartAsync();

        var response = await broker.Client.GetAsync("/v1/audit/events");

        await RegistrationTests.AssertProblem(response, 401, "unauthorized", "missing authorization header");
    }

    [Theory]
    [InlineData("limit=1001", "limit must be between 1 and 1000")]
    [InlineData("limit=0", "limit must be between 1 and 1000")]
    [InlineData("limit=many", "limit must be between 1 and 1000")]
    [InlineData("offset=-1", "offset must be a non-negative integer")]
    [InlineData("offset=x", "offset must be a non-negative integer")]
    [InlineData("since=yesterday", "since must be an RFC 3339 time, for example 2026-01-31T12:00:00Z")]
    [InlineData("since=2026-01-31", "since must be an RFC 3339 time, for example 2026-01-31T12:00:00Z")]
    [InlineData("until=12:00", "until must be an RFC 3339 time, for example 2026-01-31T12:00:00Z")]
    public async Task Events_Returns400_WhenAParameterIsInvalid(string query, string detail)
    {
        await using var broker = await BrokerFixture.StartAsync();
        string admin = await broker.AdminTokenAsync();

        var response = await broker.GetWithBearerAsync("/v1/audit/events?" + query, admin);

        await RegistrationTests.AssertProblem(response, 400, "invalid_request", detail);
    }

    [Fact]
    public async Task Events_AcceptsLimitOf1000()
    {
        await using var broker = await BrokerFixture.StartAsync();

        var page = await broker.AuditEventsAsync("limit=1000");

        Assert.Equal(1000, page["limit"]!.GetValue<int>());
    }

    [Fact]
    public async Task Events_FiltersByAgentTaskTypeAndOutcome()
    {
        await using var broker = await BrokerFixture.StartAsync();
        var a = await broker.RegisterAgentAsync(taskId: "task-x", orchId: "orch-f");
        var b = await broker.RegisterAgentAsync(taskId: "task-y", orchId: "orch-f");
        await broker.ValidateAsync("not.a.token");
        await broker.Client.PostAsJsonAsync("/v1/admin/auth", new { secret = "a-wrong-secret-that-is-long-enough" });
        string admin = await broker.AdminTokenAsync();

        var byAgent = await broker.AuditEventsAsync($"agent_id={Q(a.AgentId)}", admin);
        var agentEvents = byAgent["events"]!.AsArray();
        Assert.Equal(agentEvents.Count, byAgent["total"]!.GetValue<long>());
        Assert.All(agentEvents, e => Assert.Equal(a.AgentId, e!["agent_id"]!.GetValue<string>()));
        Assert.Equal(["agent_registered", "token_issued"], agentEvents.Select(e => e!["event_type"]!.GetValue<string>()));

        var byTask = await broker.AuditEventsAsync("task_id=task-y", admin);
        Assert.NotEmpty(byTask["events"]!.AsArray());
        Assert.All(byTask["events"]!.AsArray(), e => Assert.Equal(b.AgentId, e!["agent_id"]!.GetValue<string>()));

        var byType = await broker.AuditEventsAsync("event_type=agent_registered", admin);
        Assert.Equal(2, byType["total"]!.GetValue<long>());
        Assert.Equal([a.AgentId, b.AgentId], byType["events"]!.AsArray().Select(e => e!["agent_id"]!.GetValue<string>()));

        var denied = await broker.AuditEventsAsync("outcome=denied", admin);
        Assert.Equal(["token_auth_failed", "admin_auth_failed"], denied["events"]!.AsArray().Select(e => e!["event_type"]!.GetValue<string>()));
        Assert.All(denied["events"]!.AsArray(), e => Assert.Equal("denied", e!["outcome"]!.GetValue<string>()));

        var combined = await broker.AuditEventsAsync($"agent_id={Q(a.AgentId)}&event_type=agent_registered&outcome=success", admin);
        Assert.Equal(1, combined["total"]!.GetValue<long>());

        var none = await broker.AuditEventsAsync("agent_id=spiffe%3A%2F%2Fnobody", admin);
        Assert.Equal(0, none["total"]!.GetValue<long>());
        Assert.Empty(none["events"]!.AsArray());
    }

    [Fact]
    public async Task Events_FiltersBySinceAndUntil_InRfc3339()
    {
        await using var broker = await BrokerFixture.StartAsync();
        var t0 = broker.Time.GetUtcNow();
        await broker.RegisterAgentAsync(taskId: "early");
        broker.Time.Advance(TimeSpan.FromHours(1));
        await broker.RegisterAgentAsync(taskId: "late");
        string admin = await broker.AdminTokenAsync();
        var all = (await broker.AuditEventsAsync("limit=1000", admin))["events"]!.AsArray();
        var middle = t0.AddMinutes(30);
        int before = all.Count(e => Timestamp(e!) < middle);
        int after = all.Count(e => Timestamp(e!) > middle);
        Assert.True(before > 0 && after > 0);

        var since = await broker.AuditEventsAsync("since=" + Q(middle.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture)), admin);
        var until = await broker.AuditEventsAsync("until=" + Q(middle.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture)), admin);
        var sinceWithOffset = await broker.AuditEventsAsync("since=" + Q(middle.ToOffset(TimeSpan.FromHours(2)).ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture)), admin);

        Assert.Equal(after, since["total"]!.GetValue<long>());
        Assert.All(since["events"]!.AsArray(), e => Assert.True(Timestamp(e!) >= middle));
        Assert.Contains(since["events"]!.AsArray(), e => e!["task_id"]?.GetValue<string>() == "late");
        Assert.Equal(before, until["total"]!.GetValue<long>());
        Assert.All(until["events"]!.AsArray(), e => Assert.True(Timestamp(e!) <= middle));
        Assert.Contains(until["events"]!.AsArray(), e => e!["task_id"]?.GetValue<string>() == "early");
        Assert.Equal(after, sinceWithOffset["total"]!.GetValue<long>());

        string window = $"since={Q(Rfc3339(t0.AddMinutes(-1)))}&until={Q(Rfc3339(t0.AddMinutes(1)))}&task_id=early";
        Assert.Equal(2, (await broker.AuditEventsAsync(window, admin))["total"]!.GetValue<long>());
    }

    [Fact]
    public async Task Events_PagesWithLimitAndOffset_InSequenceOrder()
    {
        await using var broker = await BrokerFixture.StartAsync();
        await broker.RegisterAgentAsync();
        await broker.RegisterAgentAsync();
        string admin = await broker.AdminTokenAsync();
        var all = await broker.AuditEventsAsync("limit=1000", admin);
        var seqs = all["events"]!.AsArray().Select(e => e!["seq"]!.GetValue<long>()).ToList();
        Assert.Equal(Enumerable.Range(1, seqs.Count).Select(i => (long)i), seqs);

        var page = await broker.AuditEventsAsync("limit=2&offset=3", admin);
        var defaults = await broker.AuditEventsAsync("", admin);

        Assert.Equal(["events", "total", "offset", "limit"], page.Select(p => p.Key));
        Assert.Equal([4L, 5L], page["events"]!.AsArray().Select(e => e!["seq"]!.GetValue<long>()));
        Assert.Equal(seqs.Count, page["total"]!.GetValue<long>());
        Assert.Equal(3, page["offset"]!.GetValue<int>());
        Assert.Equal(2, page["limit"]!.GetValue<int>());
        Assert.Equal(0, defaults["offset"]!.GetValue<int>());
        Assert.Equal(100, defaults["limit"]!.GetValue<int>());
        var beyond = await broker.AuditEventsAsync("offset=500", admin);
        Assert.Empty(beyond["events"]!.AsArray());
        Assert.Equal(seqs.Count, beyond["total"]!.GetValue<long>());
    }

    [Fact]
    public async Task Events_CarryChainFields_AndOmitEmptyOptionalFields()
    {
        await using var broker = await BrokerFixture.StartAsync();
        var agent = await broker.RegisterAgentAsync(taskId: "task-f", orchId: "orch-f");

        var events = (await broker.AuditEventsAsync("limit=1000"))["events"]!.AsArray().Select(e => e!.AsObject()).ToList();

        var first = events[0];
        Assert.Equal("admin_auth", first["event_type"]!.GetValue<string>());
        Assert.Equal(["seq", "id", "timestamp", "event_type", "detail", "outcome", "hash", "prev_hash", "detail_message", "detail_fields"], first.Select(p => p.Key));
        Assert.Equal("evt-000001", first["id"]!.GetValue<string>());
        Assert.Equal(AuditChain.GenesisHash, first["prev_hash"]!.GetValue<string>());
        Assert.Matches(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$", first["timestamp"]!.GetValue<string>());

        var registered = events.Single(e => e["event_type"]!.GetValue<string>() == "agent_registered");
        Assert.Equal(["seq", "id", "timestamp", "event_type", "agent_id", "task_id", "orch_id", "detail", "outcome", "hash", "prev_hash", "detail_message", "detail_fields"], registered.Select(p => p.Key));
        Assert.Equal(agent.AgentId, registered["agent_id"]!.GetValue<string>());
        Assert.Equal("task-f", registered["task_id"]!.GetValue<string>());
        Assert.Equal("orch-f", registered["orch_id"]!.GetValue<string>());

        for (int i = 0; i < events.Count; i++)
        {
            var e = AuditExport.ToEvent(events[i]);
            Assert.Equal(AuditChain.ComputeHash(e), e.Hash);
            if (i > 0)
            {
                Assert.Equal(events[i - 1]["hash"]!.GetValue<string>(), e.PrevHash);
            }
        }
    }

    [Fact]
    public async Task Export_IsJsonLinesThatReverify_WithSignedCheckpoints()
    {
        await using var broker = await BrokerFixture.StartAsync(new Dictionary<string, string?> { ["audit_checkpoint_interval"] = "5" });
        string admin = await broker.AdminTokenAsync();
        for (int i = 0; i < 4; i++)
        {
            await broker.RegisterAgentAsync(taskId: $"task-{i}", adminToken: admin);
        }

        long count = (await broker.Client.GetFromJsonAsync<JsonObject>("/v1/health"))!["audit_events_count"]!.GetValue<long>();
        Assert.True(count > 5);
        var response = await broker.GetWithBearerAsync("/v1/audit/export", admin);
        Assert.Equal(200, (int)response.StatusCode);
        Assert.Equal("application/x-ndjson", response.Content.Headers.ContentType?.MediaType);
        var (events, checkpoints) = AuditExport.Parse(await response.Content.ReadAsStringAsync());
        using var jwks = await JwksKeys.FetchAsync(broker);

        var result = AuditVerifier.Verify(events, checkpoints, jwks);

        // The export audits itself before reading the chain, so it is the last event it carries.
        Assert.Equal(count + 1, events.Count);
        Assert.Equal("audit_exported", events[^1].EventType);
        Assert.NotEmpty(checkpoints);
        Assert.Equal($"audit exported | checkpoints={checkpoints.Count}", events[^1].Detail);
        Assert.All(checkpoints, c => Assert.Equal(jwks.KeyIds.Single(), c.KeyId));
        Assert.Equal(AuditVerdict.Intact, result.Verdict);
        Assert.Equal(count + 1, result.EventsChecked);
        Assert.Equal(checkpoints.Count, result.CheckpointsChecked);

        // The export is evidence: altering an event or cutting the tail is caught.
        var altered = events.ToList();
        altered[2] = altered[2] with { Detail = altered[2].Detail + " (edited)" };
        var alteredResult = AuditVerifier.Verify(altered, checkpoints, jwks);
        Assert.Equal(AuditVerdict.Altered, alteredResult.Verdict);
        Assert.Equal(3, alteredResult.Sequence);
        var cut = events.Take((int)checkpoints[^1].Sequence - 1).ToList();
        Assert.Equal(AuditVerdict.Truncated, AuditVerifier.Verify(cut, checkpoints, jwks).Verdict);
    }

    [Fact]
    public async Task Export_CheckpointLines_HaveTheDocumentedShape()
    {
        await using var broker = await BrokerFixture.StartAsync(new Dictionary<string, string?> { ["audit_checkpoint_interval"] = "1" });
        string admin = await broker.AdminTokenAsync();

        // The writer releases the waiting requests before it signs the interval's checkpoint, so the
        // first export may come a moment before the checkpoint exists: read again until it does.
        string text = await (await broker.GetWithBearerAsync("/v1/audit/export", admin)).Content.ReadAsStringAsync();
        for (int attempt = 0; attempt < 100 && !text.Contains("\"checkpoint\"", StringComparison.Ordinal); attempt++)
        {
            await Task.Delay(50);
            text = await (await broker.GetWithBearerAsync("/v1/audit/export", admin)).Content.ReadAsStringAsync();
        }

        Assert.EndsWith("\n", text);
        var checkpoint = text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!.AsObject()).First(o => o.ContainsKey("checkpoint"));
        Assert.Single(checkpoint);
        Assert.Equal(["seq", "hash", "kid", "alg", "signature", "created_at"], checkpoint["checkpoint"]!.AsObject().Select(p => p.Key));
        Assert.Equal("EdDSA", checkpoint["checkpoint"]!["alg"]!.GetValue<string>());
    }

    [Fact]
    public async Task Chain_AndEventCount_SurviveARestart()
    {
        var broker = await BrokerFixture.StartAsync();
        await broker.RegisterAgentAsync();
        var (eventsBefore, _) = AuditExport.Parse(await (await broker.GetWithBearerAsync("/v1/audit/export", await broker.AdminTokenAsync())).Content.ReadAsStringAsync());
        long before = (await broker.Client.GetFromJsonAsync<JsonObject>("/v1/health"))!["audit_events_count"]!.GetValue<long>();
        Assert.Equal(before, eventsBefore.Count);

        await using var restarted = await broker.RestartAsync();

        long after = (await restarted.Client.GetFromJsonAsync<JsonObject>("/v1/health"))!["audit_events_count"]!.GetValue<long>();
        Assert.Equal(before, after);
        await restarted.RegisterAgentAsync();
        var (events, checkpoints) = AuditExport.Parse(await (await restarted.GetWithBearerAsync("/v1/audit/export", await restarted.AdminTokenAsync())).Content.ReadAsStringAsync());
        Assert.Equal(eventsBefore, events.Take(eventsBefore.Count));
        Assert.True(events.Count > eventsBefore.Count + 1);
        Assert.Equal(events.Count, (await restarted.Client.GetFromJsonAsync<JsonObject>("/v1/health"))!["audit_events_count"]!.GetValue<long>());
        using var jwks = await JwksKeys.FetchAsync(restarted);
        var result = AuditVerifier.Verify(events, checkpoints, jwks);
        Assert.Equal(AuditVerdict.Intact, result.Verdict);

        // The first broker signed its head when it stopped.
        Assert.Contains(checkpoints, c => c.Sequence == eventsBefore[^1].Sequence && c.Hash == eventsBefore[^1].Hash);
    }

    [Fact]
    public async Task Shutdown_WritesASignedCheckpointCoveringTheHead()
    {
        var broker = await BrokerFixture.StartAsync();
        await broker.RegisterAgentAsync();
        await broker.ValidateAsync("not.a.token");
        using var jwks = await JwksKeys.FetchAsync(broker);
        var (_, whileRunning) = SqliteAuditReader.ReadAll(broker.DbPath);
        Assert.Empty(whileRunning);

        await broker.StopAsync();

        var (events, checkpoints) = SqliteAuditReader.ReadAll(broker.DbPath);
        var checkpoint = Assert.Single(checkpoints);
        Assert.Equal(events[^1].Sequence, checkpoint.Sequence);
        Assert.Equal(events[^1].Hash, checkpoint.Hash);
        var result = AuditVerifier.Verify(events, checkpoints, jwks);
        Assert.Equal(AuditVerdict.Intact, result.Verdict);
        Assert.True(result.CheckpointsChecked >= 1);

        // Cutting the last event is now detectable.
        Assert.Equal(AuditVerdict.Truncated, AuditVerifier.Verify(events.Take(events.Count - 1), checkpoints, jwks).Verdict);
    }

    [Fact]
    public async Task Export_Reverifies_WhileEventsAreBeingWritten()
    {
        await using var broker = await BrokerFixture.StartAsync(new Dictionary<string, string?> { ["audit_checkpoint_interval"] = "1" });
        string admin = await broker.AdminTokenAsync();
        using var jwks = await JwksKeys.FetchAsync(broker);
        using var stop = new CancellationTokenSource();
        var writers = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                await broker.ValidateAsync("not.a.token");
            }
        })).ToList();
        var verdicts = new List<string>();
        for (int i = 0; i < 60; i++)
        {
            string text = await (await broker.GetWithBearerAsync("/v1/audit/export", admin)).Content.ReadAsStringAsync();
            var (events, checkpoints) = AuditExport.Parse(text);
            var result = AuditVerifier.Verify(events, checkpoints, jwks);
            verdicts.Add($"{result.Verdict}: {result.Message}");
        }

        await stop.CancelAsync();
        await Task.WhenAll(writers);
        Assert.All(verdicts, v => Assert.StartsWith("Intact", v));
    }

    private static DateTimeOffset Timestamp(JsonNode e) =>
        DateTimeOffset.Parse(e["timestamp"]!.GetValue<string>(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);

    private static string Rfc3339(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
}

/// <summary>Reads the audit export (JSON Lines) back into events and checkpoints, as an offline verifier would.</summary>
internal static class AuditExport
{
    public static (List<AuditEvent> Events, List<AuditCheckpoint> Checkpoints) Parse(string jsonLines)
    {
        var events = new List<AuditEvent>();
        var checkpoints = new List<AuditCheckpoint>();
        foreach (string line in jsonLines.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var json = JsonNode.Parse(line)!.AsObject();
            if (json["checkpoint"] is JsonObject c)
            {
                checkpoints.Add(new AuditCheckpoint(
                    c["seq"]!.GetValue<long>(), c["hash"]!.GetValue<string>(), c["kid"]!.GetValue<string>(), c["alg"]!.GetValue<string>(),
                    c["signature"]!.GetValue<string>(), Ms(c["created_at"]!.GetValue<string>())));
            }
            else
            {
                events.Add(ToEvent(json));
            }
        }

        return (events, checkpoints);
    }

    public static AuditEvent ToEvent(JsonObject e) => new()
    {
        Sequence = e["seq"]!.GetValue<long>(),
        Id = e["id"]!.GetValue<string>(),
        TimestampMs = Ms(e["timestamp"]!.GetValue<string>()),
        EventType = e["event_type"]!.GetValue<string>(),
        AgentId = e["agent_id"]?.GetValue<string>() ?? "",
        TaskId = e["task_id"]?.GetValue<string>() ?? "",
        OrchId = e["orch_id"]?.GetValue<string>() ?? "",
        Detail = e["detail"]!.GetValue<string>(),
        Resource = e["resource"]?.GetValue<string>() ?? "",
        Outcome = e["outcome"]?.GetValue<string>() ?? "",
        DelegDepth = e["deleg_depth"]?.GetValue<int>() ?? 0,
        DelegChainHash = e["deleg_chain_hash"]?.GetValue<string>() ?? "",
        PrevHash = e["prev_hash"]!.GetValue<string>(),
        Hash = e["hash"]!.GetValue<string>(),
    };

    private static long Ms(string rfc3339) =>
        DateTimeOffset.Parse(rfc3339, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal).ToUnixTimeMilliseconds();
}
