using System.Text.Json.Nodes;
using Tessera.Broker.Tests.Infrastructure;
using static Tessera.Broker.Tests.Infrastructure.CredentialApi;

namespace Tessera.Broker.Tests;

/// <summary>
/// A broker for the MudraID drop-in tests: exchange limits lifted (unless given), the
/// <c>mudraid</c> profile's RSA key file in its own temp directory, and helpers for what an
/// operator does before pointing MudraID's SDK and middleware at it.
/// </summary>
public sealed class MudraIdBroker : IAsyncLifetime
{
    /// <summary>The fixture's issuer, as <c>tessera platforms show</c> would print it.</summary>
    public const string Issuer = "http://tessera.test";

    private readonly Dictionary<string, string?>? _settings;

    // As httpx in MudraID's JWKS client: redirects are not followed.
    private readonly HttpClient _jwksClient = new(new SocketsHttpHandler { AllowAutoRedirect = false }) { Timeout = TimeSpan.FromSeconds(5) };

    public MudraIdBroker()
    {
    }

    private MudraIdBroker(Dictionary<string, string?> settings) => _settings = settings;

    private (TestPlatform Platform, MudraIdPlatformStub Stub)? _shop;

    public BrokerFixture Broker { get; private set; } = null!;

    /// <summary>The base URL an SDK is given (<c>MUDRAID_BASE_URL</c>).</summary>
    public string BaseUrl => Broker.BaseAddress.ToString().TrimEnd('/');

    /// <summary>Where the token endpoint really listens (<c>MUDRAID_TOKEN_ENDPOINT</c> in a test; in production <c>{issuer}/v1/token</c>).</summary>
    public string TokenEndpoint => BaseUrl + "/v1/token";

    /// <summary>Where the JWKS really is (<c>MUDRAID_JWKS_URL</c> in a test; in production <c>{issuer}/.well-known/jwks.json</c>).</summary>
    public Uri JwksUrl => new(BaseUrl + "/.well-known/jwks.json");

    public static async Task<MudraIdBroker> StartAsync(Dictionary<string, string?> settings)
    {
        var broker = new MudraIdBroker(settings);
        await broker.InitializeAsync();
        return broker;
    }

    public async Task InitializeAsync()
    {
        string directory = Path.Combine(Path.GetTempPath(), "tessera-mudraid-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        var settings = _settings ?? NoExchangeLimits;
        settings["profile_signing_key_path"] = Path.Combine(directory, "signing-key-rs256.json");
        Broker = await BrokerFixture.StartAsync(settings, directory);
    }

    public async Task DisposeAsync()
    {
        if (_shop is { } shop)
        {
            await shop.Stub.DisposeAsync();
        }

        _jwksClient.Dispose();
        await Broker.DisposeAsync();
    }

    /// <summary>Registers a platform; <paramref name="profile"/> is its token_profile.</summary>
    public async Task<TestPlatform> PlatformAsync(string id, string[] hostnames, string[] scopes, string profile = "mudraid", JsonArray? routes = null)
    {
        var body = PlatformBody(id, scopes, hostnames, routes);
        body["token_profile"] = profile;
        var json = await Broker.AdminOkAsync(HttpMethod.Post, "/v1/admin/platforms", body, 201);
        Assert.Equal(profile, json["token_profile"]!.GetValue<string>());
        return new TestPlatform(id, json["client_id"]!.GetValue<string>(), json["client_secret"]!.GetValue<string>(), hostnames, scopes);
    }

    /// <summary>A credential agent granted <paramref name="grant"/> on each platform; <paramref name="jwks"/> makes it key-only.</summary>
    public async Task<TestCredentialAgent> AgentAsync(IEnumerable<(string PlatformId, string[] Scopes)> grants, JsonObject? jwks = null, int? tokenTtl = null)
    {
        string admin = await Broker.AdminTokenAsync();
        var agent = await Broker.CreateAgentOkAsync(jwks: jwks, tokenTtl: tokenTtl, adminToken: admin);
        foreach (var (platformId, scopes) in grants)
        {
            await Broker.GrantOkAsync(agent.KeyId, platformId, scopes, admin);
        }

        return agent;
    }

    /// <summary>An independent verifier set up as MudraID's middleware would be for <paramref name="platformId"/>.</summary>
    public MudraIdMiddlewareVerifier Verifier(string platformId, params string[] expectedIssuers) =>
        new(_jwksClient, JwksUrl, platformId, expectedIssuers.Length > 0 ? expectedIssuers : [Issuer], Broker.Time);

    /// <summary>
    /// One platform for the class, on the mudraid profile, served by a <see cref="MudraIdPlatformStub"/>
    /// that needs <c>orders:read</c>, registered under the loopback names an SDK reaches it by.
    /// </summary>
    public async Task<(TestPlatform Platform, MudraIdPlatformStub Stub)> ShopAsync()
    {
        if (_shop is { } known)
        {
            return known;
        }

        string id = UniqueId("shop");
        var stub = await MudraIdPlatformStub.StartAsync(Verifier(id), "orders:read");
        var platform = await PlatformAsync(id, ["localhost", "127.0.0.1"], ["orders:read", "orders:write"]);
        _shop = (platform, stub);
        return _shop.Value;
    }
}
