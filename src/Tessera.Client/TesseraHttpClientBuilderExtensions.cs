using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Http;

namespace Tessera.Client;

/// <summary>Wires Tessera tokens into <see cref="IHttpClientFactory"/> clients.</summary>
public static class TesseraHttpClientBuilderExtensions
{
    /// <summary>
    /// Registers a <see cref="TesseraCredentialAgent"/> (key id + secret from
    /// <paramref name="configure"/> or the <c>TESSERA_*</c> environment) as the application's
    /// <see cref="ITesseraTokenProvider"/>.
    /// </summary>
    public static IServiceCollection AddTesseraCredentialAgent(this IServiceCollection services, Action<TesseraCredentialOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddSingleton(_ =>
        {
            var options = new TesseraCredentialOptions();
            configure?.Invoke(options);
            return new TesseraCredentialAgent(options.FromEnvironment());
        });
        services.TryAddSingleton<ITesseraTokenProvider>(sp => sp.GetRequiredService<TesseraCredentialAgent>());
        return services;
    }

    /// <summary>
    /// Adds <see cref="TesseraTokenHandler"/> to the client, over the registered
    /// <see cref="ITesseraTokenProvider"/> (see <see cref="AddTesseraCredentialAgent"/>). Tokens go
    /// only to the agent's platforms' origins; a platform on a port other than 443 (https) or 80
    /// (http) is listed in <see cref="TesseraHandlerOptions.AllowedOrigins"/>. The client's logging
    /// never shows the <c>Authorization</c> header's value, whatever else is redacted.
    /// </summary>
    public static IHttpClientBuilder AddTesseraAgent(this IHttpClientBuilder builder, Action<TesseraHandlerOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        RedactAuthorization(builder);
        return builder.AddHttpMessageHandler(sp =>
        {
            var options = new TesseraHandlerOptions();
            configure?.Invoke(options);
            return new TesseraTokenHandler(sp.GetRequiredService<ITesseraTokenProvider>(), options);
        });
    }

    /// <summary>
    /// Adds <see cref="TesseraTokenHandler"/> over a given provider (a registered agent, or a
    /// delegated token). Such a provider knows no platform origins: list the platform's origin in
    /// <see cref="TesseraHandlerOptions.AllowedOrigins"/> through <paramref name="configure"/>, or
    /// every request is refused. The <c>Authorization</c> value is redacted from the client's logs.
    /// </summary>
    public static IHttpClientBuilder AddTesseraAgent(this IHttpClientBuilder builder, ITesseraTokenProvider provider, Action<TesseraHandlerOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(provider);
        RedactAuthorization(builder);
        return builder.AddHttpMessageHandler(() =>
        {
            var options = new TesseraHandlerOptions();
            configure?.Invoke(options);
            return new TesseraTokenHandler(provider, options);
        });
    }

    // PostConfigure: runs after the application's own RedactLoggedHeaders, which replaces the predicate.
    private static void RedactAuthorization(IHttpClientBuilder builder) =>
        builder.Services.PostConfigure<HttpClientFactoryOptions>(builder.Name, options =>
        {
            var previous = options.ShouldRedactHeaderValue;
            options.ShouldRedactHeaderValue = header =>
                string.Equals(header, "Authorization", StringComparison.OrdinalIgnoreCase) || previous(header);
        });
}
