using Polly;
using Polly.Retry;

namespace ReleaseFunctions.Integrations.GitHub.Client;

/// <summary>
/// Octokit's HTTP pipeline step that retries: transient failures (5xx, connection errors, timeouts of one attempt)
/// with exponential backoff and jitter, and rate limits for as long as GitHub asks (see <see cref="GitHubRateLimits"/>)
/// up to <see cref="GitHubClientOptions.MaxRateLimitWait"/>. Every wait runs on the injected <see cref="TimeProvider"/>.
/// The last answer goes back to Octokit as it came, so Octokit raises its usual exception for it.
/// </summary>
internal sealed class GitHubResilienceHandler : DelegatingHandler
{
    private readonly GitHubClientOptions _options;
    private readonly TimeProvider _time;
    private readonly ResiliencePipeline<HttpResponseMessage> _pipeline;

    public GitHubResilienceHandler(GitHubClientOptions options, TimeProvider time)
    {
        _options = options;
        _time = time;
        _pipeline = new ResiliencePipelineBuilder<HttpResponseMessage> { TimeProvider = time }
            .AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                MaxRetryAttempts = Math.Max(options.MaxRetryAttempts, 1),
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.RetryBaseDelay,
                // Caps the growing backoff; waits GitHub asks for come from DelayGenerator and are capped by MaxRateLimitWait instead.
                MaxDelay = TimeSpan.FromSeconds(30),
                ShouldHandle = args => ValueTask.FromResult(options.MaxRetryAttempts > 0 && IsWorthRetrying(args.Outcome, args.Context.CancellationToken)),
                DelayGenerator = args => ValueTask.FromResult(args.Outcome.Result is { } r ? RateLimitWait(r) : null),
                OnRetry = args =>
                {
                    // The answer that is retried is never read; release its connection now.
                    args.Outcome.Result?.Dispose();
                    return ValueTask.CompletedTask;
                },
            })
            .Build();
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
        await _pipeline.ExecuteAsync(
            async (state, ct) => await state.Handler.SendOnceAsync(state.Request, ct).ConfigureAwait(false),
            (Handler: this, Request: request),
            cancellationToken).ConfigureAwait(false);

    private Task<HttpResponseMessage> SendOnceAsync(HttpRequestMessage request, CancellationToken cancellationToken) => base.SendAsync(request, cancellationToken);

    private bool IsWorthRetrying(Outcome<HttpResponseMessage> outcome, CancellationToken callerToken) => outcome switch
    {
        { Exception: HttpRequestException } => true,
        { Exception: OperationCanceledException } => !callerToken.IsCancellationRequested,
        { Result: { } r } when (int)r.StatusCode >= 500 => true,
        { Result: { } r } when RateLimitWait(r) is { } wait => wait <= _options.MaxRateLimitWait,
        _ => false,
    };

    private TimeSpan? RateLimitWait(HttpResponseMessage response) =>
        GitHubRateLimits.Wait((int)response.StatusCode, name => response.Headers.TryGetValues(name, out var values) ? values.FirstOrDefault()?.Trim() : null, _time.GetUtcNow());
}
