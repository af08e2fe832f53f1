using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http;
using Tessera.Errors;

namespace Tessera.Broker.Http;

/// <summary>
/// Reads a JSON request body with a size limit and turns every way it can be wrong into a
/// <see cref="Failure"/>: too large (413), not JSON (415), malformed or mistyped (400 naming the field).
/// </summary>
internal static class JsonBody
{
    public static async Task<BodyResult<T>> ReadAsync<T>(HttpContext context, JsonTypeInfo<T> typeInfo, int maxBytes)
        where T : class
    {
        var request = context.Request;
        if (request.ContentLength > maxBytes)
        {
            return TooLarge<T>(maxBytes);
        }

        if (!string.IsNullOrEmpty(request.ContentType) && !IsJson(request.ContentType))
        {
            return new(null, new Failure(ErrorCatalog.UnsupportedMediaType, "Content-Type must be application/json"));
        }

        var raw = await ReadBoundedAsync(context, maxBytes);
        if (raw.Failure is { } tooLarge)
        {
            return new(null, tooLarge);
        }

        byte[] buffer = raw.Buffer!;
        int length = raw.Length;
        try
        {
            if (length == 0)
            {
                return new(null, new Failure(ErrorCatalog.InvalidRequest, "malformed JSON body", "send a JSON object"));
            }

            if (!HasValidText(buffer.AsSpan(0, length)))
            {
                return new(null, InvalidText);
            }

            try
            {
                var value = JsonSerializer.Deserialize(buffer.AsSpan(0, length), typeInfo);
                return value is null
                    ? new(null, new Failure(ErrorCatalog.InvalidRequest, "malformed JSON body", "send a JSON object"))
                    : new(value, null);
            }
            catch (JsonException ex)
            {
                string? field = FieldOf(ex.Path);
                return new(null, field is null
                    ? new Failure(ErrorCatalog.InvalidRequest, "malformed JSON body", "send a JSON object")
                    : new Failure(ErrorCatalog.InvalidRequest, $"malformed JSON body: field '{field}' has the wrong type or value"));
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer, clearArray: true);
        }
    }

    /// <summary>
    /// Reads the whole body into a pooled buffer, refusing more than <paramref name="maxBytes"/>.
    /// The caller returns <see cref="RawBody.Buffer"/> to the shared pool (cleared).
    /// </summary>
    public static async Task<RawBody> ReadBoundedAsync(HttpContext context, int maxBytes)
    {
        var request = context.Request;
        if (request.ContentLength > maxBytes)
        {
            return new(null, 0, TooLarge(maxBytes));
        }

        byte[] buffer = ArrayPool<byte>.Shared.Rent(Math.Min(maxBytes + 1, 16 * 1024));
        int length = 0;
        while (true)
        {
            if (length == buffer.Length)
            {
                if (buffer.Length > maxBytes)
                {
                    ArrayPool<byte>.Shared.Return(buffer, clearArray: true);
                    return new(null, 0, TooLarge(maxBytes));
                }

                byte[] bigger = ArrayPool<byte>.Shared.Rent(Math.Min(buffer.Length * 2, maxBytes + 1));
                buffer.AsSpan(0, length).CopyTo(bigger);
                ArrayPool<byte>.Shared.Return(buffer, clearArray: true);
                buffer = bigger;
            }

            int read;
            try
            {
                read = await request.Body.ReadAsync(buffer.AsMemory(length), context.RequestAborted);
            }
            catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
            {
                ArrayPool<byte>.Shared.Return(buffer, clearArray: true);
                return new(null, 0, TooLarge(maxBytes));
            }

            if (read == 0)
            {
                return new(buffer, length, null);
            }

            length += read;
            if (length > maxBytes)
            {
                ArrayPool<byte>.Shared.Return(buffer, clearArray: true);
                return new(null, 0, TooLarge(maxBytes));
            }
        }
    }

    /// <summary>The refusal for a body whose text is not valid UTF-8 (raw bytes or escaped surrogates).</summary>
    public static Failure InvalidText { get; } =
        new(ErrorCatalog.InvalidRequest, "malformed JSON body: text is not valid UTF-8", "send the body as UTF-8; a \\u escape must not leave half a surrogate pair");

    /// <summary>
    /// True when <paramref name="json"/> is valid UTF-8 and every escaped string in it decodes to valid
    /// UTF-16. <see cref="JsonSerializer"/> and <see cref="JsonDocument"/> check neither until a string
    /// is read, and then throw <see cref="InvalidOperationException"/>, not <see cref="JsonException"/>:
    /// checking up front, once per body, keeps every later read of the text safe. Structural errors
    /// are left to the parser, which reports them with the field's path.
    /// </summary>
    public static bool HasValidText(ReadOnlySpan<byte> json)
    {
        if (!System.Text.Unicode.Utf8.IsValid(json))
        {
            return false;
        }

        // Only escaped strings can still hide a lone surrogate (\ud800); most bodies have none.
        if (json.IndexOf((byte)'\\') < 0)
        {
            return true;
        }

        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 64 });
        try
        {
            while (reader.Read())
            {
                if (reader.TokenType is JsonTokenType.String or JsonTokenType.PropertyName && reader.ValueIsEscaped)
                {
                    _ = reader.GetString();
                }
            }
        }
        catch (JsonException)
        {
            // Malformed structure: the parser that follows reports it.
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }

        return true;
    }

    private static Failure TooLarge(int maxBytes) =>
        new(ErrorCatalog.PayloadTooLarge, $"request body must not exceed {(maxBytes == 1024 * 1024 ? "1 MB" : maxBytes + " bytes")}");

    private static BodyResult<T> TooLarge<T>(int maxBytes)
        where T : class =>
        new(null, TooLarge(maxBytes));

    /// <summary>True for application/json and any +json media type.</summary>
    public static bool IsJson(string contentType)
    {
        var media = contentType.AsSpan();
        int semicolon = media.IndexOf(';');
        if (semicolon >= 0)
        {
            media = media[..semicolon];
        }

        media = media.Trim();
        return media.Equals("application/json", StringComparison.OrdinalIgnoreCase) ||
               media.EndsWith("+json", StringComparison.OrdinalIgnoreCase);
    }

    private static string? FieldOf(string? path)
    {
        if (string.IsNullOrEmpty(path) || path == "$" || !path.StartsWith("$.", StringComparison.Ordinal))
        {
            return null;
        }

        var name = path.AsSpan(2);
        int end = name.IndexOfAny('.', '[');
        if (end >= 0)
        {
            name = name[..end];
        }

        // Field names are echoed; keep them to what a real field can be.
        foreach (char c in name)
        {
            if (!(c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '_'))
            {
                return null;
            }
        }

        return name.Length is > 0 and <= 64 ? name.ToString() : null;
    }
}

/// <summary>A parsed body or the reason it was refused.</summary>
internal readonly record struct BodyResult<T>(T? Value, Failure? Failure)
    where T : class;

/// <summary>A bounded request body in a pooled buffer, or the reason it was refused.</summary>
internal readonly record struct RawBody(byte[]? Buffer, int Length, Failure? Failure);
