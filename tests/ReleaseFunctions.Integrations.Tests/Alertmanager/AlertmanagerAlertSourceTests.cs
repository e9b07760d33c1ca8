using ReleaseFunctions.Core.Gates;
using ReleaseFunctions.Core.Ports;
using ReleaseFunctions.Integrations.Alertmanager;
using ReleaseFunctions.Integrations.Http;
using ReleaseFunctions.Integrations.Tests.Support;

namespace ReleaseFunctions.Integrations.Tests.Alertmanager;

/// <summary>The Alertmanager API v2 client against a fake Alertmanager on 127.0.0.1.</summary>
public sealed class AlertmanagerAlertSourceTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Now = TestClock.At(2026, 11, 23, 18, 0, 0);
    private static readonly Dictionary<string, string> Parameters = new() { ["service"] = "checkout \"eu\"", ["stage"] = "production" };
    private readonly HttpClient _client = new();
    private FakeHttpServer _server = null!;

    public async Task InitializeAsync() => _server = await FakeHttpServer.StartAsync();

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _client.Dispose();
    }

    private AlertmanagerAlertSource Source() => new(_client, _server.BaseAddress, new TestTimeProvider(Now) { AutoAdvanceUpTo = TimeSpan.FromSeconds(10) },
        new HttpResilienceOptions { MaxAttempts = 2, UseJitter = false });

    private static AlertWatch Watch(params string[] matchers) => new(AlertWatch.Alertmanager, matchers);

    [Fact]
    public async Task Active_alerts_are_asked_for_with_one_filter_per_matcher_and_read_with_their_labels()
    {
        _server.Respond(_ => FakeResponse.Json("""
            [{"labels": {"alertname": "CheckoutErrorsHigh", "severity": "page", "service": "checkout"},
              "annotations": {"summary": "5xx above 2%"}, "startsAt": "2026-11-23T17:52:00.000Z", "endsAt": "2026-11-23T18:12:00.000Z",
              "generatorURL": "http://prometheus:9090/graph?g0.expr=...", "fingerprint": "a1b2", "status": {"state": "active", "silencedBy": [], "inhibitedBy": []}},
             {"labels": {"severity": "critical"}, "annotations": {}, "startsAt": "2026-11-23T16:00:00Z", "status": {"state": "active"}}]
            """));

        var alerts = await Source().FiringAsync(Watch("service=\"{service}\"", "severity=~\"critical|page\""), Parameters, CancellationToken.None);

        var request = Assert.Single(_server.Requests);
        Assert.Equal("GET", request.Method);
        Assert.Equal("/api/v2/alerts", request.Path);
        Assert.Equal("true", request.Query("active"));
        Assert.Equal("false", request.Query("silenced"));
        Assert.Equal("false", request.Query("inhibited"));
        var filters = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(request.QueryString)["filter"].Select(f => f!).ToArray();
        Assert.Equal(["service=\"checkout \\\"eu\\\"\"", "severity=~\"critical|page\""], filters);
        Assert.Equal(2, alerts.Count);
        Assert.Equal("CheckoutErrorsHigh", alerts[0].Name);
        Assert.Equal(TestClock.At(2026, 11, 23, 17, 52, 0), alerts[0].StartsAt);
        Assert.Equal("5xx above 2%", alerts[0].Summary);
        Assert.Equal("page", alerts[0].Labels["severity"]);
        Assert.StartsWith("http://prometheus:9090/graph", alerts[0].Url, StringComparison.Ordinal);
        Assert.Equal("(unnamed alert)", alerts[1].Name);
    }

    [Fact]
    public async Task No_alert_is_an_empty_list()
    {
        _server.Respond(_ => FakeResponse.Json("[]"));

        Assert.Empty(await Source().FiringAsync(Watch("service=\"{service}\""), Parameters, CancellationToken.None));
    }

    [Theory]
    [InlineData(200, """{"alerts": []}""", "expected an array of alerts")]
    [InlineData(200, """[{"labels": {"alertname": "X"}}]""", "no 'startsAt' date-time")]
    [InlineData(200, "not json", "not JSON")]
    [InlineData(503, "down for maintenance", "503")]
    public async Task A_failing_or_malformed_answer_is_an_integration_failure_naming_what_was_wrong(int status, string body, string expected)
    {
        _server.Respond(_ => new FakeResponse(status, body));

        var error = await Assert.ThrowsAsync<IntegrationException>(() => Source().FiringAsync(Watch("service=\"{service}\""), Parameters, CancellationToken.None));

        Assert.Equal("Alertmanager", error.System);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_matcher_naming_an_unknown_parameter_is_refused_before_any_call()
    {
        var error = await Assert.ThrowsAsync<IntegrationException>(() => Source().FiringAsync(Watch("team=\"{team}\""), Parameters, CancellationToken.None));

        Assert.Contains("names '{team}', which is not a parameter of this release; expected one of {service}, {stage}", error.Message, StringComparison.Ordinal);
        Assert.Empty(_server.Requests);
    }
}
