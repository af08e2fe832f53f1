using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Tessera.Client;

namespace AgentSample;

/// <summary>
/// The sample's story: register, call the orders API (read, write with an idempotency key, read
/// back), register a sub-agent, delegate <c>orders:read</c> to it, and let it call the API with
/// the delegated token. No line here sees a token: the SDK's handler attaches and refreshes it.
/// </summary>
internal static class AgentWalkthrough
{
    private static readonly string[] AgentScopes = ["orders:read", "orders:write"];
    private static readonly string[] DelegatedScopes = ["orders:read"];

    /// <summary>Runs the walkthrough, printing each step to <paramref name="output"/>; returns 0 only when every call succeeded.</summary>
    public static async Task<int> RunAsync(AgentSampleSettings settings, TextWriter output, CancellationToken cancellationToken)
    {
        var run = new Run(output);
        TesseraAgent agent;
        try
        {
            agent = await TesseraAgent.RegisterAsync(settings.Broker, settings.LaunchToken, settings.OrchId, settings.TaskId, AgentScopes, cancellationToken: cancellationToken);
        }
        catch (TesseraException ex)
        {
            run.Fail("register", ex);
            return run.Finish();
        }

        using (agent)
        {
            run.Ok($"registered {agent.AgentId} with {string.Join(' ', AgentScopes)}");
            await using var services = ClientsFor(settings.PlatformUrl, ("orders", agent));
            var orders = services.GetRequiredService<IHttpClientFactory>().CreateClient("orders");
            await CallOrdersAsync(run, orders, "", cancellationToken);
            await DelegateAsync(run, settings, agent, cancellationToken);
            await run.CallAsync("release the agent's token", async () =>
            {
                await agent.ReleaseAsync(cancellationToken);
                return "released";
            });
        }

        return run.Finish();
    }

