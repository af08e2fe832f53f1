using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Tessera.Broker.Tests.Infrastructure;

namespace Tessera.Broker.Tests;

public sealed class RegistrationTests(SharedBroker shared) : IClassFixture<SharedBroker>
{
    private BrokerFixture Broker => shared.Broker;

    [Fact]
    public async Task Challenge_Returns32ByteHexNonce_With30SecondExpiry()
    {
        var body = await Broker.Client.GetFromJsonAsync<JsonObject>("/v1/challenge");

        Assert.Matches("^[0-9a-f]{64}$", body!["nonce"]!.GetValue<string>());
        Assert.Equal(30, body["expires_in"]!.GetValue<int>());
    }

    [Fact]
    public async Task Register_IssuesScopedToken_WhenEverythingChecksOut()
    {
        string launch = await Broker.LaunchTokenAsync(["read:data:*", "write:data:own"], audience: ["orders-api"]);

        var (body, _) = await Broker.RegisterAsync(launch, ["read:data:customer-1"], "orch-7", "task-9", "orders-api");

        string agentId = body["agent_id"]!.GetValue<string>();
        Assert.Matches("^spiffe://tessera\\.test/agent/orch-7/task-9/[0-9a-f]{16}$", agentId);
        Assert.Equal(300, body["expires_in"]!.GetValue<int>());
        Assert.Equal("Bearer", body["token_type"]!.GetValue<string>());
        string token = body["access_token"]!.GetValue<string>();
        var header = Jwt.Header(token);
        Assert.Equal("EdDSA", header["alg"]!.GetValue<string>());
        Assert.Equal("at+jwt", header["typ"]!.GetValue<string>());
        Assert.False(string.IsNullOrEmpty(header["kid"]!.GetValue<string>()));
        var payload = Jwt.Payload(token);
        Assert.Equal(agentId, payload["sub"]!.GetValue<string>());
        Assert.Equal("orders-api", payload["aud"]!.GetValue<string>());
        Assert.Equal("read:data:customer-1", payload["scope"]!.GetValue<string>());
        Assert.Equal("task-9", payload["task_id"]!.GetValue<string>());
        Assert.Equal("orch-7", payload["orch_id"]!.GetValue<string>());
        Assert.Equal("http://tessera.test", payload["iss"]!.GetValue<string>());
        Assert.Matches("^[0-9a-f]{32}$", payload["jti"]!.GetValue<string>());
        Assert.Equal(300, payload["exp"]!.GetValue<long>() - payload["iat"]!.GetValue<long>());
    }

