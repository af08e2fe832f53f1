using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Tessera.Broker.Http;
using Tessera.Broker.Tests.Infrastructure;

namespace Tessera.Broker.Tests;

/// <summary>
/// The agent-facing endpoints (registration, tokens, delegation, revocation, enforcement) describe
/// themselves for the OpenAPI document: operation id, summary, one tag, the error codes they answer.
/// </summary>
public sealed class AgentEndpointMetadataTests(SharedBroker shared) : IClassFixture<SharedBroker>
{
    [Theory]
    [InlineData("GET", "/v1/challenge", "getChallenge", "Registration", "")]
    [InlineData("POST", "/v1/register", "register", "Registration", "invalid_request invalid_scope_format invalid_ttl unauthorized scope_violation audience_not_allowed agent_revoked")]
    [InlineData("POST", "/v1/token/validate", "validateToken", "Tokens", "invalid_request")]
    [InlineData("POST", "/v1/token/renew", "renewToken", "Tokens", "unauthorized agent_revoked agent_suspended delegated_token_not_renewable rate_limited insufficient_scope")]
    [InlineData("POST", "/v1/token/release", "releaseToken", "Tokens", "")]
    [InlineData("POST", "/v1/delegate", "delegate", "Delegation", "invalid_request invalid_scope_format invalid_ttl unauthorized insufficient_scope scope_violation delegation_depth_exceeded agent_revoked agent_suspended not_found")]
    [InlineData("POST", "/v1/revoke", "revoke", "Revocation", "invalid_request")]
    [InlineData("GET", "/v1/revocations", "listRevocations", "Revocation", "invalid_request")]
    [InlineData("GET", "/v1/revocations/stream", "streamRevocations", "Revocation", "invalid_request too_many_streams")]
    [InlineData("POST", "/v1/enforcement/reports", "enforcementReport", "Enforcement", "invalid_request")]
    public void Endpoint_DescribesItself(string method, string route, string operationId, string tag, string errors)
    {
        var endpoint = Find(method, route);

        Assert.Equal(operationId, endpoint.Metadata.GetMetadata<IEndpointNameMetadata>()?.EndpointName);
        Assert.False(string.IsNullOrWhiteSpace(endpoint.Metadata.GetMetadata<IEndpointSummaryMetadata>()?.Summary));
        Assert.Equal([tag], endpoint.Metadata.GetOrderedMetadata<ITagsMetadata>().SelectMany(t => t.Tags));
        string[] declared = [.. endpoint.Metadata.GetOrderedMetadata<ErrorsMetadata>().SelectMany(m => m.Errors).Select(e => e.Code).Distinct()];
        foreach (string code in errors.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            Assert.Contains(code, declared);
        }
    }

    [Fact]
    public void Stream_IsDescribedAsServerSentEvents()
    {
        var endpoint = Find("GET", "/v1/revocations/stream");

        Assert.Contains(endpoint.Metadata.GetOrderedMetadata<IProducesResponseTypeMetadata>(), p => p.StatusCode == 200 && p.ContentTypes.Contains("text/event-stream"));
    }

    private RouteEndpoint Find(string method, string route) =>
        shared.Broker.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Single(e => "/" + e.RoutePattern.RawText!.Trim('/') == route &&
                         e.Metadata.GetMetadata<IHttpMethodMetadata>()!.HttpMethods.Contains(method));
}
