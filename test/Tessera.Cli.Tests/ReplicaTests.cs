using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using NSec.Cryptography;
using Tessera.Audit;
using Tessera.Cli.Admin;
using Tessera.Storage.PostgreSql;

namespace Tessera.Cli.Tests;

/// <summary>
/// Two real <c>tessera serve</c> processes on one PostgreSQL database, as replicas behind a load
/// balancer: single use holds across them, a revocation on one reaches the other's checks, its
/// feed and a Tessera.AspNetCore verifier following it without a restart or a poll, and their audit events
/// form one verifiable chain.
/// </summary>
/// <remarks>
/// No step depends on how fast a loaded machine is: the credentials the traffic uses (launch tokens,
/// registration nonces, agent tokens) outlive any run, and every wait is for an event or a condition,
/// with a deadline far beyond the normal case that names what did not happen. How fast revocations and
/// keys propagate is measured by bench/Tessera.ReplicaBench, not asserted here.
/// </remarks>
public sealed class ReplicaTests
{
    private const string Issuer = "http://tessera.replicas.test";
    /// <summary>
    /// How long a change made on one replica may take to reach the other. Normally well under a second (the
    /// PostgreSQL notification); the deadline only has to stay below the 30 s polling fallback of the change
    /// listener, so that passing still proves the notification path.
    /// </summary>
    private static readonly TimeSpan Propagation = TimeSpan.FromSeconds(15);

    /// <summary>How long a replica may take to start (migrations, key set-up) beside other processes on two cores.</summary>
    private static readonly TimeSpan Startup = TimeSpan.FromMinutes(3);

    /// <summary>Lifetime of the tests' launch tokens: longer than any run (the broker's own default is 30 s).</summary>
    private const int LaunchTokenTtl = 86_400;

