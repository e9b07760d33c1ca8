using System.Text.Json;
using ReleaseFunctions.Core.Ports;
using ReleaseFunctions.Core.Sli;
using ReleaseFunctions.Integrations.AzureMonitor;
using ReleaseFunctions.Integrations.Http;
using ReleaseFunctions.Integrations.Tests.Support;

namespace ReleaseFunctions.Integrations.Tests.AzureMonitor;

public sealed class LogAnalyticsSliSourceTests : IAsyncLifetime
{
    private const string Workspace = "6f0c1a52-3b0e-4a57-9c8e-2f1d5e7b9a10";
    private const string Template = "AppRequests | where TimeGenerated between (window_start .. window_end) and AppRoleName == service | summarize value = countif(Success == false) * 1.0 / count() by bin(TimeGenerated, bin_size), population";
    private static readonly DateTimeOffset Start = TestClock.At(2026, 11, 23, 18, 0, 0);
    private static readonly SliWindow Window = new(Start, Start.AddMinutes(10));
    private readonly HttpClient _client = new();
    private readonly FakeTokenCredential _credential = new("logs-token");
    private FakeHttpServer _server = null!;

    public async Task InitializeAsync() => _server = await FakeHttpServer.StartAsync();

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _client.Dispose();
    }

    private LogAnalyticsSliSource Source() => new(_client,
        new LogAnalyticsOptions(Workspace) { Endpoint = _server.BaseAddress, Resilience = new HttpResilienceOptions { UseJitter = false } },
        _credential, new TestTimeProvider(Start.AddMinutes(20)) { AutoAdvanceUpTo = TimeSpan.FromSeconds(10) });

    private static SliQuery Query(IReadOnlyDictionary<string, string>? parameters = null, string? unit = null, string template = Template)
        => new("azure-monitor-logs", template, Window, parameters ?? new Dictionary<string, string> { ["service"] = "checkout" }, TimeSpan.FromMinutes(1), null, unit);

    private static string Table(string columns, string rows) => $$"""{"tables":[{"name":"PrimaryResult","columns":[{{columns}}],"rows":[{{rows}}]}]}""";

    private const string Columns = """{"name":"TimeGenerated","type":"datetime"},{"name":"population","type":"string"},{"name":"value","type":"real"}""";

    [Fact]
    public async Task Posts_the_declared_query_and_window_with_a_token_and_maps_populations()
    {
        _server.Respond(_ => FakeResponse.Json(Table(Columns, """
            ["2026-11-23T18:00:00Z","canary",0.02],["2026-11-23T18:01:00Z","canary",null],["2026-11-23T18:02:00Z","canary","NaN"],
            ["2026-11-23T18:03:00Z","canary","Infinity"],["2026-11-23T18:00:00Z","baseline",0.01],["2026-11-23T18:30:00Z","baseline",0.5]
            """)));

        var reading = await Source().QueryAsync(Query(), CancellationToken.None);

        var request = _server.Requests.Single();
        Assert.Equal("POST", request.Method);
        Assert.Equal($"/v1/workspaces/{Workspace}/query", request.Path);
        Assert.Equal("Bearer logs-token", request.Header("Authorization"));
        Assert.Equal(["https://api.loganalytics.io/.default"], _credential.Scopes);
        using var body = JsonDocument.Parse(request.Body);
        Assert.Equal(TestClock.ShiftTimestamps("2026-11-23T18:00:00.0000000Z/2026-11-23T18:10:00.0000000Z"), body.RootElement.GetProperty("timespan").GetString());
        Assert.Equal(
            TestClock.ShiftTimestamps("let window_start = datetime(2026-11-23T18:00:00.0000000Z);\nlet window_end = datetime(2026-11-23T18:10:00.0000000Z);\n") + "let bin_size = timespan(60s);\nlet service = \"checkout\";\n" + Template,
            body.RootElement.GetProperty("query").GetString());

        var canary = reading.For("canary")!;
        Assert.Equal(0.02, Assert.Single(canary.Samples).Value);
        Assert.Equal(3, canary.DroppedSamples);
        Assert.Equal(0.01, Assert.Single(reading.For("baseline")!.Samples).Value);
    }

    [Theory]
    [InlineData("x\"; drop", "\"x\\\"; drop\"")]
    [InlineData("a\\\" | take 1 //", "\"a\\\\\\\" | take 1 //\"")]
    [InlineData("two\nlines", "\"two\\nlines\"")]
    public async Task Injected_values_stay_inside_one_let_string_literal(string hostile, string literal)
    {
        _server.Respond(_ => FakeResponse.Json(Table(Columns, "")));

        var reading = await Source().QueryAsync(Query(new Dictionary<string, string> { ["version"] = hostile }, template: "T | where Version == version"), CancellationToken.None);

        using var body = JsonDocument.Parse(_server.Requests.Single().Body);
        var kql = body.RootElement.GetProperty("query").GetString()!;
        Assert.Contains($"let version = {literal};\n", kql);
        Assert.EndsWith("\nT | where Version == version", kql);
        Assert.False(reading.HasData);
    }

    [Theory]
    [InlineData("window_start")]
    [InlineData("bad name")]
    public async Task A_parameter_that_cannot_be_a_kql_name_is_refused(string name)
    {
        var error = await Assert.ThrowsAsync<IntegrationException>(() => Source().QueryAsync(Query(new Dictionary<string, string> { [name] = "x" }), CancellationToken.None));

        Assert.Equal(IntegrationFailureKind.Rejected, error.Kind);
        Assert.Contains(name, error.Message);
        Assert.Empty(_server.Requests);
    }

    [Fact]
    public async Task A_value_with_a_control_character_is_refused()
    {
        var error = await Assert.ThrowsAsync<IntegrationException>(() => Source().QueryAsync(Query(new Dictionary<string, string> { ["service"] = "a\u0001b" }), CancellationToken.None));

        Assert.Contains("U+0001", error.Message);
    }

    [Fact]
    public async Task A_partial_result_is_no_data_with_the_error_as_reason()
    {
        _server.Respond(_ => FakeResponse.Json("""
            {"tables":[{"name":"PrimaryResult","columns":[{"name":"TimeGenerated","type":"datetime"},{"name":"value","type":"real"}],"rows":[["2026-11-23T18:00:00Z",0.0]]}],
             "error":{"code":"PartialError","message":"There were some errors when processing your query.","details":[{"code":"EngineError","message":"Query exceeded memory limit."}]}}
            """));

        var reading = await Source().QueryAsync(Query(), CancellationToken.None);

        Assert.False(reading.HasData);
        Assert.Contains("PartialError", reading.NoDataReason);
        Assert.Contains("memory limit", reading.NoDataReason);
    }

    [Fact]
    public async Task A_unit_column_is_converted_to_the_expected_unit_or_refused()
    {
        var columns = Columns + """,{"name":"unit","type":"string"}""";
        _server.Respond(_ => FakeResponse.Json(Table(columns, """["2026-11-23T18:00:00Z","canary",250,"Milliseconds"]""")));

        var seconds = await Source().QueryAsync(Query(unit: "Seconds"), CancellationToken.None);
        var mismatch = await Assert.ThrowsAsync<IntegrationException>(() => Source().QueryAsync(Query(unit: "Percent"), CancellationToken.None));

        Assert.Equal(0.25, seconds.For("canary")!.Samples.Single().Value, 9);
        Assert.Equal("Seconds", seconds.For("canary")!.Unit);
        Assert.Equal(IntegrationFailureKind.Rejected, mismatch.Kind);
        Assert.Contains("Milliseconds", mismatch.Message);
        Assert.Contains("Percent", mismatch.Message);
    }

    [Fact]
    public async Task Without_a_population_column_the_series_is_all_and_no_rows_is_no_data()
    {
        _server.RespondInOrder(
            FakeResponse.Json(Table("""{"name":"TimeGenerated","type":"datetime"},{"name":"p99","type":"long"}""", """["2026-11-23T18:05:00Z",120]""")),
            FakeResponse.Json(Table(Columns, "")));

        var all = await Source().QueryAsync(Query(), CancellationToken.None);
        var none = await Source().QueryAsync(Query(), CancellationToken.None);

        Assert.Equal(120, all.For("all")!.Samples.Single().Value);
        Assert.False(none.HasData);
        Assert.Contains("no rows", none.NoDataReason);
    }

    [Fact]
    public async Task A_table_without_a_time_column_is_refused_naming_what_came_back()
    {
        _server.Respond(_ => FakeResponse.Json(Table("""{"name":"count_","type":"long"}""", "[3]")));

        var error = await Assert.ThrowsAsync<IntegrationException>(() => Source().QueryAsync(Query(), CancellationToken.None));

        Assert.Equal(IntegrationFailureKind.Rejected, error.Kind);
        Assert.Contains("count_:long", error.Message);
    }

    [Theory]
    [InlineData(403, "{\"error\":{\"code\":\"InsufficientAccessError\"}}", IntegrationFailureKind.Unauthorized, "Log Analytics Reader role on workspace " + Workspace)]
    [InlineData(404, "{\"error\":{\"code\":\"WorkspaceNotFoundError\"}}", IntegrationFailureKind.NotFound, "workspace " + Workspace + " does not exist")]
    [InlineData(200, "{\"tables\":[{\"name\":\"PrimaryResult\",\"columns\":[{\"name\":\"t\",\"type\":\"datetime\"},{\"name\":\"value\",\"type\":\"real\"}],\"rows\":[[\"yesterday\",1]]}]}", IntegrationFailureKind.MalformedResponse, "not an ISO 8601 instant")]
    [InlineData(200, "{\"tables\":[]}", IntegrationFailureKind.MalformedResponse, "'tables' is missing or empty")]
    public async Task Failures_end_as_typed_errors(int status, string body, IntegrationFailureKind kind, string expected)
    {
        _server.Respond(_ => FakeResponse.Json(body, status));

        var error = await Assert.ThrowsAsync<IntegrationException>(() => Source().QueryAsync(Query(), CancellationToken.None));

        Assert.Equal(kind, error.Kind);
        Assert.Contains(expected, error.Message);
        Assert.Equal("Azure Monitor Logs", error.System);
    }

    [Fact]
    public async Task A_server_error_is_retried_and_the_next_answer_used()
    {
        _server.RespondInOrder(new FakeResponse(500, "oops"), FakeResponse.Json(Table(Columns, """["2026-11-23T18:00:00Z","canary",1]""")));

        var reading = await Source().QueryAsync(Query(), CancellationToken.None);

        Assert.Equal(2, _server.Requests.Count);
        Assert.True(reading.HasData);
    }

    [Fact]
    public async Task A_credential_that_cannot_get_a_token_is_unauthorized_before_any_call()
    {
        var source = new LogAnalyticsSliSource(_client, new LogAnalyticsOptions(Workspace) { Endpoint = _server.BaseAddress }, new FailingCredential(), new FakeTimeProvider(Start));

        var error = await Assert.ThrowsAsync<IntegrationException>(() => source.QueryAsync(Query(), CancellationToken.None));

        Assert.Equal(IntegrationFailureKind.Unauthorized, error.Kind);
        Assert.Contains("https://api.loganalytics.io/.default", error.Message);
        Assert.Contains("no managed identity", error.Message);
        Assert.Empty(_server.Requests);
    }

    private sealed class FailingCredential : Azure.Core.TokenCredential
    {
        public override Azure.Core.AccessToken GetToken(Azure.Core.TokenRequestContext requestContext, CancellationToken cancellationToken)
            => throw new Azure.Identity.CredentialUnavailableException("no managed identity endpoint is available");

        public override ValueTask<Azure.Core.AccessToken> GetTokenAsync(Azure.Core.TokenRequestContext requestContext, CancellationToken cancellationToken)
            => throw new Azure.Identity.CredentialUnavailableException("no managed identity endpoint is available");
    }

    [Fact]
    public void Options_refuse_a_resource_id_for_a_workspace_id() =>
        Assert.Contains("GUID", Assert.Throws<ArgumentException>(() => new LogAnalyticsOptions("/subscriptions/x/resourceGroups/y")).Message);
}