    [Fact]
    public async Task Register_WritesTheResponse_WithTheSameShapeAsEver()
    {
        string launch = await Broker.LaunchTokenAsync(maxTtl: 600);
        using var key = AgentKey.Create();
        string nonce = await Broker.NonceAsync();

        var response = await Broker.Client.PostAsJsonAsync("/v1/register", Body(launch, nonce, key.PublicKeyBase64, key.SignNonce(nonce), requestedTtl: 120));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json; charset=utf-8", response.Content.Headers.ContentType!.ToString());
        Assert.Matches("^\\{\"agent_id\":\"spiffe://[^\"]+\",\"access_token\":\"[^\"]+\",\"expires_in\":120,\"token_type\":\"Bearer\"\\}$", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Register_HonoursRequestedTtl_WhenWithinPolicy()
    {
        string launch = await Broker.LaunchTokenAsync(maxTtl: 600);
        using var key = AgentKey.Create();
        string nonce = await Broker.NonceAsync();

        var response = await Broker.Client.PostAsJsonAsync("/v1/register", Body(launch, nonce, key.PublicKeyBase64, key.SignNonce(nonce), requestedTtl: 120));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(120, (await response.Content.ReadFromJsonAsync<JsonObject>())!["expires_in"]!.GetValue<int>());
    }

    [Fact]
    public async Task Register_Returns401_WhenNonceWasSignedAsText()
    {
        string launch = await Broker.LaunchTokenAsync();
        using var key = AgentKey.Create();
        string nonce = await Broker.NonceAsync();

        var response = await Broker.Client.PostAsJsonAsync("/v1/register", Body(launch, nonce, key.PublicKeyBase64, key.SignNonceText(nonce)));

        await AssertProblem(response, 401, "unauthorized", "nonce signature verification failed");
    }

    [Fact]
    public async Task Register_Returns401WrongKeySize_WhenKeyIsDer()
    {
        string launch = await Broker.LaunchTokenAsync();
        using var key = AgentKey.Create();
        string nonce = await Broker.NonceAsync();

        var response = await Broker.Client.PostAsJsonAsync("/v1/register", Body(launch, nonce, key.PublicKeyDerBase64, key.SignNonce(nonce)));

        await AssertProblem(response, 401, "unauthorized", "invalid Ed25519 public key: wrong key size");
    }

    [Fact]
    public async Task Register_Returns401NotFound_WhenLaunchTokenIsUnknown()
    {
        using var key = AgentKey.Create();
        string nonce = await Broker.NonceAsync();

        var response = await Broker.Client.PostAsJsonAsync("/v1/register", Body(new string('a', 64), nonce, key.PublicKeyBase64, key.SignNonce(nonce)));

        await AssertProblem(response, 401, "unauthorized", "launch token: launch token not found");
    }

    [Fact]
    public async Task Register_Returns401AlreadyConsumed_WhenLaunchTokenWasUsed()
    {
        string launch = await Broker.LaunchTokenAsync();
        await Broker.RegisterAsync(launch);
        using var key = AgentKey.Create();
        string nonce = await Broker.NonceAsync();

        var response = await Broker.Client.PostAsJsonAsync("/v1/register", Body(launch, nonce, key.PublicKeyBase64, key.SignNonce(nonce)));

        await AssertProblem(response, 401, "unauthorized", "launch token: launch token already consumed");
    }

    [Fact]
    public async Task Register_AllowsSeveralAgents_WhenLaunchTokenIsMultiUse()
    {
        string launch = await Broker.LaunchTokenAsync(singleUse: false);

        var (first, _) = await Broker.RegisterAsync(launch, taskId: "t1");
        var (second, _) = await Broker.RegisterAsync(launch, taskId: "t2");

        Assert.NotEqual(first["agent_id"]!.GetValue<string>(), second["agent_id"]!.GetValue<string>());
    }

    [Fact]
    public async Task Register_Returns401AlreadyConsumed_WhenNonceIsReused()
    {
        string launch = await Broker.LaunchTokenAsync(singleUse: false);
        using var key = AgentKey.Create();
        string nonce = await Broker.NonceAsync();
        var first = await Broker.Client.PostAsJsonAsync("/v1/register", Body(launch, nonce, key.PublicKeyBase64, key.SignNonce(nonce)));
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);

        var second = await Broker.Client.PostAsJsonAsync("/v1/register", Body(launch, nonce, key.PublicKeyBase64, key.SignNonce(nonce)));

        await AssertProblem(second, 401, "unauthorized", "nonce: nonce already consumed");
    }

    [Fact]
    public async Task Register_ConsumesNonce_WhenSignatureFails()
    {
        string launch = await Broker.LaunchTokenAsync();
        using var key = AgentKey.Create();
        string nonce = await Broker.NonceAsync();
        await Broker.Client.PostAsJsonAsync("/v1/register", Body(launch, nonce, key.PublicKeyBase64, key.SignNonceText(nonce)));

        var retry = await Broker.Client.PostAsJsonAsync("/v1/register", Body(launch, nonce, key.PublicKeyBase64, key.SignNonce(nonce)));

        await AssertProblem(retry, 401, "unauthorized", "nonce: nonce already consumed");
    }

    [Fact]
    public async Task Register_Returns401NotFoundOrExpired_WhenNonceIsUnknown()
    {
        string launch = await Broker.LaunchTokenAsync();
        using var key = AgentKey.Create();
        string nonce = new('b', 64);

        var response = await Broker.Client.PostAsJsonAsync("/v1/register", Body(launch, nonce, key.PublicKeyBase64, key.SignNonce(nonce)));

        await AssertProblem(response, 401, "unauthorized", "nonce: nonce not found or expired");
    }

    [Fact]
    public async Task Register_Returns403ScopeViolation_WhenScopeExceedsCeiling()
    {
        string launch = await Broker.LaunchTokenAsync(["read:data:*"]);
        using var key = AgentKey.Create();
        string nonce = await Broker.NonceAsync();

        var response = await Broker.Client.PostAsJsonAsync("/v1/register", Body(launch, nonce, key.PublicKeyBase64, key.SignNonce(nonce), ["read:data:*", "write:data:*"]));

        var problem = await AssertProblem(response, 403, "scope_violation", "requested scope exceeds allowed scope");
        Assert.Contains("write:data:*", problem["hint"]!.GetValue<string>());

        // A refused scope does not burn the launch token.
        var (ok, _) = await Broker.RegisterAsync(launch, ["read:data:x"]);
        Assert.NotNull(ok["agent_id"]);
    }

    [Fact]
    public async Task Register_Returns403AudienceNotAllowed_WhenAudienceIsOutsidePolicy()
    {
        string launch = await Broker.LaunchTokenAsync(audience: ["orders-api"]);
        using var key = AgentKey.Create();
        string nonce = await Broker.NonceAsync();

        var response = await Broker.Client.PostAsJsonAsync("/v1/register", Body(launch, nonce, key.PublicKeyBase64, key.SignNonce(nonce), audience: "billing-api"));

        await AssertProblem(response, 403, "audience_not_allowed", "requested audience is not allowed by the launch token");
    }

    [Fact]
    public async Task Register_Returns400InvalidTtl_WhenRequestedTtlExceedsPolicy()
    {
        string launch = await Broker.LaunchTokenAsync(maxTtl: 300);
        using var key = AgentKey.Create();
        string nonce = await Broker.NonceAsync();

        var response = await Broker.Client.PostAsJsonAsync("/v1/register", Body(launch, nonce, key.PublicKeyBase64, key.SignNonce(nonce), requestedTtl: 301));

        await AssertProblem(response, 400, "invalid_ttl", "requested_ttl exceeds the launch policy's max_ttl of 300 seconds");
    }

    [Theory]
    [InlineData("launch_token")]
    [InlineData("nonce")]
    [InlineData("public_key")]
    [InlineData("signature")]
    [InlineData("orch_id")]
    [InlineData("task_id")]
    public async Task Register_Returns400MissingField_WhenRequiredFieldIsAbsent(string field)
    {
        using var key = AgentKey.Create();
        string nonce = await Broker.NonceAsync();
        var body = Body("x", nonce, key.PublicKeyBase64, key.SignNonce(nonce));
        body.Remove(field);

        var response = await Broker.Client.PostAsJsonAsync("/v1/register", body);

        await AssertProblem(response, 400, "invalid_request", "missing required field");
    }

    [Fact]
    public async Task Register_Returns400_WhenRequestedScopeIsMissing()
    {
        using var key = AgentKey.Create();
        string nonce = await Broker.NonceAsync();
        var body = Body("x", nonce, key.PublicKeyBase64, key.SignNonce(nonce));
        body.Remove("requested_scope");

        var response = await Broker.Client.PostAsJsonAsync("/v1/register", body);

        await AssertProblem(response, 400, "invalid_request", "missing required field: requested_scope");
    }

    [Fact]
    public async Task Register_Returns400_WhenOrchIdCannotBeAPathSegment()
    {
        using var key = AgentKey.Create();
        string nonce = await Broker.NonceAsync();

        var response = await Broker.Client.PostAsJsonAsync("/v1/register", Body("x", nonce, key.PublicKeyBase64, key.SignNonce(nonce), orchId: "../etc"));

        await AssertProblem(response, 400, "invalid_request", "orch_id and task_id must be 1-128 characters of letters, digits, '-', '_' or '.'");
    }

    [Fact]
    public async Task Register_YieldsExactlyOneAgent_When100RegistrationsRaceOnOneLaunchToken()
    {
        string launch = await Broker.LaunchTokenAsync();
        var attempts = new List<Dictionary<string, object?>>();
        var keys = new List<AgentKey>();
        for (int i = 0; i < 100; i++)
        {
            var key = AgentKey.Create();
            keys.Add(key);
            string nonce = await Broker.NonceAsync();
            attempts.Add(Body(launch, nonce, key.PublicKeyBase64, key.SignNonce(nonce), taskId: $"task-{i}"));
        }

        using var gate = new SemaphoreSlim(0);
        var tasks = attempts.Select(async body =>
        {
            await gate.WaitAsync();
            return await Broker.Client.PostAsJsonAsync("/v1/register", body);
        }).ToList();
        gate.Release(100);
        var responses = await Task.WhenAll(tasks);

        Assert.Equal(1, responses.Count(r => r.StatusCode == HttpStatusCode.OK));
        Assert.Equal(99, responses.Count(r => r.StatusCode == HttpStatusCode.Unauthorized));
        Assert.DoesNotContain(responses, r => (int)r.StatusCode >= 500);
        foreach (var r in responses.Where(r => r.StatusCode == HttpStatusCode.Unauthorized))
        {
            var problem = await BrokerFixture.ProblemAsync(r);
            Assert.EndsWith("launch token already consumed", problem["detail"]!.GetValue<string>());
        }

        keys.ForEach(k => k.Dispose());
    }

    internal static Dictionary<string, object?> Body(
        string launch, string nonce, string publicKey, string signature, string[]? scope = null,
        string orchId = "orch-1", string taskId = "task-1", int? requestedTtl = null, string? audience = null)
    {
        var body = new Dictionary<string, object?>
        {
            ["launch_token"] = launch,
            ["nonce"] = nonce,
            ["public_key"] = publicKey,
            ["signature"] = signature,
            ["orch_id"] = orchId,
            ["task_id"] = taskId,
            ["requested_scope"] = scope ?? ["read:data:*"],
        };
        if (requestedTtl is not null)
        {
            body["requested_ttl"] = requestedTtl;
        }

        if (audience is not null)
        {
            body["audience"] = audience;
        }

        return body;
    }

    internal static async Task<JsonObject> AssertProblem(HttpResponseMessage response, int status, string code, string detail)
    {
        Assert.Equal(status, (int)response.StatusCode);
        var problem = await BrokerFixture.ProblemAsync(response);
        Assert.Equal(code, problem["error_code"]!.GetValue<string>());
        Assert.Equal(detail, problem["detail"]!.GetValue<string>());
        return problem;
    }
}

public sealed class RegistrationExpiryTests
{
    [Fact]
    public async Task Register_Returns401Expired_WhenLaunchTokenOutlivedItsTtl()
    {
        await using var broker = await BrokerFixture.StartAsync();
        string launch = await broker.LaunchTokenAsync();
        broker.Time.Advance(TimeSpan.FromSeconds(31));
        using var key = AgentKey.Create();
        string nonce = await broker.NonceAsync();

        var response = await broker.Client.PostAsJsonAsync("/v1/register", RegistrationTests.Body(launch, nonce, key.PublicKeyBase64, key.SignNonce(nonce)));

        await RegistrationTests.AssertProblem(response, 401, "unauthorized", "launch token: launch token expired");
    }

    [Fact]
    public async Task Register_Returns401NonceExpired_WhenRegistrationComesAfter30Seconds()
    {
        await using var broker = await BrokerFixture.StartAsync();
        string nonce = await broker.NonceAsync();
        broker.Time.Advance(TimeSpan.FromSeconds(31));
        string launch = await broker.LaunchTokenAsync();
        using var key = AgentKey.Create();

        var response = await broker.Client.PostAsJsonAsync("/v1/register", RegistrationTests.Body(launch, nonce, key.PublicKeyBase64, key.SignNonce(nonce)));

        await RegistrationTests.AssertProblem(response, 401, "unauthorized", "nonce: nonce not found or expired");
    }
}
