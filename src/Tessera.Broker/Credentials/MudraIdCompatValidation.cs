using Tessera.Errors;

namespace Tessera.Broker.Credentials;

/// <summary>The checks of a MudraID SDK token request, once its credentials are accepted.</summary>
internal static class MudraIdCompatValidation
{
    /// <summary><c>platform_id</c> is required; <c>scopes</c>, when sent, is a list of strings. The requested scope, space-separated (null: the whole grant).</summary>
    public static Failure? Token(CompatRequest? request, out string? scope)
    {
        scope = null;
        if (string.IsNullOrEmpty(request?.PlatformId))
        {
            return new Failure(ErrorCatalog.InvalidRequest, "platform_id is required");
        }

        if (request.Scopes is { } requested && Array.IndexOf(requested, null) >= 0)
        {
            return new Failure(ErrorCatalog.InvalidRequest, "scopes must be a list of strings");
        }

        // An empty list is the agent's full grant on the platform, as the SDK expects.
        scope = request.Scopes is { Length: > 0 } list ? string.Join(' ', list) : null;
        return null;
    }
}
