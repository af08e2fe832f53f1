using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Tessera.AspNetCore.Revocation;
using Tessera.AspNetCore.Tests.Infrastructure;
using Tessera.Tokens;
using static Tessera.AspNetCore.Tests.Infrastructure.FeedHelpers;

namespace Tessera.AspNetCore.Tests;

/// <summary>
/// The revocation view stays bounded whatever the broker's feed brings (security findings 18.1,
/// 18.5, 18.7a, 18.4 verifier half): expired entries are swept, their number is capped, oversized
/// lines and pages are refused, the start-up wait happens once, and an entry outlives its
/// <c>expires_at</c> by the verifier's leeway.
/// </summary>
public sealed class RevocationViewBoundsTests
{
    private static readonly DateTimeOffset FarFuture = DateTimeOffset.UtcNow.AddHours(1);

    // The broker keeps a renewed or released token's entry until exp plus its own leeway (18.4, broker half; default 60 s).
    private const int BrokerLeeway = 60;

    // 18.1: every renewal adds a feed entry; the view held them all forever.
    [Fact]
    public async Task RevocationView_ReturnsToItsLiveSize_WhenManyRenewedTokensExpire()
    {
        await using var broker = await TesseraBroker.StartAsync();
        var clock = new FakeTimeProvider(TimeProvider.System.GetUtcNow());
        await using var api = await ProtectedApi.StartAsync(broker.Url, time: clock);
        string token = await broker.TokenAsync(["orders:read"]);
        Assert.Equal(HttpStatusCode.OK, (await GetOrdersAsync(api, token)).StatusCode);
        var view = ViewOf(api);

        // One long-lived entry (an agent revoked for the broker's longest token lifetime) stays live throughout.
        string bystander = await broker.TokenAsync(["orders:read"]);
        await PostAsync(broker, "/v1/revoke", await broker.AdminTokenAsync(), new { level = "agent", target = Claim(bystander, "sub") });
        const int renewals = 400;
        for (int i = 0; i < renewals; i++)
        {
            token = (await PostAsync(broker, "/v1/token/renew", token))!["access_token"]!.GetValue<string>();
        }

        await WaitUntilAsync(() => view.Count == renewals + 1, $"the view holds {renewals + 1} entries (has {view.Count})");
        Assert.Equal(renewals + 1, EntriesGauge(broker.Url));

        // Every renewed token's entry ends at its exp plus the broker's leeway; past that, the verifier's
        // own 30 s leeway and one sweep, only the live one is left.
        clock.SetUtcNow(DateTimeOffset.FromUnixTimeSeconds(NumericClaim(token, "exp")).AddSeconds(BrokerLeeway + 30 + 11));

        await WaitUntilAsync(() => view.Count == 1, $"the view is back to its 1 live entry (has {view.Count})");
        Assert.Equal(1, EntriesGauge(broker.Url));
        Assert.True(view.IsRevoked(Claims(Claim(bystander, "sub"), "any")));
    }

    // 18.4 (verifier half): the verifier accepts until exp + its leeway, so it keeps every entry that long past
    // the entry's own end, whatever leeway the broker gave it.
    [Fact]
    public async Task GetOrders_Returns401TokenRevoked_WhenAReleasedTokenIsPastExpButWithinTheLeeway()
    {
        await using var broker = await TesseraBroker.StartAsync();
        string token = await broker.TokenAsync(["orders:read"]);
        await PostAsync(broker, "/v1/token/release", token, status: 204);
        long exp = NumericClaim(token, "exp");
        var clock = new FakeTimeProvider(DateTimeOffset.FromUnixTimeSeconds(exp + 10));
        await using var api = await ProtectedApi.StartAsync(broker.Url, time: clock);

        var response = await GetOrdersAsync(api, token);

        await Refusal.Assert401Async(response, "TOKEN_REVOKED", "invalid_token");

        // Past exp + leeway the entry goes (the token is refused as expired anyway).
        clock.SetUtcNow(DateTimeOffset.FromUnixTimeSeconds(exp + BrokerLeeway + 31));
        ViewOf(api).SweepExpired();
        Assert.Equal(0, ViewOf(api).Count);
        await Refusal.Assert401Async(await GetOrdersAsync(api, token), "EXPIRED_TOKEN", "invalid_token");
    }

