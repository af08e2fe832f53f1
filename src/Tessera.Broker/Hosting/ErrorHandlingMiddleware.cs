using System.Data.Common;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Tessera.Broker.Audit;
using Tessera.Broker.Http;
using Tessera.Errors;

namespace Tessera.Broker.Hosting;

/// <summary>
/// The last line of defence: whatever escapes an endpoint becomes a problem document with a
/// code, never a bare 500 page or a dropped connection. Storage trouble is 503 (retry), not 500.
/// </summary>
internal sealed partial class ErrorHandlingMiddleware(RequestDelegate next, ILogger<ErrorHandlingMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        try
        {
            await next(context);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away; nobody is listening for an answer.
        }
        catch (BadHttpRequestException ex) when (!context.Response.HasStarted)
        {
            var error = ex.StatusCode == StatusCodes.Status413PayloadTooLarge ? ErrorCatalog.PayloadTooLarge : ErrorCatalog.InvalidRequest;
            string detail = error == ErrorCatalog.PayloadTooLarge ? "request body is too large" : "malformed request";
            await new ProblemResult(error, detail).ExecuteAsync(context);
        }
        catch (Exception ex) when (!context.Response.HasStarted && ex is AuditUnavailableException or DbException)
        {
            LogStorageFailure(logger, context.Request.Path.Value ?? "/", ex);
            (context.RequestServices.GetService(typeof(Metrics.BrokerMetrics)) as Metrics.BrokerMetrics)?.DbErrors.WithLabels(context.Request.Path.Value ?? "/").Inc();
            context.Response.Headers.RetryAfter = "1";
            await new ProblemResult(ErrorCatalog.ServiceUnavailable, "the operation could not be recorded durably; nothing was acknowledged").ExecuteAsync(context);
        }
#pragma warning disable CA1031 // Every failure must become a documented answer, never a crash.
        catch (Exception ex) when (!context.Response.HasStarted)
#pragma warning restore CA1031
        {
            LogUnhandled(logger, context.Request.Path.Value ?? "/", ex);
            await new ProblemResult(ErrorCatalog.InternalError, "internal error").ExecuteAsync(context);
        }
    }

    [LoggerMessage(EventId = 1001, Level = LogLevel.Error, Message = "Storage failure on {Path}")]
    private static partial void LogStorageFailure(ILogger logger, string path, Exception exception);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Error, Message = "Unhandled failure on {Path}")]
    private static partial void LogUnhandled(ILogger logger, string path, Exception exception);
}
