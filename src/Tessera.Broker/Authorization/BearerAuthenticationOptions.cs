using Microsoft.AspNetCore.Authentication;

namespace Tessera.Broker.Authorization;

/// <summary>Options of <see cref="BearerAuthenticationHandler"/>; it has none of its own.</summary>
internal sealed class BearerAuthenticationOptions : AuthenticationSchemeOptions;
