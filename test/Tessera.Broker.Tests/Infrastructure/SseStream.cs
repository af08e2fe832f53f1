using System.Text;
using System.Threading.Channels;

namespace Tessera.Broker.Tests.Infrastructure;

/// <summary>One Server-Sent Event as received.</summary>
public sealed record SseEvent(string? Id, string Event, string Data);

/// <summary>
/// A Server-Sent Events subscription read on a background task, line by line, as a verifier
/// would: events are queued as soon as their terminating blank line arrives.
/// </summary>
public sealed class SseStream : IAsyncDisposable
{
    private readonly HttpResponseMessage _response;
    private readonly CancellationTokenSource _stop = new();
    private readonly Channel<SseEvent> _events = Channel.CreateUnbounded<SseEvent>();
    private readonly Task _reader;

    private SseStream(HttpResponseMessage response, Stream body)
    {
        _response = response;

        // The reader is made here, not on the task: a stream disposed before the task starts must
        // end the task quietly, not make it throw "stream was not readable".
        var reader = new StreamReader(body, Encoding.UTF8);
        _reader = Task.Run(() => ReadAsync(reader));
    }

    public HttpResponseMessage Response => _response;

    public static async Task<SseStream> OpenAsync(HttpClient client, string path, string? lastEventId = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (lastEventId is not null)
        {
            request.Headers.TryAddWithoutValidation("Last-Event-ID", lastEventId);
        }

        var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(200, (int)response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        var body = await response.Content.ReadAsStreamAsync();
        return new SseStream(response, body);
    }

    /// <summary>The next event, or a failed assertion after <paramref name="timeout"/>.</summary>
    public async Task<SseEvent> NextAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            return await _events.Reader.ReadAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"no server-sent event within {timeout.TotalSeconds} s");
            throw;
        }
        catch (ChannelClosedException)
        {
            Assert.Fail("the event stream ended");
            throw;
        }
    }

    /// <summary>True when an event is already queued.</summary>
    public bool TryNext(out SseEvent? e) => _events.Reader.TryRead(out e);

    private async Task ReadAsync(StreamReader reader)
    {
        using var _ = reader;
        try
        {
            string? id = null;
            string type = "message";
            var data = new StringBuilder();
            while (await reader.ReadLineAsync(_stop.Token) is { } line)
            {
                if (line.Length == 0)
                {
                    if (data.Length > 0)
                    {
                        _events.Writer.TryWrite(new SseEvent(id, type, data.ToString()));
                    }

                    id = null;
                    type = "message";
                    data.Clear();
                    continue;
                }

                if (line.StartsWith(':'))
                {
                    continue;
                }

                int colon = line.IndexOf(':', StringComparison.Ordinal);
                string field = colon < 0 ? line : line[..colon];
                string value = colon < 0 ? "" : line[(colon + 1)..].TrimStart(' ');
                switch (field)
                {
                    case "id":
                        id = value;
                        break;
                    case "event":
                        type = value;
                        break;
                    case "data":
                        if (data.Length > 0)
                        {
                            data.Append('\n');
                        }

                        data.Append(value);
                        break;
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or HttpRequestException or ObjectDisposedException)
        {
        }
        finally
        {
            _events.Writer.TryComplete();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _response.Dispose();
        await _reader;
        _stop.Dispose();
    }
}
