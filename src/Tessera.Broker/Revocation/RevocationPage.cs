using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Tessera.Storage.Revocations;

namespace Tessera.Broker.Revocation;

/// <summary>
/// One page of <c>GET /v1/revocations</c>, written straight from the store's records with the same
/// entry writer the stream's frames use (<see cref="RevocationEndpoints.WriteEntry"/>). Its shape, for
/// the OpenAPI document, is <see cref="RevocationPageView"/>.
/// </summary>
/// <param name="entries">The entries read, one more than <paramref name="limit"/> when there are more.</param>
/// <param name="since">The cursor the page starts after.</param>
/// <param name="limit">The page size.</param>
/// <param name="keysVersion">The key set's version.</param>
internal sealed class RevocationPage(IReadOnlyList<RevocationRecord> entries, long since, int limit, long keysVersion) : IResult
{
    public async Task ExecuteAsync(HttpContext httpContext)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        bool more = entries.Count > limit;
        httpContext.Response.ContentType = "application/json";
        await using var writer = new Utf8JsonWriter(httpContext.Response.Body);
        writer.WriteStartObject();
        writer.WriteStartArray("entries");
        long cursor = since;
        for (int i = 0; i < Math.Min(limit, entries.Count); i++)
        {
            RevocationEndpoints.WriteEntry(writer, entries[i]);
            cursor = entries[i].Sequence;
        }

        writer.WriteEndArray();
        writer.WriteString("next_cursor", cursor.ToString(CultureInfo.InvariantCulture));
        writer.WriteBoolean("has_more", more);
        writer.WriteNumber("keys_version", keysVersion);
        writer.WriteEndObject();
    }
}
