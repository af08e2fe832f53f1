using System.Globalization;
using System.Net.Http.Json;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;
using Tessera.Broker.Tests.Infrastructure;

namespace Tessera.Broker.Tests;

public sealed class MetricsTests
{
    private static readonly string[] Families =
    [
        "tessera_tokens_issued_total counter",
        "tessera_tokens_revoked_total counter",
        "tessera_registrations_total counter",
        "tessera_admin_auth_total counter",
        "tessera_launch_tokens_created_total counter",
        "tessera_clock_skew_total counter",
        "tessera_audit_events_total counter",
        "tessera_db_errors_total counter",
        "tessera_active_agents gauge",
        "tessera_audit_events_loaded gauge",
        "tessera_request_duration_seconds histogram",
        "tessera_audit_write_duration_seconds histogram",
    ];

    [Fact]
    public async Task Metrics_IsPrometheusText_WithTheFullMetricSet()
    {
        await using var broker = await BrokerFixture.StartAsync();
        await broker.RegisterAgentAsync();

        var response = await broker.Client.GetAsync("/v1/metrics");

        Assert.Equal(200, (int)response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("version=0.0.4", response.Content.Headers.ContentType!.ToString());
        string text = await response.Content.ReadAsStringAsync();
        foreach (string family in Families)
        {
            string name = family.Split(' ')[0];
            Assert.Contains($"# HELP {name} ", text);
            Assert.Contains($"# TYPE {family}\n", text);
        }

        Assert.All(
            text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => !l.StartsWith('#')),
            l => Assert.StartsWith("tessera_", l));
        var samples = Prometheus.Parse(text);
        Assert.Equal(1, samples["tessera_registrations_total{status=\"success\"}"]);
        Assert.Equal(1, samples["tessera_active_agents"]);
        Assert.True(samples["tessera_request_duration_seconds_count{endpoint=\"/v1/register\"}"] >= 1);
        Assert.True(samples["tessera_audit_write_duration_seconds_count"] >= 1);
    }

    [Fact]
    public async Task Metrics_Move_AfterTheCorrespondingActions()
    {
        await using var broker = await BrokerFixture.StartAsync();
        string admin = await broker.AdminTokenAsync();
        var before = await Prometheus.ScrapeAsync(broker);

        await broker.Client.PostAsJsonAsync("/v1/admin/auth", new { secret = "a-wrong-secret-that-is-long-enough" });
        await broker.AdminTokenAsync();
        var a = await broker.RegisterAgentAsync(["read:data:metrics"], adminToken: admin);
        var b = await broker.RegisterAgentAsync(["read:data:metrics"], adminToken: admin);
        string launch = (await broker.CreateLaunchTokenAsync(new { agent_name = "x", allowed_scope = new[] { "read:data:*" } }, admin))["launch_token"]!.GetValue<string>();
        using (var key = AgentKey.Create())
        {
            string nonce = await broker.NonceAsync();
            var refused = await broker.Client.PostAsJsonAsync("/v1/register", RegistrationTests.Body(launch, nonce, key.PublicKeyBase64, key.SignNonceText(nonce)));
            Assert.Equal(401, (int)refused.StatusCode);
        }

        var renew = await broker.PostWithBearerAsync("/v1/token/renew", a.Token);
        string renewed = (await renew.Content.ReadFromJsonAsync<System.Text.Json.Nodes.JsonObject>())!["access_token"]!.GetValue<string>();
        Assert.Equal(204, (int)(await broker.PostWithBearerAsync("/v1/token/release", renewed)).StatusCode);
        await broker.RevokeOkAsync(admin, "agent", b.AgentId);
        await broker.RevokeOkAsync(admin, "task", "some-task");
        await broker.ValidateAsync("not.a.token");

        var after = await Prometheus.ScrapeAsync(broker);
        double Delta(string sample) => after.GetValueOrDefault(sample) - before.GetValueOrDefault(sample);

        Assert.Equal(1, Delta("tessera_admin_auth_total{status=\"success\"}"));
        Assert.Equal(1, Delta("tessera_admin_auth_total{status=\"failure\"}"));
        Assert.Equal(3, Delta("tessera_launch_tokens_created_total"));
        Assert.Equal(2, Delta("tessera_registrations_total{status=\"success\"}"));
        Assert.Equal(1, Delta("tessera_registrations_total{status=\"failure\"}"));
        Assert.Equal(3, Delta("tessera_tokens_issued_total{scope=\"read:data:metrics\"}"));
        Assert.Equal(1, Delta("tessera_tokens_revoked_total{level=\"renew\"}"));
        Assert.Equal(1, Delta("tessera_tokens_revoked_total{level=\"release\"}"));
        Assert.Equal(1, Delta("tessera_tokens_revoked_total{level=\"agent\"}"));
        Assert.Equal(1, Delta("tessera_tokens_revoked_total{level=\"task\"}"));
        Assert.Equal(2, after["tessera_active_agents"]);
        Assert.Equal(2, Delta("tessera_audit_events_total{event_type=\"agent_registered\"}"));
        Assert.Equal(1, Delta("tessera_audit_events_total{event_type=\"admin_auth_failed\"}"));
        Assert.Equal(2, Delta("tessera_audit_events_total{event_type=\"token_revoked\"}"));
        Assert.Equal(1, Delta("tessera_audit_events_total{event_type=\"token_auth_failed\"}"));
        Assert.Equal(3, Delta("tessera_request_duration_seconds_count{endpoint=\"/v1/register\"}"));
        Assert.Equal(2, Delta("tessera_request_duration_seconds_count{endpoint=\"/v1/revoke\"}"));
        Assert.True(Delta("tessera_audit_write_duration_seconds_count") >= 1);
        Assert.True(Delta("tessera_audit_write_duration_seconds_sum") > 0);
        Assert.Equal(0, Delta("tessera_clock_skew_total"));
    }

