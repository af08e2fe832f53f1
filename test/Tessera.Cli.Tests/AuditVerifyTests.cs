using System.Text.Json;
using System.Text.Json.Nodes;
using Tessera.Audit;
using Tessera.Cli.Admin;
using Tessera.Storage.Sqlite;

namespace Tessera.Cli.Tests;

/// <summary>
/// A real audit trail: a broker (checkpoint every 3 events) did a few admin and agent operations,
/// was exported while running, then stopped (signing its shutdown checkpoint). Tests tamper with
/// copies of its database and export.
/// </summary>
public sealed class AuditTrailFixture : IAsyncLifetime
{
    public string Directory { get; } = TesseraProcess.TempDirectory();

    public string DbPath => Path.Combine(Directory, "tessera.db");

    public string ExportPath => Path.Combine(Directory, "export.jsonl");

    public string JwksPath => Path.Combine(Directory, "jwks.json");

    /// <summary>The sequence of the last event in the database.</summary>
    public long Head { get; private set; }

    public async Task InitializeAsync()
    {
        var broker = await CliBroker.StartAsync(new Dictionary<string, string?> { ["audit_checkpoint_interval"] = "3" }, Directory);
        try
        {
            string url = broker.Url;
            const string secret = CliBroker.AdminSecret;
            var created = await Cli.RunAsync((o, e) => LaunchTokenCommand.RunAsync(url, "auditor", ["read:data:*"], [], null, null, true, true, o, e, CancellationToken.None, secret));
            Assert.Equal(0, created.Code);
            string launch = JsonNode.Parse(created.Out)!["launch_token"]!.GetValue<string>();
            var (agentId, _) = await AgentRegistration.RegisterAsync(broker.Client, launch, "task-audit-0", "read:data:x");
            Assert.Equal(0, (await Cli.RunAsync((o, e) => RevokeCommand.RunAsync(url, "task", "task-audit-1", "test", false, o, e, CancellationToken.None, secret))).Code);
            Assert.Equal(2, (await Cli.RunAsync((o, e) => KeysCommand.RunAsync(url, false, false, o, e, CancellationToken.None, "wrong-secret-wrong-secret"))).Code);
            Assert.Equal(0, (await Cli.RunAsync((o, e) => KeysCommand.RunAsync(url, false, false, o, e, CancellationToken.None, secret))).Code);
            Assert.Equal(0, (await Cli.RunAsync((o, e) => RevokeCommand.RunAsync(url, "agent", agentId, null, false, o, e, CancellationToken.None, secret))).Code);
            Assert.Equal(0, (await Cli.RunAsync((o, e) => LaunchTokenCommand.RunAsync(url, "second", ["write:data:y"], [], 60, null, false, false, o, e, CancellationToken.None, secret))).Code);
            Assert.Equal(0, (await Cli.RunAsync((o, e) => AuditCommand.ExportAsync(url, ExportPath, o, e, CancellationToken.None, secret))).Code);
            await File.WriteAllTextAsync(JwksPath, await broker.Client.GetStringAsync("/.well-known/jwks.json"));
        }
        finally
        {
            await broker.StopAsync();
        }

        Head = Cli.Scalar<long>(DbPath, "SELECT MAX(seq) FROM audit_events");
        Assert.True(Head >= 10, $"only {Head} events");
        Assert.Equal(Head, Cli.Scalar<long>(DbPath, "SELECT MAX(seq) FROM audit_checkpoints"));
        Assert.Contains(File.ReadLines(ExportPath), l => l.StartsWith("{\"checkpoint\"", StringComparison.Ordinal));
    }

    public Task DisposeAsync() => Task.CompletedTask;

    /// <summary>A private copy of the stopped broker's database.</summary>
    public string CopyDb()
    {
        string target = Path.Combine(TesseraProcess.TempDirectory(), "copy.db");
        File.Copy(DbPath, target);
        if (File.Exists(DbPath + "-wal"))
        {
            File.Copy(DbPath + "-wal", target + "-wal");
        }

        return target;
    }

    /// <summary>The export's lines as JSON objects.</summary>
    public List<JsonObject> ExportLines() => [.. File.ReadLines(ExportPath).Where(l => l.Length > 0).Select(l => JsonNode.Parse(l)!.AsObject())];

