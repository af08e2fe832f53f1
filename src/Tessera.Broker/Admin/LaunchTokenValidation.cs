using Tessera.Broker.Configuration;
using Tessera.Broker.Http;
using Tessera.Errors;
using Tessera.Scopes;

namespace Tessera.Broker.Admin;

/// <summary>
/// The checks of a launch token request, in one place, for the admin route and the app route alike:
/// the agent name, the scopes (not empty, outside the reserved namespaces), the lifetimes within the
/// broker's limits, the audiences; and, for an app, its scope ceiling.
/// </summary>
internal static class LaunchTokenValidation
{
    /// <summary>How long a launch token stays usable when the request names no <c>ttl</c>, in seconds.</summary>
    public const int DefaultTtl = 30;

    /// <summary>The request's fields, checked in order; the first failure wins.</summary>
    public static LaunchTokenFields Check(LaunchTokenRequest request, BrokerOptions options)
    {
        if (string.IsNullOrWhiteSpace(request.AgentName))
        {
            return LaunchTokenFields.Fail(new Failure(ErrorCatalog.InvalidRequest, "agent_name is required"));
        }

        if (!PrintableName.IsValid(request.AgentName, 128))
        {
            return LaunchTokenFields.Fail(new Failure(ErrorCatalog.InvalidRequest, $"agent_name must be at most 128 printable characters ({PrintableName.Rule})"));
        }

        if (request.AllowedScope is null || request.AllowedScope.Length == 0)
        {
            return LaunchTokenFields.Fail(new Failure(ErrorCatalog.InvalidRequest, "allowed_scope must not be empty"));
        }

        if (!ScopeSet.TryParse(request.AllowedScope, out var scopes, out string? scopeError))
        {
            return LaunchTokenFields.Fail(new Failure(ErrorCatalog.InvalidScopeFormat, scopeError));
        }

        foreach (var scope in scopes.Items)
        {
            if (scope.Value.StartsWith("admin:", StringComparison.Ordinal))
            {
                return LaunchTokenFields.Fail(new Failure(ErrorCatalog.InvalidScopeFormat, $"scope '{scope.Value}' is in the admin: namespace, which is reserved for the broker's own admin tokens"));
            }

            if (scope.Value.StartsWith("app:", StringComparison.Ordinal))
            {
                return LaunchTokenFields.Fail(new Failure(ErrorCatalog.InvalidScopeFormat, $"scope '{scope.Value}' is in the app: namespace, which is reserved for app tokens"));
            }
        }

        int maxTtl = request.MaxTtl ?? options.DefaultTtl;
        if (maxTtl <= 0)
        {
            return LaunchTokenFields.Fail(new Failure(ErrorCatalog.InvalidTtl, "max_ttl must be a positive number of seconds"));
        }

        if (options.MaxTtl > 0 && maxTtl > options.MaxTtl)
        {
            return LaunchTokenFields.Fail(new Failure(ErrorCatalog.InvalidTtl, $"max_ttl exceeds the broker's ceiling of {options.MaxTtl} seconds"));
        }

        int ttl = request.Ttl ?? DefaultTtl;
        if (ttl is <= 0 or > 7 * 86400)
        {
            return LaunchTokenFields.Fail(new Failure(ErrorCatalog.InvalidTtl, "ttl must be between 1 and 604800 seconds"));
        }

        var audiences = new List<string>();
        foreach (var aud in request.AllowedAudience ?? [])
        {
            if (string.IsNullOrWhiteSpace(aud) || aud.Length > 256 || aud.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
            {
                return LaunchTokenFields.Fail(new Failure(ErrorCatalog.InvalidRequest, "allowed_audience entries must be non-empty strings of at most 256 characters without spaces"));
            }

            if (!audiences.Contains(aud, StringComparer.Ordinal))
            {
                audiences.Add(aud);
            }
        }

        return new LaunchTokenFields(request.AgentName, scopes.ToArray(), maxTtl, ttl, [.. audiences], request.SingleUse ?? true, null);
    }

    /// <summary>An app's request must stay within its scope ceiling.</summary>
    public static Failure? CheckCeiling(string[] allowedScope, ScopeSet ceiling)
    {
        if (ceiling.FirstUncovered(ScopeSet.Of([.. allowedScope])) is { } outside)
        {
            return new Failure(
                ErrorCatalog.ScopeViolation,
                $"requested scopes exceed app ceiling; allowed: [{string.Join(" ", ceiling.ToArray())}]",
                $"'{outside.Value}' is outside the app's scope ceiling");
        }

        return null;
    }
}

/// <summary>A launch token request's checked values, or why it was refused.</summary>
/// <param name="AgentName">The name the agent registers under.</param>
/// <param name="AllowedScope">The scopes, canonical.</param>
/// <param name="MaxTtl">The longest token lifetime the agent may ask for, in seconds.</param>
/// <param name="Ttl">How long the launch token stays usable, in seconds.</param>
/// <param name="AllowedAudience">The audiences, deduplicated.</param>
/// <param name="SingleUse">Whether the launch token works once.</param>
/// <param name="Failure">Why the request was refused; null when it is good.</param>
internal sealed record LaunchTokenFields(string AgentName, string[] AllowedScope, int MaxTtl, int Ttl, string[] AllowedAudience, bool SingleUse, Failure? Failure)
{
    /// <summary>A refusal.</summary>
    public static LaunchTokenFields Fail(Failure failure) => new("", [], 0, 0, [], true, failure);
}
