using Microsoft.AspNetCore.Authorization;
using Tessera.Scopes;

namespace Tessera.Broker.Authorization;

/// <summary>
/// The platform named by the route value <see cref="RouteKey"/>, with its own HTTP Basic credentials,
/// or a bearer token that grants <see cref="Scope"/> (an admin acting for any platform).
/// </summary>
internal sealed record PlatformOrScopeRequirement(string RouteKey, Scope Scope) : IAuthorizationRequirement;
