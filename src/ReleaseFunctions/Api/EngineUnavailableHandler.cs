using Grpc.Core;
using Microsoft.AspNetCore.Diagnostics;
using ReleaseFunctions.Durable;

namespace ReleaseFunctions.Api;

/// <summary>
/// A request that needed the workflow's engine while it did not answer (its backend unreachable, or its store down)
/// gets 503 with <c>Retry-After</c> and a problem that says so, instead of a bare 500: the caller did nothing wrong
/// and can send the same request again (a start of an existing release is refused, a command is idempotent in effect).
/// Anything else is left to the default handling.
/// </summary>
internal sealed partial class EngineUnavailableHandler(IProblemDetailsService problems, ILogger<EngineUnavailableHandler> logger) : IExceptionHandler
{
    /// <summary>Seconds a caller should wait before trying again.</summary>
    internal const int RetryAfterSeconds = 5;

    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        var cause = exception switch
        {
            RpcException { StatusCode: StatusCode.Unavailable or StatusCode.DeadlineExceeded } rpc => $"the workflow engine did not answer ({rpc.StatusCode}: {rpc.Status.Detail})",
            DurableStoreException store => $"the workflow engine's store failed ({store.Message})",
            _ => null,
        };
        if (cause is null)
        {
            return false;
        }

        Unavailable(logger, httpContext.Request.Method, httpContext.Request.Path, cause);
        httpContext.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        httpContext.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails =
            {
                Status = StatusCodes.Status503ServiceUnavailable,
                Title = "The workflow engine is unavailable",
                Detail = $"{cause}; the request may not have taken effect: send it again after {RetryAfterSeconds} s (a repeated command or start is harmless).",
            },
        });
    }

    [LoggerMessage(EventId = 7601, Level = LogLevel.Warning, Message = "{Method} {Path} answered 503: {Cause}")]
    private static partial void Unavailable(ILogger logger, string method, string path, string cause);
}
