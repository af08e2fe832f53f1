using System.Collections.Concurrent;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;
using Tessera.AspNetCore.Revocation;
using Tessera.AspNetCore.Tests.Infrastructure;
using static Tessera.AspNetCore.Tests.Infrastructure.FeedHelpers;

namespace Tessera.AspNetCore.Tests;

/// <summary>The revocation view's handling of the broker's <c>routes</c> event, and of events it does not know.</summary>
public sealed class RevocationViewRoutesEventTests
{
    [Fact]
    public async Task RoutesChanged_IsRaisedForAWellFormedRoutesEvent_AndOddOrUnknownEventsDoNotStopTheFeed()
    {
        var expires = TimeProvider.System.GetUtcNow().AddMinutes(10);
        await using var fake = await FakeFeedBroker.StartAsync();
        fake.Stream = async context =>
        {
            context.Response.ContentType = "text/event-stream";
            await context.Response.WriteAsync(
                "event: routes\ndata: not json\n\n" +
                "event: routes\ndata: {\"version\":4}\n\n" +
                "event: routes-of-the-future\ndata: {\"anything\":true}\n\n" +
                "event: routes\ndata: {\"platform_id\":\"orders-api\",\"version\":3}\n\n" +
                "id: 1\nevent: revocation\ndata: " + FakeFeedBroker.Entry(1, "token", "jti-after-routes", expires) + "\n\n",
                context.RequestAborted);
            await context.Response.Body.FlushAsync(context.RequestAborted);
            await Task.Delay(Timeout.Infinite, context.RequestAborted);
        };
        var (view, http) = StartView(fake.Url, TimeProvider.System, NullLogger.Instance);
        using var _ = http;
        using var __ = view;
        var changes = new ConcurrentQueue<RoutesChangedEventArgs>();
        view.RoutesChanged += (_, e) => changes.Enqueue(e);

        await view.EnsureStartedAsync(TimeSpan.FromSeconds(5));
        await WaitUntilAsync(() => view.Count == 1, "the revocation after the routes events is applied");

        var change = Assert.Single(changes);
        Assert.Equal("orders-api", change.PlatformId);
        Assert.Equal(3, change.Version);
        Assert.Equal(1, fake.Count("/v1/revocations/stream"));
    }

    [Fact]
    public async Task StreamConnected_IsRaisedOnEveryConnection_SoWhatWasAnnouncedMeanwhileCanBeAskedAgain()
    {
        await using var fake = await FakeFeedBroker.StartAsync();
        fake.Stream = async context =>
        {
            // The broker accepts, says one thing and hangs up: the view reconnects.
            context.Response.ContentType = "text/event-stream";
            await context.Response.WriteAsync(": fake\n\n", context.RequestAborted);
        };
        var (view, http) = StartView(fake.Url, TimeProvider.System, NullLogger.Instance);
        using var _ = http;
        using var __ = view;
        int connected = 0;
        view.StreamConnected += (_, _) => Interlocked.Increment(ref connected);

        await view.EnsureStartedAsync(TimeSpan.FromSeconds(5));
        await WaitUntilAsync(() => Volatile.Read(ref connected) >= 2, "the view says so again after reconnecting");

        Assert.True(fake.Count("/v1/revocations/stream") >= Volatile.Read(ref connected));
    }
}
