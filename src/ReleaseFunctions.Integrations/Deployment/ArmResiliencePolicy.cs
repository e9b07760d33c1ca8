using Azure;
using Azure.Core;
using Azure.Core.Pipeline;
using Polly;
using ReleaseFunctions.Integrations.Http;

namespace ReleaseFunctions.Integrations.Deployment;

/// <summary>The call an ARM request belongs to, and how many attempts it took, carried to <see cref="ArmResiliencePolicy"/>.</summary>
internal sealed class ArmCallScope(IntegrationCall call)
{
    public const string Property = "ReleaseFunctions.ArmCall";

    public IntegrationCall Call { get; } = call;

    public int Attempts { get; set; }
}

/// <summary>
/// The ARM client's retry policy: the project's retry rule and back-off on the injected clock (the SDK's own waits run
/// on the wall clock), and a guard that no request, and so no token, goes to a host other than the configured ARM host
/// (an operation's monitor URL comes from the answer). It stands before the SDK's bearer-token policy in the pipeline.
/// </summary>
internal sealed class ArmResiliencePolicy : HttpPipelinePolicy
{
    private readonly ResilientHttpClient _http;
    private readonly Uri _endpoint;
    private readonly ResiliencePipeline<Response> _pipeline;

    public ArmResiliencePolicy(ResilientHttpClient http, Uri endpoint)
    {
        _http = http;
        _endpoint = endpoint;
        _pipeline = http.Pipeline<Response>(
            (outcome, context) => http.ShouldRetry(outcome.Exception, outcome.Result?.Status, RetryAfter(outcome.Result), context),
            RetryAfter,
            _ => { },
            attemptTimeout: false);
    }

    public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
        => ProcessAsync(message, pipeline).AsTask().GetAwaiter().GetResult();

    public override async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        var scope = message.TryGetProperty(ArmCallScope.Property, out var value) && value is ArmCallScope s
            ? s
            : new ArmCallScope(new IntegrationCall($"{message.Request.Method} {message.Request.Uri.Path}", message.Request.Uri.Path, "access to the resource"));
        var uri = message.Request.Uri.ToUri();
        if (!string.Equals(uri.Authority, _endpoint.Authority, StringComparison.OrdinalIgnoreCase))
        {
            throw _http.Malformed(scope.Call, $"the URL '{uri}' it was sent to is not on {_endpoint.Authority}; no token is sent elsewhere");
        }

        var context = ResilienceContextPool.Shared.Get(message.CancellationToken);
        ResilientHttpClient.SetRepeatable(context, scope.Call.Repeatable);
        try
        {
            var outcome = await _pipeline.ExecuteOutcomeAsync(
                async (_, state) =>
                {
                    state.Attempts++;
                    try
                    {
                        await ProcessNextAsync(message, pipeline).ConfigureAwait(false);
                        return Outcome.FromResult(message.Response);
                    }
                    catch (Exception ex)
                    {
                        return Outcome.FromException<Response>(ex);
                    }
                },
                context,
                scope).ConfigureAwait(false);
            outcome.ThrowIfException();
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    /// <summary>A response's Retry-After (seconds or a date) as a wait from now.</summary>
    internal TimeSpan? RetryAfter(Response? response)
    {
        if (response is null || !response.Headers.TryGetValue("Retry-After", out var header))
        {
            return null;
        }

        return int.TryParse(header, out var seconds) ? _http.Wait(TimeSpan.FromSeconds(seconds), null)
            : DateTimeOffset.TryParse(header, out var date) ? _http.Wait(null, date)
            : null;
    }
}
