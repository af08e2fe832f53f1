using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Tessera.Broker.Tests.Infrastructure;

namespace Tessera.Broker.Tests;

/// <summary>
/// The OpenAPI metadata of the platform, app, admin, key and audit endpoints: an operation id, a
/// summary and one tag each; and no accepted content type routing would check before the handler
/// (the broker's own body reader answers a wrong Content-Type with its problem document).
/// </summary>
public sealed class AdminEndpointMetadataTests(SharedBroker shared) : IClassFixture<SharedBroker>
{
    private static readonly Dictionary<string, string> Tags = new(StringComparer.Ordinal)
    {
        ["/v1/admin/platforms"] = "Platforms",
        ["/v1/platforms/{id}"] = "Platforms",
        ["/v1/admin/apps"] = "Apps",
        ["/v1/app/"] = "Apps",
        ["/v1/admin/auth"] = "Admin",
        ["/v1/admin/launch-tokens"] = "Admin",
        ["/.well-known/"] = "Keys",
        ["/v1/admin/keys"] = "Keys",
        ["/v1/audit/"] = "Audit",
    };

    [Fact]
    public void EveryEndpoint_HasNameSummaryAndItsFoldersTag()
    {
        var endpoints = Mine().ToList();
        var problems = new List<string>();
        foreach (var (endpoint, tag) in endpoints)
        {
            string name = endpoint.DisplayName ?? endpoint.RoutePattern.RawText!;
            if (endpoint.Metadata.GetMetadata<IEndpointNameMetadata>() is null)
            {
                problems.Add(name + ": no name");
            }

            if (endpoint.Metadata.GetMetadata<IEndpointSummaryMetadata>() is null)
            {
                problems.Add(name + ": no summary");
            }

            if (endpoint.Metadata.GetMetadata<ITagsMetadata>()?.Tags is not [var only] || only != tag)
            {
                problems.Add(name + ": tag is not " + tag);
            }
        }

        Assert.True(endpoints.Count >= 20, $"only {endpoints.Count} endpoints found");
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Fact]
    public void NoEndpoint_LetsRoutingCheckTheContentType()
    {
        var offenders = Mine()
            .Where(e => e.Endpoint.Metadata.GetMetadata<IAcceptsMetadata>() is { ContentTypes.Count: > 0 })
            .Select(e => e.Endpoint.RoutePattern.RawText)
            .ToList();

        Assert.Empty(offenders);
    }

    [Fact]
    public void BodyEndpoints_StillNameTheirRequestType()
    {
        var create = Mine().Single(e => e.Endpoint.RoutePattern.RawText!.TrimEnd('/') == "/v1/admin/platforms" && e.Endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()!.HttpMethods.Contains("POST")).Endpoint;

        Assert.Equal(typeof(Platforms.CreatePlatformRequest), create.Metadata.GetMetadata<IAcceptsMetadata>()!.RequestType);
    }

    private IEnumerable<(RouteEndpoint Endpoint, string Tag)> Mine()
    {
        foreach (var endpoint in shared.Broker.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>())
        {
            string path = endpoint.RoutePattern.RawText ?? "";
            foreach (var (prefix, tag) in Tags)
            {
                if (path.StartsWith(prefix, StringComparison.Ordinal) && !path.StartsWith("/v1/admin/agents", StringComparison.Ordinal))
                {
                    yield return (endpoint, tag);
                    break;
                }
            }
        }
    }
}
