using System.Reflection;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Tessera.Broker.Configuration;
using Tessera.Errors;

namespace Tessera.Broker.Http;

/// <summary>
/// A JSON request body bound as a handler parameter. Binding never fails the framework's way: a body
/// that is too large, not JSON or mistyped becomes a <see cref="Failure"/> (413, 415, 400 naming the
/// field), which <see cref="RequestBodyFilter"/> answers with the problem document before the handler
/// runs. A handler therefore sees <see cref="Value"/> set. The endpoint's OpenAPI request body comes
/// from the same parameter (<see cref="PopulateMetadata"/>).
/// </summary>
/// <typeparam name="T">The request type; it must be registered in <see cref="BrokerJson"/>.</typeparam>
internal sealed class RequestBody<T> : IBindableFromHttpContext<RequestBody<T>>, IEndpointParameterMetadataProvider, IRequestBody
    where T : class
{
    private static readonly JsonTypeInfo<T> TypeInfo = (JsonTypeInfo<T>)BrokerJson.Default.GetTypeInfo(typeof(T))!;

    private RequestBody(T? value, Failure? failure)
    {
        Value = value!;
        Failure = failure;
    }

    /// <summary>The request; set whenever the handler runs.</summary>
    public T Value { get; }

    /// <inheritdoc />
    public Failure? Failure { get; }

    /// <summary>Reads the body within <c>TESSERA_MAX_BODY_BYTES</c>.</summary>
    public static async ValueTask<RequestBody<T>?> BindAsync(HttpContext context, ParameterInfo parameter)
    {
        int max = context.RequestServices.GetRequiredService<IOptions<BrokerOptions>>().Value.MaxBodyBytes;
        var read = await JsonBody.ReadAsync(context, TypeInfo, max);
        return new RequestBody<T>(read.Value, read.Failure);
    }

    /// <summary>Declares the JSON request body and the refusals of reading it.</summary>
    public static void PopulateMetadata(ParameterInfo parameter, EndpointBuilder builder)
    {
        // No content types listed: routing would then refuse a non-JSON body with its own bare 415 before
        // the body reader gives the broker's; the OpenAPI generator takes application/json as the default.
        builder.Metadata.Add(new AcceptsMetadata([], typeof(T), isOptional: false));
        builder.Metadata.Add(new ErrorsMetadata([ErrorCatalog.InvalidRequest, ErrorCatalog.PayloadTooLarge, ErrorCatalog.UnsupportedMediaType]));
    }
}

/// <summary>
/// A JSON request body that may be absent (no <c>Content-Length</c> above zero and no
/// <c>Transfer-Encoding</c>): then <see cref="Value"/> is null. A body that is present is read as
/// <see cref="RequestBody{T}"/> reads it.
/// </summary>
/// <typeparam name="T">The request type; it must be registered in <see cref="BrokerJson"/>.</typeparam>
internal sealed class OptionalRequestBody<T> : IBindableFromHttpContext<OptionalRequestBody<T>>, IEndpointParameterMetadataProvider, IRequestBody
    where T : class
{
    private static readonly JsonTypeInfo<T> TypeInfo = (JsonTypeInfo<T>)BrokerJson.Default.GetTypeInfo(typeof(T))!;

    private OptionalRequestBody(T? value, Failure? failure)
    {
        Value = value;
        Failure = failure;
    }

    /// <summary>The request, or null when none was sent.</summary>
    public T? Value { get; }

    /// <inheritdoc />
    public Failure? Failure { get; }

    /// <summary>Reads the body, if one was sent, within <c>TESSERA_MAX_BODY_BYTES</c>.</summary>
    public static async ValueTask<OptionalRequestBody<T>?> BindAsync(HttpContext context, ParameterInfo parameter)
    {
        var request = context.Request;
        if (!(request.ContentLength > 0 || request.Headers.TransferEncoding.Count > 0))
        {
            return new OptionalRequestBody<T>(null, null);
        }

        int max = context.RequestServices.GetRequiredService<IOptions<BrokerOptions>>().Value.MaxBodyBytes;
        var read = await JsonBody.ReadAsync(context, TypeInfo, max);
        return new OptionalRequestBody<T>(read.Value, read.Failure);
    }

    /// <summary>Declares the optional JSON request body and the refusals of reading it.</summary>
    public static void PopulateMetadata(ParameterInfo parameter, EndpointBuilder builder)
    {
        builder.Metadata.Add(new AcceptsMetadata([], typeof(T), isOptional: true));
        builder.Metadata.Add(new ErrorsMetadata([ErrorCatalog.InvalidRequest, ErrorCatalog.PayloadTooLarge, ErrorCatalog.UnsupportedMediaType]));
    }
}

/// <summary>A bound request body whose reading may have failed.</summary>
internal interface IRequestBody
{
    /// <summary>Why the body could not be read, or null when it was.</summary>
    Failure? Failure { get; }
}

/// <summary>
/// Answers a request whose <see cref="RequestBody{T}"/> or <see cref="OptionalRequestBody{T}"/> could
/// not be read with its problem document, before the handler runs. Installed on the broker's root
/// route group; an endpoint without such a parameter gets no filter at all (the factory returns
/// <c>next</c>, so the request delegate is unchanged and costs nothing).
/// </summary>
internal static class RequestBodyFilter
{
    public static EndpointFilterDelegate Factory(EndpointFilterFactoryContext context, EndpointFilterDelegate next)
    {
        var parameters = context.MethodInfo.GetParameters();
        var indexes = new List<int>();
        for (int i = 0; i < parameters.Length; i++)
        {
            if (typeof(IRequestBody).IsAssignableFrom(parameters[i].ParameterType))
            {
                indexes.Add(i);
            }
        }

        if (indexes.Count == 0)
        {
            return next;
        }

        int[] bodies = [.. indexes];
        return invocation =>
        {
            foreach (int i in bodies)
            {
                if (invocation.Arguments[i] is IRequestBody { Failure: { } failure })
                {
                    return ValueTask.FromResult<object?>(ProblemResult.From(failure));
                }
            }

            return next(invocation);
        };
    }
}
