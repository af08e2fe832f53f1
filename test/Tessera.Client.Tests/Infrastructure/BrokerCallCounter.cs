using System.Collections.Concurrent;

namespace Tessera.Client.Tests.Infrastructure;

/// <summary>A broker handler for the SDK that counts the requests it sends, per path (it never follows redirects).</summary>
public sealed class BrokerCallCounter() : DelegatingHandler(new SocketsHttpHandler { AllowAutoRedirect = false })
{
    private readonly ConcurrentDictionary<string, int> _calls = new(StringComparer.Ordinal);

    public int this[string path] => _calls.GetValueOrDefault(path);

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        _calls.AddOrUpdate(request.RequestUri!.AbsolutePath, 1, (_, n) => n + 1);
        return base.SendAsync(request, cancellationToken);
    }
}
