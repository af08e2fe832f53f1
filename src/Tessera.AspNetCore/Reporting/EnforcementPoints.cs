using System.Buffers;
using System.Buffers.Text;
using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Tessera.AspNetCore.Reporting;

/// <summary>
/// What the decision points (authentication handler, route-scopes middleware, scope
/// requirement) share to report an outcome: the per-request keys, the route, and the
/// verified agent of a token refused after its signature verified.
/// </summary>
internal static class EnforcementPoints
{
    /// <summary>
    /// <c>HttpContext.Items</c> key of the agent of a token that was refused although its
    /// signature verified (revoked, expired, wrong audience); set only when reporting is on.
    /// </summary>
    public static readonly object VerifiedAgentKey = new();

    private static readonly object ReportedKey = new();

    /// <summary>The endpoint's route pattern, else the path.</summary>
    public static string RouteOf(HttpContext context) =>
        (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? context.Request.Path.Value ?? "/";

    /// <summary>Reports the request's outcome unless one was already reported for it (a request is one decision).</summary>
    public static void ReportOnce(HttpContext context, EnforcementReporter reporter, EnforcementOutcome outcome)
    {
        if (context.Items.TryAdd(ReportedKey, ReportedKey))
        {
            reporter.Report(outcome);
        }
    }

    /// <summary>
    /// Reads <c>sub</c> from the payload of <paramref name="token"/>. Call it only for a token
    /// whose signature verified: the verifier decides issuer, audience and time after the
    /// signature (its documented order), so a token refused for those carries an authentic <c>sub</c>.
    /// </summary>
    public static bool TryReadVerifiedSubject(string token, [NotNullWhen(true)] out string? subject)
    {
        subject = null;
        int first = token.IndexOf('.', StringComparison.Ordinal);
        int second = first < 0 ? -1 : token.IndexOf('.', first + 1);
        if (second < 0)
        {
            return false;
        }

        var segment = token.AsSpan(first + 1, second - first - 1);
        byte[] rented = ArrayPool<byte>.Shared.Rent(Base64Url.GetMaxDecodedLength(segment.Length));
        try
        {
            if (!Base64Url.TryDecodeFromChars(segment, rented, out int length))
            {
                return false;
            }

            var reader = new Utf8JsonReader(rented.AsSpan(0, length));
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                bool isSubject = reader.ValueTextEquals("sub"u8);
                if (!reader.Read())
                {
                    return false;
                }

                if (isSubject)
                {
                    subject = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                    return !string.IsNullOrEmpty(subject);
                }

                reader.Skip();
            }

            return false;
        }
        catch (JsonException)
        {
            return false;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }
}
