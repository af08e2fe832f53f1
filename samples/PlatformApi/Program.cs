using Tessera.AspNetCore.Authentication;
using Tessera.AspNetCore.RouteScopes;

// A small API protected by Tessera: two lines of setup and a scopes file.
//   dotnet run --project samples/PlatformApi -- --urls http://127.0.0.1:5080
// TESSERA_BROKER (broker base URL), TESSERA_PLATFORM_ID (default orders-api),
// TESSERA_SCOPES_FILE (default: tessera_scopes.yaml in the content root, which `dotnet run --project`
// sets to samples/PlatformApi, so edits to that file apply while the app runs; the copy next to the
// app when the content root has none), TESSERA_ALG (default EdDSA).
// TESSERA_PLATFORM_CLIENT_ID and TESSERA_PLATFORM_CLIENT_SECRET (the platform's own credentials
// from the broker) authenticate the revocation feed and turn on reporting of verification outcomes
// to the broker's audit. TESSERA_ROUTES=broker follows the platform's routes at the broker instead
// of the file (needs those credentials; a route changed there applies here within a second).
// The issuer and the key URL come from the broker's metadata; TESSERA_ISSUER pins the issuer. TESSERA_ALLOW_INSECURE_HTTP=true allows a plain http:// broker that is not
// on loopback (a trusted network only).
var builder = WebApplication.CreateSlimBuilder(args);
string broker = Environment.GetEnvironmentVariable("TESSERA_BROKER") ?? "http://127.0.0.1:8080";
string platform = Environment.GetEnvironmentVariable("TESSERA_PLATFORM_ID") ?? "orders-api";
string scopesFile = Environment.GetEnvironmentVariable("TESSERA_SCOPES_FILE") is { Length: > 0 } configuredScopes ? configuredScopes : DefaultScopesFile(builder.Environment.ContentRootPath);

builder.Services.AddAuthentication().AddTessera(o =>
{
    o.Authority = broker;
    o.Audience = platform;
    o.Algorithm = Environment.GetEnvironmentVariable("TESSERA_ALG") ?? "EdDSA";
    if (Environment.GetEnvironmentVariable("TESSERA_ISSUER") is { Length: > 0 } issuer)
    {
        o.ValidIssuers.Add(issuer);
    }

    o.ClientId = Environment.GetEnvironmentVariable("TESSERA_PLATFORM_CLIENT_ID");
    o.ClientSecret = Environment.GetEnvironmentVariable("TESSERA_PLATFORM_CLIENT_SECRET");
    o.AllowInsecureHttp = Environment.GetEnvironmentVariable("TESSERA_ALLOW_INSECURE_HTTP") is "true" or "1";
});

var app = builder.Build();
if (Environment.GetEnvironmentVariable("TESSERA_ROUTES") is "broker")
{
    app.UseTesseraRouteScopesFromBroker();
}
else
{
    app.UseTesseraRouteScopes(scopesFile);
}

var orders = new System.Collections.Concurrent.ConcurrentDictionary<int, Order>();
int next = 0;
app.MapGet("/health", () => Results.Ok(new { status = "ok" }));
app.MapGet("/orders", (HttpContext http) => Results.Ok(new { agent = http.User.FindFirst("sub")?.Value, orders = orders.Values.OrderBy(o => o.Id) }));
app.MapGet("/orders/{id:int}", (int id) => orders.TryGetValue(id, out var order) ? Results.Ok(order) : Results.NotFound());
app.MapPost("/orders", (HttpContext http, OrderRequest request) =>
{
    var order = new Order(Interlocked.Increment(ref next), request.Item ?? "unnamed", http.User.FindFirst("sub")?.Value ?? "");
    orders[order.Id] = order;
    return Results.Created($"/orders/{order.Id}", order);
});
app.MapGet("/internal/debug", () => Results.Ok(new { secret = "never reachable: the scopes file skips this route" }));
app.Run();

// The project's own file when the content root holds it (dotnet run --project), not the copy under
// bin/ that an editor never touches; the copy serves a published or test-started app.
static string DefaultScopesFile(string contentRoot)
{
    string own = Path.Combine(contentRoot, "tessera_scopes.yaml");
    return File.Exists(own) ? own : Path.Combine(AppContext.BaseDirectory, "tessera_scopes.yaml");
}

internal sealed record Order(int Id, string Item, string CreatedBy);

internal sealed record OrderRequest(string? Item);
