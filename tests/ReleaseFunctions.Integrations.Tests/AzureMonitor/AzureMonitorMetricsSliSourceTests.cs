using ReleaseFunctions.Core.Ports;
using ReleaseFunctions.Core.Sli;
using ReleaseFunctions.Integrations.AzureMonitor;
using ReleaseFunctions.Integrations.Http;
using ReleaseFunctions.Integrations.Tests.Support;

namespace ReleaseFunctions.Integrations.Tests.AzureMonitor;

public sealed class AzureMonitorMetricsSliSourceTests : IAsyncLifetime
{
    private const string Site = "/subscriptions/0000-1111/resourceGroups/shop/providers/Microsoft.Web/sites/checkout";
    private const string Slot = Site + "/slots/staging";
    private static readonly DateTimeOffset Start = TestClock.At(2026, 11, 23, 18, 0, 0);
    private static readonly SliWindow Window = new(Start, Start.AddMinutes(5));
    private readonly HttpClient _client = new();
    private readonly FakeTokenCredential _credential = new("arm-token");
    private FakeHttpServer _server = null!;

    public async Task InitializeAsync() => _server = await FakeHttpServer.StartAsync();

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _client.Dispose();
    }

    private AzureMonitorMetricsSliSource Source() => new(_client,
        new AzureMonitorMetricsOptions { ResourceManagerEndpoint = _server.BaseAddress, Resilience = new HttpResilienceOptions { UseJitter = false } },
        _credential, new TestTimeProvider(Start.AddMinutes(20)) { AutoAdvanceUpTo = TimeSpan.FromSeconds(10) });

    private static SliQuery Query(Dictionary<string, string> parameters, string metric = "HttpResponseTime", string? aggregation = "Average", string? unit = null)
        => new("azure-monitor-metrics", metric, Window, parameters, TimeSpan.FromMinutes(1), aggregation, unit);

    private static string Answer(string unit, string data, string name = "HttpResponseTime") => $$"""
        {"cost":0,"timespan":"2026-11-23T18:00:00Z/2026-11-23T18:05:00Z","interval":"PT1M","value":[
          {"id":"x","type":"Microsoft.Insights/metrics","name":{"value":"{{name}}","localizedValue":"Response Time"},"unit":"{{unit}}",
           "timeseries":[{"metadatavalues":[],"data":[{{data}}]}],"errorCode":"Success"}]}
        """;

    [Theory]
    [InlineData("mean", "Average", "average")]
    [InlineData("max", "Maximum", "maximum")]
    [InlineData("min", "Minimum", "minimum")]
    [InlineData("sum", "Total", "total")]
    public async Task A_policy_objective_reaches_the_api_with_its_resource_namespace_filter_and_mapped_aggregation(string policyAggregation, string apiAggregation, string field)
    {
        const string Plan = "/subscriptions/0000-1111/resourceGroups/shop/providers/Microsoft.Web/serverfarms/shop-plan";
        var policy = Core.Policy.ReleasePolicyParser.Parse($$"""
            version: 1
            stages:
              - name: production
                target: { provider: sandbox }
                strategy: { direct: { soak: 10m } }
                gate:
                  objectives:
                    - name: cpu
                      provider: azure-monitor-metrics
                      query: CpuPercentage
                      aggregation: {{policyAggregation}}
                      unit: percent
                      pass: "< 80%"
                      parameters:
                        resource_id: {{Plan}}
                        metric_namespace: Microsoft.Web/serverFarms
                        filter: "Instance eq {instance}"
                        instance: shop-0
            """);
        Assert.True(policy.IsValid, policy.Describe());
        var objective = policy.Policy!.Stages[0].Gate!.Objectives[0];
        _server.Respond(_ => FakeResponse.Json(Answer("Percent", $$"""{"timeStamp":"2026-11-23T18:00:00Z","{{field}}":42}""", "CpuPercentage")));

        var reading = await Source().QueryAsync(objective.ToQuery(Window, new Dictionary<string, string> { ["service"] = "shop" }, TimeSpan.FromMinutes(1)), CancellationToken.None);

        var request = _server.Requests.Single();
        Assert.Equal(Plan + "/providers/Microsoft.Insights/metrics", request.Path);
        Assert.Equal(apiAggregation, request.Query("aggregation"));
        Assert.Equal("Microsoft.Web/serverFarms", request.Query("metricnamespace"));
        Assert.Equal("Instance eq 'shop-0'", request.Query("$filter"));
        Assert.Equal(42, reading.For("all")!.Samples.Single().Value);
    }

    [Fact]
    public async Task Reads_each_population_from_its_resource_with_the_documented_query_string()
    {
        _server.Respond(r => FakeResponse.Json(Answer("Seconds", r.Path.Contains("/slots/")
            ? """{"timeStamp":"2026-11-23T18:00:00Z","average":0.4},{"timeStamp":"2026-11-23T18:01:00Z"}"""
            : """{"timeStamp":"2026-11-23T18:00:00Z","average":0.2}""")));

        var reading = await Source().QueryAsync(Query(new() { ["canary_resource_id"] = Slot, ["baseline_resource_id"] = Site }), CancellationToken.None);

        Assert.Equal(2, _server.Requests.Count);
        var canaryRequest = _server.Requests.Single(r => r.Path.Contains("/slots/"));
        Assert.Equal(Slot + "/providers/Microsoft.Insights/metrics", canaryRequest.Path);
        Assert.Equal("2023-10-01", canaryRequest.Query("api-version"));
        Assert.Equal(TestClock.ShiftTimestamps("2026-11-23T18:00:00Z/2026-11-23T18:05:00Z"), canaryRequest.Query("timespan"));
        Assert.Equal("PT1M", canaryRequest.Query("interval"));
        Assert.Equal("HttpResponseTime", canaryRequest.Query("metricnames"));
        Assert.Equal("Average", canaryRequest.Query("aggregation"));
        Assert.Null(canaryRequest.Query("$filter"));
        Assert.Equal("Bearer arm-token", canaryRequest.Header("Authorization"));
        Assert.Contains("https://management.azure.com/.default", _credential.Scopes);

        var canary = reading.For("canary")!;
        Assert.Equal(0.4, canary.Samples.Single().Value);
        Assert.Equal(1, canary.DroppedSamples);
        Assert.Equal("Seconds", canary.Unit);
        Assert.Equal(0.2, reading.For("baseline")!.Samples.Single().Value);
    }

    [Fact]
    public async Task Milliseconds_are_converted_to_the_expected_seconds_and_an_unknown_conversion_is_refused()
    {
        _server.Respond(_ => FakeResponse.Json(Answer("MilliSeconds", """{"timeStamp":"2026-11-23T18:00:00Z","total":1500}""")));

        var reading = await Source().QueryAsync(Query(new() { ["resource_id"] = Site }, aggregation: "total", unit: "Seconds"), CancellationToken.None);
        var error = await Assert.ThrowsAsync<IntegrationException>(() => Source().QueryAsync(Query(new() { ["resource_id"] = Site }, unit: "Count"), CancellationToken.None));

        Assert.Equal("Total", _server.Requests[0].Query("aggregation"));
        Assert.Equal(1.5, reading.For("all")!.Samples.Single().Value, 9);
        Assert.Equal(IntegrationFailureKind.Rejected, error.Kind);
        Assert.Contains("MilliSeconds", error.Message);
    }

    [Fact]
    public async Task Filter_values_stay_inside_quoted_odata_literals()
    {
        _server.Respond(_ => FakeResponse.Json(Answer("Count", "")));

        var reading = await Source().QueryAsync(Query(new() { ["resource_id"] = Site, ["filter"] = "Instance eq {instance}", ["instance"] = "a' or Instance eq '*" }, "Requests"), CancellationToken.None);

        Assert.Equal("Instance eq 'a'' or Instance eq ''*'", _server.Requests.Single().Query("$filter"));
        Assert.False(reading.HasData);
    }

    [Theory]
    [InlineData("not-a-resource", "must be an Azure resource id")]
    [InlineData(null, "resource_id")]
    public async Task A_missing_or_wrong_resource_id_is_refused_before_any_call(string? resourceId, string expected)
    {
        var parameters = resourceId is null ? new Dictionary<string, string>() : new() { ["resource_id"] = resourceId };

        var error = await Assert.ThrowsAsync<IntegrationException>(() => Source().QueryAsync(Query(parameters), CancellationToken.None));

        Assert.Equal(IntegrationFailureKind.Rejected, error.Kind);
        Assert.Contains(expected, error.Message);
        Assert.Empty(_server.Requests);
    }

    [Fact]
    public async Task An_unknown_aggregation_is_refused() =>
        Assert.Contains("percentiles are not metric aggregations", (await Assert.ThrowsAsync<IntegrationException>(() => Source().QueryAsync(Query(new() { ["resource_id"] = Site }, aggregation: "p99"), CancellationToken.None))).Message);

    [Theory]
    [InlineData(403, IntegrationFailureKind.Unauthorized, "Monitoring Reader role on " + Site)]
    [InlineData(404, IntegrationFailureKind.NotFound, Site + " does not exist")]
    [InlineData(400, IntegrationFailureKind.Rejected, "BadRequest")]
    public async Task Refusals_name_the_role_or_the_resource(int status, IntegrationFailureKind kind, string expected)
    {
        _server.Respond(_ => FakeResponse.Json("""{"code":"BadRequest","message":"Failed to find metric configuration"}""", status));

        var error = await Assert.ThrowsAsync<IntegrationException>(() => Source().QueryAsync(Query(new() { ["resource_id"] = Site }), CancellationToken.None));

        Assert.Equal(kind, error.Kind);
        Assert.Contains(expected, error.Message);
        Assert.Single(_server.Requests);
    }

    [Fact]
    public async Task Throttling_with_retry_after_is_retried_then_answered()
    {
        _server.RespondInOrder(
            new FakeResponse(429, "", new Dictionary<string, string> { ["Retry-After"] = "2" }),
            FakeResponse.Json(Answer("Count", """{"timeStamp":"2026-11-23T18:00:00Z","count":3}""")));

        var reading = await Source().QueryAsync(Query(new() { ["resource_id"] = Site }, "Requests", "Count"), CancellationToken.None);

        Assert.Equal(3, reading.For("all")!.Samples.Single().Value);
        Assert.Equal(2, _server.Requests.Count);
    }

    [Fact]
    public async Task Several_time_series_for_one_resource_are_refused()
    {
        _server.Respond(_ => FakeResponse.Json("""{"value":[{"name":{"value":"Requests"},"unit":"Count","timeseries":[{"data":[]},{"data":[]}]}]}"""));

        var error = await Assert.ThrowsAsync<IntegrationException>(() => Source().QueryAsync(Query(new() { ["resource_id"] = Site }, "Requests"), CancellationToken.None));

        Assert.Contains("returned 2 time series", error.Message);
    }
}
