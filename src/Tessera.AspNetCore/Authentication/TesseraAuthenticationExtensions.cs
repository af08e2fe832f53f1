using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Tessera.Scopes;

namespace Tessera.AspNetCore.Authentication;

/// <summary>Registration of the Tessera scheme and scope policies.</summary>
public static class TesseraAuthenticationExtensions
{
    /// <summary>The default scheme name.</summary>
    public const string DefaultScheme = "Tessera";

    /// <summary>Adds the Tessera scheme: <c>builder.Services.AddAuthentication().AddTessera(o => …)</c>.</summary>
    public static AuthenticationBuilder AddTessera(this AuthenticationBuilder builder, Action<TesseraAuthenticationOptions> configure) =>
        builder.AddTessera(DefaultScheme, configure);

    /// <summary>Adds the Tessera scheme under <paramref name="scheme"/>.</summary>
    public static AuthenticationBuilder AddTessera(this AuthenticationBuilder builder, string scheme, Action<TesseraAuthenticationOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.TryAddSingleton<TesseraVerifierCache>();
        return builder.AddScheme<TesseraAuthenticationOptions, TesseraAuthenticationHandler>(scheme, configure);
    }

    /// <summary>
    /// Requires a granted scope that covers <paramref name="scope"/> (the broker's grammar: <c>*</c>
    /// covers one segment). With reporting on, the scope decision is reported (see <see cref="TesseraScopeRequirement"/>).
    /// </summary>
    public static AuthorizationPolicyBuilder RequireScope(this AuthorizationPolicyBuilder builder, string scope)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.RequireAuthenticatedUser().AddRequirements(new TesseraScopeRequirement(Scope.Parse(scope)));
    }
}
