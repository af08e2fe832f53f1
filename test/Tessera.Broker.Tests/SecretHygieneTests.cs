using System.Net.Http.Json;
using System.Text.Json;
using Tessera.Broker.Tests.Infrastructure;

namespace Tessera.Broker.Tests;

public sealed class SecretHygieneTests
{
    [Fact]
    public async Task NoLogLine_ContainsASecretTokenOrKey_AfterAFullFlowWithFailures()
    {
        await using var broker = await BrokerFixture.StartAsync();
        var secrets = new List<string> { BrokerFixture.AdminSecret };

        await broker.Client.PostAsJsonAsync("/v1/admin/auth", new { secret = "a-wrong-secret-that-is-long" });
        secrets.Add("a-wrong-secret-that-is-long");
        string admin = await broker.AdminTokenAsync();
        secrets.Add(admin);
        string launch = await broker.LaunchTokenAsync();
        secrets.Add(launch);
        var (agent, key) = await broker.RegisterAsync(launch);
        string token = agent["access_token"]!.GetValue<string>();
        secrets.Add(token);
        var renew = await broker.PostWithBearerAsync("/v1/token/renew", token);
        string renewed = (await renew.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("access_token").GetString()!;
        secrets.Add(renewed);
        await broker.PostWithBearerAsync("/v1/token/renew", token);
        await broker.PostWithBearerAsync("/v1/token/release", renewed);
        await broker.Client.PostAsJsonAsync("/v1/token/validate", new { token = renewed });
        await broker.Client.PostAsJsonAsync("/v1/register", new { launch_token = launch, nonce = "00", public_key = "AAAA", signature = "AAAA", orch_id = "o", task_id = "t", requested_scope = new[] { "a:b" } });

        string keyFile = await File.ReadAllTextAsync(Path.Combine(broker.Directory, "signing-key.json"));
        secrets.Add(JsonDocument.Parse(keyFile).RootElement.GetProperty("keys")[0].GetProperty("private_key").GetString()!);
        await broker.StopAsync();

        Assert.NotEmpty(broker.Logs);
        foreach (string line in broker.Logs)
        {
            foreach (string secret in secrets)
            {
                Assert.DoesNotContain(secret, line, StringComparison.Ordinal);

                // Also no recognisable piece of a token (its signature segment).
                if (secret.Count(c => c == '.') == 2)
                {
                    Assert.DoesNotContain(secret.Split('.')[2], line, StringComparison.Ordinal);
                }
            }
        }

        key.Dispose();
    }

    [Fact]
    public async Task Database_StoresNoLaunchTokenOrAdminSecret()
    {
        await using var broker = await BrokerFixture.StartAsync();
        string launch = await broker.LaunchTokenAsync();
        await broker.StopAsync();

        byte[] db = await File.ReadAllBytesAsync(broker.DbPath);
        byte[] wal = File.Exists(broker.DbPath + "-wal") ? await File.ReadAllBytesAsync(broker.DbPath + "-wal") : [];
        string all = System.Text.Encoding.Latin1.GetString([.. db, .. wal]);
        Assert.DoesNotContain(launch, all, StringComparison.Ordinal);
        Assert.DoesNotContain(BrokerFixture.AdminSecret, all, StringComparison.Ordinal);
    }
}
