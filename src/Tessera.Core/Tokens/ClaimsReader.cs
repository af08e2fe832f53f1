using System.Diagnostics.CodeAnalysis;
using System.Text;
using System.Text.Json;

namespace Tessera.Tokens;

/// <summary>Reads a verified JWT payload into <see cref="AccessTokenClaims"/> with one forward pass.</summary>
internal static class ClaimsReader
{
    // Throws on invalid UTF-8 instead of substituting U+FFFD, as Utf8JsonReader.GetString does.
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static bool TryRead(ReadOnlySpan<byte> json, KnownClaimValues known, [NotNullWhen(true)] out AccessTokenClaims? claims, [NotNullWhen(false)] out string? error)
    {
        claims = null;
        string? iss = null, sub = null, jti = null, clientId = null, taskId = null, orchId = null;
        long? exp = null, nbf = null, iat = null;
        List<string>? aud = null;
        List<string>? scope = null;
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
                switch (NameOf(ref reader))
                {
                    case Claim.Iss:
                        iss = ReadKnownString(ref reader, known);
                        break;
                    case Claim.Sub:
                        sub = ReadString(ref reader);
                        break;
                    case Claim.Jti:
                        jti = ReadString(ref reader);
                        break;
                    case Claim.Scope:
                        scope = ReadScope(ref reader);
                        break;
                    case Claim.Scopes:
                        scopes = ReadStringArray(ref reader);
                        break;
                    case Claim.ClientId:
                        clientId = ReadString(ref reader);
                        break;
                    case Claim.TaskId:
                        taskId = ReadString(ref reader);
                        break;
                    case Claim.OrchId:
                        orchId = ReadString(ref reader);
                        break;
                    case Claim.Exp:
                        exp = ReadTime(ref reader);
                        break;
                    case Claim.Nbf:
                        nbf = ReadTime(ref reader);
                        break;
                    case Claim.Iat:
                        iat = ReadTime(ref reader);
                        break;
                    case Claim.DelegationChain:
                        chain = ReadChain(ref reader);
                        break;
                    case Claim.AppId:
                        appId = ReadString(ref reader);
                        break;
                    case Claim.ChainHash:
                        chainHash = ReadString(ref reader);
                        break;
                    case Claim.Aud:
                        reader.Read();
                        aud = reader.TokenType == JsonTokenType.String ? [Known(ref reader, known)] : ReadStringArrayAfterStart(ref reader, known);
                        break;
                    default:
                        reader.Read();
                        reader.Skip();
                        break;
                }
            }
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or FormatException or DecoderFallbackException)
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
            scopeList = scope;
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

    // Property names dispatched by length and bytes rather than a chain of comparisons (this runs
    // for every claim of every token the uncached path verifies). An escaped name is unescaped first.
    private static Claim NameOf(ref Utf8JsonReader reader)
    {
        if (!reader.ValueIsEscaped)
        {
            return Classify(reader.ValueSpan);
        }

        // The longest name we read (16 bytes) is at most 96 when every character is escaped.
        if (reader.ValueSpan.Length > 128)
        {
            return Claim.Other;
        }

        Span<byte> unescaped = stackalloc byte[128];
        int length = reader.CopyString(unescaped);
        return Classify(unescaped[..length]);
    }

    private static Claim Classify(ReadOnlySpan<byte> name) => name.Length switch
    {
        3 => (name[0], name[1], name[2]) switch
        {
            ((byte)'i', (byte)'s', (byte)'s') => Claim.Iss,
            ((byte)'s', (byte)'u', (byte)'b') => Claim.Sub,
            ((byte)'a', (byte)'u', (byte)'d') => Claim.Aud,
            ((byte)'e', (byte)'x', (byte)'p') => Claim.Exp,
            ((byte)'n', (byte)'b', (byte)'f') => Claim.Nbf,
            ((byte)'i', (byte)'a', (byte)'t') => Claim.Iat,
            ((byte)'j', (byte)'t', (byte)'i') => Claim.Jti,
            _ => Claim.Other,
        },
        5 when name.SequenceEqual("scope"u8) => Claim.Scope,
        6 when name.SequenceEqual("scopes"u8) => Claim.Scopes,
        6 when name.SequenceEqual("app_id"u8) => Claim.AppId,
        7 when name.SequenceEqual("task_id"u8) => Claim.TaskId,
        7 when name.SequenceEqual("orch_id"u8) => Claim.OrchId,
        9 when name.SequenceEqual("client_id"u8) => Claim.ClientId,
        10 when name.SequenceEqual("chain_hash"u8) => Claim.ChainHash,
        16 when name.SequenceEqual("delegation_chain"u8) => Claim.DelegationChain,
        _ => Claim.Other,
    };

    private static string ReadKnownString(ref Utf8JsonReader reader, KnownClaimValues known)
    {
        reader.Read();
        if (reader.TokenType != JsonTokenType.String)
        {
            throw new FormatException("expected a string");
        }

        return Known(ref reader, known);
    }

    // The configured issuer or audience, when the value is one of them, without a new string.
    private static string Known(ref Utf8JsonReader reader, KnownClaimValues known) =>
        !reader.ValueIsEscaped && known.Find(reader.ValueSpan) is { } value ? value : reader.GetString()!;

    // The space-delimited scope claim, split straight from the token's bytes.
    private static List<string> ReadScope(ref Utf8JsonReader reader)
    {
        reader.Read();
        if (reader.TokenType != JsonTokenType.String)
        {
            throw new FormatException("expected a string");
        }

        if (reader.ValueIsEscaped)
        {
            return [.. reader.GetString()!.Split(' ', StringSplitOptions.RemoveEmptyEntries)];
        }

        var rest = reader.ValueSpan;
        var list = new List<string>(rest.Count((byte)' ') + 1);
        while (!rest.IsEmpty)
        {
            int space = rest.IndexOf((byte)' ');
            var part = space < 0 ? rest : rest[..space];
            if (!part.IsEmpty)
            {
                list.Add(Utf8.GetString(part));
            }

            rest = space < 0 ? default : rest[(space + 1)..];
        }

        return list;
    }

    private static List<string> ReadStringArray(ref Utf8JsonReader reader)
    {
        reader.Read();
        return ReadStringArrayAfterStart(ref reader, null);
    }

    private static List<string> ReadStringArrayAfterStart(ref Utf8JsonReader reader, KnownClaimValues? known)
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

            list.Add(known is null ? reader.GetString()! : Known(ref reader, known));
        }

        return list;
    }

    private enum Claim
    {
        Other,
        Iss,
        Sub,
        Aud,
        Exp,
        Nbf,
        Iat,
        Jti,
        Scope,
        Scopes,
        ClientId,
        TaskId,
        OrchId,
        AppId,
        ChainHash,
        DelegationChain,
    }
}
