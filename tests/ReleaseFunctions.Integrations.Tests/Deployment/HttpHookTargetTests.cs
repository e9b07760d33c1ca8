using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using ReleaseFunctions.Core.Ports;
using ReleaseFunctions.Integrations.Deployment;
using ReleaseFunctions.Integrations.Http;
using ReleaseFunctions.Integrations.Tests.Support;

namespace ReleaseFunctions.Integrations.Tests.Deployment;

public sealed class HttpHookTargetTests : IAsyncLifetime
{
    private const string Secret = "a-shared-secret-of-some-length";
    private static readonly DateTimeOffset Now = TestClock.At(2026, 11, 23, 18, 0, 0);
    private static readonly TargetSpec Spec = new("http-hook", new Dictionary<string, string>());
    private readonly HttpClient _client = new();
    private FakeHttpServer _server = null!;

    public async Task InitializeAsync() => _server = await FakeHttpServer.StartAsync();

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _client.Dispose();
    }

    private HttpHookTarget Target() => new(_client,
        new HttpHookOptions(new Uri(_server.BaseAddress, "deploy"), Secret) { Resilience = new HttpResilienceOptions { UseJitter = false } },
        new TestTimeProvider(Now) { AutoAdvanceUpTo = TimeSpan.FromSeconds(10) });

    private static TrafficShift Shift(int weight, TrafficAction action = TrafficAction.Shift)
        => new(Spec, "release-7", "checkout", "2.0.0", "production", 2, weight, action, "instance-1:task-4");

    /// <summary>What a receiver does: recompute the HMAC of the raw body and compare in constant time.</summary>
    private static bool Verifies(RecordedRequest request) => ReceivedSignature.Verifies(request, Secret, request.Body);

    [Fact]
    public async Task A_shift_is_posted_signed_with_an_idempotency_key_and_the_reported_state_returned()
    {
        _server.Respond(r => Verifies(r) ? FakeResponse.Json("""{"weight":25,"liveSlot":"blue"}""") : new FakeResponse(401, "bad signature"));

        var state = await Target().ApplyAsync(Shift(25), CancellationToken.None);

        var request = _server.Requests.Single();
        Assert.Equal(("POST", "/deploy"), (request.Method, request.Path));
        Assert.Equal("instance-1:task-4", request.Header("Idempotency-Key"));
        Assert.StartsWith("application/json", request.Header("Content-Type"));
        var body = JsonNode.Parse(request.Body)!;
        Assert.Equal("release-7", body["release"]!.GetValue<string>());
        Assert.Equal("checkout", body["service"]!.GetValue<string>());
        Assert.Equal("2.0.0", body["version"]!.GetValue<string>());
        Assert.Equal("production", body["stage"]!.GetValue<string>());
        Assert.Equal(2, body["step"]!.GetValue<int>());
        Assert.Equal(25, body["weight"]!.GetValue<int>());
        Assert.Equal("shift", body["action"]!.GetValue<string>());
        Assert.Equal("instance-1:task-4", body["idempotencyKey"]!.GetValue<string>());
        Assert.Equal((25, "blue", Now), (state.CandidateWeightPercent, state.LiveSlot, state.ObservedAt));
    }

    [Fact]
    public void The_signature_is_the_hex_hmac_sha256_of_the_body() =>
        // HMAC-SHA256("key", "The quick brown fox jumps over the lazy dog"), a published test vector.
        Assert.Equal("sha256=f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8",
            HttpHookTarget.Sign("key", Encoding.UTF8.GetBytes("The quick brown fox jumps over the lazy dog")));

    [Theory]
    [InlineData(204, "")]
    [InlineData(200, "")]
    [InlineData(200, "   ")]
    [InlineData(200, "ok")]
    [InlineData(200, "{}")]
    [InlineData(200, "{\"liveSlot\":\"blue\"}")]
    public async Task A_2xx_answer_that_reports_no_weight_is_not_taken_for_the_requested_state(int status, string body)
    {
        _server.Respond(_ => new FakeResponse(status, body));

        var error = await Assert.ThrowsAsync<IntegrationException>(() => Target().ApplyAsync(Shift(0, TrafficAction.Rollback), CancellationToken.None));

        Assert.Equal(IntegrationFailureKind.MalformedResponse, error.Kind);
        Assert.Contains("\"weight\": 0..100", error.Message);
        Assert.Equal("rollback", JsonNode.Parse(_server.Requests[0].Body)!["action"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_read_sends_the_releases_facts()
    {
        _server.Respond(_ => FakeResponse.Json("""{"weight":0,"liveSlot":"blue"}"""));

        var read = await Target().ReadAsync(Shift(0, TrafficAction.Rollback), CancellationToken.None);

        var body = JsonNode.Parse(_server.Requests.Single().Body)!;
        Assert.Equal(("read", "release-7", "2.0.0"), (body["action"]!.GetValue<string>(), body["release"]!.GetValue<string>(), body["version"]!.GetValue<string>()));
        Assert.Equal((0, "blue"), (read.CandidateWeightPercent, read.LiveSlot));
    }

    [Fact]
    public async Task A_refusal_quotes_the_hooks_answer_cut_to_a_readable_length()
    {
        _server.Respond(_ => new FakeResponse(422, "deployment frozen: " + new string('z', 1000)));

        var error = await Assert.ThrowsAsync<IntegrationException>(() => Target().ApplyAsync(Shift(10), CancellationToken.None));

        Assert.Equal(IntegrationFailureKind.Rejected, error.Kind);
        Assert.Equal(422, error.StatusCode);
        Assert.Contains("deployment frozen: zzz", error.Message);
        Assert.Contains("first 500 of 1019 characters", error.Message);
        Assert.Single(_server.Requests);
    }

    [Fact]
    public async Task A_failing_hook_is_retried_with_the_same_key_then_succeeds()
    {
        _server.RespondInOrder(new FakeResponse(503, "restarting"), FakeResponse.Json("""{"weight":10}"""));

        var state = await Target().ApplyAsync(Shift(10), CancellationToken.None);

        Assert.Equal(10, state.CandidateWeightPercent);
        Assert.Equal(2, _server.Requests.Count);
        Assert.All(_server.Requests, r => Assert.Equal("instance-1:task-4", r.Header("Idempotency-Key")));
        Assert.All(_server.Requests, r => Assert.True(Verifies(r)));
    }

    [Fact]
    public async Task A_read_must_report_the_weight()
    {
        _server.RespondInOrder(FakeResponse.Json("""{"weight":40,"liveSlot":"green"}"""), FakeResponse.Json("{}"), FakeResponse.Json("""{"weight":140}"""));

        var read = await Target().ReadAsync(Shift(0), CancellationToken.None);
        var missing = await Assert.ThrowsAsync<IntegrationException>(() => Target().ReadAsync(Shift(0), CancellationToken.None));
        var outOfRange = await Assert.ThrowsAsync<IntegrationException>(() => Target().ReadAsync(Shift(0), CancellationToken.None));

        Assert.Equal((40, "green"), (read.CandidateWeightPercent, read.LiveSlot));
        Assert.Equal("read", JsonNode.Parse(_server.Requests[0].Body)!["action"]!.GetValue<string>());
        Assert.Equal(IntegrationFailureKind.MalformedResponse, missing.Kind);
        Assert.Contains("weight 140 is not a percentage", outOfRange.Message);
    }

    [Fact]
    public void Options_refuse_a_short_secret() =>
        Assert.Contains("16 characters", Assert.Throws<ArgumentException>(() => new HttpHookOptions(new Uri("https://deploy.example/hook"), "short")).Message);
}
