using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Tessera.Broker.Tests.Infrastructure;
using static Tessera.Broker.Tests.Infrastructure.CredentialApi;

namespace Tessera.Broker.Tests;

/// <summary>No agent secret, platform secret, client assertion or issued token in a log line, an audit event or the database.</summary>
public sealed class CredentialSecretHygieneTests
{
    [Fact]
    public async Task NoLogLineAuditEventOrDatabaseRow_ContainsACredential_AfterAFullFlowWithFailures()
    {
        await using var broker = await BrokerFixture.StartAsync(NoExchangeLimits);
        string admin = await broker.AdminTokenAsync();
        var secrets = new List<string>();
        var (platform, agent) = await broker.PlatformWithAgentAsync(adminToken: admin);
        secrets.Add(platform.ClientSecret);
        secrets.Add(agent.Secret!);
        secrets.Add(Basic(agent.KeyId, agent.Secret!).Parameter!);
        secrets.Add(Basic(platform.ClientId, platform.ClientSecret).Parameter!);

        // Exchanges: Basic, post, JSON, wrong secrets, and the secret pasted where the key id belongs.
        string token = (await broker.ExchangeOkAsync(agent, platform.PlatformId))["access_token"]!.GetValue<string>();
        secrets.Add(token);
        await broker.TokenFormAsync([new("grant_type", "client_credentials"), new("client_id", agent.KeyId), new("client_secret", agent.Secret!), new("resource", platform.PlatformId)]);
        await broker.Client.PostAsync("/v1/token", new StringContent(new JsonObject { ["grant_type"] = "client_credentials", ["client_id"] = agent.KeyId, ["client_secret"] = agent.Secret }.ToJsonString(), Encoding.UTF8, "application/json"));
        string wrong = "tsr_sk_" + new string('W', 43);
        secrets.Add(wrong);
        await broker.ExchangeAsync(agent.KeyId, wrong, platform.PlatformId);
        await broker.ExchangeAsync(agent.Secret!, agent.Secret!, platform.PlatformId);
        await broker.TokenFormAsync([new("grant_type", "client_credentials"), new("client_id", agent.Secret!), new("client_secret", wrong)]);

        // private_key_jwt: success, replay, and a tampered one.
        using var key = AssertionKey.Create("EdDSA");
        var keyAgent = await broker.CreateAgentOkAsync(jwks: key.Jwks(), adminToken: admin);
        await broker.GrantOkAsync(keyAgent.KeyId, platform.PlatformId, ["read:orders:*"], admin);
        string assertion = key.Assertion(keyAgent.KeyId, broker.Time.GetUtcNow());
        secrets.Add(assertion);
        var assertionForm = new List<KeyValuePair<string, string>>
        {
            new("grant_type", "client_credentials"), new("client_assertion_type", AssertionType), new("client_assertion", assertion), new("resource", platform.PlatformId),
        };
        var ok = await broker.TokenFormAsync(assertionForm);
        secrets.Add((await ok.Content.ReadFromJsonAsync<JsonObject>())!["access_token"]!.GetValue<string>());
        await broker.TokenFormAsync(assertionForm);
        string tampered = assertion[..^4] + (assertion[^4] == 'A' ? "BBBB" : "AAAA");
        secrets.Add(tampered);
        await broker.TokenFormAsync([new("grant_type", "client_credentials"), new("client_assertion_type", AssertionType), new("client_assertion", tampered)]);

        // Discovery, reports, scopes file, rotations.
        await broker.Client.PostAsJsonAsync("/v1/platforms/me", new { key_id = agent.KeyId, secret = agent.Secret });
        await broker.Client.PostAsJsonAsync("/v1/platforms/me", new { key_id = agent.KeyId, secret = wrong });
        await broker.Client.PostAsJsonAsync("/v1/platforms/me", new { key_id = agent.Secret, secret = agent.Secret });
        await broker.ReportAsync(platform, Events(Denied(agent.AgentId, 2), Allowed(agent.AgentId)));
        await broker.ReportAsync(platform.ClientId, wrong, Events(Allowed(agent.AgentId)));
        await broker.ReportAsync(agent.KeyId, agent.Secret!, Events(Allowed(agent.AgentId)));
        using (var request = new HttpRequestMessage(HttpMethod.Get, $"/v1/platforms/{platform.PlatformId}/scopes-file"))
        {
            request.Headers.Authorization = Basic(platform.ClientId, platform.ClientSecret);
            await broker.Client.SendAsync(request);
        }

        var rotatedAgent = await broker.AdminOkAsync(HttpMethod.Post, $"/v1/admin/agents/{agent.KeyId}/rotate-secret", adminToken: admin);
        secrets.Add(rotatedAgent["secret"]!.GetValue<string>());
        var rotatedPlatform = await broker.AdminOkAsync(HttpMethod.Post, $"/v1/admin/platforms/{platform.PlatformId}/rotate-secret", adminToken: admin);
        secrets.Add(rotatedPlatform["client_secret"]!.GetValue<string>());
        await broker.ExchangeAsync(agent.KeyId, rotatedAgent["secret"]!.GetValue<string>(), platform.PlatformId);

        string audit = (await broker.AuditEventsAsync("limit=1000", admin)).ToJsonString();
        string export = await (await broker.GetWithBearerAsync("/v1/audit/export", admin)).Content.ReadAsStringAsync();
        await broker.StopAsync();
        byte[] db = await File.ReadAllBytesAsync(broker.DbPath);
        byte[] wal = File.Exists(broker.DbPath + "-wal") ? await File.ReadAllBytesAsync(broker.DbPath + "-wal") : [];
        string stored = Encoding.Latin1.GetString([.. db, .. wal]);

        Assert.NotEmpty(broker.Logs);
        Assert.Contains("token_exchanged", audit, StringComparison.Ordinal);
        foreach (string secret in secrets)
        {
            // A JWS is also caught by its signature segment alone.
            string[] pieces = secret.Count(c => c == '.') == 2 ? [secret, secret.Split('.')[2]] : [secret];
            foreach (string piece in pieces.Where(p => p.Length > 0))
            {
                Assert.DoesNotContain(broker.Logs, line => line.Contains(piece, StringComparison.Ordinal));
                Assert.DoesNotContain(piece, audit, StringComparison.Ordinal);
                Assert.DoesNotContain(piece, export, StringComparison.Ordinal);
                if (!piece.Contains('.', StringComparison.Ordinal) || secret == assertion)
                {
                    Assert.DoesNotContain(piece, stored, StringComparison.Ordinal);
                }
            }
        }
    }
}
