using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Tessera.Client;

// An agent with standing credentials (key id + secret) calling the sample orders API: the SDK
// exchanges the credentials for a token on first use and attaches it; this code never sees one.
//   TESSERA_BROKER=http://127.0.0.1:8080 TESSERA_AGENT_KEY_ID=tsr_kid_… TESSERA_AGENT_SECRET=tsr_sk_… \
//     dotnet run --project samples/CredentialAgent
// PLATFORM_URL is the orders API (default http://127.0.0.1:5080). The platform is the one registered
// with the URL's host name (its "hostnames" at the broker), or TESSERA_AUDIENCE (a platform id) when set.
// Exit 0 when every call succeeded, 1 when a call failed or the broker refused, 2 when the SDK refused
// the setup (a missing setting, an origin that is not the platform's).
string platformText = Environment.GetEnvironmentVariable("PLATFORM_URL") is { Length: > 0 } p ? p : "http://127.0.0.1:5080";
string? audience = Environment.GetEnvironmentVariable("TESSERA_AUDIENCE") is { Length: > 0 } a ? a : null;
if (!Uri.TryCreate(platformText, UriKind.Absolute, out var platformUrl))
{
    await Console.Error.WriteLineAsync($"PLATFORM_URL is not an absolute URL: {platformText}");
    return 2;
}

var services = new ServiceCollection();
services.AddTesseraCredentialAgent();   // TESSERA_BROKER, TESSERA_AGENT_KEY_ID, TESSERA_AGENT_SECRET
services.AddHttpClient("orders", c => c.BaseAddress = platformUrl)
    .AddTesseraAgent(o =>
    {
        // A host name registered at the broker stands for its default port (80, 443) only; the sample
        // platform listens on 5080, so its origin is allowed here. The platform is the one registered
        // with this host name, unless TESSERA_AUDIENCE names it.
        o.AllowedOrigins.Add(platformUrl);
        o.Audience = audience;
    });

using var provider = services.BuildServiceProvider();
try
{
    var agent = provider.GetRequiredService<TesseraCredentialAgent>();
    var orders = provider.GetRequiredService<IHttpClientFactory>().CreateClient("orders");
    Console.WriteLine($"agent {agent.KeyId} calls {platformUrl} ({(audience is null ? "platform chosen by host name" : "platform " + audience)})");

    bool ok = await ShowAsync("GET /orders", await orders.GetAsync(new Uri("orders", UriKind.Relative)));
    ok &= await ShowAsync("POST /orders", await orders.PostAsJsonAsync(new Uri("orders", UriKind.Relative), new { item = "sample-" + DateTimeOffset.Now.ToUnixTimeSeconds() }));
    ok &= await ShowAsync("GET /orders", await orders.GetAsync(new Uri("orders", UriKind.Relative)));
    Console.WriteLine($"token endpoint {await agent.GetTokenEndpointAsync()}, tokens minted: {agent.TokensMinted}");
    return ok ? 0 : 1;
}
catch (TesseraException ex)
{
    // The broker's refusals already read "code: detail"; the SDK's own name their code separately.
    await Console.Error.WriteLineAsync(ex.Message.StartsWith(ex.ErrorCode + ":", StringComparison.Ordinal) ? $"error: {ex.Message}" : $"error: {ex.ErrorCode}: {ex.Message}");
    if (ex.Hint is not null)
    {
        await Console.Error.WriteLineAsync($"hint: {ex.Hint}");
    }

    if (ex.RequestId is not null)
    {
        await Console.Error.WriteLineAsync($"request id: {ex.RequestId} (find it in the broker's log and audit)");
    }

    return ex is TesseraConfigurationException ? 2 : 1;
}
catch (HttpRequestException ex)
{
    await Console.Error.WriteLineAsync($"error: cannot reach the platform at {platformUrl}: {ex.Message} (start it: dotnet run --project samples/PlatformApi -- --urls {platformUrl.GetLeftPart(UriPartial.Authority)})");
    return 1;
}

// Prints one call's outcome; a platform's refusal (401, 403, 404) carries its error code in the body.
static async Task<bool> ShowAsync(string call, HttpResponseMessage response)
{
    using (response)
    {
        string body = await response.Content.ReadAsStringAsync();
        Console.WriteLine($"{call} -> {(int)response.StatusCode} {body}");
        if (!response.IsSuccessStatusCode)
        {
            await Console.Error.WriteLineAsync($"error: {call} was refused with {(int)response.StatusCode}{(response.Headers.WwwAuthenticate.Count > 0 ? " (" + response.Headers.WwwAuthenticate + ")" : "")}");
        }

        return response.IsSuccessStatusCode;
    }
}
