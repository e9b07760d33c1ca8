using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Polly;
using Polly.Retry;
using Polly.Timeout;
using ReleaseFunctions.Core.Ports;

namespace ReleaseFunctions.Integrations.Http;

/// <summary>
/// The one place where every adapter's HTTP calls are retried and their failures turned into
/// <see cref="IntegrationException"/>s: 429 and 5xx and connection failures and per-attempt timeouts are retried with
/// exponential back-off (honouring Retry-After) for a bounded number of attempts; everything else ends at once.
/// Delays and timeouts run on the injected <see cref="TimeProvider"/>.
/// </summary>
internal sealed class ResilientHttpClient
{
    private const int QuotedBodyLimit = 500;
    private static readonly ResiliencePropertyKey<bool> RepeatableKey = new("ReleaseFunctions.Repeatable");

    private readonly HttpClient _http;
    private readonly HttpResilienceOptions _options;
    private readonly TimeProvider _time;
    private readonly ResiliencePipeline<HttpResponseMessage> _pipeline;

    public ResilientHttpClient(HttpClient http, HttpResilienceOptions options, TimeProvider time, string system)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentException.ThrowIfNullOrWhiteSpace(system);
        _http = http;
        _options = options;
        _time = time;
        System = system;
        _pipeline = BuildPipeline();
    }

    /// <summary>The outside system's name, used in every failure message.</summary>
    public string System { get; }

    /// <summary>
    /// Sends the request (made afresh for every attempt) and returns the successful (2xx) response, which the
    /// caller disposes; any other final outcome is thrown as an <see cref="IntegrationException"/>.
    /// </summary>
    public async Task<HttpResponseMessage> SendAsync(
        Func<CancellationToken, ValueTask<HttpRequestMessage>> createRequest,
        IntegrationCall call,
        CancellationToken cancellationToken)
    {
        var attempts = 0;
        Outcome<HttpResponseMessage> outcome;
        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        SetRepeatable(context, call.Repeatable);
        try
        {
            outcome = await _pipeline.ExecuteOutcomeAsync(
                async (ctx, _) =>
                {
                    attempts++;
                    try
                    {
                        using var request = await createRequest(ctx.CancellationToken).ConfigureAwait(false);
                        var response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, ctx.CancellationToken).ConfigureAwait(false);
                        return Outcome.FromResult(response);
                    }
                    catch (Exception ex)
                    {
                        return Outcome.FromException<HttpResponseMessage>(ex);
                    }
                },
                context,
                0).ConfigureAwait(false);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }

        if (outcome.Exception is { } exception)
        {
            throw MapException(exception, call, attempts, cancellationToken);
        }

        var result = outcome.Result!;
        if (result.IsSuccessStatusCode)
        {
            return result;
        }

        using (result)
        {
            throw await MapStatusAsync(result, call, attempts, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Sends the request and reads the successful response as JSON of the documented shape.</summary>
    public async Task<T> SendForJsonAsync<T>(
        Func<CancellationToken, ValueTask<HttpRequestMessage>> createRequest,
        IntegrationCall call,
        JsonTypeInfo<T> responseType,
        CancellationToken cancellationToken)
    {
        using var response = await SendAsync(createRequest, call, cancellationToken).ConfigureAwait(false);
        return await ReadJsonAsync(response, call, responseType, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Reads a response body as JSON; anything that does not parse into the documented shape is malformed.</summary>
    public async Task<T> ReadJsonAsync<T>(HttpResponseMessage response, IntegrationCall call, JsonTypeInfo<T> responseType, CancellationToken cancellationToken)
    {
        var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        return ParseJson(body, call, responseType);
    }

    /// <summary>Parses a body as JSON of the documented shape; anything else is malformed.</summary>
    public T ParseJson<T>(string body, IntegrationCall call, JsonTypeInfo<T> responseType)
    {
        try
        {
            return JsonSerializer.Deserialize(body, responseType)
                ?? throw Malformed(call, "the response body is JSON null", body);
        }
        catch (JsonException ex)
        {
            throw Malformed(call, $"the response body is not the documented JSON ({ex.Message})", body, ex);
        }
    }

    /// <summary>A failure for an answer that parsed but does not have the documented shape.</summary>
    public IntegrationException Malformed(IntegrationCall call, string what, string? body = null, Exception? inner = null)
        => new(System, IntegrationFailureKind.MalformedResponse,
            $"{call.Operation} on {call.Resource} got an unexpected answer: {what}.{Quote(body)}", null, inner);

    /// <summary>Quotes a response body for a message, cut to a readable length.</summary>
    public static string Quote(string? body)
    {
        if (string.IsNullOrWhiteSpace(body))
        {
            return string.Empty;
        }

        var trimmed = body.Trim();
        return trimmed.Length <= QuotedBodyLimit
            ? $" Response: \"{trimmed}\""
            : $" Response (first {QuotedBodyLimit} of {trimmed.Length} characters): \"{trimmed[..QuotedBodyLimit]}…\"";
    }

    private ResiliencePipeline<HttpResponseMessage> BuildPipeline()
        => Pipeline<HttpResponseMessage>(
            (outcome, context) => ShouldRetry(outcome.Exception, outcome.Result is { } r ? (int)r.StatusCode : null, RetryAfter(outcome.Result), context),
            RetryAfter,
            // The response that is retried is never read again; release its connection now.
            response => response?.Dispose());

    /// <summary>
    /// The retry (exponential back-off, or what Retry-After says) and per-attempt timeout, on the injected clock, for a
    /// response of any HTTP stack: this client's, or an Azure SDK pipeline's (<see cref="Deployment.ArmResiliencePolicy"/>,
    /// which cannot cancel an attempt and so leaves the attempt's timeout to the SDK).
    /// </summary>
    internal ResiliencePipeline<T> Pipeline<T>(Func<Outcome<T>, ResilienceContext, bool> shouldRetry, Func<T?, TimeSpan?> retryAfter, Action<T?> release, bool attemptTimeout = true)
    {
        var builder = new ResiliencePipelineBuilder<T> { TimeProvider = _time };
        if (_options.MaxAttempts > 1)
        {
            builder.AddRetry(new RetryStrategyOptions<T>
            {
                MaxRetryAttempts = _options.MaxAttempts - 1,
                BackoffType = DelayBackoffType.Exponential,
                Delay = _options.BaseDelay,
                MaxDelay = _options.MaxDelay,
                UseJitter = _options.UseJitter,
                ShouldHandle = args => ValueTask.FromResult(shouldRetry(args.Outcome, args.Context)),
                DelayGenerator = args => ValueTask.FromResult(retryAfter(args.Outcome.Result)),
                OnRetry = args =>
                {
                    release(args.Outcome.Result);
                    return ValueTask.CompletedTask;
                },
            });
        }

        return attemptTimeout ? builder.AddTimeout(_options.AttemptTimeout).Build() : builder.Build();
    }

    /// <summary>Marks a call that must not happen twice (see <see cref="IntegrationCall.Repeatable"/>) for the retry rule.</summary>
    internal static void SetRepeatable(ResilienceContext context, bool repeatable) => context.Properties.Set(RepeatableKey, repeatable);

    internal bool ShouldRetry(Exception? exception, int? status, TimeSpan? retryAfter, ResilienceContext context)
    {
        // A call that must not happen twice (a slot swap) is repeated only when the server said it did not act (429).
        var repeatable = context.Properties.GetValue(RepeatableKey, true);
        if (exception is not null)
        {
            return repeatable
                && !context.CancellationToken.IsCancellationRequested
                && exception is HttpRequestException or TimeoutRejectedException or TaskCanceledException or Azure.RequestFailedException { Status: 0 };
        }

        if (status == (int)HttpStatusCode.TooManyRequests)
        {
            // A server that asks for a longer wait than allowed gets a clear "throttled" now rather than a long wait.
            return retryAfter is not { } wait || wait <= _options.MaxDelay;
        }

        return repeatable && status >= 500 && status != (int)HttpStatusCode.NotImplemented;
    }

    private TimeSpan? RetryAfter(HttpResponseMessage? response)
    {
        var header = response?.Headers.RetryAfter;
        return header is null ? null : Wait(header.Delta, header.Date);
    }

    /// <summary>A Retry-After as a wait from now: its seconds, or the time to its date (never negative).</summary>
    internal TimeSpan? Wait(TimeSpan? delta, DateTimeOffset? date)
    {
        var wait = delta ?? (date is { } d ? d - _time.GetUtcNow() : null);
        return wait is { } w ? (w < TimeSpan.Zero ? TimeSpan.Zero : w) : null;
    }

    internal Exception MapException(Exception exception, IntegrationCall call, int attempts, CancellationToken callerToken)
    {
        if (exception is OperationCanceledException && callerToken.IsCancellationRequested)
        {
            return new OperationCanceledException($"{call.Operation} on {call.Resource} was cancelled.", exception, callerToken);
        }

        return exception switch
        {
            // Raised by the adapter's own request factory (for example a credential without a token): already final.
            IntegrationException integration => integration,
            TimeoutRejectedException or TaskCanceledException => new IntegrationException(System, IntegrationFailureKind.Timeout,
                $"{call.Operation} on {call.Resource} got no answer within {_options.AttemptTimeout.TotalSeconds:0.###} s, {Attempts(attempts)}.{NotRepeated(call)}", null, exception),
            HttpRequestException http => Unreachable(http.Message),
            Azure.RequestFailedException { Status: 0 } azure => Unreachable(azure.InnerException?.Message ?? azure.Message),
            _ => new IntegrationException(System, IntegrationFailureKind.Unavailable,
                $"{call.Operation} on {call.Resource} failed unexpectedly ({exception.GetType().Name}: {exception.Message}).", null, exception),
        };

        IntegrationException Unreachable(string why) => new(System, IntegrationFailureKind.Unavailable,
            $"{call.Operation} on {call.Resource} could not reach the service ({why}), {Attempts(attempts)}.{NotRepeated(call)}", null, exception);
    }

    private async Task<IntegrationException> MapStatusAsync(HttpResponseMessage response, IntegrationCall call, int attempts, CancellationToken cancellationToken)
    {
        var status = (int)response.StatusCode;
        string body;
        try
        {
            body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException)
        {
            body = string.Empty;
        }

        return Failure(status, response.ReasonPhrase, body, RetryAfter(response), call, attempts);
    }

    /// <summary>The failure for a final answer that is not a success, naming what the caller's identity needs.</summary>
    internal IntegrationException Failure(int status, string? reason, string body, TimeSpan? retryAfter, IntegrationCall call, int attempts)
    {
        var quoted = Quote(body);
        var what = $"{call.Operation} on {call.Resource} answered {status} {reason}";
        return status switch
        {
            401 => new IntegrationException(System, IntegrationFailureKind.Unauthorized,
                $"{what}: the request carried no valid credentials; the identity needs {call.RequiredAccess}.{quoted}", status),
            403 => new IntegrationException(System, IntegrationFailureKind.Unauthorized,
                $"{what}: the identity is not allowed; it needs {call.RequiredAccess}.{quoted}", status),
            404 => new IntegrationException(System, IntegrationFailureKind.NotFound,
                $"{what}: {call.Resource} does not exist; check the resource named in settings or policy.{quoted}", status),
            429 => new IntegrationException(System, IntegrationFailureKind.Throttled,
                retryAfter is { } wait && wait > _options.MaxDelay
                    ? $"{what}: throttled, and asked to wait {wait.TotalSeconds:0} s, longer than the {_options.MaxDelay.TotalSeconds:0} s allowed.{quoted}"
                    : $"{what}: still throttled {Attempts(attempts)}.{quoted}", status),
            >= 500 => new IntegrationException(System, IntegrationFailureKind.Unavailable,
                $"{what}: the service failed {Attempts(attempts)}.{NotRepeated(call)}{quoted}", status),
            >= 400 => new IntegrationException(System, IntegrationFailureKind.Rejected,
                $"{what}: the request was refused.{quoted}", status),
            _ => new IntegrationException(System, IntegrationFailureKind.MalformedResponse,
                $"{what}, which is not a documented answer.{quoted}", status),
        };
    }

    private static string Attempts(int attempts) => attempts == 1 ? "after 1 attempt" : $"after {attempts} attempts";

    private static string NotRepeated(IntegrationCall call)
        => call.Repeatable ? string.Empty : " It was not repeated because doing it twice is not safe; read the current state before trying again.";
}
