using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Tessera.Broker.Admin;
using Tessera.Broker.Audit;
using Tessera.Broker.Authorization;
using Tessera.Broker.Http;
using Tessera.Keys;

namespace Tessera.Broker.Keys;

/// <summary><c>GET /v1/admin/keys</c> and <c>POST /v1/admin/keys/rotate</c> (scope <c>admin:keys:*</c>).</summary>
internal static class KeyAdminEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        var keys = app.MapGroup("/v1/admin/keys").RequireAuthorization(BrokerPolicies.Scope("admin:keys:*")).WithTags("Keys");
        keys.MapGet("", List)
            .WithName("listKeys")
            .WithSummary("The broker's signing keys")
            .WithDescription("The active key first, then retiring keys with the time they leave the JWK set (the creation time of the key that replaced them plus the longest token lifetime); the mudraid profile's keys beside them.")
            .Produces<KeyListDocument>(StatusCodes.Status200OK, "application/json");
        keys.MapPost("/rotate", RotateAsync)
            .WithName("rotateKey")
            .WithSummary("Make a new signing key active")
            .WithDescription("No body is read. Writes a new key of signing_alg to the key file before making it active, keeps the previous keys as retiring, drops those past retirement and announces the new ring on the revocation stream; the mudraid profile's key rotates with it. Answers the keys with previous_kid.")
            .Produces<KeyListDocument>(StatusCodes.Status200OK, "application/json")
            .ProducesErrors(Tessera.Errors.ErrorCatalog.InternalError);
    }

    private static KeyListResult List(SigningKeyRing ring, KeyRotation rotation, ProfileKeys profileKeys) => new(ring, rotation, profileKeys, null);

    private static async Task<KeyListResult> RotateAsync(SigningKeyRing ring, KeyRotation rotation, ProfileKeys profileKeys, TimeProvider time, AuditLog audit, CancellationToken cancellationToken)
    {
        string previous = ring.Active.KeyId;
        string? previousProfile = profileKeys.Separate?.Active.KeyId;
        var (next, profile, profileFailure) = rotation.RotateAll();
        string detail = $"signing key rotated | new_kid={next.KeyId} | previous_kid={previous} | alg={next.Algorithm.Name()}";
        if (profile is not null)
        {
            detail += $" | profile_new_kid={profile.KeyId} | profile_previous_kid={previousProfile} | profile_alg={profile.Algorithm.Name()}";
        }

        if (profileFailure is not null)
        {
            detail += " | profile_rotation=failed";
        }

        await audit.RecordAsync(
            AuditDraft.Of(time, AuditEventTypes.KeyRotated, Tessera.Audit.AuditOutcomes.Success, detail),
            cancellationToken: cancellationToken);
        if (profileFailure is not null)
        {
            // The default key did rotate (and is recorded); the request still fails so the operator retries.
            throw new InvalidOperationException("the profile signing key could not be rotated", profileFailure);
        }

        return new KeyListResult(ring, rotation, profileKeys, previous);
    }

    private static void WriteRing(Utf8JsonWriter writer, string name, IReadOnlyList<SigningKey> all, Func<int, DateTimeOffset?> retiresAt)
    {
        writer.WriteStartArray(name);
        for (int i = 0; i < all.Count; i++)
        {
            writer.WriteStartObject();
            writer.WriteString("kid", all[i].KeyId);
            writer.WriteString("alg", all[i].Algorithm.Name());
            writer.WriteString("status", i == 0 ? "active" : "retiring");
            writer.WriteString("created_at", Tessera.Time.Timestamps.Rfc3339(all[i].CreatedAt));
            if (retiresAt(i) is { } retires)
            {
                writer.WriteString("retires_at", Tessera.Time.Timestamps.Rfc3339(retires));
            }

            writer.WriteEndObject();
        }

        writer.WriteEndArray();
    }

    /// <summary>
    /// The signing keys, written by hand (optional members left out; <c>previous_kid</c> after a rotation);
    /// described by <see cref="KeyListDocument"/>.
    /// </summary>
    private sealed class KeyListResult(SigningKeyRing ring, KeyRotation rotation, ProfileKeys profileKeys, string? previous) : IResult
    {
        public async Task ExecuteAsync(HttpContext context)
        {
            context.Response.StatusCode = StatusCodes.Status200OK;
            context.Response.ContentType = "application/json";
            await using var writer = new Utf8JsonWriter(context.Response.Body);
            writer.WriteStartObject();
            writer.WriteString("active_kid", ring.Active.KeyId);
            if (previous is not null)
            {
                writer.WriteString("previous_kid", previous);
            }

            WriteRing(writer, "keys", ring.All, rotation.RetiresAt);
            if (profileKeys.Separate is { } profile)
            {
                // The mudraid profile's RS256 keys, published beside the default ones and rotated with them.
                WriteRing(writer, "profile_keys", profile.All, rotation.ProfileRetiresAt);
            }

            writer.WriteEndObject();
        }
    }
}
