using System.Net.Http.Headers;
using System.Text;

namespace Tessera.ExchangeBench;

/// <summary>
/// One token endpoint to drive: where it is and the client_credentials request every worker
/// repeats (client_secret_basic, form body), prepared once so the loop only copies strings.
/// </summary>
internal sealed class ExchangeTarget : IDisposable
{
    private readonly AuthenticationHeaderValue _basic;
    private readonly string _form;
    private readonly string _path;

    public ExchangeTarget(string name, Uri baseAddress, string path, string clientId, string clientSecret, string scope, string resource, int concurrency)
    {
        Name = name;
        _path = path;
        // RFC 6749 §2.3.1: both halves form-url-encoded before the Basic encoding.
        string pair = Uri.EscapeDataString(clientId) + ":" + Uri.EscapeDataString(clientSecret);
        _basic = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(pair)));
        _form = "grant_type=client_credentials&scope=" + Uri.EscapeDataString(scope) + "&resource=" + Uri.EscapeDataString(resource);
        Http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = concurrency, PooledConnectionLifetime = Timeout.InfiniteTimeSpan })
        {
            BaseAddress = baseAddress,
        };
    }

    public string Name { get; }

    public HttpClient Http { get; }

    public HttpRequestMessage NewRequest()
    {
        var request = new HttpRequestMessage(HttpMethod.Post, _path)
        {
            Content = new StringContent(_form, Encoding.UTF8, "application/x-www-form-urlencoded"),
        };
        request.Headers.Authorization = _basic;
        return request;
    }

    public void Dispose() => Http.Dispose();
}
