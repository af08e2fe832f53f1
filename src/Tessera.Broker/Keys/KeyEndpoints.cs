using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;
using Tessera.Broker.Configuration;
using Tessera.Keys;

namespace Tessera.Broker.Keys;

/// <summary>
/// <c>GET /.well-known/jwks.json</c> and the issuer metadata document. The metadata lives under a
/// Tessera-specific name: the RFC 8414 path is reserved for when the broker is a full OAuth server.
/// </summary>
internal static class KeyEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        // Public by nature: verifiers fetch the keys and the metadata to check tokens.
        var wellKnown = app.MapGroup("/.well-known").AllowAnonymous().WithTags("Keys");
        wellKnown.MapGet("/jwks.json", Jwks)
            .WithName("jwks")
            .WithSummary("Public signing keys")
            .WithDescription("Every key the broker still publishes, the active one first; each JWK carries kid (its RFC 7638 thumbprint), use sig and alg. Served with Cache-Control: public, max-age=300.")
            .Produces<JwksDocument>(StatusCodes.Status200OK, "application/jwk-set+json");
        wellKnown.MapGet("/tessera-configuration", Metadata)
            .WithName("tesseraConfiguration")
            .WithSummary("Issuer metadata")
            .WithDescription("Where the broker's endpoints and keys are and which algorithms it signs with; URLs are built from the configured issuer. Served only at this path: the RFC 8414 path is reserved for when the broker is a full OAuth server.")
            .Produces<TesseraConfigurationDocument>(StatusCodes.Status200OK, "application/json");
    }

    private static JwksResult Jwks(SigningKeyRing ring, ProfileKeys profileKeys) => new(ring, profileKeys);

    private static MetadataResult Metadata(IOptions<BrokerOptions> options, ProfileKeys profileKeys) => new(options.Value, profileKeys);

    /// <summary>The JWK set, written by hand key by key, with its caching header; described by <see cref="JwksDocument"/>.</summary>
    private sealed class JwksResult(SigningKeyRing ring, ProfileKeys profileKeys) : IResult
    {
        public async Task ExecuteAsync(HttpContext context)
        {
            context.Response.ContentType = "application/jwk-set+json";
            context.Response.Headers.CacheControl = "public, max-age=300";
            await using var writer = new Utf8JsonWriter(context.Response.Body);
            writer.WriteStartObject();
            writer.WriteStartArray("keys");
            foreach (var key in ring.All)
            {
                key.PublicKey.WriteJwk(writer);
            }

            if (profileKeys.Separate is { } profile)
            {
                foreach (var key in profile.All)
                {
                    key.PublicKey.WriteJwk(writer);
                }
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }
    }

    /// <summary>The issuer metadata, written by hand; described by <see cref="TesseraConfigurationDocument"/> (same members, same order).</summary>
    private sealed class MetadataResult(BrokerOptions options, ProfileKeys profileKeys) : IResult
    {
        public async Task ExecuteAsync(HttpContext context)
        {
            string issuer = options.Issuer.TrimEnd('/');
            context.Response.ContentType = "application/json";
            await using var writer = new Utf8JsonWriter(context.Response.Body);
            writer.WriteStartObject();
            writer.WriteString("issuer", options.Issuer);
            writer.WriteString("jwks_uri", issuer + "/.well-known/jwks.json");
            writer.WriteString("challenge_endpoint", issuer + "/v1/challenge");
            writer.WriteString("agent_registration_endpoint", issuer + "/v1/register");
            writer.WriteString("token_validation_endpoint", issuer + "/v1/token/validate");
            writer.WriteString("token_renewal_endpoint", issuer + "/v1/token/renew");
            writer.WriteString("token_release_endpoint", issuer + "/v1/token/release");
            writer.WriteString("token_endpoint", issuer + "/v1/token");
            writer.WriteStartArray("token_endpoint_auth_methods_supported");
            writer.WriteStringValue("client_secret_basic");
            writer.WriteStringValue("client_secret_post");
            writer.WriteStringValue("private_key_jwt");
            writer.WriteEndArray();
            writer.WriteStartArray("token_endpoint_auth_signing_alg_values_supported");
            writer.WriteStringValue("EdDSA");
            writer.WriteStringValue("ES256");
            writer.WriteStringValue("RS256");
            writer.WriteEndArray();
            writer.WriteStartArray("grant_types_supported");
            writer.WriteStringValue("client_credentials");
            writer.WriteEndArray();
            writer.WriteString("platforms_endpoint", issuer + "/v1/platforms/me");
            writer.WriteString("enforcement_reports_endpoint", issuer + "/v1/enforcement/reports");
            writer.WriteString("revocation_feed_endpoint", issuer + "/v1/revocations");

            // Entries outlive their tokens' exp by this much: a verifier's exp leeway must not exceed it.
            writer.WriteNumber("revocation_entry_leeway_seconds", options.RevocationEntryLeeway);
            writer.WriteBoolean("revocation_feed_requires_authentication", !options.PublicRevocationFeed);
            writer.WriteStartArray("token_signing_alg_values_supported");
            writer.WriteStringValue(options.Algorithm.Name());
            if (profileKeys.Separate is not null)
            {
                writer.WriteStringValue("RS256");
            }
            writer.WriteEndArray();
            writer.WriteString("access_token_type", "at+jwt");
            writer.WriteString("spiffe_trust_domain", options.TrustDomain);
            writer.WriteString("service_documentation", issuer + "/v1/openapi.yaml");
            writer.WriteEndObject();
        }
    }
}
