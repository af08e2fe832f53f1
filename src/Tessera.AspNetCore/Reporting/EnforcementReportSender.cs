using System.Globalization;
using System.Net.Http.Headers;

namespace Tessera.AspNetCore.Reporting;

/// <summary>One attempt to deliver a report: sent, or why not and whether trying again may help.</summary>
/// <param name="Sent">The broker accepted the report (2xx).</param>
/// <param name="Retry">Worth another attempt: a network failure, a timeout, 408, 429 or 5xx.</param>
/// <param name="RetryAfter">What a <c>Retry-After</c> header asked for, else zero.</param>
/// <param name="Failure">Safe to log: <c>HTTP 401</c>, or an exception's type name (never its message).</param>
internal readonly record struct ReportAttempt(bool Sent, bool Retry, TimeSpan RetryAfter, string Failure);

/// <summary>Posts one report body to the broker with the platform's HTTP Basic credentials.</summary>
internal sealed class EnforcementReportSender
{
    private readonly HttpClient _http;
    private readonly Uri _endpoint;
    private readonly AuthenticationHeaderValue _credentials;
    private readonly TimeSpan _timeout;
    private readonly TimeProvider _time;

    public EnforcementReportSender(HttpClient http, Uri endpoint, string clientId, string clientSecret, TimeSpan timeout, TimeProvider time)
    {
        _http = http;
        _endpoint = endpoint;

        _credentials = Authentication.BasicCredentials.Header(clientId, clientSecret);
        _timeout = timeout;
        _time = time;
    }

    /// <summary>The endpoint as shown in logs: scheme, host, port and path; never a user-info part.</summary>
    public string ShownEndpoint => $"{_endpoint.Scheme}://{_endpoint.Authority}{_endpoint.AbsolutePath}";

    public async Task<ReportAttempt> SendAsync(byte[] body, CancellationToken abort)
    {
        try
        {
            using var timeout = new CancellationTokenSource(_timeout, _time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, abort);
            using var request = new HttpRequestMessage(HttpMethod.Post, _endpoint) { Content = new ByteArrayContent(body) };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            request.Headers.Authorization = _credentials;
            using var response = await _http.SendAsync(request, linked.Token);
            int status = (int)response.StatusCode;
            return response.IsSuccessStatusCode
                ? new ReportAttempt(true, false, TimeSpan.Zero, "")
                : new ReportAttempt(false, status is 408 or 429 or >= 500, response.Headers.RetryAfter?.Delta ?? TimeSpan.Zero, "HTTP " + status.ToString(CultureInfo.InvariantCulture));
        }
#pragma warning disable CA1031 // Any failure of the network or the broker is a failed attempt; only its type is logged (a message could echo the request).
        catch (Exception ex)
#pragma warning restore CA1031
        {
            return new ReportAttempt(false, true, TimeSpan.Zero, ex.GetType().Name);
        }
    }
}
