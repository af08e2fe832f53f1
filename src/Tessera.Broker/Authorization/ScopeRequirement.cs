using Microsoft.AspNetCore.Authorization;
using Tessera.Scopes;

namespace Tessera.Broker.Authorization;

/// <summary>The bearer token must grant <see cref="Scope"/> (an <c>admin:</c> or <c>app:</c> scope, held verbatim).</summary>
internal sealed record ScopeRequirement(Scope Scope) : IAuthorizationRequirement;
