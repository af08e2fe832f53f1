using Microsoft.Extensions.Logging;
using Tessera.AspNetCore.Diagnostics;
using Tessera.AspNetCore.Keys;

namespace Tessera.AspNetCore.Authentication;

/// <summary>
/// Warning lines for refusals whose fix is on the platform's or the broker's side (event ids
/// 5215–5218), each naming the values to change. Throttled: about one line a second per kind,
/// and one per failure episode for unavailable keys. The values are cut and sanitized by the
/// caller; the token itself is never logged.
/// </summary>
internal sealed partial class RefusalLog(ILogger logger, TimeProvider time)
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    private readonly LogThrottle _issuer = new(time, Interval);
    private readonly LogThrottle _audience = new(time, Interval);
    private readonly LogThrottle _unknownKey = new(time, Interval);
    private long _loggedEpisode;

    public void WrongIssuer(string detail)
    {
        if (_issuer.TryEnter())
        {
            LogWrongIssuer(logger, detail);
        }
    }

    public void WrongAudience(string detail)
    {
        if (_audience.TryEnter())
        {
            LogWrongAudience(logger, detail);
        }
    }

    public void UnknownKey(string detail)
    {
        if (_unknownKey.TryEnter())
        {
            LogUnknownKey(logger, detail);
        }
    }

    /// <summary>Logs the cache's failure once per failure episode.</summary>
    public void JwksUnavailable(JwksCache cache, TimeSpan retryAfter)
    {
        long episode = cache.FailureEpisode;
        if (Interlocked.Exchange(ref _loggedEpisode, episode) != episode)
        {
            LogJwksUnavailable(logger, cache.Uri.ToString(), cache.LastFailure ?? "no usable key", (int)retryAfter.TotalSeconds);
        }
    }

    [LoggerMessage(EventId = 5215, Level = LogLevel.Warning, Message = "Tessera refused a token with WRONG_ISSUER: {Detail}")]
    private static partial void LogWrongIssuer(ILogger logger, string detail);

    [LoggerMessage(EventId = 5216, Level = LogLevel.Warning, Message = "Tessera refused a token with WRONG_AUDIENCE: {Detail}")]
    private static partial void LogWrongAudience(ILogger logger, string detail);

    [LoggerMessage(EventId = 5217, Level = LogLevel.Warning, Message = "Tessera refused a token with INVALID_TOKEN: {Detail}")]
    private static partial void LogUnknownKey(ILogger logger, string detail);

    [LoggerMessage(EventId = 5218, Level = LogLevel.Warning,
        Message = "Tessera answers JWKS_UNAVAILABLE (503, Retry-After {RetryAfterSeconds} s): no usable key from {JwksUri}: {Cause}. Check that this platform reaches that URL and that the broker serves keys of the pinned Algorithm")]
    private static partial void LogJwksUnavailable(ILogger logger, string jwksUri, string cause, int retryAfterSeconds);
}
