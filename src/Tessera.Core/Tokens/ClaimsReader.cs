using System.Diagnostics.CodeAnalysis;
using System.Text.Json;

namespace Tessera.Tokens;

/// <summary>Reads a verified JWT payload into <see cref="AccessTokenClaims"/> with one forward pass.</summary>
internal static class ClaimsReader
{
    public static bool TryRead(ReadOnlySpan<byte> json, [NotNullWhen(true)] out AccessTokenClaims? claims, [NotNullWhen(false)] out string? error)
    {
        claims = null;
        string? iss = null, sub = null, jti = null, scope = null, clientId = null, taskId = null, orchId = null;
        long? exp = null, nbf = null, iat = null;
        List<string>? aud = null;
        List<string>? scopes = null;
        List<DelegationRecord>? chain = null;
        string? chainHash = null;
        string? appId = null;

        try
        {
            var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 16 });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                error = "payload is not a JSON object";
                return false;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("iss"u8))
                {
                    iss = ReadString(ref reader);
                }
                else if (reader.ValueTextEquals("sub"u8))
                {
                    sub = ReadString(ref reader);
                }
                else if (reader.ValueTextEquals("jti"u8))
                {
                    jti = ReadString(ref reader);
                }
                else if (reader.ValueTextEquals("scope"u8))
                {
                    scope = ReadString(ref reader);
                }
                else if (reader.ValueTextEquals("scopes"u8))
                {
                    scopes = ReadStringArray(ref reader);
                }
                else if (reader.ValueTextEquals("client_id"u8))
                {
                    clientId = ReadString(ref reader);
                }
                else if (reader.ValueTextEquals("task_id"u8))
                {
                    taskId = ReadString(ref reader);
                }
                else if (reader.ValueTextEquals("orch_id"u8))
                {
                    orchId = ReadString(ref reader);
                }
                else if (reader.ValueTextEquals("exp"u8))
                {
                    exp = ReadTime(ref reader);
                }
                else if (reader.ValueTextEquals("nbf"u8))
                {
                    nbf = ReadTime(ref reader);
                }
                else if (reader.ValueTextEquals("iat"u8))
                {
                    iat = ReadTime(ref reader);
                }
                else if (reader.ValueTextEquals("delegation_chain"u8))
                {
                    chain = ReadChain(ref reader);
                }
                else if (reader.ValueTextEquals("app_id"u8))
                {
                    appId = ReadString(ref reader);
                }
                else if (reader.ValueTextEquals("chain_hash"u8))
                {
                    chainHash = ReadString(ref reader);
                }
                else if (reader.ValueTextEquals("aud"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.String)
                    {
                        aud = [reader.GetString()!];
                    }
                    else
                    {
                        aud = ReadStringArrayAfterStart(ref reader);
                    }
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or FormatException)
        {
            error = "payload claims are malformed";
            return false;
        }

        if (iss is null || sub is null || jti is null || exp is null || nbf is null || iat is null || aud is null || aud.Count == 0)
        {
            error = "required claim missing (iss, sub, aud, exp, nbf, iat, jti)";
            return false;
        }

        List<string> scopeList;
        if (scope is not null)
        {
            scopeList = [.. scope.Split(' ', StringSplitOptions.RemoveEmptyEntries)];
            if (scopes is not null && !SameSet(scopeList, scopes))
            {
                error = "scope and scopes claims disagree";
                return false;
            }
        }
        else
        {
            scopeList = scopes ?? [];
        }

        claims = new AccessTokenClaims
        {
            Issuer = iss,
            Subject = sub,
            Audience = aud,
            ExpiresAt = exp.Value,
            NotBefore = nbf.Value,
            IssuedAt = iat.Value,
            JwtId = jti,
            Scope = scopeList,
            ClientId = clientId,
            TaskId = taskId,
            OrchId = orchId,
            DelegationChain = chain ?? [],
            ChainHash = chainHash,
            AppId = appId,
        };
        error = null;
        return true;
    }

    private static List<DelegationRecord> ReadChain(ref Utf8JsonReader reader)
    {
        reader.Read();
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw new FormatException("delegation_chain must be an array");
        }

        var chain = new List<DelegationRecord>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.StartObject || chain.Count >= 64)
            {
                throw new FormatException("delegation_chain entries must be objects");
            }

            string? agent = null, at = null, signature = null, kid = null;
            List<string>? scope = null;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("agent"u8))
                {
                    agent = ReadString(ref reader);
                }
                else if (reader.ValueTextEquals("scope"u8))
                {
                    scope = ReadStringArray(ref reader);
                }
                else if (reader.ValueTextEquals("delegated_at"u8))
                {
                    at = ReadString(ref reader);
                }
                else if (reader.ValueTextEquals("signature"u8))
                {
                    signature = ReadString(ref reader);
                }
                else if (reader.ValueTextEquals("kid"u8))
                {
                    kid = ReadString(ref reader);
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }

            if (agent is null || scope is null || at is null)
            {
                throw new FormatException("delegation_chain entry incomplete");
            }

            chain.Add(new DelegationRecord(agent, scope, at, signature ?? "", kid ?? ""));
        }

        return chain;
    }

    private static bool SameSet(List<string> a, List<string> b)
    {
        var set = new HashSet<string>(a, StringComparer.Ordinal);
        return set.SetEquals(b);
    }

    private static string ReadString(ref Utf8JsonReader reader)
    {
        reader.Read();
        if (reader.TokenType != JsonTokenType.String)
        {
            throw new FormatException("expected a string");
        }

        return reader.GetString()!;
    }

    private static long ReadTime(ref Utf8JsonReader reader)
    {
        reader.Read();
        if (reader.TokenType != JsonTokenType.Number)
        {
            throw new FormatException("expected a number");
        }

        // NumericDate may carry a fraction (RFC 7519 §2); whole seconds are what we compare.
        if (reader.TryGetInt64(out long value))
        {
            return value;
        }

        double d = reader.GetDouble();
        if (double.IsNaN(d) || d > long.MaxValue || d < long.MinValue)
        {
            throw new FormatException("time out of range");
        }

        return (long)Math.Floor(d);
    }

    private static List<string> ReadStringArray(ref Utf8JsonReader reader)
    {
        reader.Read();
        return ReadStringArrayAfterStart(ref reader);
    }

    private static List<string> ReadStringArrayAfterStart(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw new FormatException("expected an array");
        }

        var list = new List<string>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.String)
            {
                throw new FormatException("expected strings");
            }

            list.Add(reader.GetString()!);
        }

        return list;
    }
}
