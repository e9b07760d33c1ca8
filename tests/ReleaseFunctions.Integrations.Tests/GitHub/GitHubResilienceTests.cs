using ReleaseFunctions.Integrations.Tests.Support;
using System.Globalization;
using System.Net;
using ReleaseFunctions.Core.Ports;
using static ReleaseFunctions.Integrations.Tests.GitHub.GitHubClientTestKit;

namespace ReleaseFunctions.Integrations.Tests.GitHub;

/// <summary>Retries and rate limits, on a fake clock that jumps to each timer: waits are recorded, never slept.</summary>
public sealed class GitHubResilienceTests
{
    private const string Comment = "/repos/contoso/checkout-api/issues/42/comments";

    [Fact]
    public async Task A_secondary_rate_limit_waits_the_Retry_After_then_succeeds()
    {
        await using var server = await FakeGitHubServer.StartAsync();
        var calls = 0;
        server.On("POST", Comment, _ => Interlocked.Increment(ref calls) == 1
            ? new FakeResponse(403, """{"message":"You have exceeded a secondary rate limit. Please wait a few minutes before you try again."}""", new Dictionary<string, string> { ["Retry-After"] = "30" })
            : FakeResponse.Created("""{"id":8}"""));
        var clock = Clock();
        using var client = TokenClient(server, clock);

        Assert.Equal(8, await client.PostCommentAsync(Repo, 42, "hi", null, default));
        Assert.Equal(2, server.Requests.Count);
        Assert.Equal([TimeSpan.FromSeconds(30)], clock.RequestedDelays);
        Assert.Equal(WebhookTestKit.Start.AddSeconds(30), clock.GetUtcNow());
    }

    [Fact]
    public async Task A_spent_primary_limit_waits_until_the_reset()
    {
        await using var server = await FakeGitHubServer.StartAsync();
        var calls = 0;
        var reset = WebhookTestKit.Start.AddSeconds(45).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        server.On("POST", Comment, _ => Interlocked.Increment(ref calls) == 1
            ? new FakeResponse(403, """{"message":"API rate limit exceeded for installation ID 45678901."}""", new Dictionary<string, string> { ["X-RateLimit-Remaining"] = "0", ["X-RateLimit-Reset"] = reset, ["X-RateLimit-Limit"] = "5000" })
            : FakeResponse.Created("""{"id":9}"""));
        var clock = Clock();
        using var client = TokenClient(server, clock);

        Assert.Equal(9, await client.PostCommentAsync(Repo, 42, "hi", null, default));
        Assert.Equal([TimeSpan.FromSeconds(45)], clock.RequestedDelays);
    }

    [Fact]
    public async Task A_reset_beyond_the_cap_fails_at_once_as_throttled_saying_why()
    {
        await using var server = await FakeGitHubServer.StartAsync();
        var reset = WebhookTestKit.Start.AddMinutes(40).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        server.On("POST", Comment, _ => new FakeResponse(403, """{"message":"API rate limit exceeded for installation ID 45678901."}""",
            new Dictionary<string, string> { ["X-RateLimit-Remaining"] = "0", ["X-RateLimit-Reset"] = reset }));
        var clock = Clock();
        using var client = TokenClient(server, clock, o => o.MaxRateLimitWait = TimeSpan.FromMinutes(2));

        var e = await Assert.ThrowsAsync<IntegrationException>(() => client.PostCommentAsync(Repo, 42, "hi", null, default));
        Assert.Equal(IntegrationFailureKind.Throttled, e.Kind);
        Assert.Equal(403, e.StatusCode);
        Assert.Contains("\"API rate limit exceeded for installation ID 45678901.\"", e.Message);
        Assert.Contains("resets in 40m00s, longer than the 2m00s allowed", e.Message);
        Assert.Contains("GitHub:MaxRateLimitWait", e.Message);
        Assert.Single(server.Requests);
        Assert.Empty(clock.RequestedDelays);
    }

