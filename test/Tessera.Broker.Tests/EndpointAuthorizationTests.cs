using System.Net.Http.Json;
using System.Text;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.Extensions.DependencyInjection;
using Tessera.Broker.Authorization;
using Tessera.Broker.Tests.Infrastructure;
using static Tessera.Broker.Tests.Infrastructure.CredentialApi;
using Tessera.Broker.Tokens;

namespace Tessera.Broker.Tests;

/// <summary>
/// Authorization is declared on the routes: every endpoint the broker maps says which policy guards it
/// or that it is anonymous, and every guarded one refuses a request without credentials (401) and one
/// with a token lacking its scope (403), with the documented codes, before its handler runs.
/// </summary>
public sealed class EndpointAuthorizationTests(SharedBroker shared) : IClassFixture<SharedBroker>
{
    private BrokerFixture Broker => shared.Broker;

    [Fact]
    public void EveryEndpoint_DeclaresPolicyOrAnonymous()
    {
        var offenders = Endpoints(Broker.Services)
            .Where(e => e.Metadata.GetMetadata<IAllowAnonymous>() is null && !e.Metadata.GetOrderedMetadata<IAuthorizeData>().Any() && e.Metadata.GetMetadata<AuthorizationPolicy>() is null)
            .Select(Describe)
            .ToList();

        Assert.True(offenders.Count == 0, "endpoints that declare neither a policy nor AllowAnonymous: " + string.Join(", ", offenders));
    }

    [Fact]
    public void Enumeration_FindsTheBrokersEndpoints()
    {
        var endpoints = Endpoints(Broker.Services).Select(Describe).ToList();

        // A guard against the other tests passing on an empty list.
        Assert.True(endpoints.Count >= 51, $"only {endpoints.Count} endpoints found");
        Assert.Contains("POST /v1/admin/apps", endpoints);
        Assert.Contains("POST /v1/token", endpoints);
    }

