using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Polly;
using Polly.Retry;
using ReleaseFunctions.Core.Ports;

namespace ReleaseFunctions.Integrations.GitHub.Client;

/// <summary>
/// Sends one REST call to GitHub with the required headers, the right bearer token, and a Polly retry pipeline:
/// transient failures (5xx, connection errors, timeouts) are retried with exponential backoff and jitter, rate limits
/// are waited out (<c>Retry-After</c>, or <c>X-RateLimit-Remaining: 0</c> until <c>X-RateLimit-Reset</c>) up to
/// <see cref="GitHubClientOptions.MaxRateLimitWait"/>. All waits run on the injected <see cref="TimeProvider"/>.
/// A call that fails for good throws <see cref="IntegrationException"/> with GitHub's status and message.
/// </summary>
internal sealed class GitHubConnection : IDisposable
{
    public const string SystemName = "GitHub";
    private static readonly MediaTypeWithQualityHeaderValue GitHubJson = new("application/vnd.github+json");

    private readonly HttpClient _http;
    private readonly GitHubClientOptions _options;
    private readonly TimeProvider _time;
    private readonly GitHubTokenProvider _tokens;
    private readonly ResiliencePipeline<HttpResponseMessage> _pipeline;
    private readonly Uri _base;

    public GitHubConnection(HttpClient http, GitHubClientOptions options, TimeProvider time)
    {
        _http = http;
        _options = options;
        _time = time;
        _tokens = new GitHubTokenProvider(options, time);
        _base = options.BaseAddress.AbsoluteUri.EndsWith('/') ? options.BaseAddress : new Uri(options.BaseAddress.AbsoluteUri + "/");
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
            })
            .Build();
    }

    /// <summary>The App id when authenticating as an App (it marks the App's own comments).</summary>
    public long? AppId => _tokens.AppId;

    public Uri BaseAddress => _base;

    /// <summary>An API path relative to the base address; each segment is escaped by the caller.</summary>
    public Uri Api(string relative) => new(_base, relative.TrimStart('/'));

    /// <summary>Sends and reads a JSON answer; 404 becomes null when <paramref name="notFoundIsAnswer"/>.</summary>
    public async Task<TResponse?> SendAsync<TRequest, TResponse>(
        HttpMethod method, Uri uri, long? installationId, TRequest? body, JsonTypeInfo<TRequest>? requestType,
        JsonTypeInfo<TResponse> responseType, bool notFoundIsAnswer, CancellationToken cancellationToken)
        where TResponse : class
    {
        var content = body is null || requestType is null ? null : JsonSerializer.SerializeToUtf8Bytes(body, requestType);
        var (status, bytes) = await SendAsync(method, uri, installationId, content, notFoundIsAnswer, cancellationToken).ConfigureAwait(false);
        return status == HttpStatusCode.NotFound ? null : Read(method, uri, status, bytes, responseType);
    }

    /// <summary>Sends and checks the status only (for 204 answers).</summary>
    public async Task SendAsync<TRequest>(HttpMethod method, Uri uri, long? installationId, TRequest body, JsonTypeInfo<TRequest> requestType, CancellationToken cancellationToken) =>
        await SendAsync(method, uri, installationId, JsonSerializer.SerializeToUtf8Bytes(body, requestType), notFoundIsAnswer: false, cancellationToken).ConfigureAwait(false);

    public void Dispose() => _tokens.Dispose();

    private async Task<(HttpStatusCode Status, byte[] Body)> SendAsync(
        HttpMethod method, Uri uri, long? installationId, byte[]? content, bool notFoundIsAnswer, CancellationToken cancellationToken)
    {
        HttpResponseMessage response;
        try
        {
            response = await _pipeline.ExecuteAsync(
                async ct =>
                {
                    var token = await _tokens.GetAsync(installationId, RequestInstallationTokenAsync, ct).ConfigureAwait(false);
                    return await SendOnceAsync(method, uri, token, content, ct).ConfigureAwait(false);
                },
                cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            throw new IntegrationException(SystemName, IntegrationFailureKind.Unavailable, $"{Describe(method, uri)} could not reach GitHub after {_options.MaxRetryAttempts} retries: {e.Message}", null, e);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new IntegrationException(SystemName, IntegrationFailureKind.Timeout, $"{Describe(method, uri)} got no answer in time after {_options.MaxRetryAttempts} retries", null, e);
        }

        using (response)
        {
            var bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
            if (response.IsSuccessStatusCode || (notFoundIsAnswer && response.StatusCode == HttpStatusCode.NotFound))
            {
                return (response.StatusCode, bytes);
            }

            if (response.StatusCode == HttpStatusCode.Unauthorized)
            {
                _tokens.Forget(installationId);
            }

            throw Failure(method, uri, response, bytes);
        }
    }

    private async Task<HttpResponseMessage> SendOnceAsync(HttpMethod method, Uri uri, string token, byte[]? content, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, uri);
        request.Headers.Accept.Add(GitHubJson);
        request.Headers.Add("X-GitHub-Api-Version", "2022-11-28");
        request.Headers.UserAgent.ParseAdd(_options.UserAgent);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (content is not null)
        {
            request.Content = new ByteArrayContent(content);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        }

        return await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
    }

    private async Task<InstallationTokenBody> RequestInstallationTokenAsync(long installationId, CancellationToken cancellationToken)
    {
        var uri = Api($"app/installations/{installationId}/access_tokens");
        HttpResponseMessage response;
        try
        {
            response = await _pipeline.ExecuteAsync(ct => new ValueTask<HttpResponseMessage>(SendOnceAsync(HttpMethod.Post, uri, _tokens.AppJwt(), null, ct)), cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            throw new IntegrationException(SystemName, IntegrationFailureKind.Unavailable, $"{Describe(HttpMethod.Post, uri)} (installation token) could not reach GitHub: {e.Message}", null, e);
        }

        using (response)
        {
            var bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                throw Failure(HttpMethod.Post, uri, response, bytes);
            }

            return Read(HttpMethod.Post, uri, response.StatusCode, bytes, GitHubApiJsonContext.Default.InstallationTokenBody);
        }
    }

    private bool IsWorthRetrying(Outcome<HttpResponseMessage> outcome, CancellationToken callerToken) => outcome switch
    {
        { Exception: HttpRequestException } => true,
        { Exception: OperationCanceledException } => !callerToken.IsCancellationRequested,
        { Result: { } r } when (int)r.StatusCode >= 500 => true,
        { Result: { } r } when RateLimitWait(r) is { } wait => wait <= _options.MaxRateLimitWait,
        _ => false,
    };

    /// <summary>
    /// How long GitHub asks to wait before the next call, or null when the answer is not a rate limit. A 403 without
    /// rate-limit headers is a permission refusal and is not waited on; a 429 without them waits one minute, as GitHub
    /// documents for secondary limits.
    /// </summary>
    private TimeSpan? RateLimitWait(HttpResponseMessage response)
    {
        var status = (int)response.StatusCode;
        if (status is not (403 or 429 or 503))
        {
            return null;
        }

        var now = _time.GetUtcNow();
        if (response.Headers.RetryAfter is { } retryAfter)
        {
            var wait = retryAfter.Delta ?? (retryAfter.Date is { } date ? date - now : TimeSpan.Zero);
            return wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
        }

        if (Header(response, "X-RateLimit-Remaining") == "0"
            && long.TryParse(Header(response, "X-RateLimit-Reset"), NumberStyles.None, CultureInfo.InvariantCulture, out var reset))
        {
            var wait = DateTimeOffset.FromUnixTimeSeconds(Math.Min(reset, 253402300799)) - now;
            return wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
        }

        return status == 429 ? TimeSpan.FromMinutes(1) : null;
    }

    private IntegrationException Failure(HttpMethod method, Uri uri, HttpResponseMessage response, byte[] bytes)
    {
        var status = (int)response.StatusCode;
        var said = GitHubMessage(bytes);
        var quoted = said is null ? "" : $": \"{said}\"";
        var call = $"{Describe(method, uri)} answered {status} {response.ReasonPhrase}{quoted}";
        if (RateLimitWait(response) is { } wait)
        {
            var why = wait > _options.MaxRateLimitWait
                ? $"the rate limit resets in {Minutes(wait)}, longer than the {Minutes(_options.MaxRateLimitWait)} allowed (GitHub:MaxRateLimitWait)"
                : $"still rate limited after {_options.MaxRetryAttempts} retries";
            return new IntegrationException(SystemName, IntegrationFailureKind.Throttled, $"{call}; {why}", status);
        }

        var kind = status switch
        {
            401 or 403 => IntegrationFailureKind.Unauthorized,
            404 => IntegrationFailureKind.NotFound,
            429 => IntegrationFailureKind.Throttled,
            >= 500 => IntegrationFailureKind.Unavailable,
            _ => IntegrationFailureKind.Rejected,
        };
        var hint = kind switch
        {
            IntegrationFailureKind.Unauthorized => "; check the token or the App's permissions and installation",
            IntegrationFailureKind.Unavailable => $" after {_options.MaxRetryAttempts} retries",
            _ => "",
        };
        return new IntegrationException(SystemName, kind, call + hint, status);
    }

    private static T Read<T>(HttpMethod method, Uri uri, HttpStatusCode status, byte[] bytes, JsonTypeInfo<T> type)
    {
        try
        {
            return JsonSerializer.Deserialize(bytes, type)
                ?? throw new JsonException("the body is JSON null");
        }
        catch (JsonException e)
        {
            throw new IntegrationException(SystemName, IntegrationFailureKind.MalformedResponse,
                $"{Describe(method, uri)} answered {(int)status} but not with the documented {type.Type.Name.Replace("Body", "", StringComparison.Ordinal)} shape: {e.Message}", (int)status, e);
        }
    }

    private static string? GitHubMessage(byte[] bytes)
    {
        try
        {
            return JsonSerializer.Deserialize(bytes, GitHubApiJsonContext.Default.GitHubErrorBody)?.Message;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? values.FirstOrDefault()?.Trim() : null;

    private static string Minutes(TimeSpan span) => string.Create(CultureInfo.InvariantCulture, $"{(int)span.TotalMinutes}m{span.Seconds:00}s");

    private static string Describe(HttpMethod method, Uri uri) => $"{method} {uri.AbsolutePath}";
}
