using Microsoft.AspNetCore.Authentication;

namespace Tessera.Broker.Authorization;

/// <summary>Options of <see cref="PlatformBasicAuthenticationHandler"/>; it has none of its own.</summary>
internal sealed class PlatformBasicAuthenticationOptions : AuthenticationSchemeOptions;
