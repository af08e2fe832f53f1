using System.Collections.Concurrent;
using Tessera.Tokens;

namespace Tessera.AspNetCore.Revocation;

/// <summary>
/// The live revocation entries, bounded: each is held until its <c>expires_at</c> plus the
/// verifier's leeway (the token it matches is accepted that long), then swept; a new entry that
/// finds the set full of live ones is refused, never stored. One writer (the feed follower) and
/// one sweeper; any number of readers. A check is a few hash probes and allocates nothing.
/// </summary>
internal sealed class RevocationSet(long skewMs, int maxEntries)
{
    // The levels the broker writes; an entry of any other level can match nothing and is not kept.
    private const string Token = "token";
    private const string Agent = "agent";
    private const string Task = "task";
    private const string Chain = "chain";
    private const string App = "app";

    private readonly ConcurrentDictionary<(string Level, string Target), Entry> _entries = new();
    private long _count;

    /// <summary>Entries held (live, or expired since the last sweep).</summary>
    public long Count => Interlocked.Read(ref _count);

    /// <summary>True while a new entry would find room without a sweep.</summary>
    public bool HasRoom => Interlocked.Read(ref _count) < maxEntries;

    /// <summary>True when a live entry matches the token, its agent, any agent of its delegation chain, its task, chain or app.</summary>
    public bool Matches(AccessTokenClaims claims, long nowMs)
    {
        if (Interlocked.Read(ref _count) == 0)
        {
            return false;
        }

        if (Live((Token, claims.JwtId), nowMs) || AgentLive(claims.Subject, claims, nowMs) ||
            (claims.TaskId is { } task && Live((Task, task), nowMs)) ||
            (claims.AppId is { } app && Live((App, app), nowMs)))
        {
            return true;
        }

        // Revoking an agent kills every chain it started or sits in, not only the tokens it holds.
        var chain = claims.DelegationChain;
        for (int i = 0; i < chain.Count; i++)
        {
            if (AgentLive(chain[i].Agent, claims, nowMs))
            {
                return true;
            }
        }

        return chain.Count > 0 && Live((Chain, chain[0].Agent), nowMs);
    }

    /// <summary>
    /// Adds an entry ending at <paramref name="expiresAtMs"/>, or moves a held one's end and revocation time
    /// forward (the broker sends an entry again, under a new sequence number, when it is revoked again);
    /// false when the set is full of live entries.
    /// </summary>
    public bool TryApply(string level, string target, long revokedAtMs, long expiresAtMs, long nowMs)
    {
        string? known = level switch
        {
            Token => Token,
            Agent => Agent,
            Task => Task,
            Chain => Chain,
            App => App,
            _ => null,
        };
        long until = expiresAtMs > long.MaxValue - skewMs ? long.MaxValue : expiresAtMs + skewMs;
        if (known is null || until <= nowMs)
        {
            // Nothing it could match is still accepted: the entry needs no room.
            return true;
        }

        var key = (known, target);
        while (true)
        {
            if (_entries.TryGetValue(key, out var old))
            {
                var merged = new Entry(Math.Max(until, old.Until), Math.Max(revokedAtMs, old.RevokedAtMs));
                if (merged == old || _entries.TryUpdate(key, merged, old))
                {
                    return true;
                }

                continue;
            }

            if (Interlocked.Read(ref _count) >= maxEntries && (Sweep(nowMs) == 0 || Interlocked.Read(ref _count) >= maxEntries))
            {
                return false;
            }

            if (_entries.TryAdd(key, new Entry(until, revokedAtMs)))
            {
                Interlocked.Increment(ref _count);
                return true;
            }
        }
    }

    /// <summary>Removes every entry no longer live at <paramref name="nowMs"/>; returns how many.</summary>
    public int Sweep(long nowMs)
    {
        int removed = 0;
        foreach (var entry in _entries)
        {
            // Removed only if unchanged: an entry the feed just extended stays.
            if (entry.Value.Until <= nowMs && _entries.TryRemove(entry))
            {
                Interlocked.Decrement(ref _count);
                removed++;
            }
        }

        return removed;
    }

    private bool Live((string, string) key, long nowMs) => _entries.TryGetValue(key, out var entry) && entry.Until > nowMs;

    // An agent entry ends the tokens issued at or before it (iat has whole seconds, so a token of the
    // same second counts as before): the broker issues the agent none while it is suspended or
    // revoked, so a token issued later comes after an unsuspension and stays valid.
    private bool AgentLive(string agentId, AccessTokenClaims claims, long nowMs) =>
        _entries.TryGetValue((Agent, agentId), out var entry) && entry.Until > nowMs && claims.IssuedAt * 1000 <= entry.RevokedAtMs;

    private readonly record struct Entry(long Until, long RevokedAtMs);
}
