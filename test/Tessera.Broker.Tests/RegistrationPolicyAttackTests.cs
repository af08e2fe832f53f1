using System.Net.Http.Json;
using Tessera.Broker.Tests.Infrastructure;

namespace Tessera.Broker.Tests;

/// <summary>
/// Attacks on what a launch token allows (security review 17.4 and 17.9): an agent must not pick its
/// own audience when the policy names none, and no wildcard ceiling reaches the broker's own
/// <c>admin:</c> and <c>app:</c> namespaces.
/// </summary>
public sealed class RegistrationPolicyAttackTests(SharedBroker shared) : IClassFixture<SharedBroker>
{
    private const string Issuer = "http://tessera.test";

    private BrokerFixture Broker => shared.Broker;

    [Theory]
    [InlineData("orders-api")]
    [InlineData("http://tessera.test/")]
    [InlineData("HTTP://TESSERA.TEST")]
    public async Task Register_Returns403AudienceNotAllowed_WhenPolicyHasNoAudienceAndAnotherIsRequested(string audience)
    {
        string launch = await Broker.LaunchTokenAsync(["orders:read"]);
        using var key = AgentKey.Create();
        string nonce = await Broker.NonceAsync();

        var response = await Broker.Client.PostAsJsonAsync("/v1/register", RegistrationTests.Body(launch, nonce, key.PublicKeyBase64, key.SignNonce(nonce), ["orders:read"], audience: audience));

        var problem = await RegistrationTests.AssertProblem(response, 403, "audience_not_allowed", "requested audience is not allowed by the launch token");
        Assert.StartsWith("this launch token allows only the broker's issuer", problem["hint"]!.GetValue<string>());

        // The refusal does not burn the launch token: the same agent registers for the issuer.
        var (ok, _) = await Broker.RegisterAsync(launch, ["orders:read"]);
        Assert.Equal(Issuer, Jwt.Payload(ok["access_token"]!.GetValue<string>())["aud"]!.GetValue<string>());
    }

    [Fact]
    public async Task Register_IssuesIssuerAudience_WhenPolicyHasNoAudienceAndTheIssuerIsNamed()
    {
        string launch = await Broker.LaunchTokenAsync(["orders:read"]);

        var (body, _) = await Broker.RegisterAsync(launch, ["orders:read"], audience: Issuer);

        Assert.Equal(Issuer, Jwt.Payload(body["access_token"]!.GetValue<string>())["aud"]!.GetValue<string>());
    }

    [Fact]
    public async Task Register_Returns403AudienceNotAllowed_WhenAnAppsLaunchTokenIsUsedForAPlatformWithoutAGrant()
    {
        // The review's path: an app whose ceiling is orders:read creates a launch token (no audience),
        // and the agent asks for a token addressed to orders-api, where it holds no grant.
        var app = await Broker.CreateAppOkAsync(scopes: ["orders:read"]);
        var launch = await AppApi.ReadJsonAsync(await Broker.AppLaunchTokenAsync(await Broker.AppTokenAsync(app), AppApi.LaunchBody(["orders:read"])), 201);
        using var key = AgentKey.Create();
        string nonce = await Broker.NonceAsync();

        var response = await Broker.Client.PostAsJsonAsync("/v1/register", RegistrationTests.Body(launch["launch_token"]!.GetValue<string>(), nonce, key.PublicKeyBase64, key.SignNonce(nonce), ["orders:read"], audience: "orders-api"));

        await RegistrationTests.AssertProblem(response, 403, "audience_not_allowed", "requested audience is not allowed by the launch token");
    }

    [Theory]
    [InlineData("admin:launch-tokens:*")]
    [InlineData("app:launch-tokens:*")]
    [InlineData("admin:revoke:*")]
    public async Task Register_Returns403ScopeViolation_WhenAWildcardCeilingCoversAReservedScope(string reserved)
    {
        string launch = await Broker.LaunchTokenAsync(["*:launch-tokens:*", "*:revoke:*"]);
        using var key = AgentKey.Create();
        string nonce = await Broker.NonceAsync();

        var response = await Broker.Client.PostAsJsonAsync("/v1/register", RegistrationTests.Body(launch, nonce, key.PublicKeyBase64, key.SignNonce(nonce), ["read:launch-tokens:x", reserved]));

        var problem = await RegistrationTests.AssertProblem(response, 403, "scope_violation", "requested scope is in a reserved namespace");
        Assert.Equal($"'{reserved}' is under admin: or app:, which no agent token may carry", problem["hint"]!.GetValue<string>());

        // The same ceiling still grants what is not reserved.
        var (ok, _) = await Broker.RegisterAsync(launch, ["read:launch-tokens:x"]);
        Assert.Equal("read:launch-tokens:x", Jwt.Payload(ok["access_token"]!.GetValue<string>())["scope"]!.GetValue<string>());
    }

    [Fact]
    public async Task Delegate_Returns403ScopeViolation_WhenTheDelegatorsWildcardCoversAReservedScope()
    {
        var delegator = await Broker.RegisterAgentAsync(["*:*:*"], taskId: "task-wild");
        var delegate_ = await Broker.RegisterAgentAsync(["read:data:*"], taskId: "task-target");

        var response = await Broker.DelegateAsync(delegator.Token, delegate_.AgentId, ["admin:revoke:*"]);

        await RegistrationTests.AssertProblem(response, 403, "scope_violation", "requested scope is in a reserved namespace");
    }

    [Fact]
    public async Task Register_WildcardCeilingToken_CarriesNoReservedScope()
    {
        var agent = await Broker.RegisterAgentAsync(["*:*:*"], taskId: "task-star");

        string scope = Jwt.Payload(agent.Token)["scope"]!.GetValue<string>();

        Assert.DoesNotContain(scope.Split(' '), s => s.StartsWith("admin:", StringComparison.Ordinal) || s.StartsWith("app:", StringComparison.Ordinal));
        var response = await Broker.PostWithBearerAsync("/v1/revoke", agent.Token, new { level = "token", target = "x" });
        await RegistrationTests.AssertProblem(response, 403, "insufficient_scope", "token lacks required scope: admin:revoke:*");
    }
}

/// <summary>The signer's own guard for the reserved namespaces (17.9), behind every endpoint's refusal.</summary>
public sealed class TokenServiceReservedScopeTests
{
    [Fact]
    public void Issue_DropsReservedScopes_WhenTheSubjectIsAnAgent()
    {
        var service = Service();

        var (_, claims) = service.Issue("spiffe://tessera.test/agent/o/t/1", ["orders-api"], ["admin:revoke:*", "read:data:x", "app:launch-tokens:*"], 60);

        Assert.Equal(["read:data:x"], claims.Scope);
    }

    [Theory]
    [InlineData("admin")]
    [InlineData("app:a-1")]
    public void Issue_KeepsReservedScopes_ForTheBrokersOwnPrincipals(string subject)
    {
        var (_, claims) = Service().Issue(subject, ["http://tessera.test"], ["admin:revoke:*", "app:launch-tokens:*"], 60);

        Assert.Equal(["admin:revoke:*", "app:launch-tokens:*"], claims.Scope);
    }

    private static Tessera.Broker.Tokens.TokenService Service() =>
        new(
            new Tessera.Keys.SigningKeyRing(Tessera.Keys.SigningKey.Generate(Tessera.Keys.SigningAlgorithm.EdDSA, TimeProvider.System.GetUtcNow())),
            Microsoft.Extensions.Options.Options.Create(new Tessera.Broker.Configuration.BrokerOptions { Issuer = "http://tessera.test" }),
            TimeProvider.System);
}
