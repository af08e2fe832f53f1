using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Tessera.Broker.Http;

namespace Tessera.Broker.OpenApi;

/// <summary>
/// The document-wide parts: title and description, the security schemes the operations refer to,
/// the problem document's schema, and no <c>servers</c> (paths are relative to wherever the broker
/// is reached, so one document serves every deployment).
/// </summary>
internal sealed class DocumentTransformer : IOpenApiDocumentTransformer
{
    /// <summary>Bearer tokens the broker issued: admin, app and agent tokens.</summary>
    public const string BearerScheme = "bearerToken";

    /// <summary>A platform's (or for <c>POST /v1/token</c>, any client's) id and secret with HTTP Basic.</summary>
    public const string BasicScheme = "clientCredentials";

    /// <summary>The component name of <see cref="ProblemDocument"/>.</summary>
    public const string ProblemSchema = "ProblemDocument";

    /// <summary>One line per tag (an endpoint's feature folder), shown above its operations.</summary>
    private static readonly Dictionary<string, string> TagDescriptions = new(StringComparer.Ordinal)
    {
        ["Admin"] = "The admin token (from the admin secret) and launch tokens for agents that register themselves.",
        ["Agents"] = "The agent inventory: every agent of either kind, its grants, and its lifecycle (suspend, unsuspend, revoke).",
        ["Apps"] = "Apps: clients that mint launch tokens for their own agents within a ceiling the operator sets.",
        ["Audit"] = "The hash-chained audit log: query, export and verification.",
        ["Credentials"] = "Agents with standing credentials exchange them for tokens (OAuth 2.0 client credentials).",
        ["Delegation"] = "An agent hands a narrower token to another agent; the chain is recorded in the token.",
        ["Documentation"] = "This document and the error reference.",
        ["Enforcement"] = "Platforms report what their verifiers allowed and refused.",
        ["Health"] = "Liveness, storage health and Prometheus metrics.",
        ["Keys"] = "The signing keys: the published JWKS, the broker metadata, and rotation.",
        ["MudraID compatibility"] = "The endpoints MudraID's SDKs call, answered the MudraID way.",
        ["Platforms"] = "The APIs agents call: hostnames, scopes, route rules (the scopes file), platform credentials.",
        ["Registration"] = "An agent proves a launch token and an Ed25519 key and receives its identity and first token.",
        ["Revocation"] = "Revoking tokens, agents, tasks and chains, and the feed verifiers follow.",
        ["Tokens"] = "Validating, renewing and releasing agent tokens.",
    };

    /// <summary>
    /// In a request body a field that may be null may also be left out (the broker reads a missing
    /// field and a null one alike), so only the non-nullable fields stay <c>required</c>; the
    /// generator marks every constructor parameter required. Answers keep theirs: every field is
    /// written, null or not.
    /// </summary>
    private static void RequestFieldsOptional(OpenApiDocument document)
    {
        var requestSchemas = new List<IOpenApiSchema>();
        foreach (var path in document.Paths.Values)
        {
            if (path.Operations is null)
            {
                continue;
            }

            foreach (var operation in path.Operations.Values)
            {
                foreach (var media in operation.RequestBody?.Content?.Values ?? [])
                {
                    if (media.Schema is OpenApiSchemaReference reference && document.Components?.Schemas?.TryGetValue(reference.Reference.Id ?? "", out var target) == true)
                    {
                        requestSchemas.Add(target);
                    }
                    else if (media.Schema is { } inline)
                    {
                        requestSchemas.Add(inline);
                    }
                }
            }
        }

        foreach (var schema in requestSchemas.OfType<OpenApiSchema>())
        {
            if (schema.Required is not { Count: > 0 } required || schema.Properties is null)
            {
                continue;
            }

            foreach (var (name, property) in schema.Properties)
            {
                if (property.Type is { } type && type.HasFlag(JsonSchemaType.Null))
                {
                    required.Remove(name);
                }
            }
        }
    }

    public async Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        document.Info = new OpenApiInfo
        {
            Title = "Tessera broker",
            Version = "1",
            Description =
                "Identity and short-lived, audience-bound credentials for AI agents: registration (launch token and Ed25519 " +
                "challenge, or standing credentials), issuance, renewal, delegation and revocation of signed tokens, the keys " +
                "that verify them, and a hash-chained audit log. Every refusal is an RFC 9457 problem document " +
                "(`application/problem+json`) with a stable `error_code`; the codes are listed per response and explained in " +
                "docs/errors.md. This document is generated from the broker's code.",
        };
        document.Servers = [];

        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        document.Components.SecuritySchemes[BearerScheme] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "bearer",
            BearerFormat = "JWT",
            Description =
                "A token this broker signed: an admin token (`POST /v1/admin/auth`), an app token (`POST /v1/app/auth`) or an " +
                "agent token (registration, `POST /v1/token`, renewal, delegation). The names listed in an operation's security " +
                "requirement are the scopes the token must cover.",
        };
        document.Components.SecuritySchemes[BasicScheme] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "basic",
            Description =
                "A client id and secret with HTTP Basic: a platform's own credentials (enforcement reports, its scopes file, the " +
                "revocation feed), or at `POST /v1/token` the credentials of the client asking for a token.",
        };

        var problem = await context.GetOrCreateSchemaAsync(typeof(ProblemDocument), null, cancellationToken);
        document.AddComponent(ProblemSchema, problem);
        RequestFieldsOptional(document);

        if (document.Tags is { Count: > 0 } tags)
        {
            foreach (var tag in tags)
            {
                tag.Description ??= TagDescriptions.GetValueOrDefault(tag.Name ?? "");
            }

            document.Tags = new HashSet<OpenApiTag>(tags.OrderBy(t => t.Name, StringComparer.Ordinal));
        }
    }
}