    // 18.4 (verifier half) on its own: a broker whose entry ends at the token's exp (as before the
    // broker kept the leeway) still cannot make the token good again inside the verifier's leeway.
    [Fact]
    public async Task IsRevoked_StaysTrueUntilExpiresAtPlusTheVerifiersLeeway_WhenTheBrokersEntryEndsAtExp()
    {
        var exp = DateTimeOffset.FromUnixTimeSeconds(TimeProvider.System.GetUtcNow().ToUnixTimeSeconds() + 600);
        await using var fake = await FakeFeedBroker.StartAsync();
        fake.Poll = context => FakeFeedBroker.WritePageAsync(context, FakeFeedBroker.Entry(1, "token", "jti-released", exp));
        var clock = new FakeTimeProvider(exp.AddSeconds(10));
        var (view, http) = StartView(fake.Url, clock, NullLogger.Instance, new RevocationViewOptions { ClockSkew = TimeSpan.FromSeconds(30) });
        using var _ = http;
        using var __ = view;
        await view.EnsureStartedAsync(TimeSpan.FromSeconds(5));
        await WaitUntilAsync(() => view.Count == 1, "the view applied the entry");
        var claims = Claims("spiffe://tessera.test/agent/o/t/1", "jti-released");

        Assert.True(view.IsRevoked(claims));
        clock.SetUtcNow(exp.AddSeconds(29));
        Assert.True(view.IsRevoked(claims));
        clock.SetUtcNow(exp.AddSeconds(31));
        view.SweepExpired();
        Assert.False(view.IsRevoked(claims));
        Assert.Equal(0, view.Count);
    }

    // 18.5: one endless line on the stream grew the platform to gigabytes.
    [Fact]
    public async Task RevocationView_DropsTheStreamAndKeepsItsState_WhenTheBrokerSendsAnEndlessLine()
    {
        await using var fake = await FakeFeedBroker.StartAsync();
        fake.Poll = context => FakeFeedBroker.WritePageAsync(context, FakeFeedBroker.Entry(1, "token", "jti-kept", FarFuture));
        var written = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        fake.Stream = async context =>
        {
            context.Response.ContentType = "text/event-stream";
            written.TrySetResult(await FakeFeedBroker.WriteEndlessAsync(context, "id: 2\nevent: revocation\ndata: ", 64L * 1024 * 1024));
        };
        var logs = new CapturedLogs();
        var counting = new ReadCountingHandler();
        var (view, http) = StartView(fake.Url, TimeProvider.System, logs.CreateLogger("Tessera.Revocation"), handler: counting);
        using var _ = http;
        using var __ = view;

        await view.EnsureStartedAsync(TimeSpan.FromSeconds(10));
        await written.Task.WaitAsync(TimeSpan.FromSeconds(60));
        long bytes = counting.BytesRead;

        // The verifier stopped reading at its 64 KiB line bound (plus one read buffer), not after 64 MiB.
        Assert.True(bytes < 4L * 1024 * 1024, $"the verifier read {bytes} bytes of a 64 MiB line");
        Assert.Equal(1, view.Count);
        Assert.Equal(1, view.Cursor);
        Assert.True(view.IsRevoked(Claims("spiffe://t/agent/a", "jti-kept")));
        await WaitUntilAsync(() => logs.Lines.Any(l => l.Id.Id == 5101 && l.Text.Contains(nameof(InvalidDataException), StringComparison.Ordinal)), "the interruption is logged");
    }

    // 18.5: a page without end, likewise.
    [Fact]
    public async Task RevocationView_RefusesThePageAndKeepsItsState_WhenTheBrokerSendsAnEndlessPage()
    {
        await using var fake = await FakeFeedBroker.StartAsync();
        int polls = 0;
        var written = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        fake.Poll = async context =>
        {
            if (Interlocked.Increment(ref polls) == 1)
            {
                await FakeFeedBroker.WritePageAsync(context, FakeFeedBroker.Entry(1, "token", "jti-kept", FarFuture));
                return;
            }

            context.Response.ContentType = "application/json";
            written.TrySetResult(await FakeFeedBroker.WriteEndlessAsync(context, "{\"entries\":[],\"pad\":\"", 64L * 1024 * 1024));
        };

        // The stream ends at once, so the view polls again.
        fake.Stream = _ => Task.CompletedTask;
        var logs = new CapturedLogs();
        var counting = new ReadCountingHandler();
        var (view, http) = StartView(fake.Url, TimeProvider.System, logs.CreateLogger("Tessera.Revocation"), handler: counting);
        using var _ = http;
        using var __ = view;

        await view.EnsureStartedAsync(TimeSpan.FromSeconds(10));
        await written.Task.WaitAsync(TimeSpan.FromSeconds(60));
        long bytes = counting.BytesRead;

        Assert.True(bytes < 4L * 1024 * 1024, $"the verifier read {bytes} bytes of a 64 MiB page");
        Assert.Equal(1, view.Count);
        Assert.Equal(1, view.Cursor);
        Assert.True(view.IsRevoked(Claims("spiffe://t/agent/a", "jti-kept")));
        await WaitUntilAsync(() => logs.Lines.Any(l => l.Id.Id == 5101 && l.Text.Contains(nameof(InvalidDataException), StringComparison.Ordinal)), "the refusal is logged");
    }

