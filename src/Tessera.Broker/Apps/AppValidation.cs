using System.Text.RegularExpressions;
using Tessera.Errors;
using Tessera.Scopes;

namespace Tessera.Broker.Apps;

/// <summary>
/// The checks of the app requests, in one place: the name rule, the scope ceiling (not empty, no
/// reserved namespace) and the token lifetime. Every field is checked before anything is written.
/// </summary>
internal static partial class AppValidation
{
    /// <summary>Route values longer than this are no app id (answered 404 without a store lookup).</summary>
    public const int MaxIdLength = 128;

    /// <summary>The token lifetime of an app that names none.</summary>
    public const int DefaultTokenTtl = 1800;

    /// <summary>A registration: name, then scopes, then token lifetime; the first failure wins.</summary>
    public static AppFields CheckCreate(CreateAppRequest request)
    {
        Failure? failure = null;
        if (string.IsNullOrEmpty(request.Name))
        {
            failure = new Failure(ErrorCatalog.InvalidRequest, "name is required");
        }
        else if (request.Name.Length > 64 || !NamePattern().IsMatch(request.Name))
        {
            failure = new Failure(ErrorCatalog.InvalidRequest, "invalid app name: must be lowercase letters, digits, and hyphens", "at most 64 characters, starting with a letter, no double or trailing hyphen");
        }

        var (scopes, scopeFailure) = ParseScopes(request.Scopes);
        failure ??= scopeFailure;
        int ttl = request.TokenTtl ?? DefaultTokenTtl;
        failure ??= CheckTtl(ttl);
        return new AppFields(failure is null ? scopes : null, ttl, failure);
    }

    /// <summary>An update: something must change; the scopes sent, then the token lifetime sent, are checked.</summary>
    public static AppFields CheckUpdate(UpdateAppRequest request)
    {
        if (request.Scopes is null && request.TokenTtl is null)
        {
            return new AppFields(null, 0, new Failure(ErrorCatalog.InvalidRequest, "at least one of scopes or token_ttl must be provided"));
        }

        ScopeSet? scopes = null;
        if (request.Scopes is not null)
        {
            (scopes, var scopeFailure) = ParseScopes(request.Scopes);
            if (scopeFailure is not null)
            {
                return new AppFields(null, 0, scopeFailure);
            }
        }

        if (request.TokenTtl is { } ttl && CheckTtl(ttl) is { } ttlFailure)
        {
            return new AppFields(null, 0, ttlFailure);
        }

        return new AppFields(scopes, request.TokenTtl ?? 0, null);
    }

    /// <summary>An app's scope ceiling: not empty, well formed, outside the broker's reserved namespaces.</summary>
    public static (ScopeSet? Scopes, Failure? Failure) ParseScopes(string?[]? scopes)
    {
        if (scopes is null || scopes.Length == 0)
        {
            return (null, new Failure(ErrorCatalog.InvalidRequest, "scopes must not be empty"));
        }

        if (!ScopeSet.TryParse(scopes, out var set, out string? error))
        {
            return (null, new Failure(ErrorCatalog.InvalidScopeFormat, error));
        }

        foreach (var scope in set.Items)
        {
            if (scope.Value.StartsWith("admin:", StringComparison.Ordinal))
            {
                return (null, new Failure(ErrorCatalog.InvalidScopeFormat, $"scope '{scope.Value}' is in the admin: namespace, which is reserved for the broker's own admin tokens"));
            }

            if (scope.Value.StartsWith("app:", StringComparison.Ordinal))
            {
                return (null, new Failure(ErrorCatalog.InvalidScopeFormat, $"scope '{scope.Value}' is in the app: namespace, which is reserved for app tokens"));
            }
        }

        return (set, null);
    }

    /// <summary>An app's token lifetime: 60 to 86400 seconds.</summary>
    public static Failure? CheckTtl(int ttl) => ttl is < 60 or > 86400
        ? new Failure(ErrorCatalog.InvalidTtl, $"invalid token TTL: must be between 60 and 86400 seconds, got {ttl}")
        : null;

    [GeneratedRegex("^[a-z][a-z0-9]*(-[a-z0-9]+)*$", RegexOptions.CultureInvariant)]
    private static partial Regex NamePattern();
}

/// <summary>An app request's checked values, or why it was refused.</summary>
/// <param name="Scopes">The scope ceiling; null when none was sent (update) or on failure.</param>
/// <param name="TokenTtl">The token lifetime (on an update, 0 when none was sent).</param>
/// <param name="Failure">Why the request was refused; null when it is good.</param>
internal sealed record AppFields(ScopeSet? Scopes, int TokenTtl, Failure? Failure);