    [PostgreSqlFact]
    public async Task TwoReplicas_ShareSingleUseRevocationAndOneAuditChain()
    {
        await using var database = await PostgreSqlTestDatabase.CreateAsync();
        string shared = TesseraProcess.TempDirectory();
        var environment = Environment(database, shared);

        // One after the other: the first creates the signing key and pepper files the second reuses
        // (sharing keys through the database is for later).
        using var a = await StartAsync(shared, environment);
        using var b = await StartAsync(shared, environment);
        using var clientA = new HttpClient { BaseAddress = new Uri(a.Url) };
        using var clientB = new HttpClient { BaseAddress = new Uri(b.Url) };
        var replicas = new[] { clientA, clientB };

        // 100 registrations race for one single-use launch token, half through each replica.
        string launch = await CreateLaunchTokenAsync(a.Url, "contended", multiUse: false);
        var attempts = await Task.WhenAll(Enumerable.Range(0, 100).Select(i => TryRegisterAsync(replicas[i % 2], launch, $"task-{i:D3}")));
        var winner = Assert.Single(attempts, r => r.Status == HttpStatusCode.Created || r.Status == HttpStatusCode.OK);
        Assert.All(attempts.Where(r => r != winner), r => Assert.Equal(HttpStatusCode.Unauthorized, r.Status));
        Assert.True(await AgentRegistration.IsValidAsync(clientB, winner.AccessToken!));

        // A platform API protected by Tessera.AspNetCore, pointed at B only (keys and revocation
        // feed). The launch token names no audience, so the broker puts its issuer in aud.
        await using var verifier = await ReplicaVerifier.StartAsync(b.Url, Issuer, audience: Issuer);
        using (var allowed = await verifier.GetAsync(winner.AccessToken!))
        {
            Assert.True(allowed.StatusCode == HttpStatusCode.OK, await allowed.Content.ReadAsStringAsync());
        }

        // B's feed subscriber, B's validate and the verifier following B all learn of a revocation made on A, by notification.
        using var stream = await clientB.GetAsync("/v1/revocations/stream", HttpCompletionOption.ResponseHeadersRead);
        using var events = new StreamReader(await stream.Content.ReadAsStreamAsync());
        Assert.StartsWith(": tessera revocation stream", await events.ReadLineAsync());
        var streamed = ReadUntilAsync(events, winner.AgentId!);

        var clock = Stopwatch.StartNew();
        Assert.Equal(0, (await Cli.RunAsync((o, e) => RevokeCommand.RunAsync(a.Url, "agent", winner.AgentId!, "compromised", false, o, e, CancellationToken.None, CliBroker.AdminSecret))).Code);
        var revokedAt = clock.Elapsed;
        var verifierRefused = WaitForVerifierRefusalAsync(verifier, winner.AccessToken!, clock);
        while (await AgentRegistration.IsValidAsync(clientB, winner.AccessToken!))
        {
            Assert.True(clock.Elapsed - revokedAt < Propagation, $"replica B still validates the token {Propagation.TotalSeconds:F0} s after A revoked it");
            await Task.Delay(20);
        }

        await WithinAsync(streamed, Propagation, "B's revocation stream to carry the revocation made on A");
        var (_, errorCode) = await verifierRefused;
        Assert.Equal("TOKEN_REVOKED", errorCode);

        // More traffic through both, then one chain in the database, intact.
        string fleet = await CreateLaunchTokenAsync(b.Url, "fleet", multiUse: true);
        var fleetAttempts = await Task.WhenAll(Enumerable.Range(0, 40).Select(i => TryRegisterAsync(replicas[i % 2], fleet, $"fleet-{i:D3}")));
        Assert.All(fleetAttempts, r => Assert.True(r.AccessToken is not null, $"registration answered {(int)r.Status}: {r.Body}"));
        await Task.WhenAll(fleetAttempts.Select((r, i) => AgentRegistration.IsValidAsync(replicas[(i + 1) % 2], r.AccessToken!)));

        // SIGKILL, no goodbye: every event of an acknowledged request is in the one chain all the same.
        a.Dispose();
        b.Dispose();
        var (chain, checkpoints) = await PostgreSqlAuditReader.ReadAllAsync(database.ConnectionString, CancellationToken.None);
        Assert.True(chain.Count >= 140, $"only {chain.Count} events");
        Assert.Equal(AuditVerdict.Intact, AuditVerifier.Verify(chain, checkpoints, null).Verdict);
        var registered = chain.Where(e => e.EventType == "agent_registered").Select(e => e.AgentId).ToHashSet(StringComparer.Ordinal);
        Assert.All(fleetAttempts.Append(winner), r => Assert.Contains(r.AgentId!, registered));
        var verify = await Cli.RunAsync((o, e) => AuditCommand.VerifyAsync(database.Url, null, null, false, o, e, CancellationToken.None));
        Assert.True(verify.Code == 0, verify.ToString());
    }