    private static async Task CallOrdersAsync(Run run, HttpClient orders, string who, CancellationToken cancellationToken)
    {
        await run.ExpectAsync($"{who}GET  /orders", HttpStatusCode.OK, () => orders.GetAsync("orders", cancellationToken));

        // A POST is retried after a 401 only because it carries an Idempotency-Key.
        using var create = new HttpRequestMessage(HttpMethod.Post, "orders") { Content = JsonContent.Create(new { item = "widget" }) };
        create.Headers.Add("Idempotency-Key", Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)));
        int? id = null;
        await run.ExpectAsync($"{who}POST /orders", HttpStatusCode.Created, () => orders.SendAsync(create, cancellationToken), async response =>
        {
            using var body = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(cancellationToken), cancellationToken: cancellationToken);
            id = body.RootElement.GetProperty("id").GetInt32();
            return $"order {id} created by {body.RootElement.GetProperty("createdBy").GetString()}";
        });
        if (id is { } created)
        {
            await run.ExpectAsync($"{who}GET  /orders/{created}", HttpStatusCode.OK, () => orders.GetAsync($"orders/{created}", cancellationToken));
        }
    }

    private static async Task DelegateAsync(Run run, AgentSampleSettings settings, TesseraAgent agent, CancellationToken cancellationToken)
    {
        // The sub-agent registers on its own (its own key and launch token), then works with what it is delegated.
        TesseraAgent sub;
        try
        {
            sub = await TesseraAgent.RegisterAsync(settings.Broker, settings.SubLaunchToken ?? settings.LaunchToken, settings.OrchId, settings.TaskId + "-sub", DelegatedScopes, cancellationToken: cancellationToken);
        }
        catch (TesseraException ex) when (settings.SubLaunchToken is null)
        {
            run.Note($"delegation skipped: the launch token cannot register a second agent ({ex.ErrorCode}: {ex.Message}); " +
                "issue it with \"single_use\": false, or set TESSERA_SUB_LAUNCH_TOKEN to a second launch token");
            return;
        }
        catch (TesseraException ex)
        {
            run.Fail("register the sub-agent", ex);
            return;
        }

        using (sub)
        {
            run.Ok($"registered sub-agent {sub.AgentId}");
            DelegatedToken delegated;
            try
            {
                delegated = await agent.DelegateAsync(sub.AgentId, DelegatedScopes, TimeSpan.FromMinutes(5), cancellationToken);
            }
            catch (TesseraException ex)
            {
                run.Fail("delegate", ex);
                return;
            }

            run.Ok($"delegated {string.Join(' ', DelegatedScopes)} to the sub-agent until {delegated.ExpiresAt.UtcDateTime:HH:mm:ss} UTC");
            await using var services = ClientsFor(settings.PlatformUrl, ("orders-sub", delegated));
            var orders = services.GetRequiredService<IHttpClientFactory>().CreateClient("orders-sub");
            await run.ExpectAsync("sub-agent GET  /orders", HttpStatusCode.OK, () => orders.GetAsync("orders", cancellationToken), async response =>
            {
                using var body = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(cancellationToken), cancellationToken: cancellationToken);
                return "as " + body.RootElement.GetProperty("agent").GetString();
            });

            // The delegated token carries orders:read only, so the platform refuses a write.
            using var write = new HttpRequestMessage(HttpMethod.Post, "orders") { Content = JsonContent.Create(new { item = "not allowed" }) };
            await run.ExpectAsync("sub-agent POST /orders", HttpStatusCode.Forbidden, () => orders.SendAsync(write, cancellationToken), _ => Task.FromResult("refused as expected: orders:write was not delegated"));
            await run.CallAsync("release the sub-agent's own token", async () =>
            {
                await sub.ReleaseAsync(cancellationToken);
                return "released";
            });
        }
    }

    private static ServiceProvider ClientsFor(Uri platformUrl, (string Name, ITesseraTokenProvider Provider) client)
    {
        var baseAddress = new Uri(platformUrl.AbsoluteUri.TrimEnd('/') + "/");
        var services = new ServiceCollection();

        // A registered agent (and a token delegated by one) has no list of its platform's origins:
        // the client names the one origin its token may go to; any other is refused before sending.
        services.AddHttpClient(client.Name, http => http.BaseAddress = baseAddress).AddTesseraAgent(client.Provider, o => o.AllowedOrigins.Add(baseAddress));
        return services.BuildServiceProvider();
    }

    /// <summary>Counts calls and failures and prints one line per step.</summary>
    private sealed class Run(TextWriter output)
    {
        private int _calls;
        private int _failures;

        public void Ok(string text)
        {
            _calls++;
            output.WriteLine($"ok    {text}");
        }

        public void Note(string text) => output.WriteLine($"note  {text}");

        public void Fail(string step, Exception ex)
        {
            _calls++;
            _failures++;
            string detail = ex is TesseraException t ? $"{t.ErrorCode} (status {t.Status}, request {t.RequestId ?? "-"}): {t.Message}{(t.Hint is null ? "" : " hint: " + t.Hint)}" : ex.Message;
            output.WriteLine($"FAIL  {step}: {detail}");
        }

        public async Task CallAsync(string step, Func<Task<string>> call)
        {
            try
            {
                string what = await call();
                Ok($"{step}: {what}");
            }
            catch (Exception ex) when (ex is TesseraException or HttpRequestException)
            {
                Fail(step, ex);
            }
        }

        public async Task ExpectAsync(string step, HttpStatusCode expected, Func<Task<HttpResponseMessage>> send, Func<HttpResponseMessage, Task<string>>? describe = null)
        {
            try
            {
                using var response = await send();
                if (response.StatusCode != expected)
                {
                    string body = await response.Content.ReadAsStringAsync();
                    _calls++;
                    _failures++;
                    output.WriteLine($"FAIL  {step} -> {(int)response.StatusCode}, expected {(int)expected}: {body}");
                    return;
                }

                string what = describe is null ? "" : "  " + await describe(response);
                Ok($"{step} -> {(int)response.StatusCode}{what}");
            }
            catch (Exception ex) when (ex is TesseraException or HttpRequestException or JsonException or KeyNotFoundException or InvalidOperationException)
            {
                Fail(step, ex);
            }
        }

        public int Finish()
        {
            output.WriteLine(_failures == 0 ? $"done: all {_calls} steps succeeded" : $"done: {_failures} of {_calls} steps failed");
            return _failures == 0 ? 0 : 1;
        }
    }
}
