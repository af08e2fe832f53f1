using System.Net;
using System.Text;

namespace Tessera.Client.Tests;

/// <summary>The handler's retry and transport rules, over a scripted provider and a scripted platform.</summary>
public sealed class TokenHandlerTests
{
    [Theory]
    [InlineData("GET")]
    [InlineData("HEAD")]
    [InlineData("PUT")]
    [InlineData("DELETE")]
    [InlineData("OPTIONS")]
    public async Task SendAsync_RefreshesAndRetriesOnce_WhenAnIdempotentMethodGets401(string method)
    {
        var provider = new ScriptedProvider();
        var platform = new ScriptedPlatform(HttpStatusCode.Unauthorized, HttpStatusCode.OK);
        using var client = Client(provider, platform);

        using var response = await client.SendAsync(new HttpRequestMessage(new HttpMethod(method), "http://127.0.0.1/orders"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(["Bearer token-1", "Bearer token-2"], platform.Authorizations);
        Assert.Equal(["token-1"], provider.Rejected);
    }

    [Fact]
    public async Task SendAsync_ReturnsTheSecond401_WithoutAThirdAttempt()
    {
        var provider = new ScriptedProvider();
        var platform = new ScriptedPlatform(HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized, HttpStatusCode.OK);
        using var client = Client(provider, platform);

        using var response = await client.GetAsync("http://127.0.0.1/orders");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(2, platform.Authorizations.Count);
    }

    [Fact]
    public async Task SendAsync_DoesNotRetryAPost_WithoutAnIdempotencyKey_ButReplacesTheToken()
    {
        var provider = new ScriptedProvider();
        var platform = new ScriptedPlatform(HttpStatusCode.Unauthorized, HttpStatusCode.Created);
        using var client = Client(provider, platform);

        using var refused = await client.PostAsync("http://127.0.0.1/orders", new StringContent("{\"item\":\"a\"}", Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Single(platform.Authorizations);
        await WaitUntilAsync(() => provider.Rejected.Count == 1);
        using var next = await client.PostAsync("http://127.0.0.1/orders", new StringContent("{\"item\":\"b\"}", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Created, next.StatusCode);
        Assert.Equal("Bearer token-2", platform.Authorizations[1]);
    }

    [Fact]
    public async Task SendAsync_RetriesAPostOnce_WithTheSameBodyAndKey_WhenItCarriesAnIdempotencyKey()
    {
        var provider = new ScriptedProvider();
        var platform = new ScriptedPlatform(HttpStatusCode.Unauthorized, HttpStatusCode.Created);
        using var client = Client(provider, platform);
        using var request = new HttpRequestMessage(HttpMethod.Post, "http://127.0.0.1/orders")
        {
            // A stream body: the handler buffers it so it can be sent twice.
            Content = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes("{\"item\":\"a\"}"))),
        };
        request.Headers.Add("Idempotency-Key", "key-1");

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal(["{\"item\":\"a\"}", "{\"item\":\"a\"}"], platform.Bodies);
        Assert.Equal(["key-1", "key-1"], platform.IdempotencyKeys);
    }

    [Theory]
    [InlineData(HttpStatusCode.Forbidden)]
    [InlineData(HttpStatusCode.NotFound)]
    [InlineData(HttpStatusCode.TooManyRequests)]
    [InlineData(HttpStatusCode.InternalServerError)]
    public async Task SendAsync_ReturnsOtherStatuses_WithoutRetryOrException(HttpStatusCode status)
    {
        var provider = new ScriptedProvider();
        var platform = new ScriptedPlatform(status, HttpStatusCode.OK);
        using var client = Client(provider, platform);

        using var response = await client.GetAsync("http://127.0.0.1/orders");

        Assert.Equal(status, response.StatusCode);
        Assert.Single(platform.Authorizations);
        Assert.Empty(provider.Rejected);
    }

    [Fact]
    public async Task SendAsync_ThrowsTheProvidersError_WhenNoFreshTokenCanBeHad()
    {
        var provider = new ScriptedProvider { RefreshFailure = new TesseraRevokedException("agent_revoked: revoked", "agent_revoked", 400, "req-9", null, null) };
        var platform = new ScriptedPlatform(HttpStatusCode.Unauthorized, HttpStatusCode.OK);
        using var client = Client(provider, platform);

        var ex = await Assert.ThrowsAsync<TesseraRevokedException>(() => client.GetAsync("http://127.0.0.1/orders"));

        Assert.Equal("agent_revoked", ex.ErrorCode);
        Assert.Single(platform.Authorizations);
    }

    [Theory]
    [InlineData("http://orders.example.com/orders")]
    [InlineData("http://10.0.0.8/orders")]
    public async Task SendAsync_RefusesPlainHttp_ToANonLoopbackHost(string url)
    {
        var platform = new ScriptedPlatform(HttpStatusCode.OK);
        using var client = Client(new ScriptedProvider(), platform);

        await Assert.ThrowsAsync<TesseraConfigurationException>(() => client.GetAsync(url));
        Assert.Empty(platform.Authorizations);
    }

    [Fact]
    public async Task SendAsync_SendsPlainHttpToANonLoopbackHost_WhenAllowed()
    {
        var platform = new ScriptedPlatform(HttpStatusCode.OK);
        using var client = Client(new ScriptedProvider(), platform, new TesseraHandlerOptions { AllowInsecureHttp = true });

        using var response = await client.GetAsync("http://orders.internal/orders");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(["Bearer token-1"], platform.Authorizations);
    }

    [Fact]
    public async Task SendAsync_Throws_WhenNoPlatformServesTheHost()
    {
        var platform = new ScriptedPlatform(HttpStatusCode.OK);
        var provider = new ScriptedProvider { Hosts = [] };
        using var client = Client(provider, platform);

        var ex = await Assert.ThrowsAsync<TesseraConfigurationException>(() => client.GetAsync("https://elsewhere.example.com/orders"));

        Assert.Contains("https://elsewhere.example.com:443", ex.Message, StringComparison.Ordinal);
        Assert.Equal("origin_not_allowed", ex.ErrorCode);
        Assert.Empty(platform.Authorizations);
        Assert.Empty(provider.Audiences);
    }

    [Fact]
    public async Task SendAsync_UsesTheConfiguredAudience_WithoutAskingTheProvider_WhenTheOriginIsListed()
    {
        var provider = new ScriptedProvider { Hosts = [] };
        var platform = new ScriptedPlatform(HttpStatusCode.OK);
        var options = new TesseraHandlerOptions { Audience = "billing-api" };
        options.AllowedOrigins.Add(new Uri("https://billing.example.com/api/"));
        using var client = Client(provider, platform, options);

        using var response = await client.GetAsync("https://BILLING.example.com:443/invoices");

        Assert.Equal(["billing-api"], provider.Audiences);
        Assert.Empty(provider.Asked);
        Assert.Equal(["Bearer token-1"], platform.Authorizations);
    }

    [Theory]
    [InlineData("https://billing.example.com:8443/invoices")]
    [InlineData("http://billing.example.com/invoices")]
    [InlineData("https://billing.example.com.evil.test/invoices")]
    [InlineData("https://evil.test/invoices")]
    public async Task SendAsync_RefusesTheConfiguredAudience_WhenTheOriginIsNotListedNorServedByIt(string url)
    {
        var provider = new ScriptedProvider { Hosts = [] };
        var platform = new ScriptedPlatform(HttpStatusCode.OK);
        var options = new TesseraHandlerOptions { Audience = "billing-api", AllowInsecureHttp = true };
        options.AllowedOrigins.Add(new Uri("https://billing.example.com"));
        using var client = Client(provider, platform, options);

        var ex = await Assert.ThrowsAsync<TesseraConfigurationException>(() => client.GetAsync(url));

        Assert.Equal("origin_not_allowed", ex.ErrorCode);
        Assert.Empty(platform.Authorizations);
        Assert.Empty(provider.Audiences);
    }

    [Theory]
    [InlineData("ftp://orders.example.com/")]
    [InlineData("https://user:pass@orders.example.com/")]
    public void Constructor_RefusesAnAllowedOrigin_ThatIsNotAPlainHttpUrl(string url)
    {
        var options = new TesseraHandlerOptions();
        options.AllowedOrigins.Add(new Uri(url));

        var ex = Assert.Throws<TesseraConfigurationException>(() => new TesseraTokenHandler(new ScriptedProvider(), options));

        Assert.Equal("invalid_allowed_origin", ex.ErrorCode);
        Assert.DoesNotContain("pass", ex.Message, StringComparison.Ordinal);
    }

    private static HttpClient Client(ScriptedProvider provider, ScriptedPlatform platform, TesseraHandlerOptions? options = null) =>
        new(new TesseraTokenHandler(provider, options) { InnerHandler = platform });

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met in 10 s");
            await Task.Delay(5);
        }
    }

    /// <summary>Hands out token-1, token-2, …: a fresh one on every refresh.</summary>
    private sealed class ScriptedProvider : ITesseraTokenProvider
    {
        private int _version = 1;

        public HashSet<string> Hosts { get; init; } = ["127.0.0.1", "orders.internal"];

        public Exception? RefreshFailure { get; init; }

        public List<string> Rejected { get; } = [];

        public List<string> Audiences { get; } = [];

        public List<(string Origin, bool Listed)> Asked { get; } = [];

        public ValueTask<string?> AudienceForOriginAsync(Uri origin, bool listed, CancellationToken cancellationToken)
        {
            lock (Asked)
            {
                Asked.Add((origin.GetLeftPart(UriPartial.Authority) + ":" + origin.Port, listed));
            }

            return ValueTask.FromResult(listed || Hosts.Contains(origin.Host) ? "orders-api" : null);
        }

        public ValueTask<string> GetTokenAsync(string audience, CancellationToken cancellationToken)
        {
            lock (Audiences)
            {
                Audiences.Add(audience);
            }

            return ValueTask.FromResult($"token-{Volatile.Read(ref _version)}");
        }

        public Task<string> RefreshAsync(string audience, string rejected, CancellationToken cancellationToken)
        {
            lock (Rejected)
            {
                Rejected.Add(rejected);
            }

            if (RefreshFailure is { } failure)
            {
                return Task.FromException<string>(failure);
            }

            return Task.FromResult($"token-{Interlocked.Increment(ref _version)}");
        }
    }

    /// <summary>Answers the scripted statuses in turn (the last one repeats) and records what it received.</summary>
    private sealed class ScriptedPlatform(params HttpStatusCode[] statuses) : HttpMessageHandler
    {
        private int _next;

        public List<string> Authorizations { get; } = [];

        public List<string> Bodies { get; } = [];

        public List<string> IdempotencyKeys { get; } = [];

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Authorizations.Add(request.Headers.Authorization?.ToString() ?? "");
            if (request.Content is not null)
            {
                Bodies.Add(await request.Content.ReadAsStringAsync(cancellationToken));
            }

            if (request.Headers.TryGetValues("Idempotency-Key", out var keys))
            {
                IdempotencyKeys.Add(keys.Single());
            }

            var status = statuses[Math.Min(_next++, statuses.Length - 1)];
            return new HttpResponseMessage(status) { RequestMessage = request };
        }
    }
}
