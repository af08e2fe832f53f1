using System.Text.RegularExpressions;
using Tessera.Broker.Http;
using Tessera.Errors;
using Tessera.Scopes;
using Tessera.Storage.Platforms;

namespace Tessera.Broker.Platforms;

/// <summary>
/// The checks of the platform requests, in one place: the id rule, the fields of a registration or
/// of an update merged with the stored platform, and that narrowing a platform's scopes leaves no
/// grant wider than it. Nothing here touches a store; the endpoints apply these before any write.
/// </summary>
internal static partial class PlatformValidation
{
    /// <summary>The token profiles a platform may use.</summary>
    public static readonly string[] Profiles = ["tessera", "mudraid"];

    /// <summary>Route values longer than this are no platform id (answered 404 without a store lookup).</summary>
    public const int MaxIdLength = 64;

    /// <summary>
    /// A registration: the id rule, then the fields (name defaulting to the id, token profile to
    /// <c>tessera</c>). The id's failure comes first when both are wrong.
    /// </summary>
    public static PlatformFields CheckCreate(CreatePlatformRequest request)
    {
        Failure? failure = null;
        if (string.IsNullOrEmpty(request.PlatformId))
        {
            failure = new Failure(ErrorCatalog.InvalidRequest, "platform_id is required");
        }
        else if (request.PlatformId.Length > MaxIdLength || !IdPattern().IsMatch(request.PlatformId))
        {
            failure = new Failure(ErrorCatalog.InvalidRequest, "invalid platform_id: lowercase letters, digits and single hyphens, starting with a letter, at most 64 characters");
        }

        var fields = Check(request.Name ?? request.PlatformId, request.Hostnames ?? [], request.Scopes ?? [], request.Routes ?? [], request.TokenProfile ?? "tessera");
        return failure is null ? fields : PlatformFields.Fail(failure);
    }

    /// <summary>An update must change something; checked before the platform is looked up.</summary>
    public static Failure? CheckUpdateShape(UpdatePlatformRequest request) =>
        request.Name is null && request.Hostnames is null && request.Scopes is null && request.Routes is null && request.TokenProfile is null
            ? new Failure(ErrorCatalog.InvalidRequest, "at least one of name, hostnames, scopes, routes or token_profile must be provided")
            : null;

    /// <summary>An update merged with the stored platform, checked with the rules of registration.</summary>
    public static PlatformFields CheckUpdate(UpdatePlatformRequest request, PlatformRecord platform, RouteRuleDto?[] routes) =>
        Check(
            request.Name ?? platform.Name, request.Hostnames ?? [.. platform.Hostnames], request.Scopes ?? [.. platform.Scopes], routes,
            request.TokenProfile ?? platform.TokenProfile);

    /// <summary>
    /// The first grant (of <paramref name="grants"/>) holding a scope that the platform's new
    /// <paramref name="scopes"/> do not cover: narrowing what a platform defines may not leave grants wider than it.
    /// </summary>
    public static Failure? WiderGrant(IReadOnlyList<GrantRecord> grants, string[] scopes)
    {
        if (!ScopeSet.TryParse(scopes, out var defined, out _))
        {
            return null;
        }

        foreach (var grant in grants)
        {
            foreach (string g in grant.Scopes)
            {
                if (!Scope.TryParse(g, out var parsed, out _) || !defined.Covers(parsed))
                {
                    return new Failure(
                        ErrorCatalog.Conflict, $"agent {grant.AgentId} holds '{g}' on this platform, which the new scopes do not cover",
                        "narrow or remove that grant first (POST /v1/admin/agents/{id}/grants or DELETE .../grants/{platform_id})");
                }
            }
        }

        return null;
    }

    /// <summary>The fields every platform must satisfy, normalized (host names trimmed, lowercased, deduplicated; scopes canonical).</summary>
    public static PlatformFields Check(string? name, string?[] hostnames, string?[] scopes, RouteRuleDto?[] routes, string profile)
    {
        if (string.IsNullOrWhiteSpace(name) || !PrintableName.IsValid(name, 128))
        {
            return PlatformFields.Fail(new Failure(ErrorCatalog.InvalidRequest, $"name must be 1 to 128 printable characters ({PrintableName.Rule})"));
        }

        if (hostnames.Length > 32)
        {
            return PlatformFields.Fail(new Failure(ErrorCatalog.InvalidRequest, "hostnames: at most 32"));
        }

        var hosts = new List<string>();
        foreach (string? h in hostnames)
        {
            string? host = h?.Trim().ToLowerInvariant();
            if (string.IsNullOrEmpty(host) || host.Length > 253 || !HostPattern().IsMatch(host))
            {
                return PlatformFields.Fail(new Failure(ErrorCatalog.InvalidRequest, $"hostnames: '{Printable(h)}' is not a host name (letters, digits, hyphens and dots; no scheme, port or path)"));
            }

            if (!hosts.Contains(host))
            {
                hosts.Add(host);
            }
        }

        if (!ScopeSet.TryParse(scopes, out var scopeSet, out string? scopeError))
        {
            return PlatformFields.Fail(new Failure(ErrorCatalog.InvalidScopeFormat, $"scopes: {scopeError}"));
        }

        foreach (var scope in scopeSet.Items)
        {
            if (scope.Value.StartsWith("admin:", StringComparison.Ordinal) || scope.Value.StartsWith("app:", StringComparison.Ordinal))
            {
                return PlatformFields.Fail(new Failure(ErrorCatalog.InvalidScopeFormat, $"scope '{scope.Value}' is in a namespace reserved for the broker's own tokens"));
            }
        }

        if (!Profiles.Contains(profile))
        {
            return PlatformFields.Fail(new Failure(ErrorCatalog.InvalidRequest, "token_profile must be tessera or mudraid"));
        }

        string[] scopeList = scopeSet.ToArray();
        if (RouteRules.Validate(routes, scopeList) is { } routeFailure)
        {
            return PlatformFields.Fail(routeFailure);
        }

        return new PlatformFields(name.Trim(), [.. hosts], scopeList, profile, null);
    }

    private static string Printable(string? value) =>
        value is null ? "null" : new([.. value.Take(64).Select(c => c is >= ' ' and < (char)127 ? c : '?')]);

    [GeneratedRegex("^[a-z][a-z0-9]*(-[a-z0-9]+)*$", RegexOptions.CultureInvariant)]
    private static partial Regex IdPattern();

    [GeneratedRegex("^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$", RegexOptions.CultureInvariant)]
    private static partial Regex HostPattern();
}

/// <summary>A platform's checked and normalized fields, or why they were refused.</summary>
/// <param name="Name">The display name, trimmed.</param>
/// <param name="Hostnames">Host names, lowercased and deduplicated.</param>
/// <param name="Scopes">The scopes the platform defines, canonical.</param>
/// <param name="Profile">The token profile.</param>
/// <param name="Failure">Why the request was refused; null when the fields are good.</param>
internal sealed record PlatformFields(string Name, string[] Hostnames, string[] Scopes, string Profile, Failure? Failure)
{
    /// <summary>A refusal.</summary>
    public static PlatformFields Fail(Failure failure) => new("", [], [], "", failure);
}