    // 18.1: the hard cap — a feed full of live entries cannot grow the view past it.
    [Fact]
    public async Task RevocationView_StopsAtItsCapAndGoesStale_WhenTheFeedBringsMoreLiveEntries()
    {
        await using var fake = await FakeFeedBroker.StartAsync();
        fake.Poll = context => FakeFeedBroker.WritePageAsync(context, string.Join(",", Enumerable.Range(1, 5).Select(i => FakeFeedBroker.Entry(i, "token", "jti-" + i, FarFuture))));
        var logs = new CapturedLogs();
        var (view, http) = StartView(fake.Url, TimeProvider.System, logs.CreateLogger("Tessera.Revocation"), new RevocationViewOptions { MaxEntries = 3 });
        using var _ = http;
        using var __ = view;

        await view.EnsureStartedAsync(TimeSpan.FromMilliseconds(200));
        await WaitUntilAsync(() => fake.Count("/v1/revocations") >= 3, "the view retried");

        Assert.Equal(3, view.Count);
        Assert.True(view.IsFull);
        Assert.Equal(3, view.Cursor);

        // It never synced past the cap: as stale as can be, so the staleness rule refuses older tokens.
        Assert.True(view.Staleness > TimeSpan.FromDays(1));
        Assert.Single(logs.Lines, l => l.Id.Id == 5104);
    }

    // 18.7a: while the feed never synced, every request waited the full start-up wait.
    [Fact]
    public async Task EnsureStartedAsync_DoesNotWaitAgain_WhenTheStartupWaitIsOverWithoutASync()
    {
        var clock = new FakeTimeProvider(TimeProvider.System.GetUtcNow());

        // Nothing listens on the discard port: the broker is unreachable.
        var (view, http) = StartView("http://127.0.0.1:9", clock, NullLogger.Instance);
        using var _ = http;
        using var __ = view;

        var first = view.EnsureStartedAsync(TimeSpan.FromSeconds(2));
        Assert.False(first.IsCompleted);
        clock.Advance(TimeSpan.FromSeconds(2));
        await first.WaitAsync(TimeSpan.FromSeconds(20));

        var second = view.EnsureStartedAsync(TimeSpan.FromSeconds(2));

        Assert.True(second.IsCompleted, "the second caller waited again");
    }

    // 18.7a over HTTP: the second request is answered by the staleness rule at once.
    [Fact]
    public async Task GetOrders_IsAnsweredByTheStalenessRuleWithoutWaiting_WhenTheFeedNeverSynced()
    {
        using var issuer = new TestIssuer();
        await using var fake = await FakeFeedBroker.StartAsync(issuer);
        fake.Poll = context =>
        {
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            return Task.CompletedTask;
        };
        var clock = new FakeTimeProvider(TimeProvider.System.GetUtcNow());
        await using var api = await ProtectedApi.StartAsync(fake.Url, TestIssuer.Url, TestIssuerApi.Scopes, clock, o =>
        {
            o.Algorithm = "RS256";
            o.RevocationStartupWait = TimeSpan.FromMinutes(10);
            o.RevocationMaxStaleness = TimeSpan.FromHours(1);
        });
        long now = clock.GetUtcNow().ToUnixTimeSeconds();
        var fresh = TestIssuer.Claims();
        fresh["exp"] = now + 7200;
        var old = TestIssuer.Claims();
        old["iat"] = now - 7200;
        old["nbf"] = now - 7200;
        old["exp"] = now + 7200;

        // The first request waits the start-up wait (on the API's clock), once.
        var first = GetOrdersAsync(api, issuer.Sign(fresh));
        while (!first.IsCompleted)
        {
            clock.Advance(TimeSpan.FromMinutes(1));
            await Task.WhenAny(first, Task.Delay(50));
        }

        Assert.Equal(HttpStatusCode.OK, (await first).StatusCode);

        // No clock moves now: a request that waited again would never complete.
        var second = await GetOrdersAsync(api, issuer.Sign(fresh)).WaitAsync(TimeSpan.FromSeconds(30));
        var older = await GetOrdersAsync(api, issuer.Sign(old)).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        var body = await Refusal.Assert401Async(older, "TOKEN_REVOKED", "invalid_token");
        Assert.Contains("stale", body["message"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    internal static AccessTokenClaims Claims(string subject, string jti, IReadOnlyList<DelegationRecord>? chain = null) => new()
    {
        Issuer = "https://issuer.test",
        Subject = subject,
        Audience = ["orders-api"],
        ExpiresAt = FarFuture.ToUnixTimeSeconds(),
        NotBefore = 0,
        IssuedAt = 0,
        JwtId = jti,
        Scope = ["orders:read"],
        DelegationChain = chain ?? [],
    };
}
