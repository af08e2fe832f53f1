using System.Collections.Concurrent;
using Tessera.Storage.Revocations;
using Tessera.Tokens;

namespace Tessera.Broker.Revocation;

/// <summary>
/// The live revocation set, held in memory so a check is a hash probe, not a query. Loaded
/// from the store at start; every revocation is persisted before it enters the set.
/// </summary>
public sealed class RevocationList
{
    private readonly ConcurrentDictionary<(string Level, string Target), Entry> _entries = new();
    private readonly IRevocationStore _store;
    private readonly TimeProvider _time;
    private readonly RevocationFeed _feed;
    private readonly long _leewayMs;
    private long _cursor;

    /// <summary>Creates an empty list over <paramref name="store"/>.</summary>
    public RevocationList(IRevocationStore store, TimeProvider time, RevocationFeed feed, Microsoft.Extensions.Options.IOptions<Configuration.BrokerOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _store = store;
        _time = time;
        _feed = feed;
        _leewayMs = options.Value.RevocationEntryLeeway * 1000L;
    }

    /// <summary>
    /// How long an entry outlives the <c>exp</c> of the last token it matches: verifiers accept a token
    /// for a clock leeway after its <c>exp</c>, so an entry that ended at <c>exp</c> would let the
    /// token work again for that long (<c>TESSERA_REVOCATION_ENTRY_LEEWAY</c>).
    /// </summary>
    public long LeewayMs => _leewayMs;

    /// <summary>Number of live entries.</summary>
    public int Count => _entries.Count;

    /// <summary>Loads every unexpired entry from the store.</summary>
    public Task LoadAsync(CancellationToken cancellationToken) => ReadNewAsync(cancellationToken);

    /// <summary>
    /// Makes live the entries committed after the last one read, by any broker sharing the store,
    /// and wakes feed subscribers when there were any. Called by one loop at a time.
    /// </summary>
    public async Task CatchUpAsync(CancellationToken cancellationToken)
    {
        if (await ReadNewAsync(cancellationToken) > 0)
        {
            _feed.NotifyRevocation();
        }
    }

    private async Task<int> ReadNewAsync(CancellationToken cancellationToken)
    {
        long now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        int read = 0;
        while (true)
        {
            var page = await _store.ListAsync(_cursor, now, 1000, cancellationToken);
            foreach (var entry in page)
            {
                Put(entry.Level, entry.Target, new Entry(entry.ExpiresAtMs, entry.RevokedAtMs));
                _cursor = entry.Sequence;
            }

            read += page.Count;
            if (page.Count < 1000)
            {
                return read;
            }
        }
    }

    /// <summary>
    /// Persists a revocation, then makes it live and wakes feed subscribers. Idempotent: <c>Created</c> is false when it was already revoked.
    /// <paramref name="expiresAtMs"/> is when the last token it can match expires; the entry is kept <see cref="LeewayMs"/> longer.
    /// </summary>
    public async Task<(RevocationRecord Record, bool Created)> RevokeAsync(string level, string target, string reason, long expiresAtMs, CancellationToken cancellationToken)
    {
        expiresAtMs += _leewayMs;
        var record = new RevocationRecord
        {
            Level = level,
            Target = target,
            Reason = reason,
            RevokedAtMs = _time.GetUtcNow().ToUnixTimeMilliseconds(),
            ExpiresAtMs = expiresAtMs,
        };
        bool created = await _store.TryAddNewAsync(record, cancellationToken);
        var stored = await _store.AddAsync(record, cancellationToken);
        Put(level, target, new Entry(stored.ExpiresAtMs, stored.RevokedAtMs));
        _feed.NotifyRevocation();
        return (stored, created);
    }

    /// <summary>True when delegation chains rooted at the agent are revoked.</summary>
    public bool IsChainRevoked(string rootAgentId) => _entries.ContainsKey((RevocationLevel.Chain, rootAgentId));

    /// <summary>True when the task is revoked (no new token may carry it).</summary>
    public bool IsTaskRevoked(string taskId) => _entries.ContainsKey((RevocationLevel.Task, taskId));

    /// <summary>
    /// Revokes one token only if nothing revoked it before; false when another request got there
    /// first. Renewal uses this so that one token yields at most one successor.
    /// </summary>
    public async Task<bool> TryRevokeTokenOnceAsync(string jti, string reason, long expiresAtMs, CancellationToken cancellationToken)
    {
        expiresAtMs += _leewayMs;
        long now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        bool added = await _store.TryAddNewAsync(
            new RevocationRecord
            {
                Level = RevocationLevel.Token,
                Target = jti,
                Reason = reason,
                RevokedAtMs = now,
                ExpiresAtMs = expiresAtMs,
            },
            cancellationToken);
        Put(RevocationLevel.Token, jti, new Entry(expiresAtMs, now));
        if (added)
        {
            _feed.NotifyRevocation();
        }

        return added;
    }

    /// <summary>True when any live entry matches the token.</summary>
    public bool IsRevoked(AccessTokenClaims claims)
    {
        ArgumentNullException.ThrowIfNull(claims);
        if (_entries.IsEmpty)
        {
            return false;
        }

        return _entries.ContainsKey((RevocationLevel.Token, claims.JwtId)) ||
               AgentRevokedFor(claims.Subject, claims) ||
               AnyDelegatorRevoked(claims) ||
               (claims.TaskId is { } task && _entries.ContainsKey((RevocationLevel.Task, task))) ||
               (claims.ChainRoot is { } root && _entries.ContainsKey((RevocationLevel.Chain, root))) ||
               (claims.AppId is { } app && _entries.ContainsKey((RevocationLevel.App, app)));
    }

    // A delegated token acts for every agent in its chain: revoking or suspending any of them
    // ends the token, not only the subject's own ones.
    private bool AnyDelegatorRevoked(AccessTokenClaims claims)
    {
        var chain = claims.DelegationChain;
        for (int i = 0; i < chain.Count; i++)
        {
            if (AgentRevokedFor(chain[i].Agent, claims))
            {
                return true;
            }
        }

        return false;
    }

    // An agent entry ends the tokens issued at or before it (iat has whole seconds, so a token from
    // the same second counts as before). Nothing later can exist while the agent is suspended or
    // revoked, since neither may obtain tokens; so an unsuspended agent's new tokens work at once.
    private bool AgentRevokedFor(string agentId, AccessTokenClaims claims) =>
        _entries.TryGetValue((RevocationLevel.Agent, agentId), out var entry) && claims.IssuedAt * 1000 <= entry.RevokedAtMs;

    // Entries only grow: a repeat (another broker's, or a suspension after an unsuspension) keeps the
    // later revocation time and the later expiry.
    private void Put(string level, string target, Entry entry) =>
        _entries.AddOrUpdate((level, target), entry, (_, old) => new Entry(Math.Max(old.ExpiresAtMs, entry.ExpiresAtMs), Math.Max(old.RevokedAtMs, entry.RevokedAtMs)));

    /// <summary>Drops entries whose tokens have all expired, from memory and the store.</summary>
    public async Task PurgeAsync(CancellationToken cancellationToken)
    {
        long now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        foreach (var pair in _entries)
        {
            if (pair.Value.ExpiresAtMs <= now)
            {
                _entries.TryRemove(pair);
            }
        }

        await _store.PurgeExpiredAsync(now, cancellationToken);
    }

    private readonly record struct Entry(long ExpiresAtMs, long RevokedAtMs);
}
