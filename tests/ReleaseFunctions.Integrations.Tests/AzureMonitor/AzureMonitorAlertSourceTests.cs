using ReleaseFunctions.Core.Gates;
using ReleaseFunctions.Core.Ports;
using ReleaseFunctions.Integrations.AzureMonitor;
using ReleaseFunctions.Integrations.Http;
using ReleaseFunctions.Integrations.Tests.Support;

namespace ReleaseFunctions.Integrations.Tests.AzureMonitor;

/// <summary>Azure Monitor's fired alerts through the Alerts Management API, against a fake Resource Manager on 127.0.0.1.</summary>
public sealed class AzureMonitorAlertSourceTests : IAsyncLifetime
{
    private const string Group = "/subscriptions/5f7b5f7a-0000-4000-8000-000000000001/resourceGroups/shop";
    private const string Site = Group + "/providers/Microsoft.Web/sites/checkout";
    private static readonly DateTimeOffset Now = TestClock.At(2026, 11, 23, 18, 0, 0);
    private readonly HttpClient _client = new();
    private readonly FakeTokenCredential _credential = new("arm-token");
    private FakeHttpServer _server = null!;

    public async Task InitializeAsync() => _server = await FakeHttpServer.StartAsync();

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _client.Dispose();
    }

    private AzureMonitorAlertSource Source(int maxPages = 10) => new(_client,
        new AzureMonitorAlertsOptions { ResourceManagerEndpoint = _server.BaseAddress, MaxPages = maxPages, Resilience = new HttpResilienceOptions { MaxAttempts = 2, UseJitter = false } },
        _credential, new TestTimeProvider(Now) { AutoAdvanceUpTo = TimeSpan.FromSeconds(10) });

    private static string Alert(string name, string severity, string condition = "Fired", string state = "New", string started = "2026-11-23T17:50:00Z") => $$"""
        {"id": "{{Site}}/providers/Microsoft.AlertsManagement/alerts/{{name}}-id", "type": "Microsoft.AlertsManagement/alerts", "name": "{{name}}",
         "properties": {"essentials": {"severity": "{{severity}}", "signalType": "Metric", "alertState": "{{state}}", "monitorCondition": "{{condition}}",
           "monitorService": "Platform", "targetResource": "{{Site}}", "targetResourceName": "checkout", "targetResourceGroup": "shop",
           "targetResourceType": "sites", "startDateTime": "{{started}}", "lastModifiedDateTime": "{{started}}", "alertRule": "{{name}}-rule",
           "description": "{{name}} on checkout"} } }
        """;

    [Fact]
    public async Task Fired_alerts_on_the_resource_are_read_page_by_page_and_closed_resolved_or_other_severities_left_out()
    {
        var second = new Uri(_server.BaseAddress, $"subscriptions/5f7b5f7a-0000-4000-8000-000000000001/providers/Microsoft.AlertsManagement/alerts?page=2").AbsoluteUri;
        _server.RespondInOrder(
            FakeResponse.Json($$"""{"nextLink": "{{second}}", "value": [{{Alert("Http5xx", "Sev1")}}, {{Alert("Noise", "Sev4")}}]}"""),
            FakeResponse.Json($$"""{"value": [{{Alert("Latency", "Sev0")}}, {{Alert("Old", "Sev1", state: "Closed")}}, {{Alert("Over", "Sev1", condition: "Resolved")}}]}"""));

        var alerts = await Source().FiringAsync(new AlertWatch(AlertWatch.AzureMonitor, [], scope: "{resource_id}", severities: ["Sev0", "Sev1"]),
            new Dictionary<string, string> { ["resource_id"] = Site }, CancellationToken.None);

        Assert.Equal(["Http5xx", "Latency"], alerts.Select(a => a.Name));
        Assert.Equal(TestClock.At(2026, 11, 23, 17, 50, 0), alerts[0].StartsAt);
        Assert.Equal("Sev1", alerts[0].Labels["severity"]);
        Assert.Equal("Http5xx on checkout", alerts[0].Summary);
        var first = _server.Requests[0];
        Assert.Equal("/subscriptions/5f7b5f7a-0000-4000-8000-000000000001/providers/Microsoft.AlertsManagement/alerts", first.Path);
        Assert.Equal("2019-05-05-preview", first.Query("api-version"));
        Assert.Equal("Fired", first.Query("monitorCondition"));
        Assert.Equal(Site, first.Query("targetResource"));
        Assert.Equal("Bearer arm-token", first.Header("Authorization"));
        Assert.Equal("2", _server.Requests[1].Query("page"));
    }

    [Fact]
    public async Task A_resource_group_scope_filters_by_the_groups_name()
    {
        _server.Respond(_ => FakeResponse.Json("""{"value": []}"""));

        Assert.Empty(await Source().FiringAsync(new AlertWatch(AlertWatch.AzureMonitor, [], scope: Group), new Dictionary<string, string>(), CancellationToken.None));

        Assert.Equal("shop", Assert.Single(_server.Requests).Query("targetResourceGroup"));
        Assert.Null(_server.Requests[0].Query("targetResource"));
    }

    [Theory]
    [InlineData(200, """{"alerts": []}""", "expected an object with a 'value' array")]
    [InlineData(200, """{"value": [{"name": "x", "properties": {"essentials": {"severity": "Sev1"}}}]}""", "no 'essentials.startDateTime'")]
    [InlineData(200, """{"value": [], "nextLink": "https://elsewhere.example/next"}""", "'nextLink' is not an address on 127.0.0.1")]
    [InlineData(403, """{"error": {"code": "AuthorizationFailed", "message": "no access"}}""", "403")]
    public async Task A_failing_or_malformed_answer_is_an_integration_failure_naming_what_was_wrong(int status, string body, string expected)
    {
        _server.Respond(_ => new FakeResponse(status, body));

        var error = await Assert.ThrowsAsync<IntegrationException>(() =>
            Source().FiringAsync(new AlertWatch(AlertWatch.AzureMonitor, [], scope: Site), new Dictionary<string, string>(), CancellationToken.None));

        Assert.True(error.Message.Contains(expected, StringComparison.Ordinal), error.Message);
    }

    [Fact]
    public async Task More_pages_than_allowed_are_refused_rather_than_judged_on_a_part()
    {
        _server.Respond(r => FakeResponse.Json($$"""{"value": [], "nextLink": "{{new Uri(_server.BaseAddress, r.Path + "?n=" + (_server.Requests.Count + 1)).AbsoluteUri}}"}"""));

        var error = await Assert.ThrowsAsync<IntegrationException>(() =>
            Source(maxPages: 2).FiringAsync(new AlertWatch(AlertWatch.AzureMonitor, [], scope: Site), new Dictionary<string, string>(), CancellationToken.None));

        Assert.Contains("fill more than 2 pages", error.Message, StringComparison.Ordinal);
        Assert.Equal(2, _server.Requests.Count);
    }

    [Fact]
    public async Task A_scope_parameter_the_release_does_not_have_is_refused_before_any_call()
    {
        var error = await Assert.ThrowsAsync<IntegrationException>(() =>
            Source().FiringAsync(new AlertWatch(AlertWatch.AzureMonitor, [], scope: "{resource_id}"), new Dictionary<string, string> { ["service"] = "checkout" }, CancellationToken.None));

        Assert.Contains("names '{resource_id}', which is not a parameter of this release; expected one of {service}", error.Message, StringComparison.Ordinal);
        Assert.Empty(_server.Requests);
    }
}
