using System.Diagnostics;
using System.Net;

namespace Tessera.Client.Tests.Infrastructure;

/// <summary>Calls GET /orders back to back for a while and tallies the statuses; bounds the mints the refresh rule allows.</summary>
public static class CallLoop
{
    public static readonly TimeSpan Duration = TimeSpan.FromSeconds(20);

    public static async Task<Dictionary<HttpStatusCode, int>> RunAsync(HttpClient client)
    {
        var statuses = new Dictionary<HttpStatusCode, int>();
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < Duration)
        {
            using var response = await client.GetAsync("orders");
            statuses[response.StatusCode] = statuses.GetValueOrDefault(response.StatusCode) + 1;
            await Task.Delay(20);
        }

        return statuses;
    }

    /// <summary>
    /// The most mints <paramref name="elapsed"/> can take: a token is refreshed once it is due
    /// (<see cref="IssuedToken.RefreshAt"/>), never earlier, so one mint per refresh interval plus the first.
    /// </summary>
    public static int MostMints(TimeSpan elapsed, int tokenSeconds)
    {
        var now = DateTimeOffset.UnixEpoch;
        var interval = new IssuedToken("t", now, now.AddSeconds(tokenSeconds)).RefreshAt - now;
        return (int)Math.Floor(elapsed / interval) + 1;
    }

    /// <summary>The fewest: every token has to be replaced before it expires.</summary>
    public static int FewestMints(TimeSpan elapsed, int tokenSeconds) => (int)Math.Floor(elapsed.TotalSeconds / tokenSeconds);
}
