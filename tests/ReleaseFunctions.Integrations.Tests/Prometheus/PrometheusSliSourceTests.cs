using System.Globalization;
using ReleaseFunctions.Core.Ports;
using ReleaseFunctions.Core.Sli;
using ReleaseFunctions.Integrations.Http;
using ReleaseFunctions.Integrations.Prometheus;
using ReleaseFunctions.Integrations.Tests.Support;

namespace ReleaseFunctions.Integrations.Tests.Prometheus;

public sealed class PrometheusSliSourceTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Start = TestClock.At(2026, 11, 23, 18, 0, 0);
    private static readonly SliWindow Window = new(Start, Start.AddMinutes(5));
    private readonly HttpClient _client = new();
    private FakeHttpServer _server = null!;
    private TestTimeProvider _clock = null!;

    public async Task InitializeAsync()
    {
        _server = await FakeHttpServer.StartAsync();
        _clock = new TestTimeProvider(Start.AddMinutes(10)) { AutoAdvanceUpTo = TimeSpan.FromSeconds(10) };
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _client.Dispose();
    }

    private PrometheusSliSource Source(HttpResilienceOptions? resilience = null)
        => new(_client, new PrometheusOptions(_server.BaseAddress) { Resilience = resilience ?? new HttpResilienceOptions { UseJitter = false, MaxDelay = TimeSpan.FromSeconds(10) } }, _clock);

    private static SliQuery Query(string promQl, IReadOnlyDictionary<string, string>? parameters = null, string? aggregation = null)
        => new("prometheus", promQl, Window, parameters ?? new Dictionary<string, string>(), TimeSpan.FromMinutes(1), aggregation, "ratio");

    private static string Unix(DateTimeOffset t) => (t.ToUnixTimeMilliseconds() / 1000.0).ToString(CultureInfo.InvariantCulture);

    [Fact]
    public async Task Range_query_sends_the_filled_query_and_window_and_maps_populations()
    {
        _server.Respond(_ => FakeResponse.Json($$$"""
            {"status":"success","data":{"resultType":"matrix","result":[
              {"metric":{"population":"canary"},"values":[[{{{Unix(Start)}}},"0.5"],[{{{Unix(Start.AddMinutes(1))}}},"NaN"],[{{{Unix(Start.AddMinutes(2))}}},"+Inf"],[{{{Unix(Start.AddMinutes(3))}}},"1e-2"]]},
              {"metric":{"population":"baseline"},"values":[[{{{Unix(Start)}}},"0.1"]]}
            ]}}
            """));

        var reading = await Source().QueryAsync(
            Query("sum by (population) (rate(errors_total{service={service}}[{__step}]))", new Dictionary<string, string> { ["service"] = "checkout" }),
            CancellationToken.None);

        var request = Assert.Single(_server.Requests);
        Assert.Equal("POST", request.Method);
        Assert.Equal("/api/v1/query_range", request.Path);
        var form = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(request.Body);
        Assert.Equal("sum by (population) (rate(errors_total{service=\"checkout\"}[60s]))", form["query"].ToString());
        Assert.Equal(Unix(Window.Start), form["start"].ToString());
        Assert.Equal(Unix(Window.End.AddMilliseconds(-1)), form["end"].ToString());
        Assert.Equal("60", form["step"].ToString());
        Assert.Null(request.Header("Authorization"));

        Assert.True(reading.HasData);
        var canary = reading.For("canary")!;
        Assert.Equal([0.5, 0.01], canary.Samples.Select(s => s.Value));
        Assert.Equal(2, canary.DroppedSamples);
        Assert.Equal("ratio", canary.Unit);
        Assert.Equal(0.1, Assert.Single(reading.For("baseline")!.Samples).Value);
    }

    [Fact]
    public async Task A_window_starting_between_milliseconds_asks_from_the_next_one_so_the_first_sample_is_kept()
    {
        // Release windows start at the engine's clock, with sub-millisecond ticks; Prometheus's first sample is at the start it was given.
        var start = Start.AddTicks(4321);
        var window = new SliWindow(start, start.AddSeconds(2));
        var firstInstant = Start.AddMilliseconds(1);
        _server.Respond(_ => FakeResponse.Json($$$"""
            {"status":"success","data":{"resultType":"matrix","result":[{"metric":{"population":"canary"},"values":[[{{{Unix(firstInstant)}}},"0.25"]]}]}}
            """));

        var reading = await Source().QueryAsync(new SliQuery("prometheus", "error_ratio", window, new Dictionary<string, string>(), TimeSpan.FromMinutes(1), null, "ratio"), CancellationToken.None);

        var form = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(Assert.Single(_server.Requests).Body);
        Assert.Equal(Unix(firstInstant), form["start"].ToString());
        Assert.Equal(0.25, Assert.Single(reading.For("canary")!.Samples).Value);
    }

    [Theory]
    [InlineData("x\"} or vector(1) #", "\"x\\\"} or vector(1) #\"")]
    [InlineData("a\\\"b", "\"a\\\\\\\"b\"")]
    [InlineData("line\nbreak", "\"line\\nbreak\"")]
    public async Task Injected_label_values_stay_inside_one_string_literal(string hostile, string literal)
    {
        _server.Respond(_ => FakeResponse.Json("""{"status":"success","data":{"resultType":"matrix","result":[]}}"""));

        var reading = await Source().QueryAsync(Query("up{version={version}}", new Dictionary<string, string> { ["version"] = hostile }), CancellationToken.None);

        var form = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(_server.Requests.Single().Body);
        Assert.Equal($"up{{version={literal}}}", form["query"].ToString());
        Assert.False(reading.HasData);
        Assert.Contains("no series", reading.NoDataReason);
    }

    [Fact]
    public async Task A_placeholder_without_a_parameter_is_refused_before_any_call()
    {
        var error = await Assert.ThrowsAsync<IntegrationException>(() => Source().QueryAsync(Query("up{slot={slot}}"), CancellationToken.None));

        Assert.Equal(IntegrationFailureKind.Rejected, error.Kind);
        Assert.Contains("{slot}", error.Message);
        Assert.Empty(_server.Requests);
    }

    [Fact]
    public async Task Instant_query_reads_a_vector_at_the_end_of_the_window()
    {
        _server.Respond(_ => FakeResponse.Json($$$"""
            {"status":"success","data":{"resultType":"vector","result":[{"metric":{"population":"canary"},"value":[{{{Unix(Window.End.AddMilliseconds(-1))}}},"250"]}]}}
            """));

        var reading = await Source().QueryAsync(Query("histogram_quantile(0.99, rate(x[{__range}]))", aggregation: "instant"), CancellationToken.None);

        var request = _server.Requests.Single();
        Assert.Equal("/api/v1/query", request.Path);
        var form = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(request.Body);
        Assert.Equal("histogram_quantile(0.99, rate(x[300s]))", form["query"].ToString());
        Assert.Equal(Unix(Window.End.AddMilliseconds(-1)), form["time"].ToString());
        Assert.Equal(250, reading.For("canary")!.Samples.Single().Value);
    }

    [Fact]
    public async Task A_scalar_result_is_the_population_all_and_an_empty_series_is_no_data()
    {
        _server.RespondInOrder(
            FakeResponse.Json($$$"""{"status":"success","data":{"resultType":"scalar","result":[{{{Unix(Start.AddMinutes(4))}}},"3"]}}"""),
            FakeResponse.Json("""{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[]}]}}"""));

        var scalar = await Source().QueryAsync(Query("scalar(up)", aggregation: "instant"), CancellationToken.None);
        var empty = await Source().QueryAsync(Query("up"), CancellationToken.None);

        Assert.Equal(3, scalar.For("all")!.Samples.Single().Value);
        Assert.False(empty.HasData);
        Assert.Contains("empty", empty.NoDataReason);
    }

    [Fact]
    public async Task Two_series_of_one_population_are_refused_as_ambiguous()
    {
        _server.Respond(_ => FakeResponse.Json("""{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"pod":"a"},"values":[]},{"metric":{"pod":"b"},"values":[]}]}}"""));

        var error = await Assert.ThrowsAsync<IntegrationException>(() => Source().QueryAsync(Query("up"), CancellationToken.None));

        Assert.Equal(IntegrationFailureKind.Rejected, error.Kind);
        Assert.Contains("sum by (population)", error.Message);
    }

    [Fact]
    public async Task A_query_error_is_rejected_with_the_prometheus_message_quoted()
    {
        _server.Respond(_ => FakeResponse.Json("""{"status":"error","errorType":"bad_data","error":"parse error at char 5: unexpected <EOF>"}""", 400));

        var error = await Assert.ThrowsAsync<IntegrationException>(() => Source().QueryAsync(Query("rate("), CancellationToken.None));

        Assert.Equal(IntegrationFailureKind.Rejected, error.Kind);
        Assert.Equal(400, error.StatusCode);
        Assert.Contains("parse error at char 5", error.Message);
        Assert.Single(_server.Requests);
    }

    [Theory]
    [InlineData("{not json", "not the documented JSON")]
    [InlineData("""{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[["x","1"]]}]}}""", "a sample must be")]
    [InlineData("""{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[1,"many"]]}]}}""", "is not a number")]
    [InlineData("""{"status":"success","data":{"resultType":"string","result":[1,"a"]}}""", "resultType 'string'")]
    [InlineData("""{"status":"success"}""", "'data' is missing")]
    public async Task Malformed_answers_are_malformed_responses(string body, string expected)
    {
        _server.Respond(_ => FakeResponse.Json(body));

        var error = await Assert.ThrowsAsync<IntegrationException>(() => Source().QueryAsync(Query("up"), CancellationToken.None));

        Assert.Equal(IntegrationFailureKind.MalformedResponse, error.Kind);
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public async Task Server_errors_are_retried_with_exponential_back_off_then_succeed()
    {
        _server.RespondInOrder(
            new FakeResponse(503, "busy"),
            new FakeResponse(502, "bad gateway"),
            FakeResponse.Json("""{"status":"success","data":{"resultType":"matrix","result":[]}}"""));

        var reading = await Source().QueryAsync(Query("up"), CancellationToken.None);

        Assert.False(reading.HasData);
        Assert.Equal(3, _server.Requests.Count);
        Assert.Equal([TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2)], _clock.RequestedDelays.Where(d => d <= TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task Throttling_waits_as_long_as_retry_after_says()
    {
        _server.RespondInOrder(
            new FakeResponse(429, "slow down", new Dictionary<string, string> { ["Retry-After"] = "7" }),
            FakeResponse.Json("""{"status":"success","data":{"resultType":"matrix","result":[]}}"""));

        await Source().QueryAsync(Query("up"), CancellationToken.None);

        Assert.Equal(2, _server.Requests.Count);
        Assert.Contains(TimeSpan.FromSeconds(7), _clock.RequestedDelays);
    }

    [Fact]
    public async Task A_retry_after_longer_than_allowed_ends_at_once_as_throttled()
    {
        _server.Respond(_ => new FakeResponse(429, "quota", new Dictionary<string, string> { ["Retry-After"] = "3600" }));

        var error = await Assert.ThrowsAsync<IntegrationException>(() => Source().QueryAsync(Query("up"), CancellationToken.None));

        Assert.Equal(IntegrationFailureKind.Throttled, error.Kind);
        Assert.Contains("asked to wait 3600 s", error.Message);
        Assert.Single(_server.Requests);
    }

    [Fact]
    public async Task Throttling_that_never_ends_is_throttled_after_the_allowed_attempts()
    {
        _server.Respond(_ => new FakeResponse(429, "quota", new Dictionary<string, string> { ["Retry-After"] = "1" }));

        var error = await Assert.ThrowsAsync<IntegrationException>(() => Source(new HttpResilienceOptions { MaxAttempts = 3, UseJitter = false }).QueryAsync(Query("up"), CancellationToken.None));

        Assert.Equal(IntegrationFailureKind.Throttled, error.Kind);
        Assert.Equal(3, _server.Requests.Count);
    }

    [Fact]
    public async Task Server_errors_that_never_end_are_unavailable_after_the_allowed_attempts()
    {
        _server.Respond(_ => new FakeResponse(500, new string('x', 2000)));

        var error = await Assert.ThrowsAsync<IntegrationException>(() => Source().QueryAsync(Query("up"), CancellationToken.None));

        Assert.Equal(IntegrationFailureKind.Unavailable, error.Kind);
        Assert.Equal(4, _server.Requests.Count);
        Assert.Contains("after 4 attempts", error.Message);
        Assert.Contains("first 500 of 2000 characters", error.Message);
    }

    [Theory]
    [InlineData(401, IntegrationFailureKind.Unauthorized, "needs read access")]
    [InlineData(403, IntegrationFailureKind.Unauthorized, "Monitoring Data Reader")]
    [InlineData(404, IntegrationFailureKind.NotFound, "does not exist")]
    public async Task Refusals_end_at_once_with_a_message_naming_the_cause(int status, IntegrationFailureKind kind, string expected)
    {
        _server.Respond(_ => new FakeResponse(status, "nope"));

        var error = await Assert.ThrowsAsync<IntegrationException>(() => Source().QueryAsync(Query("up"), CancellationToken.None));

        Assert.Equal(kind, error.Kind);
        Assert.Equal(status, error.StatusCode);
        Assert.Contains(expected, error.Message);
        Assert.Single(_server.Requests);
    }

    [Fact]
    public async Task An_attempt_without_an_answer_times_out_and_the_last_one_is_a_timeout()
    {
        _server.Respond(_ => new FakeResponse(200, Hang: true));
        var source = Source(new HttpResilienceOptions { MaxAttempts = 2, AttemptTimeout = TimeSpan.FromSeconds(20), UseJitter = false });

        var call = source.QueryAsync(Query("up"), CancellationToken.None);
        await _server.WaitForRequestsAsync(1);
        _clock.Advance(TimeSpan.FromSeconds(20));
        await _server.WaitForRequestsAsync(2);
        _clock.Advance(TimeSpan.FromSeconds(20));
        var error = await Assert.ThrowsAsync<IntegrationException>(() => call);

        Assert.Equal(IntegrationFailureKind.Timeout, error.Kind);
        Assert.Contains("no answer within 20 s, after 2 attempts", error.Message);
    }

    [Fact]
    public async Task A_token_scope_sends_a_bearer_token_for_that_scope()
    {
        _server.Respond(_ => FakeResponse.Json("""{"status":"success","data":{"resultType":"matrix","result":[]}}"""));
        var credential = new FakeTokenCredential("prom-token");
        var source = new PrometheusSliSource(_client, new PrometheusOptions(_server.BaseAddress) { TokenScope = "https://prometheus.monitor.azure.com/.default" }, _clock, credential);

        await source.QueryAsync(Query("up"), CancellationToken.None);

        Assert.Equal("Bearer prom-token", _server.Requests.Single().Header("Authorization"));
        Assert.Equal(["https://prometheus.monitor.azure.com/.default"], credential.Scopes);
    }

    [Fact]
    public async Task A_server_that_cannot_be_reached_is_unavailable_after_the_allowed_attempts()
    {
        var closed = _server.BaseAddress;
        await _server.DisposeAsync();
        _server = await FakeHttpServer.StartAsync();
        var source = new PrometheusSliSource(_client, new PrometheusOptions(closed) { Resilience = new HttpResilienceOptions { MaxAttempts = 3, UseJitter = false } }, _clock);

        var error = await Assert.ThrowsAsync<IntegrationException>(() => source.QueryAsync(Query("up"), CancellationToken.None));

        Assert.Equal(IntegrationFailureKind.Unavailable, error.Kind);
        Assert.Contains("could not reach the service", error.Message);
        Assert.Contains("after 3 attempts", error.Message);
    }

    [Fact]
    public async Task A_cancelled_caller_gets_a_cancellation_not_a_failure()
    {
        _server.Respond(_ => new FakeResponse(200, Hang: true));
        using var cancel = new CancellationTokenSource();

        var call = Source().QueryAsync(Query("up"), cancel.Token);
        await _server.WaitForRequestsAsync(1);
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
        Assert.Single(_server.Requests);
    }

    [Fact]
    public void Options_refuse_a_relative_url() =>
        Assert.Throws<ArgumentException>(() => new PrometheusOptions(new Uri("/prometheus", UriKind.Relative)));
}