    /// <summary>Writes edited export lines to a new file.</summary>
    public static string WriteExport(IEnumerable<JsonObject> lines)
    {
        string path = Path.Combine(TesseraProcess.TempDirectory(), "edited.jsonl");
        File.WriteAllLines(path, lines.Select(l => l.ToJsonString()));
        return path;
    }
}

public sealed class AuditVerifyTests(AuditTrailFixture trail) : IClassFixture<AuditTrailFixture>
{
    private static Task<CliResult> VerifyAsync(string? db, string? fromExport = null, string? jwks = null, bool json = false) =>
        Cli.RunAsync((o, e) => AuditCommand.VerifyAsync(db, fromExport, jwks, json, o, e, CancellationToken.None));

    private static bool IsEvent(JsonObject line) => !line.ContainsKey("checkpoint");

    private static long Seq(JsonObject line) => IsEvent(line) ? line["seq"]!.GetValue<long>() : line["checkpoint"]!["seq"]!.GetValue<long>();

    private static string FlipFirstChar(string value) => (value[0] == 'A' ? "B" : "A") + value[1..];

    [Fact]
    public async Task VerifyDb_ExitsZeroWithIntactMessage_WhenDatabaseIsUntouched()
    {
        long checkpoints = Cli.Scalar<long>(trail.DbPath, "SELECT COUNT(*) FROM audit_checkpoints");

        var withKeys = await VerifyAsync(trail.CopyDb(), jwks: trail.JwksPath);
        var withoutKeys = await VerifyAsync(trail.CopyDb());

        Assert.True(withKeys.Code == 0, withKeys.ToString());
        Assert.Equal($"audit chain intact: {trail.Head} events, {checkpoints} checkpoints ({checkpoints} signatures verified)", withKeys.Out.Trim());
        Assert.Equal("", withKeys.Err);
        Assert.Equal(0, withoutKeys.Code);
        Assert.StartsWith("audit chain intact: ", withoutKeys.Out, StringComparison.Ordinal);
        Assert.Contains("note: checkpoint signatures not checked; pass --jwks to check them", withoutKeys.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task VerifyDb_ExitsTwoNamingTheEvent_WhenAnEventDetailIsUpdated()
    {
        string db = trail.CopyDb();
        Cli.Sql(db, "UPDATE audit_events SET detail = detail || ' (edited)' WHERE seq = 4");

        var result = await VerifyAsync(db, jwks: trail.JwksPath);

        Assert.True(result.Code == 2, result.ToString());
        Assert.Equal("event evt-000004 was altered: its contents do not match its hash", result.Err.Trim());
        Assert.Equal("", result.Out);
    }

    [Fact]
    public async Task VerifyDb_ExitsTwo_WhenAnEventOutcomeIsFlipped()
    {
        string db = trail.CopyDb();
        Cli.Sql(db, "UPDATE audit_events SET outcome = 'success' WHERE outcome = 'denied'");

        var result = await VerifyAsync(db, json: true);

        Assert.Equal(2, result.Code);
        var json = JsonNode.Parse(result.Out)!;
        Assert.Equal("altered", json["verdict"]!.GetValue<string>());
        Assert.StartsWith("evt-", json["event_id"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task VerifyDb_ExitsThreeNamingTheMissingEvent_WhenAMiddleEventIsDeleted()
    {
        string db = trail.CopyDb();
        Cli.Sql(db, "DELETE FROM audit_events WHERE seq = 5");

        var result = await VerifyAsync(db, jwks: trail.JwksPath);

        Assert.True(result.Code == 3, result.ToString());
        Assert.Equal("event evt-000005 is missing: the chain jumps from seq 4 to 6 (an event was removed)", result.Err.Trim());
    }

    [Fact]
    public async Task VerifyDb_ExitsFour_WhenOnlyTheEventsAfterTheLastIntervalCheckpointAreCut()
    {
        string db = trail.CopyDb();
        long lastInterval = Cli.Scalar<long>(db, $"SELECT MAX(seq) FROM audit_checkpoints WHERE seq < {trail.Head}");
        Cli.Sql(db, $"DELETE FROM audit_events WHERE seq > {lastInterval}");

        var result = await VerifyAsync(db, jwks: trail.JwksPath);

        // Only the shutdown checkpoint covers these events.
        Assert.True(result.Code == 4, result.ToString());
        Assert.Equal($"the broker signed a checkpoint at seq {trail.Head}, but the chain ends at seq {lastInterval}: its tail was cut", result.Err.Trim());
    }

    [Fact]
    public async Task VerifyDb_JsonNamesTheMissingEvent_WhenAMiddleEventIsDeleted()
    {
        string db = trail.CopyDb();
        Cli.Sql(db, "DELETE FROM audit_events WHERE seq = 5");

        var result = await VerifyAsync(db, json: true);

        Assert.Equal(3, result.Code);
        var node = JsonNode.Parse(result.Out)!;
        Assert.Equal("broken", node["verdict"]!.GetValue<string>());
        Assert.Equal(5, node["seq"]!.GetValue<long>());
        Assert.Equal("evt-000005", node["event_id"]!.GetValue<string>());
    }

    [Fact]
    public async Task VerifyDb_ExitsThree_WhenTheFirstEventIsDeleted()
    {
        string db = trail.CopyDb();
        Cli.Sql(db, "DELETE FROM audit_events WHERE seq = 1");

        var result = await VerifyAsync(db);

        Assert.Equal(3, result.Code);
        Assert.Contains("evt-000001 is missing", result.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task VerifyDb_ExitsThree_WhenAForgedEventIsInsertedAndTheRestRenumbered()
    {
        string db = trail.CopyDb();

        // The attacker makes room at seq 5 (renumbering seq and id of everything after) and inserts
        // a well-formed event that links correctly to evt-000004 and carries a correct hash.
        Cli.Sql(db, "UPDATE audit_events SET seq = -(seq + 1), id = 'tmp-' || seq WHERE seq >= 5");
        Cli.Sql(db, "UPDATE audit_events SET seq = -seq WHERE seq < 0");
        Cli.Sql(db, "UPDATE audit_events SET id = printf('evt-%06d', seq) WHERE id LIKE 'tmp-%'");
        var previous = SqliteAuditReader.ReadAll(db).Events.Single(e => e.Sequence == 4);
        long ts = previous.TimestampMs + 1;
        string hash = AuditChain.ComputeHash(previous.Hash, "evt-000005", ts, "admin_auth", "", "", "", "admin authenticated | forged", "", "success", 0, "");
        Cli.Sql(
            db,
            "INSERT INTO audit_events VALUES (5, 'evt-000005', $ts, 'admin_auth', '', '', '', 'admin authenticated | forged', '', 'success', 0, '', $prev, $hash)",
            ("$ts", ts), ("$prev", previous.Hash), ("$hash", hash));

        var result = await VerifyAsync(db, jwks: trail.JwksPath, json: true);

        Assert.True(result.Code == 3, result.ToString());
        var json = JsonNode.Parse(result.Out)!;
        Assert.Equal("broken", json["verdict"]!.GetValue<string>());
        Assert.Equal(6, json["seq"]!.GetValue<long>());
        Assert.Equal("evt-000006", json["event_id"]!.GetValue<string>());
        Assert.Contains("does not link to the previous event", json["message"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task VerifyDb_ExitsThree_WhenAForgedEventFillsAGapWithoutRenumbering()
    {
        string db = trail.CopyDb();

        // Shift seq only (ids stay): the event after the forged one is out of place.
        Cli.Sql(db, "UPDATE audit_events SET seq = -(seq + 1) WHERE seq >= 7");
        Cli.Sql(db, "UPDATE audit_events SET seq = -seq WHERE seq < 0");
        Cli.Sql(db, "INSERT INTO audit_events SELECT 7, 'evt-forged', timestamp_ms, event_type, agent_id, task_id, orch_id, detail, resource, outcome, deleg_depth, deleg_chain_hash, prev_hash, hash FROM audit_events WHERE seq = 6");

        var result = await VerifyAsync(db);

        Assert.True(result.Code == 3, result.ToString());
        Assert.Equal("event evt-forged at seq 7 is out of place (an event was inserted or renumbered)", Cli.Lines(result.Err)[0]);
    }

    [Fact]
    public async Task VerifyDb_ExitsThreeNamingTheNextEvent_WhenAnAlteredEventIsRehashed()
    {
        string db = trail.CopyDb();
        var e4 = SqliteAuditReader.ReadAll(db).Events.Single(e => e.Sequence == 4);
        string detail = e4.Detail + " (edited)";
        string hash = AuditChain.ComputeHash(e4.PrevHash, e4.Id, e4.TimestampMs, e4.EventType, e4.AgentId, e4.TaskId, e4.OrchId, detail, e4.Resource, e4.Outcome, e4.DelegDepth, e4.DelegChainHash);
        Cli.Sql(db, "UPDATE audit_events SET detail = $d, hash = $h WHERE seq = 4", ("$d", detail), ("$h", hash));

        var result = await VerifyAsync(db);

        Assert.Equal(3, result.Code);
        Assert.StartsWith("event evt-000005 does not link to the previous event", result.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task VerifyDb_ExitsFourNamingTheCheckpoint_WhenTheTailIsCut()
    {
        string db = trail.CopyDb();
        Cli.Sql(db, $"DELETE FROM audit_events WHERE seq > {trail.Head - 2}");

        // The first checkpoint past the cut is the one named (an interval one or the shutdown one).
        long named = Cli.Scalar<long>(db, $"SELECT MIN(seq) FROM audit_checkpoints WHERE seq > {trail.Head - 2}");
        var result = await VerifyAsync(db, jwks: trail.JwksPath);
        var json = await VerifyAsync(db, json: true);

        Assert.True(result.Code == 4, result.ToString());
        Assert.Equal($"the broker signed a checkpoint at seq {named}, but the chain ends at seq {trail.Head - 2}: its tail was cut", result.Err.Trim());
        Assert.Equal(4, json.Code);
        var node = JsonNode.Parse(json.Out)!;
        Assert.Equal("truncated", node["verdict"]!.GetValue<string>());
        Assert.Equal(named, node["seq"]!.GetValue<long>());
        Assert.Equal(AuditChain.IdFor(named), node["event_id"]!.GetValue<string>());
    }

    [Fact]
    public async Task VerifyDb_ExitsFour_WhenTheLastEventIsRewrittenWithAValidHash()
    {
        string db = trail.CopyDb();
        var last = SqliteAuditReader.ReadAll(db).Events[^1];
        string detail = "nothing to see here";
        string hash = AuditChain.ComputeHash(last.PrevHash, last.Id, last.TimestampMs, last.EventType, last.AgentId, last.TaskId, last.OrchId, detail, last.Resource, last.Outcome, last.DelegDepth, last.DelegChainHash);
        Cli.Sql(db, "UPDATE audit_events SET detail = $d, hash = $h WHERE seq = $s", ("$d", detail), ("$h", hash), ("$s", last.Sequence));

        var result = await VerifyAsync(db, jwks: trail.JwksPath);

        Assert.True(result.Code == 4, result.ToString());
        Assert.Equal($"the chain at seq {trail.Head} differs from what the broker signed: the tail was rewritten", result.Err.Trim());
    }

    [Fact]
    public async Task VerifyDb_ExitsFive_WhenACheckpointSignatureIsTamperedAndJwksIsGiven()
    {
        string db = trail.CopyDb();
        string signature = SqliteAuditReader.ReadAll(db).Checkpoints[0].Signature;
        Cli.Sql(db, "UPDATE audit_checkpoints SET signature = $s WHERE seq = (SELECT MIN(seq) FROM audit_checkpoints)", ("$s", FlipFirstChar(signature)));
        long first = Cli.Scalar<long>(db, "SELECT MIN(seq) FROM audit_checkpoints");

        var checkedResult = await VerifyAsync(db, jwks: trail.JwksPath);
        var unchecked_ = await VerifyAsync(db);

        Assert.True(checkedResult.Code == 5, checkedResult.ToString());
        Assert.StartsWith($"checkpoint at seq {first} is not signed by a published broker key (kid ", checkedResult.Err, StringComparison.Ordinal);
        Assert.Equal(0, unchecked_.Code);
        Assert.Contains("pass --jwks", unchecked_.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task VerifyDb_ExitsFive_WhenACheckpointHashIsChangedAndJwksIsGiven_AndFourWithoutJwks()
    {
        string db = trail.CopyDb();
        var e2 = SqliteAuditReader.ReadAll(db).Events.Single(e => e.Sequence == 2);
        Cli.Sql(db, "UPDATE audit_checkpoints SET hash = $h WHERE seq = (SELECT MIN(seq) FROM audit_checkpoints)", ("$h", e2.Hash));

        Assert.Equal(5, (await VerifyAsync(db, jwks: trail.JwksPath)).Code);
        Assert.Equal(4, (await VerifyAsync(db)).Code);
    }

    [Fact]
    public async Task VerifyDb_ChecksCheckpointPositionsButNotSignatures_WhenTheJwksLacksTheSigningKey()
    {
        // A key retired from the JWKS cannot check its checkpoints' signatures, but their positions and hashes still count.
        string jwks = Path.Combine(TesseraProcess.TempDirectory(), "empty-jwks.json");
        await File.WriteAllTextAsync(jwks, """{"keys":[]}""");
        string cut = trail.CopyDb();
        Cli.Sql(cut, $"DELETE FROM audit_events WHERE seq = {trail.Head}");

        var intact = await VerifyAsync(trail.CopyDb(), jwks: jwks, json: true);
        var truncated = await VerifyAsync(cut, jwks: jwks);

        Assert.Equal(0, intact.Code);
        var node = JsonNode.Parse(intact.Out)!;
        Assert.Equal(0, node["signatures_verified"]!.GetValue<int>());
        Assert.True(node["checkpoints"]!.GetValue<int>() > 0);
        Assert.Equal(4, truncated.Code);
    }

    [Fact]
    public async Task VerifyDb_ExitsFive_WhenACheckpointIsResignedWithAnotherKeyUnderTheBrokerKid()
    {
        // Forge: rewrite the last event, re-point the last checkpoint at the new hash and sign it
        // with a key of our own under the broker's kid.
        string db = trail.CopyDb();
        var (events, checkpoints) = SqliteAuditReader.ReadAll(db);
        var last = events[^1];
        string hash = AuditChain.ComputeHash(last.PrevHash, last.Id, last.TimestampMs, last.EventType, last.AgentId, last.TaskId, last.OrchId, "forged", last.Resource, last.Outcome, last.DelegDepth, last.DelegChainHash);
        using var key = NSec.Cryptography.Key.Create(NSec.Cryptography.SignatureAlgorithm.Ed25519);
        string signature = System.Buffers.Text.Base64Url.EncodeToString(
            NSec.Cryptography.SignatureAlgorithm.Ed25519.Sign(key, AuditCheckpoint.SigningInput(last.Sequence, hash)));
        Cli.Sql(db, "UPDATE audit_events SET detail = 'forged', hash = $h WHERE seq = $s", ("$h", hash), ("$s", last.Sequence));
        Cli.Sql(db, "UPDATE audit_checkpoints SET hash = $h, signature = $sig WHERE seq = $s", ("$h", hash), ("$sig", signature), ("$s", last.Sequence));
        Assert.Equal("EdDSA", checkpoints[^1].Algorithm);

        var withKeys = await VerifyAsync(db, jwks: trail.JwksPath);
        var withoutKeys = await VerifyAsync(db);

        Assert.True(withKeys.Code == 5, withKeys.ToString());
        Assert.StartsWith($"checkpoint at seq {last.Sequence} is not signed by a published broker key", withKeys.Err, StringComparison.Ordinal);
        Assert.Equal(0, withoutKeys.Code);
    }

    [Fact]
    public async Task VerifyDb_PrintsJsonVerdict_WhenJsonFlagGiven()
    {
        string altered = trail.CopyDb();
        Cli.Sql(altered, "UPDATE audit_events SET agent_id = 'spiffe://tessera.test/agent/mallory' WHERE seq = 3");

        var intact = await VerifyAsync(trail.CopyDb(), jwks: trail.JwksPath, json: true);
        var bad = await VerifyAsync(altered, json: true);

        Assert.Equal(0, intact.Code);
        var ok = JsonNode.Parse(intact.Out)!;
        Assert.Equal("intact", ok["verdict"]!.GetValue<string>());
        Assert.Equal(0, ok["seq"]!.GetValue<long>());
        Assert.Null(ok["event_id"]);
        Assert.Equal(trail.Head, ok["events_checked"]!.GetValue<long>());
        Assert.Equal(ok["checkpoints"]!.GetValue<int>(), ok["signatures_verified"]!.GetValue<int>());
        Assert.Equal(2, bad.Code);
        var node = JsonNode.Parse(bad.Out)!;
        Assert.Equal("altered", node["verdict"]!.GetValue<string>());
        Assert.Equal(3, node["seq"]!.GetValue<long>());
        Assert.Equal("evt-000003", node["event_id"]!.GetValue<string>());
    }

    [Fact]
    public async Task VerifyExport_ExitsZero_WhenExportIsUntouched()
    {
        int checkpoints = trail.ExportLines().Count(l => !IsEvent(l));

        var result = await VerifyAsync(null, trail.ExportPath, trail.JwksPath);

        Assert.True(result.Code == 0, result.ToString());
        Assert.StartsWith("audit chain intact: ", result.Out, StringComparison.Ordinal);
        Assert.EndsWith($"{checkpoints} checkpoints ({checkpoints} signatures verified)", result.Out.Trim(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task VerifyExport_ExitsTwoNamingTheEvent_WhenALineDetailIsChanged()
    {
        var lines = trail.ExportLines();
        lines.First(l => IsEvent(l) && Seq(l) == 4)["detail"] = "edited";

        var result = await VerifyAsync(null, AuditTrailFixture.WriteExport(lines), trail.JwksPath);

        Assert.True(result.Code == 2, result.ToString());
        Assert.Equal("event evt-000004 was altered: its contents do not match its hash", result.Err.Trim());
    }

    [Fact]
    public async Task VerifyExport_ExitsTwo_WhenATimestampIsChanged()
    {
        var lines = trail.ExportLines();
        var line = lines.First(l => IsEvent(l) && Seq(l) == 2);
        var time = DateTimeOffset.Parse(line["timestamp"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture).AddSeconds(-1);
        line["timestamp"] = time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture);

        var result = await VerifyAsync(null, AuditTrailFixture.WriteExport(lines));

        Assert.Equal(2, result.Code);
        Assert.Contains("evt-000002 was altered", result.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task VerifyExport_ExitsThreeNamingTheMissingEvent_WhenALineIsDropped()
    {
        var lines = trail.ExportLines().Where(l => !(IsEvent(l) && Seq(l) == 5));

        var result = await VerifyAsync(null, AuditTrailFixture.WriteExport(lines), trail.JwksPath);

        Assert.True(result.Code == 3, result.ToString());
        Assert.Equal("event evt-000005 is missing: the chain jumps from seq 4 to 6 (an event was removed)", result.Err.Trim());
    }

    [Fact]
    public async Task VerifyExport_ExitsFour_WhenTheLastEventLinesAreDroppedButCheckpointsKept()
    {
        var all = trail.ExportLines();
        long lastCheckpoint = all.Where(l => !IsEvent(l)).Max(Seq);
        var lines = all.Where(l => !IsEvent(l) || Seq(l) < lastCheckpoint).ToList();
        Assert.Contains(lines, IsEvent);

        var result = await VerifyAsync(null, AuditTrailFixture.WriteExport(lines), trail.JwksPath);

        Assert.True(result.Code == 4, result.ToString());
        Assert.Equal($"the broker signed a checkpoint at seq {lastCheckpoint}, but the chain ends at seq {lastCheckpoint - 1}: its tail was cut", result.Err.Trim());
    }

    [Fact]
    public async Task VerifyExport_ExitsFive_WhenACheckpointLineSignatureIsChanged()
    {
        var lines = trail.ExportLines();
        var checkpoint = lines.First(l => !IsEvent(l))["checkpoint"]!;
        checkpoint["signature"] = FlipFirstChar(checkpoint["signature"]!.GetValue<string>());

        var result = await VerifyAsync(null, AuditTrailFixture.WriteExport(lines), trail.JwksPath);

        Assert.True(result.Code == 5, result.ToString());
        Assert.Contains("is not signed by a published broker key", result.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_ExitsOne_WhenNeitherOrBothSourcesAreGiven()
    {
        var neither = await VerifyAsync(null);
        var both = await VerifyAsync(trail.CopyDb(), trail.ExportPath);

        Assert.Equal(1, neither.Code);
        Assert.Equal("error: give exactly one of --db PATH or --from-export FILE", neither.Err.Trim());
        Assert.Equal(1, both.Code);
        Assert.Equal("error: give exactly one of --db PATH or --from-export FILE", both.Err.Trim());
    }

    [Fact]
    public async Task Verify_ExitsOne_WhenTheFileIsMissingOrUnreadable()
    {
        string dir = TesseraProcess.TempDirectory();
        string garbage = Path.Combine(dir, "garbage.jsonl");
        await File.WriteAllTextAsync(garbage, "this is not json\n");
        string notADb = Path.Combine(dir, "not-a.db");
        await File.WriteAllTextAsync(notADb, "this is not a SQLite database, just text that is long enough to have a header......");

        var missingDb = await VerifyAsync(Path.Combine(dir, "nope.db"));
        var missingExport = await VerifyAsync(null, Path.Combine(dir, "nope.jsonl"));
        var badExport = await VerifyAsync(null, garbage);
        var badDb = await VerifyAsync(notADb);
        var missingJwks = await VerifyAsync(trail.CopyDb(), jwks: Path.Combine(dir, "nope-jwks.json"));

        foreach (var r in new[] { missingDb, missingExport, badExport, badDb, missingJwks })
        {
            Assert.True(r.Code == 1, r.ToString());
            Assert.StartsWith("error: ", r.Err, StringComparison.Ordinal);
            Assert.Single(Cli.Lines(r.Err));
        }

        Assert.Contains("nope.db", missingDb.Err, StringComparison.Ordinal);
        Assert.Contains("nope.jsonl", missingExport.Err, StringComparison.Ordinal);
        Assert.StartsWith("error: cannot load JWKS from ", missingJwks.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task VerifyDb_DoesNotModifyTheDatabase_WhenVerifying()
    {
        string db = trail.CopyDb();
        byte[] before = await File.ReadAllBytesAsync(db);

        Assert.Equal(0, (await VerifyAsync(db)).Code);

        Assert.Equal(before, await File.ReadAllBytesAsync(db));
    }

    [Fact]
    public async Task AuditVerifyProcess_ReportsVerdictsAndExitCodes_WhenRunAsTheRealExecutable()
    {
        string deleted = trail.CopyDb();
        Cli.Sql(deleted, "DELETE FROM audit_events WHERE seq = 5");
        string cut = trail.CopyDb();
        Cli.Sql(cut, $"DELETE FROM audit_events WHERE seq = {trail.Head}");

        var runs = await Task.WhenAll(
            Cli.RunProcessAsync(Cli.AdminEnvironment(null), "audit", "verify", "--db", trail.CopyDb(), "--jwks", trail.JwksPath),
            Cli.RunProcessAsync(Cli.AdminEnvironment(null), "audit", "verify", "--db", deleted, "--json"),
            Cli.RunProcessAsync(Cli.AdminEnvironment(null), "audit", "verify", "--from-export", trail.ExportPath, "--jwks", trail.JwksPath),
            Cli.RunProcessAsync(Cli.AdminEnvironment(null), "audit", "verify", "--db", cut),
            Cli.RunProcessAsync(Cli.AdminEnvironment(null), "audit", "verify"));

        Assert.True(runs[0].Code == 0, runs[0].ToString());
        Assert.StartsWith("audit chain intact: ", runs[0].Out, StringComparison.Ordinal);
        Assert.True(runs[1].Code == 3, runs[1].ToString());
        using (var doc = JsonDocument.Parse(runs[1].Out))
        {
            Assert.Equal("broken", doc.RootElement.GetProperty("verdict").GetString());
            Assert.StartsWith("event evt-000005 is missing", doc.RootElement.GetProperty("message").GetString(), StringComparison.Ordinal);
        }

        Assert.True(runs[2].Code == 0, runs[2].ToString());
        Assert.True(runs[3].Code == 4, runs[3].ToString());
        Assert.Contains("its tail was cut", runs[3].Err, StringComparison.Ordinal);
        Assert.Equal(1, runs[4].Code);
        Assert.Contains("give exactly one of --db PATH or --from-export FILE", runs[4].Err, StringComparison.Ordinal);
    }
}