    [Fact]
    public async Task EveryGuardedEndpoint_Returns401Unauthorized_WhenNoCredentials()
    {
        var failures = new List<string>();
        foreach (var endpoint in Guarded(Broker.Services))
        {
            using var response = await Broker.Client.SendAsync(Request(endpoint, authorization: null));
            await Expect(failures, endpoint, response, 401, UnauthenticatedCode(endpoint));
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public async Task AnonymousEndpoints_IgnoreABearerHeader_WithoutAuthenticatingIt()
    {
        // Anonymous endpoints never run the bearer scheme (AnonymousEndpointPolicyEvaluator): a forged
        // token there is neither refused nor audited; the endpoint answers as without it.
        string admin = await Broker.AdminTokenAsync();
        int before = (await Broker.AuditAsync("token_auth_failed", adminToken: admin)).Count;
        using var health = new HttpRequestMessage(HttpMethod.Get, "/v1/health");
        health.Headers.Authorization = new("Bearer", "forged.token.value");
        using var challenge = new HttpRequestMessage(HttpMethod.Get, "/v1/challenge");
        challenge.Headers.Authorization = new("Bearer", "forged.token.value");

        using var healthAnswer = await Broker.Client.SendAsync(health);
        using var challengeAnswer = await Broker.Client.SendAsync(challenge);

        Assert.Equal(System.Net.HttpStatusCode.OK, healthAnswer.StatusCode);
        Assert.Equal(System.Net.HttpStatusCode.OK, challengeAnswer.StatusCode);
        Assert.False(healthAnswer.Headers.Contains("WWW-Authenticate"));
        Assert.Equal(before, (await Broker.AuditAsync("token_auth_failed", adminToken: admin)).Count);
        Assert.IsType<AnonymousEndpointPolicyEvaluator>(Broker.Services.GetRequiredService<Microsoft.AspNetCore.Authorization.Policy.IPolicyEvaluator>());
    }

    [Fact]
    public async Task EveryScopedEndpoint_Returns403InsufficientScope_WhenAdminTokenLacksTheScope()
    {
        var tokens = Broker.Services.GetRequiredService<TokenService>();
        var failures = new List<string>();
        foreach (var endpoint in Guarded(Broker.Services).Where(e => RequiredScope(e) is not null))
        {
            // An admin token that holds every admin scope but the one the endpoint needs.
            string[] scopes = [.. Admin.AdminEndpoints.AdminScopes.Where(s => s != RequiredScope(endpoint))];
            var (token, _) = tokens.Issue("admin", [tokens.Issuer], scopes, 300, clientId: "admin");
            using var response = await Broker.Client.SendAsync(Request(endpoint, "Bearer " + token));
            await Expect(failures, endpoint, response, 403, "insufficient_scope", $"token lacks required scope: {RequiredScope(endpoint)}");
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public async Task EveryScopedEndpoint_Returns403InsufficientScope_WhenAgentTokenHoldsEveryWildcard()
    {
        var tokens = Broker.Services.GetRequiredService<TokenService>();
        var (token, _) = tokens.Issue("spiffe://tessera.test/agent/orch/task/instance", [tokens.Issuer], ["*:*:*"], 300);
        var failures = new List<string>();
        foreach (var endpoint in Guarded(Broker.Services).Where(e => RequiredScope(e) is not null))
        {
            using var response = await Broker.Client.SendAsync(Request(endpoint, "Bearer " + token));
            await Expect(failures, endpoint, response, 403, "insufficient_scope");
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public async Task EveryGuardedEndpoint_Returns401Unauthorized_WhenTokenIsForged()
    {
        var failures = new List<string>();
        foreach (var endpoint in Guarded(Broker.Services))
        {
            using var response = await Broker.Client.SendAsync(Request(endpoint, "Bearer eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJhZG1pbiJ9.c2ln"));
            await Expect(failures, endpoint, response, 401, UnauthenticatedCode(endpoint), ChecksClientCredentials(endpoint) ? null : "token verification failed");
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public async Task UndeclaredEndpoint_IsClosed_WithTheDocumented401_AndA403ForAnyToken()
    {
        await using var broker = await BrokerFixture.StartAsync(configure: app => app.MapGet("/v1/forgotten", () => "open"));
        var endpoint = Assert.Single(Endpoints(broker.Services), e => Path(e, p => p) == "/v1/forgotten");
        Assert.Same(BrokerPolicies.Fallback, broker.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<AuthorizationOptions>>().Value.FallbackPolicy);

        using var anonymous = await broker.Client.GetAsync("/v1/forgotten");
        var problem = await BrokerFixture.ProblemAsync(anonymous);
        Assert.Equal(401, (int)anonymous.StatusCode);
        Assert.Equal("unauthorized", problem["error_code"]!.GetValue<string>());
        Assert.Equal("missing authorization header", problem["detail"]!.GetValue<string>());
        Assert.Equal("Bearer realm=\"tessera\"", anonymous.Headers.WwwAuthenticate.ToString());

        using var request = Request(endpoint, "Bearer " + await broker.AdminTokenAsync());
        using var admin = await broker.Client.SendAsync(request);
        Assert.Equal(403, (int)admin.StatusCode);
        Assert.Equal("insufficient_scope", (await BrokerFixture.ProblemAsync(admin))["error_code"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("scope violation", "scope_violation", "token lacks required scope: admin:keys:*")]
    [InlineData("revoked token", "token_revoked_access", "token has been revoked")]
    [InlineData("missing token", "token_auth_failed", "missing authorization header")]
    [InlineData("renewal", "token_renewal_failed", "token renewal failed | missing authorization header")]
    public async Task RouteLevelRefusal_RecordsTheAuditEventItAlwaysDid(string name, string eventType, string detail)
    {
        await using var broker = await BrokerFixture.StartAsync();
        var tokens = broker.Services.GetRequiredService<TokenService>();
        var (agent, claims) = tokens.Issue("spiffe://tessera.test/agent/orch/task/" + name.Replace(' ', '-'), [tokens.Issuer], ["read:data:*"], 300);
        using var request = name switch
        {
            "scope violation" => Bearer(HttpMethod.Get, "/v1/admin/keys", agent),
            "revoked token" => Bearer(HttpMethod.Post, "/v1/token/release", agent),
            "missing token" => new HttpRequestMessage(HttpMethod.Get, "/v1/admin/keys"),
            _ => new HttpRequestMessage(HttpMethod.Post, "/v1/token/renew"),
        };
        if (name == "revoked token")
        {
            await broker.Services.GetRequiredService<Revocation.RevocationList>().RevokeAsync("token", claims.JwtId, "test", claims.ExpiresAt * 1000, CancellationToken.None);
        }

        using var response = await broker.Client.SendAsync(request);

        Assert.True((int)response.StatusCode is 401 or 403, $"{(int)response.StatusCode}");
        var events = (await broker.AuditEventsAsync("event_type=" + eventType))["events"]!.AsArray();
        Assert.Contains(events, e => e!["detail"]!.GetValue<string>().StartsWith(detail, StringComparison.Ordinal));
    }

    [Fact]
    public async Task UnmappedPathAndMethod_StillAnswer404And405_NotTheFallback()
    {
        using var missing = await Broker.Client.GetAsync("/v1/no-such-thing");
        using var wrongMethod = await Broker.Client.DeleteAsync("/v1/admin/keys");

        Assert.Equal(404, (int)missing.StatusCode);
        Assert.Equal(405, (int)wrongMethod.StatusCode);
    }

    private static HttpRequestMessage Bearer(HttpMethod method, string path, string token)
    {
        var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new("Bearer", token);
        return request;
    }

    private static List<RouteEndpoint> Endpoints(IServiceProvider services) =>
        [.. services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()];

    private static IEnumerable<RouteEndpoint> Guarded(IServiceProvider services) =>
        Endpoints(services).Where(e => e.Metadata.GetMetadata<IAllowAnonymous>() is null);

    /// <summary>
    /// The revocation feed and enforcement reports refuse as the client-credential endpoints do (401
    /// <c>invalid_client</c>, as documented); every other guarded endpoint with 401 <c>unauthorized</c>.
    /// </summary>
    private static string UnauthenticatedCode(RouteEndpoint endpoint) => ChecksClientCredentials(endpoint) ? "invalid_client" : "unauthorized";

    private static bool ChecksClientCredentials(RouteEndpoint endpoint) =>
        endpoint.Metadata.GetOrderedMetadata<IAuthorizeData>().Any(d => d.Policy is BrokerPolicies.RevocationFeed or BrokerPolicies.EnforcementReporter);

    /// <summary>The admin or app scope the endpoint's policy requires; null for the any-bearer-token policy.</summary>
    private static string? RequiredScope(RouteEndpoint endpoint)
    {
        string? policy = endpoint.Metadata.GetOrderedMetadata<IAuthorizeData>().Select(d => d.Policy).LastOrDefault(p => p is not null);
        return policy switch
        {
            BrokerPolicies.PlatformItselfOrAdmin => "admin:platforms:*",
            { } name when name.StartsWith("scope:", StringComparison.Ordinal) => name["scope:".Length..],
            _ => null,
        };
    }

    private static string Describe(RouteEndpoint e) =>
        $"{string.Join('|', e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? ["*"])} {Path(e, parameter => "{" + parameter + "}")}";

    /// <summary>The endpoint's path (a group's prefix included), each route parameter written by <paramref name="value"/>.</summary>
    private static string Path(RouteEndpoint endpoint, Func<string, string> value) =>
        "/" + string.Join('/', endpoint.RoutePattern.PathSegments.Select(segment => string.Concat(segment.Parts.Select(part => part switch
        {
            RoutePatternLiteralPart literal => literal.Content,
            RoutePatternParameterPart parameter => value(parameter.Name),
            RoutePatternSeparatorPart separator => separator.Content,
            _ => "",
        }))));

    /// <summary>The endpoint's first method and its path with plausible route values; POST, PUT and PATCH send <c>{}</c>.</summary>
    private static HttpRequestMessage Request(RouteEndpoint endpoint, string? authorization)
    {
        string method = endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods is [var first, ..] ? first : "GET";
        string path = Path(endpoint, parameter => "some-" + parameter);
        var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (method is "POST" or "PUT" or "PATCH")
        {
            request.Content = new StringContent("{}", Encoding.UTF8, "application/json");
        }

        if (authorization is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }

        return request;
    }

    private static async Task Expect(List<string> failures, RouteEndpoint endpoint, HttpResponseMessage response, int status, string code, string? detail = null)
    {
        string body = await response.Content.ReadAsStringAsync();
        var json = response.Content.Headers.ContentType?.MediaType == "application/problem+json" ? System.Text.Json.Nodes.JsonNode.Parse(body) : null;
        string? actualCode = json?["error_code"]?.GetValue<string>();
        string? actualDetail = json?["detail"]?.GetValue<string>();
        if ((int)response.StatusCode != status || actualCode != code || (detail is not null && actualDetail != detail))
        {
            failures.Add($"{Describe(endpoint)}: {(int)response.StatusCode} {actualCode} '{actualDetail}', expected {status} {code}{(detail is null ? "" : $" '{detail}'")}");
        }
    }
}