    [PostgreSqlFact]
    public async Task TwoReplicas_KeepOneChainAndEveryAcknowledgedEvent_When10000OperationsRunAndOneIsKilled()
    {
        const int operations = 10_000;
        await using var database = await PostgreSqlTestDatabase.CreateAsync();
        string shared = TesseraProcess.TempDirectory();
        var environment = Environment(database, shared);
        using var a = await StartAsync(shared, environment);
        using var b = await StartAsync(shared, environment);
        // A slow answer on a loaded machine is not a failure; only a refusal is.
        using var clientA = new HttpClient { BaseAddress = new Uri(a.Url), Timeout = TimeSpan.FromMinutes(5) };
        using var clientB = new HttpClient { BaseAddress = new Uri(b.Url), Timeout = TimeSpan.FromMinutes(5) };
        string launch = await CreateLaunchTokenAsync(a.Url, "fleet", multiUse: true);

        // Mixed traffic over both replicas: challenges, registrations, validations, renewals. At
        // 60 % replica A is killed (SIGKILL) under load; the rest goes to B.
        int next = -1;
        int killed = 0;
        var registered = new System.Collections.Concurrent.ConcurrentBag<string>();
        int renewed = 0;
        async Task WorkerAsync(int worker)
        {
            string? token = null;
            while (true)
            {
                int k = Interlocked.Increment(ref next);
                if (k >= operations)
                {
                    return;
                }

                if (k == operations * 6 / 10 && Interlocked.Exchange(ref killed, 1) == 0)
                {
                    a.Dispose();
                }

                var client = Volatile.Read(ref killed) == 1 || k % 2 == 0 ? clientB : clientA;
                try
                {
                    if (token is null || k % 5 == 0)
                    {
                        var r = await TryRegisterAsync(client, launch, $"load-{worker:D2}-{k:D5}");
                        Assert.True(r.AccessToken is not null, $"registration {k} on replica {(client == clientA ? "A" : "B")} answered {(int)r.Status}: {r.Body}");
                        registered.Add(r.AgentId!);
                        token = r.AccessToken;
                    }
                    else if (k % 5 == 2)
                    {
                        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/token/renew") { Content = JsonContent.Create(new JsonObject()) };
                        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
                        using var response = await client.SendAsync(request);
                        if (response.IsSuccessStatusCode)
                        {
                            token = (await response.Content.ReadFromJsonAsync<JsonObject>())!["access_token"]!.GetValue<string>();
                            Interlocked.Increment(ref renewed);
                        }
                    }
                    else if (k % 5 == 4)
                    {
                        (await client.GetAsync("/v1/challenge")).Dispose();
                    }
                    else
                    {
                        await AgentRegistration.IsValidAsync(client, token);
                    }
                }
                catch (HttpRequestException) when (client == clientA && Volatile.Read(ref killed) == 1)
                {
                    // In flight to the killed replica: never acknowledged.
                }
            }
        }

        await Task.WhenAll(Enumerable.Range(0, 16).Select(w => Task.Run(() => WorkerAsync(w))));
        b.Dispose();

        var (chain, checkpoints) = await PostgreSqlAuditReader.ReadAllAsync(database.ConnectionString, CancellationToken.None);
        Assert.Equal(AuditVerdict.Intact, AuditVerifier.Verify(chain, checkpoints, null).Verdict);
        var inChain = chain.Where(e => e.EventType == "agent_registered").Select(e => e.AgentId).ToHashSet(StringComparer.Ordinal);
        Assert.All(registered, id => Assert.Contains(id, inChain));
        Assert.True(chain.Count(e => e.EventType == "token_renewed") >= renewed);
        Assert.True(registered.Count >= operations / 5, $"only {registered.Count} registrations");
        var verify = await Cli.RunAsync((o, e) => AuditCommand.VerifyAsync(database.Url, null, null, false, o, e, CancellationToken.None));
        Assert.True(verify.Code == 0, verify.ToString());
    }

