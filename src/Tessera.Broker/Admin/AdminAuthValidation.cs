using Tessera.Errors;

namespace Tessera.Broker.Admin;

/// <summary>The checks of an admin authentication request, before the secret is verified.</summary>
internal static class AdminAuthValidation
{
    /// <summary>
    /// The request must carry <c>secret</c>; the old <c>client_id</c>/<c>client_secret</c> form gets a
    /// migration message instead of "invalid credentials".
    /// </summary>
    public static Failure? Check(AdminAuthRequest request)
    {
        if (request.Secret is null && (request.ClientId is not null || request.ClientSecret is not null))
        {
            return new Failure(ErrorCatalog.InvalidRequest, "Admin auth format changed. Use {\"secret\": \"...\"} instead of client_id/client_secret");
        }

        return string.IsNullOrEmpty(request.Secret) ? new Failure(ErrorCatalog.InvalidRequest, "secret is required") : null;
    }
}
