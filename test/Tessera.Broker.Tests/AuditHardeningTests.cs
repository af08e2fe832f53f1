using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Tessera.Audit;
using Tessera.Broker.Audit;
using Tessera.Broker.Tests.Infrastructure;
using Tessera.Storage.Audit;
using static Tessera.Broker.Tests.Infrastructure.AppApi;
using static Tessera.Broker.Tests.Infrastructure.CredentialApi;

namespace Tessera.Broker.Tests;

/// <summary>
/// Issue 17, findings 3, 5, 7 and 11: the audit chain cannot be flooded by refused requests, forged
/// or turned into a terminal attack through request paths and names, does not keep secrets pasted
/// into client_id, and holds no events a platform wrote about agents it does not serve.
/// </summary>
public sealed class AuditHardeningTests
{
    private const string LongId = "/v1/admin/apps/";

    // 17.3: 300 refused bearer checks with 7,000-character paths in the same second.
    [Fact]
    public async Task BearerCheck_WritesOneBoundedEventPerSecondWithSuppressedCount_WhenRefusedRequestsWithLongPathsFlood()
    {
        await using var broker = await BrokerFixture.StartAsync();
        string admin = await broker.AdminTokenAsync();
        string path = LongId + new string('a', 7000);
        long before = await CountAsync(broker, "token_auth_failed", admin);

        var statuses = await SendManyAsync(300, 8, () => broker.GetWithBearerAsync(path, "x"));
        broker.Time.Advance(TimeSpan.FromSeconds(1));
        var last = await broker.GetWithBearerAsync(path, "x");

        Assert.All(statuses, s => Assert.Equal(401, s));
        Assert.Equal(401, (int)last.StatusCode);
        var events = (await broker.AuditEventsAsync("event_type=token_auth_failed&limit=1000", admin))["events"]!.AsArray();
        Assert.Equal(before + 2, events.Count);
        Assert.All(events, e => Assert.True(e!["detail"]!.GetValue<string>().Length <= 512, e["detail"]!.GetValue<string>()));
        var first = events[^2]!["detail_fields"]!;
        var second = events[^1]!["detail_fields"]!;
        Assert.Equal(path[..AuditRedaction.MaxPathChars], first["path"]!.GetValue<string>());
        Assert.Equal("7015", first["path_len"]!.GetValue<string>());
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(path)))[..16], first["path_sha256"]!.GetValue<string>());
        Assert.Null(first["suppressed"]);
        Assert.Equal("299", second["suppressed"]!.GetValue<string>());
    }

    // 17.3: one address guessing 300 client ids at POST /v1/app/auth.
    [Fact]
    public async Task AppAuth_Returns429WithRetryAfter_WhenOneAddressTriesManyRandomClientIds()
    {
        await using var broker = await BrokerFixture.StartAsync();
        string admin = await broker.AdminTokenAsync();
        var responses = new List<HttpResponseMessage>();
        await SendManyAsync(300, 8, async () =>
        {
            var response = await broker.AppAuthAsync("tsr_kid_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)), "wrong-secret");
            lock (responses)
            {
                responses.Add(response);
            }

            return response;
        });

        var limited = responses.Where(r => (int)r.StatusCode == 429).ToList();
        Assert.NotEmpty(limited);
        Assert.All(responses, r => Assert.Contains((int)r.StatusCode, new[] { 401, 429 }));
        var problem = await ReadJsonAsync(limited[0], 429);
        Assert.Equal("rate_limited_address", problem["error_code"]!.GetValue<string>());
        Assert.True(int.TryParse(limited[0].Headers.GetValues("Retry-After").Single(), out int wait) && wait >= 1);

        // The refused attempts are throttled in the audit too: the clock did not move, so one event.
        Assert.Single(await broker.AuditAsync("app_auth_failed", adminToken: admin));
    }

    // 17.5: a %0A in the path once forged an event line in `tessera audit tail`.
    [Theory]
    [InlineData("newline", "/v1/admin/apps/x%0Aevt-999999 2026-01-01T00:00:00Z admin_auth success", "x\nevt-999999 2026-01-01T00:00:00Z admin_auth success", "\\u000a")]
    [InlineData("escape", "/v1/admin/apps/x%1B%5B2J%1B%5B31mred", "x\u001b[2J\u001b[31mred", "\\u001b")]
    [InlineData("bidi", "/v1/admin/apps/x%E2%80%AEtxt.exe", "x\u202etxt.exe", "\\u202e")]
    public async Task BearerCheck_StoresThePathEscapedAndTheFieldDecoded_WhenThePathCarriesControlCharacters(string attack, string url, string decoded, string escape)
    {
        await using var broker = await BrokerFixture.StartAsync();
        string admin = await broker.AdminTokenAsync();

        var response = await broker.GetWithBearerAsync(url, "x");

        Assert.True((int)response.StatusCode == 401, attack);
        var e = Assert.Single((await broker.AuditEventsAsync("event_type=token_auth_failed", admin))["events"]!.AsArray())!;
        string detail = e["detail"]!.GetValue<string>();
        Assert.DoesNotContain(detail, c => c < ' ' || c is '\u007f' or '\u202e');
        Assert.Contains(escape, detail, StringComparison.Ordinal);
        Assert.Equal("token verification failed", e["detail_message"]!.GetValue<string>());
        Assert.Equal("/v1/admin/apps/" + decoded, e["detail_fields"]!["path"]!.GetValue<string>());
    }

    // 17.5: an agent_name with " | " once forged scope= and max_ttl= fields of launch_token_issued.
    [Theory]
    [InlineData("x | scope=admin:*:* | max_ttl=86400")]
    [InlineData("x\nevt-000001")]
    [InlineData("x\u001b[31m")]
    [InlineData("x\u202e")]
    public async Task LaunchToken_Returns400NamingAgentName_WhenTheNameHoldsASeparatorOrControlCharacter(string name)
    {
        await using var broker = await BrokerFixture.StartAsync();
        string admin = await broker.AdminTokenAsync();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/admin/launch-tokens")
        {
            Content = JsonContent.Create(new { agent_name = name, allowed_scope = new[] { "read:data:*" }, max_ttl = 300 }),
        };
        request.Headers.Authorization = new("Bearer", admin);

        var response = await broker.Client.SendAsync(request);

        var problem = await ReadJsonAsync(response, 400);
        Assert.Equal("invalid_request", problem["error_code"]!.GetValue<string>());
        Assert.StartsWith("agent_name must be at most 128 printable characters", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Empty(await broker.AuditAsync("launch_token_issued", adminToken: admin));
        var denied = Assert.Single(await broker.AuditAsync("launch_token_denied", adminToken: admin));
        Assert.DoesNotContain("max_ttl", denied["detail"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("platform | scopes=*:*:*")]
    [InlineData("platform\u001b]0;title\u0007")]
    public async Task PlatformRegister_Returns400NamingName_WhenTheNameHoldsASeparatorOrControlCharacter(string name)
    {
        await using var broker = await BrokerFixture.StartAsync();
        string admin = await broker.AdminTokenAsync();

        var response = await broker.AdminAsync(HttpMethod.Post, "/v1/admin/platforms", PlatformBody("p-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4)), ["read:orders:*"], name: name), admin);

        var problem = await ReadJsonAsync(response, 400);
        Assert.Equal("invalid_request", problem["error_code"]!.GetValue<string>());
        Assert.StartsWith("name must be 1 to 128 printable characters", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    // 17.5: even where a value reaches a detail (stored before validation, or a field without one), it cannot add a field.
    [Fact]
    public void AuditText_EscapesSeparatorsAndControls_SoTheFieldsParseExactly()
    {
        string name = "x | scope=admin:*:* | max_ttl=86400\n\u001b[2J\\u000a";
        var draft = AuditDraft.Of(TimeProvider.System, "launch_token_issued", "success", $"launch token issued | agent_name={name} | scope=read:data:* | max_ttl=300");

        var (message, fields) = AuditDetailFields.Parse(draft.Detail);

        Assert.DoesNotContain(draft.Detail, c => c < ' ');
        Assert.Equal("launch token issued", message);
        Assert.Equal(["agent_name", "scope", "max_ttl"], fields.Select(f => f.Key));
        Assert.Equal(name, fields[0].Value);
        Assert.Equal("read:data:*", fields[1].Value);
        Assert.Equal("300", fields[2].Value);
    }

    // 17.5: events written in the old, unescaped format and new ones verify in one chain.
    [Fact]
    public async Task Export_VerifiesIntact_WhenOldUnescapedEventsPrecedeNewOnes()
    {
        await using var broker = await BrokerFixture.StartAsync(new Dictionary<string, string?> { ["audit_checkpoint_interval"] = "3" });
        var store = broker.Services.GetRequiredService<IAuditStore>();
        long now = broker.Time.GetUtcNow().ToUnixTimeMilliseconds();
        await store.AppendAsync(
        [
            new AuditEventDraft { TimestampMs = now, EventType = "token_auth_failed", Outcome = "denied", Detail = "token verification failed | path=/v1/x\nevt-999999 forged\u001b[2J" },
            new AuditEventDraft { TimestampMs = now, EventType = "launch_token_issued", Outcome = "success", Detail = "launch token issued | agent_name=x | scope=admin:*:* | scope=read:data:* | max_ttl=300" },
        ], CancellationToken.None);
        string admin = await broker.AdminTokenAsync();
        await broker.GetWithBearerAsync("/v1/admin/apps/x%0Ay", "x");

        var response = await broker.GetWithBearerAsync("/v1/audit/export", admin);
        var (events, checkpoints) = AuditExport.Parse(await response.Content.ReadAsStringAsync());
        using var jwks = await JwksKeys.FetchAsync(broker);

        Assert.Contains(events, e => e.Detail.Contains('\n', StringComparison.Ordinal));
        Assert.Contains(events, e => e.Detail.Contains("\\u000a", StringComparison.Ordinal));
        Assert.Equal(AuditVerdict.Intact, AuditVerifier.Verify(events, checkpoints, jwks).Verdict);
    }

    // 17.7: a secret pasted into client_id at POST /v1/app/auth was stored verbatim.
    [Theory]
    [InlineData("secret")]
    [InlineData("random")]
    public async Task AppAuth_NeverAuditsOrLogsTheClientId_WhenItIsNotShapedLikeAClientId(string kind)
    {
        await using var broker = await BrokerFixture.StartAsync(NoAppAuthLimit);
        string admin = await broker.AdminTokenAsync();
        var app = await broker.CreateAppOkAsync(adminToken: admin);
        string pasted = kind == "secret" ? app.ClientSecret : Convert.ToBase64String(RandomNumberGenerator.GetBytes(48));

        var refused = await broker.AppAuthAsync(pasted, app.ClientSecret);
        broker.Time.Advance(TimeSpan.FromSeconds(1));
        var unknown = await broker.AppAuthAsync(pasted + "x", "whatever");

        Assert.Equal(401, (int)refused.StatusCode);
        Assert.Equal(401, (int)unknown.StatusCode);
        string all = (await broker.AuditEventsAsync("limit=1000", admin)).ToJsonString();
        Assert.DoesNotContain(pasted[..20], all, StringComparison.Ordinal);
        Assert.DoesNotContain(broker.Logs, l => l.Contains(pasted[..20], StringComparison.Ordinal));
        var failed = await broker.AuditAsync("app_auth_failed", adminToken: admin);
        Assert.Equal(2, failed.Count);
        Assert.Equal($"(not a client id, {pasted.Length} characters)", failed[0]["detail_fields"]!["client_id"]!.GetValue<string>());
        Assert.Equal($"(not a client id, {pasted.Length + 1} characters)", failed[1]["detail_fields"]!["client_id"]!.GetValue<string>());
    }

    // 17.11: a platform could write enforcement_denied events under agents it does not serve.
    [Fact]
    public async Task Report_RecordsOnePlatformEventAndNothingUnderTheAgent_WhenTheAgentIsNotServed()
    {
        await using var broker = await BrokerFixture.StartAsync();
        string admin = await broker.AdminTokenAsync();
        var (platform, agent) = await broker.PlatformWithAgentAsync(adminToken: admin);
        var bystander = await broker.CreateAgentOkAsync(adminToken: admin);

        var json = await ReadJsonAsync(await broker.ReportAsync(platform, Events(Denied(bystander.AgentId), Denied(bystander.AgentId, 5), Allowed(bystander.AgentId), Allowed(agent.AgentId))), 202);

        Assert.Equal(1, json["accepted"]!.GetValue<int>());
        Assert.Equal(3, json["ignored"]!.GetValue<int>());
        Assert.Empty(await broker.AuditAsync("enforcement_denied", bystander.AgentId, admin));
        Assert.Empty(await broker.AuditAsync("enforcement_allowed", bystander.AgentId, admin));
        Assert.Single(await broker.AuditAsync("enforcement_allowed", agent.AgentId, admin));
        var ignored = Assert.Single(await broker.AuditAsync("enforcement_ignored", adminToken: admin));
        Assert.Null(ignored["agent_id"]);
        Assert.Equal(platform.PlatformId, ignored["resource"]!.GetValue<string>());
        Assert.Equal("denied", ignored["outcome"]!.GetValue<string>());
        Assert.Equal(platform.PlatformId, ignored["detail_fields"]!["platform_id"]!.GetValue<string>());
        Assert.Equal("3", ignored["detail_fields"]!["ignored"]!.GetValue<string>());
    }

    private static async Task<long> CountAsync(BrokerFixture broker, string type, string admin) =>
        (await broker.AuditEventsAsync($"event_type={type}&limit=1", admin))["total"]!.GetValue<long>();

    private static async Task<List<int>> SendManyAsync(int count, int parallel, Func<Task<HttpResponseMessage>> send)
    {
        var statuses = new List<int>(count);
        int next = 0;
        await Task.WhenAll(Enumerable.Range(0, parallel).Select(async _ =>
        {
            while (Interlocked.Increment(ref next) <= count)
            {
                var response = await send();
                lock (statuses)
                {
                    statuses.Add((int)response.StatusCode);
                }
            }
        }));
        return statuses;
    }
}