    [PostgreSqlFact]
    public async Task TwoReplicas_SignWithAndPublishTheSameKeys_AndARotationOnOneReachesTheOther()
    {
        await using var database = await PostgreSqlTestDatabase.CreateAsync();
        string shared = TesseraProcess.TempDirectory();
        var environmentA = Environment(database, shared);
        environmentA["TESSERA_KEY_ENCRYPTION_KEY"] = Convert.ToBase64String(Enumerable.Range(0, 32).Select(i => (byte)(i * 7)).ToArray());
        environmentA["TESSERA_SECRET_PEPPER"] = Convert.ToBase64String(Enumerable.Range(0, 32).Select(i => (byte)(i * 3)).ToArray());
        environmentA["TESSERA_SIGNING_KEY_PATH"] = Path.Combine(shared, "a", "signing-key.json");
        var environmentB = new Dictionary<string, string?>(environmentA) { ["TESSERA_SIGNING_KEY_PATH"] = Path.Combine(shared, "b", "signing-key.json") };

        // Started together: both race to store the first key; one wins, the other loads it.
        var started = await Task.WhenAll(StartAsync(shared, environmentA), StartAsync(shared, environmentB));
        using var a = started[0];
        using var b = started[1];
        using var clientA = new HttpClient { BaseAddress = new Uri(a.Url) };
        using var clientB = new HttpClient { BaseAddress = new Uri(b.Url) };
        Assert.Equal(await KidsAsync(clientA), await KidsAsync(clientB));

        string launch = await CreateLaunchTokenAsync(a.Url, "fleet", multiUse: true);
        var before = await TryRegisterAsync(clientA, launch, "task-keys-0");
        Assert.True(await AgentRegistration.IsValidAsync(clientB, before.AccessToken!));

        // Both announce the same keys_version (the stored rings' version), so a verifier polling
        // through a load balancer does not see a change where there is none.
        long versionBefore = await KeysVersionAsync(clientA);
        Assert.Equal(versionBefore, await KeysVersionAsync(clientB));

        // A rotates; B publishes the new key, tells its feed subscribers and accepts A's new tokens without a restart.
        using var stream = await clientB.GetAsync("/v1/revocations/stream", HttpCompletionOption.ResponseHeadersRead);
        using var events = new StreamReader(await stream.Content.ReadAsStreamAsync());
        Assert.StartsWith(": tessera revocation stream", await events.ReadLineAsync());
        var keysEvent = ReadUntilLineAsync(events, "event: keys");
        var rotated = await Cli.RunAsync((o, e) => KeysCommand.RunAsync(a.Url, true, true, o, e, CancellationToken.None, CliBroker.AdminSecret));
        Assert.True(rotated.Code == 0, rotated.ToString());
        var clock = Stopwatch.StartNew();
        string newKid = Header((await TryRegisterAsync(clientA, launch, "task-keys-1")).AccessToken!)["kid"]!.GetValue<string>();
        Assert.NotEqual(Header(before.AccessToken!)["kid"]!.GetValue<string>(), newKid);
        while (!(await KidsAsync(clientB)).Contains(newKid))
        {
            Assert.True(clock.Elapsed < Propagation, $"replica B does not publish A's new key {Propagation.TotalSeconds:F0} s after the rotation");
            await Task.Delay(20);
        }

        await WithinAsync(keysEvent, Propagation, "B's revocation stream to announce the rotation made on A (event: keys)");
        var after = await TryRegisterAsync(clientA, launch, "task-keys-2");
        Assert.Equal(newKid, Header(after.AccessToken!)["kid"]!.GetValue<string>());
        Assert.True(await AgentRegistration.IsValidAsync(clientB, after.AccessToken!));
        Assert.True(await AgentRegistration.IsValidAsync(clientB, before.AccessToken!));
        Assert.Equal(await KidsAsync(clientA), await KidsAsync(clientB));
        long versionAfter = await KeysVersionAsync(clientA);
        Assert.True(versionAfter > versionBefore, $"keys_version {versionBefore} -> {versionAfter}");
        Assert.Equal(versionAfter, await KeysVersionAsync(clientB));

        // The keys are in the database, sealed; no replica wrote a key file.
        Assert.False(File.Exists(environmentA["TESSERA_SIGNING_KEY_PATH"]));
        Assert.False(File.Exists(environmentB["TESSERA_SIGNING_KEY_PATH"]));
        await using var connection = new Npgsql.NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync();
        await using var query = new Npgsql.NpgsqlCommand("SELECT version, sealed FROM key_rings WHERE name = 'main'", connection);
        await using var reader = await query.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal(2, reader.GetInt64(0));
        Assert.Equal(-1, reader.GetFieldValue<byte[]>(1).AsSpan().IndexOf("private_key"u8));
    }

