using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Tessera.AspNetCore.Authentication;

namespace Tessera.AspNetCore.RouteScopes;

/// <summary><c>app.UseTesseraRouteScopes("tessera_scopes.yaml")</c>.</summary>
public static class RouteScopesExtensions
{
    /// <summary>Enforces the routes and scopes of <paramref name="path"/> (hot-reloaded) with the Tessera scheme.</summary>
    public static IApplicationBuilder UseTesseraRouteScopes(this IApplicationBuilder app, string path, string scheme = TesseraAuthenticationExtensions.DefaultScheme)
    {
        ArgumentNullException.ThrowIfNull(app);
        var logger = app.ApplicationServices.GetRequiredService<ILoggerFactory>().CreateLogger("Tessera.RouteScopes");
        var source = new ScopesFileSource(path, logger);
        app.ApplicationServices.GetService<IHostApplicationLifetime>()?.ApplicationStopped.Register(source.Dispose);

        // Optional: without AddTessera (another scheme) nothing is reported.
        var verifiers = app.ApplicationServices.GetService<TesseraVerifierCache>();
        var options = app.ApplicationServices.GetService<IOptionsMonitor<TesseraAuthenticationOptions>>();
        return app.Use(next => new RouteScopesMiddleware(next, source, scheme, verifiers, options).InvokeAsync);
    }
}