    [Fact]
    public async Task ClockSkew_IsCounted_WhenATokenIsPresentedBeforeItsNotBefore()
    {
        var now = TimeProvider.System.GetUtcNow();
        var ahead = await BrokerFixture.StartAsync(time: new FakeTimeProvider(now.AddSeconds(120)));
        string token = (await ahead.RegisterAgentAsync()).Token;
        await ahead.StopAsync();
        await using var broker = await BrokerFixture.StartAsync(directory: ahead.Directory, time: new FakeTimeProvider(now));
        Assert.Equal(0, (await Prometheus.ScrapeAsync(broker))["tessera_clock_skew_total"]);

        Assert.False(await broker.IsValidAsync(token));

        Assert.Equal(1, (await Prometheus.ScrapeAsync(broker))["tessera_clock_skew_total"]);
    }

    [Fact]
    public async Task ActiveAgentsAndAuditEventsLoaded_AreReadFromTheStore_AfterARestart()
    {
        var broker = await BrokerFixture.StartAsync();
        await broker.RegisterAgentAsync();
        await broker.RegisterAgentAsync();
        long events = (await broker.Client.GetFromJsonAsync<System.Text.Json.Nodes.JsonObject>("/v1/health"))!["audit_events_count"]!.GetValue<long>();

        await using var restarted = await broker.RestartAsync();

        var samples = await Prometheus.ScrapeAsync(restarted);
        Assert.Equal(2, samples["tessera_active_agents"]);
        Assert.Equal(events, samples["tessera_audit_events_loaded"]);
    }

    [Fact]
    public async Task Metrics_NeverContainTokensSecretsOrAgentIds()
    {
        await using var broker = await BrokerFixture.StartAsync();
        string admin = await broker.AdminTokenAsync();
        string launch = await broker.LaunchTokenAsync(["read:data:*"]);
        var (agent, _) = await broker.RegisterAsync(launch);
        string token = agent["access_token"]!.GetValue<string>();
        string agentId = agent["agent_id"]!.GetValue<string>();
        await broker.RevokeOkAsync(admin, "token", BrokerApi.Jti(token));
        await broker.Client.PostAsJsonAsync("/v1/admin/auth", new { secret = "wrong-secret-that-someone-typed" });

        string text = await broker.Client.GetStringAsync("/v1/metrics");

        Assert.DoesNotContain(BrokerFixture.AdminSecret, text);
        Assert.DoesNotContain("wrong-secret-that-someone-typed", text);
        Assert.DoesNotContain(admin, text);
        Assert.DoesNotContain(admin.Split('.')[2], text);
        Assert.DoesNotContain(token, text);
        Assert.DoesNotContain(token.Split('.')[2], text);
        Assert.DoesNotContain(launch, text);
        Assert.DoesNotContain(BrokerApi.Jti(token), text);
        Assert.DoesNotContain(agentId, text);
    }

    [Fact]
    public async Task DbErrors_AreCounted_WhenStorageFails()
    {
        await using var broker = await BrokerFixture.StartAsync();
        string admin = await broker.AdminTokenAsync();
        using (var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = broker.DbPath, Pooling = false }.ToString()))
        {
            connection.Open();
            using var drop = connection.CreateCommand();
            drop.CommandText = "DROP TABLE revocations";
            drop.ExecuteNonQuery();
        }

        var response = await broker.RevokeAsync(admin, "task", "any-task");

        await RegistrationTests.AssertProblem(response, 503, "service_unavailable", "the operation could not be recorded durably; nothing was acknowledged");
        var samples = await Prometheus.ScrapeAsync(broker);
        Assert.Equal(1, samples["tessera_db_errors_total{operation=\"/v1/revoke\"}"]);
    }
}

/// <summary>Reads Prometheus text exposition into <c>name{labels}</c> → value.</summary>
internal static class Prometheus
{
    public static async Task<Dictionary<string, double>> ScrapeAsync(BrokerFixture broker) =>
        Parse(await broker.Client.GetStringAsync("/v1/metrics"));

    public static Dictionary<string, double> Parse(string text)
    {
        var samples = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (string line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            if (line.StartsWith('#'))
            {
                continue;
            }

            int space = line.LastIndexOf(' ');
            samples[line[..space]] = double.Parse(line[(space + 1)..], CultureInfo.InvariantCulture);
        }

        return samples;
    }
}
