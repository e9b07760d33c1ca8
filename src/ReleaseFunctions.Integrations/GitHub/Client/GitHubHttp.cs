using Octokit;
using Octokit.Internal;

namespace ReleaseFunctions.Integrations.GitHub.Client;

/// <summary>
/// Octokit's <see cref="IHttpClient"/> for the app: <see cref="HttpClientAdapter"/> over the retry handler and the
/// transport. Octokit bounds a whole call by its request timeout (100 s of real time); here retries and rate-limit
/// waits are bounded by the options and each attempt by the transport's timeout instead, so that bound is lifted.
/// Most Octokit calls take no cancellation token; the caller's token travels in <see cref="CallerCancellation"/>.
/// </summary>
internal sealed class GitHubHttp : IHttpClient
{
    private readonly HttpClientAdapter _adapter;

    public GitHubHttp(HttpClient transport, GitHubClientOptions options, TimeProvider time)
    {
        _adapter = new HttpClientAdapter(() => new GitHubResilienceHandler(options, time) { InnerHandler = new GitHubTransportHandler(transport) });
        _adapter.SetRequestTimeout(Timeout.InfiniteTimeSpan);
    }

    /// <summary>The token of the GitHub call under way on this flow; set by the client before it calls Octokit.</summary>
    public static AsyncLocal<CancellationToken> CallerCancellation { get; } = new();

    public async Task<IResponse> Send(IRequest request, CancellationToken cancellationToken, Func<object, object>? preprocessResponseBody = null)
    {
        if (request is Request timed)
        {
            timed.Timeout = TimeSpan.Zero;
        }

        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, CallerCancellation.Value);
        return await _adapter.Send(request, linked.Token, preprocessResponseBody).ConfigureAwait(false);
    }

    public void SetRequestTimeout(TimeSpan timeout) => _adapter.SetRequestTimeout(timeout);

    public void Dispose() => _adapter.Dispose();
}
