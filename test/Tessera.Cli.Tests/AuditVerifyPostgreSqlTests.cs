using System.Text.Json.Nodes;
using Tessera.Cli.Admin;
using Tessera.Storage.PostgreSql;

namespace Tessera.Cli.Tests;

/// <summary>A broker on PostgreSQL writes the chain; <c>tessera audit verify --db</c> reads it back from the database.</summary>
public sealed class AuditVerifyPostgreSqlTests
{
    [PostgreSqlFact]
    public async Task VerifyDb_ExitsZero_WhenBrokerOnPostgreSqlWroteTheChain_AndTwoWhenAnEventIsAltered()
    {
        await using var database = await PostgreSqlTestDatabase.CreateAsync();
        string directory = TesseraProcess.TempDirectory();
        string jwks = Path.Combine(directory, "jwks.json");
        var broker = await CliBroker.StartAsync(new Dictionary<string, string?> { ["db"] = database.Url, ["audit_checkpoint_interval"] = "3" }, directory);
        try
        {
            var health = JsonNode.Parse(await broker.Client.GetStringAsync("/v1/health"))!;
            Assert.Equal("ok", health["status"]!.GetValue<string>());
            var created = await Cli.RunAsync((o, e) => LaunchTokenCommand.RunAsync(broker.Url, "auditor", ["read:data:*"], [], null, null, true, true, o, e, CancellationToken.None, CliBroker.AdminSecret));
            Assert.Equal(0, created.Code);
            string launch = JsonNode.Parse(created.Out)!["launch_token"]!.GetValue<string>();
            var (agentId, _) = await AgentRegistration.RegisterAsync(broker.Client, launch, "task-pg-0", "read:data:x");
            Assert.Equal(0, (await Cli.RunAsync((o, e) => RevokeCommand.RunAsync(broker.Url, "agent", agentId, null, false, o, e, CancellationToken.None, CliBroker.AdminSecret))).Code);
            await File.WriteAllTextAsync(jwks, await broker.Client.GetStringAsync("/.well-known/jwks.json"));
        }
        finally
        {
            await broker.StopAsync();
        }

        // The broker signed its head when it stopped: the database was still open for it.
        var (events, checkpoints) = await PostgreSqlAuditReader.ReadAllAsync(database.Url, CancellationToken.None);
        Assert.Equal(events[^1].Sequence, checkpoints[^1].Sequence);

        // The broker was given the URL form; verify gets the connection-string form.
        var intact = await Cli.RunAsync((o, e) => AuditCommand.VerifyAsync(database.ConnectionString, null, jwks, false, o, e, CancellationToken.None));
        Assert.True(intact.Code == 0, intact.ToString());

        await database.ExecuteAsync("UPDATE audit_events SET detail = detail || ' (edited)' WHERE seq = 2");
        var altered = await Cli.RunAsync((o, e) => AuditCommand.VerifyAsync(database.Url, null, jwks, false, o, e, CancellationToken.None));
        Assert.True(altered.Code == 2, altered.ToString());
    }

    [Fact]
    public async Task VerifyDb_ExitsOneWithoutThePassword_WhenPostgreSqlIsUnreachable()
    {
        var result = await Cli.RunAsync((o, e) => AuditCommand.VerifyAsync("postgres://tessera:hunter2-pw@127.0.0.1:1/tessera", null, null, false, o, e, CancellationToken.None));

        Assert.Equal(1, result.Code);
        Assert.StartsWith("error: cannot read the PostgreSQL database: ", result.Err, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", result.Err + result.Out, StringComparison.Ordinal);
    }
}
