using System.Reflection;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Tessera.Broker.Configuration;
using Tessera.Broker.Http;
using Tessera.Errors;

namespace Tessera.Broker.Admin;

/// <summary>
/// The body of a launch token request, bound as a handler parameter. Unlike
/// <see cref="RequestBody{T}"/>, a body that cannot be read is not answered before the handler: the
/// handler refuses it itself, because a refused launch token request is audited
/// (<c>launch_token_denied</c>) and the app route looks up the app first.
/// </summary>
internal sealed class LaunchTokenBody : IBindableFromHttpContext<LaunchTokenBody>, IEndpointParameterMetadataProvider
{
    private LaunchTokenBody(LaunchTokenRequest? value, Failure? failure)
    {
        Value = value;
        Failure = failure;
    }

    /// <summary>The request; null when <see cref="Failure"/> is set.</summary>
    public LaunchTokenRequest? Value { get; }

    /// <summary>Why the body could not be read (413, 415 or 400), or null.</summary>
    public Failure? Failure { get; }

    /// <summary>Reads the body within <c>TESSERA_MAX_BODY_BYTES</c>.</summary>
    public static async ValueTask<LaunchTokenBody?> BindAsync(HttpContext context, ParameterInfo parameter)
    {
        int max = context.RequestServices.GetRequiredService<IOptions<BrokerOptions>>().Value.MaxBodyBytes;
        var read = await JsonBody.ReadAsync(context, BrokerJson.Default.LaunchTokenRequest, max);
        return new LaunchTokenBody(read.Value, read.Failure);
    }

    /// <summary>
    /// Declares the JSON request body (without content types, so routing leaves the Content-Type check to the
    /// body reader; see <see cref="BodyContentTypes"/>) and the refusals of reading it.
    /// </summary>
    public static void PopulateMetadata(ParameterInfo parameter, Microsoft.AspNetCore.Builder.EndpointBuilder builder)
    {
        builder.Metadata.Add(new AcceptsMetadata([], typeof(LaunchTokenRequest), isOptional: false));
        builder.Metadata.Add(new ErrorsMetadata([ErrorCatalog.InvalidRequest, ErrorCatalog.PayloadTooLarge, ErrorCatalog.UnsupportedMediaType]));
    }
}
