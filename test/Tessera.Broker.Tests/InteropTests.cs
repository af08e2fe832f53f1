using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Tessera.Broker.Tests.Infrastructure;

namespace Tessera.Broker.Tests;

/// <summary>Independent implementations verify the broker's tokens using only its published JWKS.</summary>
public sealed class InteropTests
{
    [Theory]
    [InlineData("ES256")]
    [InlineData("RS256")]
    public async Task MicrosoftIdentityModel_VerifiesBrokerTokens_WithThePublishedJwks(string alg)
    {
        await using var broker = await BrokerFixture.StartAsync(new Dictionary<string, string?> { ["signing_alg"] = alg });
        string launch = await broker.LaunchTokenAsync(["read:data:*"], audience: ["orders-api"]);
        var (agent, _) = await broker.RegisterAsync(launch, ["read:data:r1"], audience: "orders-api");
        string token = agent["access_token"]!.GetValue<string>();
        var keys = new JsonWebKeySet(await broker.Client.GetStringAsync("/.well-known/jwks.json")).GetSigningKeys();
        var parameters = new TokenValidationParameters
        {
            ValidIssuer = "http://tessera.test",
            ValidAudience = "orders-api",
            IssuerSigningKeys = keys,
            ValidAlgorithms = [alg],
            ValidTypes = ["at+jwt"],
            ClockSkew = TimeSpan.Zero,
        };
        var handler = new JsonWebTokenHandler();

        var result = await handler.ValidateTokenAsync(token, parameters);

        Assert.True(result.IsValid, result.Exception?.Message);
        Assert.Equal(agent["agent_id"]!.GetValue<string>(), result.Claims["sub"]);
        Assert.Equal("read:data:r1", result.Claims["scope"]);

        var tampered = Jwt.Payload(token);
        tampered["scope"] = "read:data:*";
        var bad = await handler.ValidateTokenAsync(Jwt.WithPayload(token, tampered), parameters);
        Assert.False(bad.IsValid);
    }

    [Fact]
    public async Task NpmJose_VerifiesEdDsaTokens_WithThePublishedJwks()
    {
        string script = Path.Combine(RepoRoot(), "test", "interop", "verify-jose.mjs");
        Assert.True(File.Exists(Path.Combine(RepoRoot(), "test", "interop", "node_modules", "jose", "package.json")),
            "run `npm ci` in test/interop first (scripts/test.sh does)");
        await using var broker = await BrokerFixture.StartAsync();
        var (agent, _) = await broker.RegisterAsync();
        string token = agent["access_token"]!.GetValue<string>();
        string jwks = await broker.Client.GetStringAsync("/.well-known/jwks.json");

        var (code, output) = await RunAsync("node", [script], $"{{\"jwks\":{jwks},\"token\":\"{token}\",\"issuer\":\"http://tessera.test\",\"audience\":\"http://tessera.test\"}}");

        Assert.True(code == 0, output);
        var claims = JsonNode.Parse(output.Trim())!;
        Assert.Equal(agent["agent_id"]!.GetValue<string>(), claims["sub"]!.GetValue<string>());
        Assert.Equal("EdDSA", claims["alg"]!.GetValue<string>());

        var tampered = Jwt.Payload(token);
        tampered["sub"] = "admin";
        var (badCode, _) = await RunAsync("node", [script], $"{{\"jwks\":{jwks},\"token\":\"{Jwt.WithPayload(token, tampered)}\",\"issuer\":\"http://tessera.test\",\"audience\":\"http://tessera.test\"}}");
        Assert.NotEqual(0, badCode);
    }

    [Fact]
    public async Task SeedPythonSnippets_WorkUnchanged_AgainstTheBroker()
    {
        string script = Path.Combine(RepoRoot(), "test", "interop", "seed_flow.py");
        string python = Environment.GetEnvironmentVariable("TESSERA_TEST_PYTHON") ?? "python3";
        await using var broker = await BrokerFixture.StartAsync();

        var (code, output) = await RunAsync(python, [script, broker.BaseAddress.ToString().TrimEnd('/'), BrokerFixture.AdminSecret], null);

        Assert.True(code == 0, output);
        Assert.Contains("SEED FLOW OK", output);
        var health = (await broker.Client.GetFromJsonAsync<JsonObject>("/v1/health"))!;
        Assert.True(health["audit_events_count"]!.GetValue<long>() >= 5);
    }

    internal static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Tessera.slnx")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("repository root not found");
    }

    private static async Task<(int Code, string Output)> RunAsync(string file, string[] args, string? stdin)
    {
        var info = new ProcessStartInfo(file)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        using var process = Process.Start(info)!;
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin);
        }

        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout + await stderr);
    }
}