    [Fact]
    public async Task A_429_that_never_lifts_ends_throttled_after_the_allowed_retries()
    {
        await using var server = await FakeGitHubServer.StartAsync();
        server.On("POST", Comment, _ => new FakeResponse(429, """{"message":"Too many requests"}"""));
        var clock = Clock();
        using var client = TokenClient(server, clock, o => o.MaxRetryAttempts = 2);

        var e = await Assert.ThrowsAsync<IntegrationException>(() => client.PostCommentAsync(Repo, 42, "hi", null, default));
        Assert.Equal(IntegrationFailureKind.Throttled, e.Kind);
        Assert.Contains("still rate limited after 2 retries", e.Message);
        Assert.Equal(3, server.Requests.Count);
        Assert.Equal([TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1)], clock.RequestedDelays);
    }

    [Fact]
    public async Task Server_errors_are_retried_with_growing_jittered_backoff()
    {
        await using var server = await FakeGitHubServer.StartAsync();
        var calls = 0;
        server.On("POST", Comment, _ => Interlocked.Increment(ref calls) <= 3
            ? new FakeResponse(502, """{"message":"Server Error"}""")
            : FakeResponse.Created("""{"id":10}"""));
        var clock = Clock();
        using var client = TokenClient(server, clock);

        Assert.Equal(10, await client.PostCommentAsync(Repo, 42, "hi", null, default));
        Assert.Equal(4, server.Requests.Count);
        Assert.Equal(3, clock.RequestedDelays.Count);
        Assert.All(clock.RequestedDelays, w => Assert.InRange(w, TimeSpan.Zero, TimeSpan.FromSeconds(30)));
        Assert.True(clock.RequestedDelays.Sum(w => w.TotalSeconds) > 1, string.Join(", ", clock.RequestedDelays));
    }

    [Fact]
    public async Task Server_errors_that_persist_end_unavailable_quoting_GitHub()
    {
        await using var server = await FakeGitHubServer.StartAsync();
        server.On("POST", Comment, _ => new FakeResponse(503, """{"message":"Service Unavailable"}"""));
        var clock = Clock();
        using var client = TokenClient(server, clock, o => o.MaxRetryAttempts = 3);

        var e = await Assert.ThrowsAsync<IntegrationException>(() => client.PostCommentAsync(Repo, 42, "hi", null, default));
        Assert.Equal(IntegrationFailureKind.Unavailable, e.Kind);
        Assert.Equal(503, e.StatusCode);
        Assert.Contains("answered 503 Service Unavailable: \"Service Unavailable\" after 3 retries", e.Message);
        Assert.Equal(4, server.Requests.Count);
    }

    [Fact]
    public async Task Cancelling_the_caller_ends_a_rate_limit_wait()
    {
        await using var server = await FakeGitHubServer.StartAsync();
        server.On("POST", Comment, _ => new FakeResponse(403, """{"message":"You have exceeded a secondary rate limit."}""", new Dictionary<string, string> { ["Retry-After"] = "30" }));
        var clock = new TestTimeProvider(WebhookTestKit.Start); // timers elapse only when the test moves the clock
        using var client = TokenClient(server, clock);
        using var cancellation = new CancellationTokenSource();

        // Octokit's calls take no token: the client's token still has to reach the retry handler's wait.
        var call = client.PostCommentAsync(Repo, 42, "hi", null, cancellation.Token);
        await clock.WhenTimersArmedAsync();
        cancellation.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Single(server.Requests);
    }

    [Fact]
    public async Task Octokits_real_time_bound_on_a_whole_call_is_lifted_so_waits_are_bounded_by_the_options()
    {
        await using var server = await FakeGitHubServer.StartAsync();
        server.On("GET", "/zen", _ => FakeResponse.Ok("\"Keep it logically awesome.\""));
        using var http = new Integrations.GitHub.Client.GitHubHttp(new HttpClient(), new Integrations.GitHub.Client.GitHubClientOptions { Token = "t" }, Clock());
        var request = new Octokit.Internal.Request { Method = HttpMethod.Get, BaseAddress = server.BaseAddress, Endpoint = new Uri("zen", UriKind.Relative) };
        Assert.Equal(TimeSpan.FromSeconds(100), request.Timeout); // Octokit's default: retries and a 2-minute rate-limit wait would not fit

        var response = await http.Send(request, default);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(TimeSpan.Zero, request.Timeout);
    }

    [Fact]
    public async Task A_host_that_refuses_connections_ends_unavailable()
    {
        var port = LoopbackPort.Free();

        var clock = Clock();
        using var client = new Integrations.GitHub.Client.GitHubClient(new HttpClient(),
            new Integrations.GitHub.Client.GitHubClientOptions { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Token = "t", MaxRetryAttempts = 2 }, clock);

        var e = await Assert.ThrowsAsync<IntegrationException>(() => client.PostCommentAsync(Repo, 42, "hi", null, default));
        Assert.Equal(IntegrationFailureKind.Unavailable, e.Kind);
        Assert.Null(e.StatusCode);
        Assert.Contains("could not reach GitHub after 2 retries", e.Message);
        Assert.Equal(2, clock.RequestedDelays.Count);
    }
}