    [PostgreSqlFact]
    public async Task TwoReplicas_KeepSigningWithTheRotatedKey_WhenAnOlderSealedRingIsWrittenBack()
    {
        // Security review 18.6: with write access to the database, an attacker puts the ring from
        // before a rotation back, first under a higher version number, then under its own.
        await using var database = await PostgreSqlTestDatabase.CreateAsync();
        string shared = TesseraProcess.TempDirectory();
        var environment = Environment(database, shared);
        environment["TESSERA_KEY_ENCRYPTION_KEY"] = Convert.ToBase64String(Enumerable.Range(0, 32).Select(i => (byte)(i * 5)).ToArray());
        environment["TESSERA_SECRET_PEPPER"] = Convert.ToBase64String(Enumerable.Range(0, 32).Select(i => (byte)(i * 3)).ToArray());
        var started = await Task.WhenAll(StartAsync(shared, environment), StartAsync(shared, environment));
        using var a = started[0];
        using var b = started[1];
        using var clientA = new HttpClient { BaseAddress = new Uri(a.Url) };
        using var clientB = new HttpClient { BaseAddress = new Uri(b.Url) };
        string launch = await CreateLaunchTokenAsync(a.Url, "fleet", multiUse: true);
        string oldKid = Header((await TryRegisterAsync(clientA, launch, "task-rb-0")).AccessToken!)["kid"]!.GetValue<string>();
        await using var connection = new Npgsql.NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync();
        var (oldVersion, oldSealed) = await RingAsync(connection);

        var rotated = await Cli.RunAsync((o, e) => KeysCommand.RunAsync(a.Url, true, true, o, e, CancellationToken.None, CliBroker.AdminSecret));
        Assert.True(rotated.Code == 0, rotated.ToString());
        string newKid = Header((await TryRegisterAsync(clientA, launch, "task-rb-1")).AccessToken!)["kid"]!.GetValue<string>();
        Assert.NotEqual(oldKid, newKid);
        var clock = Stopwatch.StartNew();
        while (Header((await TryRegisterAsync(clientB, launch, $"task-rb-b{clock.ElapsedMilliseconds}")).AccessToken!)["kid"]!.GetValue<string>() != newKid)
        {
            Assert.True(clock.Elapsed < Propagation, $"replica B still signs with the old key {Propagation.TotalSeconds:F0} s after A rotated");
            await Task.Delay(20);
        }

        await WriteRingAsync(connection, "version = version + 1", oldSealed);
        await a.Process.WaitForOutputAsync("does not open as version", Propagation);
        await b.Process.WaitForOutputAsync("does not open as version", Propagation);
        await AssertSignsWithAsync(newKid, clientA, clientB, launch, "task-rb-2");

        await WriteRingAsync(connection, $"version = {oldVersion}", oldSealed);
        await a.Process.WaitForOutputAsync("refused as a rollback", Propagation);
        await b.Process.WaitForOutputAsync("refused as a rollback", Propagation);
        await AssertSignsWithAsync(newKid, clientA, clientB, launch, "task-rb-3");
        Assert.Contains(newKid, await KidsAsync(clientB));
    }

    private static async Task AssertSignsWithAsync(string kid, HttpClient a, HttpClient b, string launch, string taskId)
    {
        foreach (var client in new[] { a, b })
        {
            var registered = await TryRegisterAsync(client, launch, taskId);
            Assert.Equal(kid, Header(registered.AccessToken!)["kid"]!.GetValue<string>());
            Assert.True(await AgentRegistration.IsValidAsync(client, registered.AccessToken!));
        }
    }

    private static async Task<(long Version, byte[] Sealed)> RingAsync(Npgsql.NpgsqlConnection connection)
    {
        await using var query = new Npgsql.NpgsqlCommand("SELECT version, sealed FROM key_rings WHERE name = 'main'", connection);
        await using var reader = await query.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        return (reader.GetInt64(0), reader.GetFieldValue<byte[]>(1));
    }

