using Microsoft.AspNetCore.Authorization;
using Tessera.Scopes;

namespace Tessera.Broker.Authorization;

/// <summary>
/// Names of the broker's authorization policies, for <c>RequireAuthorization</c>. A scope policy is
/// named after its scope and built on demand by <see cref="ScopePolicyProvider"/>.
/// </summary>
internal static class BrokerPolicies
{
    /// <summary>Any valid, unrevoked bearer token the broker issued (agent endpoints check the kind they need themselves).</summary>
    public const string Bearer = "bearer";

    /// <summary>
    /// The platform named by the route's <c>{id}</c> with its own HTTP Basic credentials, or an admin
    /// token with <c>admin:platforms:*</c>.
    /// </summary>
    public const string PlatformItselfOrAdmin = "platform-itself-or-admin";

    /// <summary>A reader of the revocation feed: anyone when it is public, else a platform or an admin.</summary>
    public const string RevocationFeed = "revocation-feed";

    /// <summary>A platform sending enforcement reports with its own HTTP Basic credentials.</summary>
    public const string EnforcementReporter = "enforcement-reporter";

    private const string ScopePrefix = "scope:";

    /// <summary>The policy of a bearer token that grants <paramref name="scope"/>, for example <c>admin:apps:*</c>.</summary>
    public static string Scope(string scope) => ScopePrefix + Scopes.Scope.Parse(scope).Value;

    /// <summary>Builds the policy <paramref name="name"/> names, or null for a name that is not the broker's.</summary>
    public static AuthorizationPolicy? Build(string name)
    {
        if (name == Bearer)
        {
            return new AuthorizationPolicyBuilder(BrokerSchemes.Bearer).RequireAuthenticatedUser().Build();
        }

        if (name == RevocationFeed)
        {
            return new AuthorizationPolicyBuilder(BrokerSchemes.RevocationFeed).RequireAuthenticatedUser().Build();
        }

        if (name == EnforcementReporter)
        {
            return new AuthorizationPolicyBuilder(BrokerSchemes.EnforcementReporter).RequireAuthenticatedUser().Build();
        }

        if (name == PlatformItselfOrAdmin)
        {
            return new AuthorizationPolicyBuilder(BrokerSchemes.PlatformOrBearer)
                .RequireAuthenticatedUser()
                .AddRequirements(new PlatformOrScopeRequirement("id", Scopes.Scope.Parse("admin:platforms:*")))
                .Build();
        }

        if (name.StartsWith(ScopePrefix, StringComparison.Ordinal) && Scopes.Scope.TryParse(name[ScopePrefix.Length..], out var scope, out _))
        {
            return new AuthorizationPolicyBuilder(BrokerSchemes.Bearer)
                .RequireAuthenticatedUser()
                .AddRequirements(new ScopeRequirement(scope))
                .Build();
        }

        return null;
    }

    /// <summary>
    /// The policy of an endpoint that declares none and is not anonymous: it refuses every request, with
    /// the bearer scheme's answers (401 without a valid token, 403 with one).
    /// </summary>
    public static AuthorizationPolicy Fallback { get; } = new AuthorizationPolicyBuilder(BrokerSchemes.Bearer)
        .AddRequirements(UndeclaredEndpointRequirement.Instance)
        .Build();
}
