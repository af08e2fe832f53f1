using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Tessera.AspNetCore.Authentication;

namespace Tessera.AspNetCore.RouteScopes;

/// <summary>
/// <c>app.UseTesseraRouteScopes("tessera_scopes.yaml")</c> (the routes in a local file) or
/// <c>app.UseTesseraRouteScopesFromBroker()</c> (the routes the broker holds for this platform).
/// </summary>
public static class RouteScopesExtensions
{
    /// <summary>Enforces the routes and scopes of <paramref name="path"/> (hot-reloaded) with the Tessera scheme.</summary>
    public static IApplicationBuilder UseTesseraRouteScopes(this IApplicationBuilder app, string path, string scheme = TesseraAuthenticationExtensions.DefaultScheme)
    {
        ArgumentNullException.ThrowIfNull(app);
        var logger = app.ApplicationServices.GetRequiredService<ILoggerFactory>().CreateLogger("Tessera.RouteScopes");
        var source = new ScopesFileSource(path, logger);
        app.ApplicationServices.GetService<IHostApplicationLifetime>()?.ApplicationStopped.Register(source.Dispose);
        return app.UseTesseraRouteScopes(source, scheme);
    }

    /// <summary>
    /// Enforces the routes and scopes the broker holds for this platform, as
    /// <see cref="UseTesseraRouteScopes(IApplicationBuilder, string, string)"/> enforces a file's:
    /// the scopes file is fetched from <c>{Authority}/v1/platforms/{Audience}/scopes-file</c> of the
    /// scheme's options with the platform's <c>ClientId</c> and <c>ClientSecret</c> (HTTP Basic), in the
    /// background from startup (requests get <c>MIDDLEWARE_NOT_READY</c> until the first fetch
    /// succeeds), then again every <see cref="BrokerRouteScopesOptions.RefreshInterval"/> (a 304 when
    /// unchanged) and at once when the revocation feed announces a change of this platform's routes.
    /// A failed fetch or an invalid file keeps the last good version. The scheme's
    /// <c>BackchannelHandler</c> and <c>AllowInsecureHttp</c> apply.
    /// </summary>
    /// <exception cref="InvalidOperationException">The scheme's Authority, Audience, ClientId or ClientSecret is missing, or a setting is out of range.</exception>
    public static IApplicationBuilder UseTesseraRouteScopesFromBroker(
        this IApplicationBuilder app, Action<BrokerRouteScopesOptions>? configure = null, string scheme = TesseraAuthenticationExtensions.DefaultScheme)
    {
        ArgumentNullException.ThrowIfNull(app);
        var services = app.ApplicationServices;
        var tessera = services.GetRequiredService<IOptionsMonitor<TesseraAuthenticationOptions>>().Get(scheme);
        if (string.IsNullOrWhiteSpace(tessera.Authority))
        {
            throw new InvalidOperationException("Tessera route scopes from the broker: Authority (Tessera:Authority, the broker URL) is required");
        }

        if (string.IsNullOrWhiteSpace(tessera.Audience))
        {
            throw new InvalidOperationException("Tessera route scopes from the broker: Audience (Tessera:Audience, this platform's id) is required");
        }

        if (string.IsNullOrEmpty(tessera.ClientId) || string.IsNullOrEmpty(tessera.ClientSecret))
        {
            throw new InvalidOperationException(
                "Tessera route scopes from the broker: the platform's credentials are required: set ClientId and ClientSecret (Tessera:ClientId, Tessera:ClientSecret; from POST /v1/admin/platforms), or use UseTesseraRouteScopes(path) with a local file");
        }

        tessera.EnsureTransportAllowed(tessera.Authority, nameof(tessera.Authority));
        var options = new BrokerRouteScopesOptions();
        configure?.Invoke(options);
        options.Validate();

        // The scheme's revocation view carries the broker's routes events; it is started now rather
        // than at the first authentication, so a change is heard before any request comes.
        var verifiers = services.GetService<TesseraVerifierCache>();
        var feed = verifiers?.RevocationsOf(scheme, tessera);
        _ = feed?.EnsureStartedAsync(tessera.RevocationStartupWait);

        var http = new HttpClient(tessera.BackchannelHandler ?? new SocketsHttpHandler { AllowAutoRedirect = false }, disposeHandler: tessera.BackchannelHandler is null);
        var source = new BrokerScopesFileSource(
            http, new Uri(tessera.Authority), tessera.Audience, tessera.ClientId, tessera.ClientSecret, options, feed,
            services.GetService<TimeProvider>() ?? TimeProvider.System,
            services.GetRequiredService<ILoggerFactory>().CreateLogger("Tessera.RouteScopes"));
        if (services.GetService<IHostApplicationLifetime>() is { } lifetime)
        {
            lifetime.ApplicationStopped.Register(() =>
            {
                source.Dispose();
                http.Dispose();
            });
        }

        return app.UseTesseraRouteScopes(source, scheme);
    }

    /// <summary>Enforces the routes and scopes of <paramref name="source"/> with the Tessera scheme (the two overloads above, or a source of your own).</summary>
    public static IApplicationBuilder UseTesseraRouteScopes(this IApplicationBuilder app, IScopesFileSource source, string scheme = TesseraAuthenticationExtensions.DefaultScheme)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(source);

        // Optional: without AddTessera (another scheme) nothing is reported.
        var verifiers = app.ApplicationServices.GetService<TesseraVerifierCache>();
        var options = app.ApplicationServices.GetService<IOptionsMonitor<TesseraAuthenticationOptions>>();
        return app.Use(next => new RouteScopesMiddleware(next, source, scheme, verifiers, options).InvokeAsync);
    }
}
