using System.Collections.Concurrent;

namespace Tessera.Client.Tests.Infrastructure;

/// <summary>One request the SDK sent to the broker: its path, its <c>Authorization</c> scheme and its body.</summary>
public sealed record BrokerCall(string Path, string? AuthorizationScheme, string Body);

/// <summary>A broker handler for the SDK that counts the requests it sends, per path, and records them (it never follows redirects).</summary>
public sealed class BrokerCallCounter() : DelegatingHandler(new SocketsHttpHandler { AllowAutoRedirect = false })
{
    private readonly ConcurrentDictionary<string, int> _calls = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<BrokerCall> _seen = new();

    public int this[string path] => _calls.GetValueOrDefault(path);

    public IReadOnlyList<BrokerCall> Seen => [.. _seen];

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        _calls.AddOrUpdate(request.RequestUri!.AbsolutePath, 1, (_, n) => n + 1);
        string body = request.Content is null ? "" : await request.Content.ReadAsStringAsync(cancellationToken);
        _seen.Enqueue(new BrokerCall(request.RequestUri.AbsolutePath, request.Headers.Authorization?.Scheme, body));
        return await base.SendAsync(request, cancellationToken);
    }
}