    private static async Task WriteRingAsync(Npgsql.NpgsqlConnection connection, string versionAssignment, byte[] sealedRing)
    {
        await using var update = new Npgsql.NpgsqlCommand($"UPDATE key_rings SET {versionAssignment}, sealed = @s WHERE name = 'main'; SELECT pg_notify('tessera_key_rings', 'main')", connection);
        update.Parameters.AddWithValue("s", sealedRing);
        await update.ExecuteNonQueryAsync();
    }

    /// <summary>Calls the verifier until it refuses the token; returns when (on <paramref name="clock"/>) and its error_code.</summary>
    private static async Task<(TimeSpan At, string? ErrorCode)> WaitForVerifierRefusalAsync(ReplicaVerifier verifier, string token, Stopwatch clock)
    {
        var giveUp = clock.Elapsed + Propagation;
        while (true)
        {
            using var response = await verifier.GetAsync(token);
            var at = clock.Elapsed;
            if (response.StatusCode != HttpStatusCode.OK)
            {
                string body = await response.Content.ReadAsStringAsync();
                Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{(int)response.StatusCode}: {body}");
                return (at, JsonNode.Parse(body)?["error_code"]?.GetValue<string>());
            }

            Assert.True(at < giveUp, $"the verifier following B still accepts the token {Propagation.TotalSeconds:F0} s after A revoked it");
            await Task.Delay(10);
        }
    }

    private static async Task<long> KeysVersionAsync(HttpClient client) =>
        JsonNode.Parse(await client.GetStringAsync("/v1/revocations?since=0"))!["keys_version"]!.GetValue<long>();

    private static async Task<List<string>> KidsAsync(HttpClient client)
    {
        var jwks = JsonNode.Parse(await client.GetStringAsync("/.well-known/jwks.json"))!;
        return [.. jwks["keys"]!.AsArray().Select(k => k!["kid"]!.GetValue<string>()).Order(StringComparer.Ordinal)];
    }

    private static JsonObject Header(string jwt)
    {
        string header = jwt.Split('.')[0].Replace('-', '+').Replace('_', '/');
        header += new string('=', (4 - (header.Length % 4)) % 4);
        return JsonNode.Parse(Convert.FromBase64String(header))!.AsObject();
    }

    private static Dictionary<string, string?> Environment(PostgreSqlTestDatabase database, string shared) => new()
    {
        ["TESSERA_ADMIN_SECRET"] = CliBroker.AdminSecret,
        ["TESSERA_BCRYPT_COST"] = "4",
        ["TESSERA_DB"] = database.Url,
        ["TESSERA_SIGNING_KEY_PATH"] = Path.Combine(shared, "signing-key.json"),
        ["TESSERA_SECRET_PEPPER_PATH"] = Path.Combine(shared, "pepper"),
        ["TESSERA_ISSUER"] = Issuer,
        ["TESSERA_TRUST_DOMAIN"] = "tessera.test",

        // Registration nonces and agent tokens outlive any run (defaults 30 s and 300 s): a loaded machine
        // makes the run slower, never its credentials expire.
        ["TESSERA_NONCE_TTL"] = "600",
        ["TESSERA_DEFAULT_TTL"] = "86400",
        ["TESSERA_PUBLIC_RATE"] = "100000",
        ["TESSERA_PUBLIC_BURST"] = "100000",
        ["TESSERA_ADMIN_AUTH_RATE"] = "100000",
        ["TESSERA_ADMIN_AUTH_BURST"] = "100000",

        // The verifier following replica B (Tessera.AspNetCore) reads the feed without credentials
        // until the library sends the platform's client credentials; until then the feed is public here.
        ["TESSERA_PUBLIC_REVOCATION_FEED"] = "true",
    };

