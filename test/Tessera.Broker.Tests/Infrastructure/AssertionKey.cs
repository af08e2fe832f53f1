using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using NSec.Cryptography;

namespace Tessera.Broker.Tests.Infrastructure;

/// <summary>
/// An agent's private_key_jwt key (RS256, ES256 or EdDSA) as an SDK would hold it: it publishes a
/// public JWK and signs client assertions (RFC 7523) itself.
/// </summary>
public sealed class AssertionKey : IDisposable
{
    private readonly RSA? _rsa;
    private readonly ECDsa? _ec;
    private readonly Key? _ed;

    private AssertionKey(string alg, string kid, RSA? rsa, ECDsa? ec, Key? ed)
    {
        Algorithm = alg;
        KeyId = kid;
        _rsa = rsa;
        _ec = ec;
        _ed = ed;
    }

    public string Algorithm { get; }

    public string KeyId { get; }

    public static AssertionKey Create(string alg, string? kid = null)
    {
        kid ??= alg.ToLowerInvariant() + "-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
        return alg switch
        {
            "RS256" => new AssertionKey(alg, kid, RSA.Create(2048), null, null),
            "ES256" => new AssertionKey(alg, kid, null, ECDsa.Create(ECCurve.NamedCurves.nistP256), null),
            "EdDSA" => new AssertionKey(alg, kid, null, null, Key.Create(SignatureAlgorithm.Ed25519, new KeyCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport })),
            _ => throw new ArgumentOutOfRangeException(nameof(alg)),
        };
    }

    /// <summary>The public JWK; <paramref name="withPrivate"/> adds the private member (the mistake the broker must refuse).</summary>
    public JsonObject Jwk(bool withPrivate = false)
    {
        var jwk = new JsonObject { ["kid"] = KeyId, ["alg"] = Algorithm, ["use"] = "sig" };
        if (_rsa is not null)
        {
            var p = _rsa.ExportParameters(withPrivate);
            jwk["kty"] = "RSA";
            jwk["n"] = B64(p.Modulus!);
            jwk["e"] = B64(p.Exponent!);
            if (withPrivate)
            {
                jwk["d"] = B64(p.D!);
            }
        }
        else if (_ec is not null)
        {
            var p = _ec.ExportParameters(withPrivate);
            jwk["kty"] = "EC";
            jwk["crv"] = "P-256";
            jwk["x"] = B64(p.Q.X!);
            jwk["y"] = B64(p.Q.Y!);
            if (withPrivate)
            {
                jwk["d"] = B64(p.D!);
            }
        }
        else
        {
            jwk["kty"] = "OKP";
            jwk["crv"] = "Ed25519";
            jwk["x"] = B64(_ed!.PublicKey.Export(KeyBlobFormat.RawPublicKey));
            if (withPrivate)
            {
                jwk["d"] = B64(_ed.Export(KeyBlobFormat.RawPrivateKey));
            }
        }

        return jwk;
    }

    public JsonObject Jwks(bool withPrivate = false) => new() { ["keys"] = new JsonArray(Jwk(withPrivate)) };

    /// <summary>The claims of a valid assertion for <paramref name="keyId"/> at <paramref name="now"/>.</summary>
    public static JsonObject Claims(string keyId, DateTimeOffset now, string? audience = null, int lifetime = 60) => new()
    {
        ["iss"] = keyId,
        ["sub"] = keyId,
        ["aud"] = audience ?? CredentialApi.TokenEndpointAudience,
        ["jti"] = Guid.NewGuid().ToString("N"),
        ["iat"] = now.ToUnixTimeSeconds(),
        ["exp"] = now.ToUnixTimeSeconds() + lifetime,
    };

    /// <summary>A compact JWS over <paramref name="claims"/>; the header is {alg, kid, typ} unless given.</summary>
    public string Sign(JsonObject claims, JsonObject? header = null)
    {
        header ??= new JsonObject { ["alg"] = Algorithm, ["kid"] = KeyId, ["typ"] = "JWT" };
        string input = Jwt.Encode(header) + "." + Jwt.Encode(claims);
        return input + "." + B64(SignBytes(Encoding.ASCII.GetBytes(input)));
    }

    public string Assertion(string keyId, DateTimeOffset now) => Sign(Claims(keyId, now));

    public void Dispose()
    {
        _rsa?.Dispose();
        _ec?.Dispose();
        _ed?.Dispose();
    }

    private byte[] SignBytes(byte[] data) =>
        _rsa is not null ? _rsa.SignData(data, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)
        : _ec is not null ? _ec.SignData(data, HashAlgorithmName.SHA256)
        : SignatureAlgorithm.Ed25519.Sign(_ed!, data);

    private static string B64(byte[] bytes) => Base64Url.EncodeToString(bytes);
}
