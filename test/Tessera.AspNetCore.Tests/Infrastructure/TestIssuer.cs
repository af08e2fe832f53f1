using System.Buffers.Text;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace Tessera.AspNetCore.Tests.Infrastructure;

/// <summary>
/// An issuer held in memory: an RS256 key, its JWKS served to the verifier through
/// <c>BackchannelHandler</c> (no network), and tokens with any header and claims, so a test can
/// leave out a claim or put both scope forms in and still carry a valid signature.
/// </summary>
public sealed class TestIssuer : HttpMessageHandler
{
    public const string Url = "https://issuer.test";

    private readonly RSA _key = RSA.Create(2048);
    private int _fetches;

    public TestIssuer()
    {
        KeyId = "rsa-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
        Jwks = new JsonObject { ["keys"] = new JsonArray(Jwk()) };
    }

    public string KeyId { get; }

    /// <summary>What the JWKS endpoint serves; null answers 500.</summary>
    public JsonObject? Jwks { get; set; }

    public int JwksFetches => Volatile.Read(ref _fetches);

    /// <summary>The public JWK of the issuer's key.</summary>
    public JsonObject Jwk()
    {
        var p = _key.ExportParameters(false);
        return new JsonObject { ["kty"] = "RSA", ["kid"] = KeyId, ["use"] = "sig", ["alg"] = "RS256", ["n"] = B64(p.Modulus!), ["e"] = B64(p.Exponent!) };
    }

    /// <summary>A complete claim set for <paramref name="audience"/>, valid now.</summary>
    public static JsonObject Claims(string scope = "orders:read", string audience = TesseraBroker.Audience)
    {
        long now = TimeProvider.System.GetUtcNow().ToUnixTimeSeconds();
        return new JsonObject
        {
            ["iss"] = Url,
            ["sub"] = "spiffe://issuer.test/agent/a",
            ["aud"] = audience,
            ["exp"] = now + 300,
            ["nbf"] = now,
            ["iat"] = now,
            ["jti"] = Guid.NewGuid().ToString("N"),
            ["scope"] = scope,
        };
    }

    /// <summary>The header a conforming token carries.</summary>
    public JsonObject Header() => new() { ["alg"] = "RS256", ["typ"] = "at+jwt", ["kid"] = KeyId };

    /// <summary>Signs <paramref name="claims"/> RS256 under <paramref name="header"/> (default <see cref="Header"/>).</summary>
    public string Sign(JsonObject claims, JsonObject? header = null)
    {
        string input = Refusal.Encode(header ?? Header()) + "." + Refusal.Encode(claims);
        return input + "." + B64(_key.SignData(Encoding.ASCII.GetBytes(input), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
    }

    /// <summary>Options that point a verifier at this issuer.</summary>
    public void Configure(Tessera.AspNetCore.Authentication.TesseraAuthenticationOptions o)
    {
        ArgumentNullException.ThrowIfNull(o);
        o.Authority = Url;
        o.Algorithm = "RS256";
        o.FollowRevocations = false;
        o.BackchannelHandler = this;
    }

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (request.RequestUri?.AbsolutePath != "/.well-known/jwks.json")
        {
            return Task.FromResult(new HttpResponseMessage(HttpStatusCode.NotFound));
        }

        Interlocked.Increment(ref _fetches);
        var response = Jwks is { } jwks
            ? new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(jwks.ToJsonString(), Encoding.UTF8, "application/json") }
            : new HttpResponseMessage(HttpStatusCode.InternalServerError);
        return Task.FromResult(response);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _key.Dispose();
        }

        base.Dispose(disposing);
    }

    private static string B64(byte[] bytes) => Base64Url.EncodeToString(bytes);
}

/// <summary>One <see cref="TestIssuer"/> and one API verifying its tokens, shared by the tests of a class that leave the key cache alone.</summary>
public class TestIssuerApi : IAsyncLifetime
{
    public const string Scopes = """
        platform_id: orders-api
        version: 1
        routes:
          - method: GET
            path: /health
            public: true
          - method: GET
            path: /orders
            scope: orders:read
          - method: POST
            path: /orders
            scope: orders:write
          - method: GET
            path: /internal/debug
            skip: true
        """;

    private ProtectedApi? _api;

    public TestIssuer Issuer { get; } = new();

    public ProtectedApi Api => _api ?? throw new InvalidOperationException("not started");

    public async Task InitializeAsync() => _api = await ProtectedApi.StartAsync(TestIssuer.Url, TestIssuer.Url, Scopes, configure: o =>
    {
        Issuer.Configure(o);
        Configure(o);
    });

    public async Task DisposeAsync()
    {
        if (_api is not null)
        {
            await _api.DisposeAsync();
        }

        Issuer.Dispose();
    }

    protected virtual void Configure(Tessera.AspNetCore.Authentication.TesseraAuthenticationOptions options)
    {
    }
}

/// <summary>A <see cref="TestIssuerApi"/> that writes MudraID's error body.</summary>
public sealed class MudraIdBodyApi : TestIssuerApi
{
    protected override void Configure(Tessera.AspNetCore.Authentication.TesseraAuthenticationOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.ErrorBody = Tessera.AspNetCore.Errors.ErrorBodyFormat.MudraId;
    }
}