    /// <summary>Starts a replica on a port the system picks (no free-port race with other processes) and returns once it listens.</summary>
    private static async Task<Replica> StartAsync(string directory, Dictionary<string, string?> environment)
    {
        var process = TesseraProcess.Start(directory, environment, "serve", "--urls", "http://127.0.0.1:0");
        try
        {
            await process.WaitForOutputAsync("issuer: ", Startup);
        }
        catch
        {
            process.Dispose();
            throw;
        }

        var listening = System.Text.RegularExpressions.Regex.Match(process.Stdout, @"Tessera broker listening on (http://\S+?)/?(,|\s|$)");
        Assert.True(listening.Success, $"no listening URL in the replica's output: {process.Stdout}");
        return new Replica(process, listening.Groups[1].Value);
    }

    private static async Task<string> CreateLaunchTokenAsync(string broker, string agentName, bool multiUse)
    {
        var created = await Cli.RunAsync((o, e) => LaunchTokenCommand.RunAsync(
            broker, agentName, ["read:data:*"], [], null, LaunchTokenTtl, multiUse, true, o, e, CancellationToken.None, CliBroker.AdminSecret));
        Assert.True(created.Code == 0, created.ToString());
        return JsonNode.Parse(created.Out)!["launch_token"]!.GetValue<string>();
    }

    /// <summary>Awaits <paramref name="task"/>; past <paramref name="deadline"/>, fails naming what was awaited.</summary>
    private static async Task WithinAsync(Task task, TimeSpan deadline, string awaited)
    {
        try
        {
            await task.WaitAsync(deadline);
        }
        catch (TimeoutException)
        {
            Assert.Fail($"waited {deadline.TotalSeconds:F0} s for {awaited}");
        }
    }

    private static async Task ReadUntilAsync(StreamReader events, string target)
    {
        while (await events.ReadLineAsync() is { } line)
        {
            if (line.StartsWith("data: ", StringComparison.Ordinal) && line.Contains(target, StringComparison.Ordinal))
            {
                return;
            }
        }

        throw new InvalidOperationException("the revocation stream ended");
    }

    private static async Task ReadUntilLineAsync(StreamReader events, string expected)
    {
        while (await events.ReadLineAsync() is { } line)
        {
            if (line == expected)
            {
                return;
            }
        }

        throw new InvalidOperationException("the revocation stream ended");
    }

    private static async Task<Registered> TryRegisterAsync(HttpClient client, string launchToken, string taskId)
    {
        using var key = Key.Create(SignatureAlgorithm.Ed25519);
        var challenge = await client.GetFromJsonAsync<JsonObject>("/v1/challenge");
        string nonce = challenge!["nonce"]!.GetValue<string>();
        var body = new JsonObject
        {
            ["launch_token"] = launchToken,
            ["nonce"] = nonce,
            ["public_key"] = Convert.ToBase64String(key.PublicKey.Export(KeyBlobFormat.RawPublicKey)),
            ["signature"] = Convert.ToBase64String(SignatureAlgorithm.Ed25519.Sign(key, Convert.FromHexString(nonce))),
            ["orch_id"] = "orch-replicas",
            ["task_id"] = taskId,
            ["requested_scope"] = new JsonArray("read:data:x"),
        };
        using var response = await client.PostAsJsonAsync("/v1/register", body);
        if (!response.IsSuccessStatusCode)
        {
            return new Registered(response.StatusCode, null, null, await response.Content.ReadAsStringAsync());
        }

        var json = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        return new Registered(response.StatusCode, json["agent_id"]!.GetValue<string>(), json["access_token"]!.GetValue<string>());
    }

    /// <summary>A running replica; disposing kills it (SIGKILL), once.</summary>
    private sealed class Replica(TesseraProcess process, string url) : IDisposable
    {
        private int _disposed;

        public string Url { get; } = url;

        public TesseraProcess Process { get; } = process;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                Process.Dispose();
            }
        }
    }

    private sealed record Registered(HttpStatusCode Status, string? AgentId, string? AccessToken, string? Body = null);
}
