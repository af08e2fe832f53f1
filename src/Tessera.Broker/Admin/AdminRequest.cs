using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Tessera.Broker.Apps;
using Tessera.Broker.Audit;
using Tessera.Broker.Configuration;
using Tessera.Broker.Http;
using Tessera.Errors;
using Tessera.Storage.Clients;

namespace Tessera.Broker.Admin;

/// <summary>What an admin endpoint works with, once its route group's policy found the endpoint's scope in the bearer token.</summary>
internal sealed record AdminRequest(IClientStore Clients, ClientSecrets Secrets, AuditLog Audit, TimeProvider Time, BrokerOptions Options)
{
    /// <summary>The services of an admin endpoint; its route group's policy has already checked the admin token's scope.</summary>
    public static AdminRequest For(HttpContext context)
    {
        var sp = context.RequestServices;
        return new AdminRequest(
            sp.GetRequiredService<IClientStore>(), sp.GetRequiredService<ClientSecrets>(), sp.GetRequiredService<AuditLog>(),
            sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<IOptions<BrokerOptions>>().Value);
    }

    /// <summary>Reads the JSON body as <typeparamref name="T"/> within the body limit; null when the refusal was already written.</summary>
    public async Task<T?> ReadBodyAsync<T>(HttpContext context, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> typeInfo)
        where T : class
    {
        var body = await JsonBody.ReadAsync(context, typeInfo, Options.MaxBodyBytes);
        if (body.Failure is { } bad)
        {
            await ProblemResult.From(bad).ExecuteAsync(context);
            return null;
        }

        return body.Value;
    }

    /// <summary>
    /// Reads the optional <c>{grace_seconds}</c> body of a rotate-secret call (default
    /// <c>TESSERA_SECRET_ROTATION_GRACE</c>); null when the refusal was already written.
    /// </summary>
    public static async Task<int?> ReadGraceAsync(HttpContext context, AdminRequest s)
    {
        RotateSecretRequest request = new();
        if (context.Request.ContentLength > 0 || context.Request.Headers.TransferEncoding.Count > 0)
        {
            if (await s.ReadBodyAsync(context, BrokerJson.Default.RotateSecretRequest) is not { } read)
            {
                return null;
            }

            request = read;
        }

        if (s.CheckGrace(request, out int grace) is { } failure)
        {
            await ProblemResult.From(failure).ExecuteAsync(context);
            return null;
        }

        return grace;
    }

    /// <summary>
    /// The grace period of a rotate-secret call: the request's <c>grace_seconds</c> (none sent: default
    /// <c>TESSERA_SECRET_ROTATION_GRACE</c>), 0 to 30 days.
    /// </summary>
    public Failure? CheckGrace(RotateSecretRequest? request, out int grace)
    {
        grace = request?.GraceSeconds ?? Options.SecretRotationGrace;
        return grace is < 0 or > 30 * 86400
            ? new Failure(ErrorCatalog.InvalidRequest, "grace_seconds must be between 0 and 2592000")
            : null;
    }
}
