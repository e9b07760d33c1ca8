using System.Text.Json.Nodes;
using ReleaseFunctions.Core.Ports;
using ReleaseFunctions.Integrations.Deployment;
using ReleaseFunctions.Integrations.Http;
using ReleaseFunctions.Integrations.Tests.Support;

namespace ReleaseFunctions.Integrations.Tests.Deployment;

public sealed class ContainerAppsRevisionTargetTests : IAsyncLifetime
{
    private const string App = "/subscriptions/00000000-0000-0000-0000-000000001111/resourceGroups/shop/providers/Microsoft.App/containerApps/checkout";
    private static readonly DateTimeOffset Now = TestClock.At(2026, 11, 23, 18, 0, 0);
    private readonly HttpClient _client = TestTls.TrustingClient();
    private readonly TestTimeProvider _clock = new(Now) { AutoAdvanceUpTo = TimeSpan.FromSeconds(10) };
    private FakeHttpServer _server = null!;

    private string _mode = "Multiple";
    private JsonArray _traffic = JsonNode.Parse("""[{"revisionName":"checkout--v1","weight":100,"label":"stable"}]""")!.AsArray();
    private bool _asyncPatch;

    public async Task InitializeAsync()
    {
        _server = await FakeHttpServer.StartAsync(tls: true);
        _server.Respond(Arm);
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _client.Dispose();
    }

    private FakeResponse Arm(RecordedRequest request)
    {
        switch (request.Method, request.Path)
        {
            case ("GET", App):
                return FakeResponse.Json(AppJson());
            case ("PATCH", App):
                _traffic = JsonNode.Parse(request.Body)!["properties"]!["configuration"]!["ingress"]!["traffic"]!.AsArray();
                return _asyncPatch
                    ? new FakeResponse(202, null, new Dictionary<string, string> { ["Azure-AsyncOperation"] = new Uri(_server.BaseAddress, "providers/Microsoft.App/operations/op-1").AbsoluteUri })
                    : FakeResponse.Json(AppJson());
            case ("GET", "/providers/Microsoft.App/operations/op-1"):
                return FakeResponse.Json("""{"status":"Succeeded"}""");
            default:
                return new FakeResponse(404, "{}");
        }
    }

    private string AppJson() => new JsonObject
    {
        ["id"] = App,
        ["name"] = "checkout",
        ["type"] = "Microsoft.App/containerApps",
        ["location"] = "westeurope",
        ["properties"] = new JsonObject
        {
            ["latestRevisionName"] = "checkout--v2",
            ["configuration"] = new JsonObject
            {
                ["activeRevisionsMode"] = _mode,
                ["ingress"] = new JsonObject { ["external"] = true, ["traffic"] = _traffic.DeepClone() },
            },
        },
    }.ToJsonString();

    private ContainerAppsRevisionTarget Target() => new(_client,
        new AzureTargetOptions { ResourceManagerEndpoint = _server.BaseAddress, Resilience = new HttpResilienceOptions { UseJitter = false } },
        new FakeTokenCredential(), _clock);

    private static TargetSpec Spec(Dictionary<string, string>? extra = null)
    {
        var parameters = new Dictionary<string, string> { ["resource_id"] = App };
        foreach (var (k, v) in extra ?? [])
        {
            parameters[k] = v;
        }

        return new TargetSpec("container-apps", parameters);
    }

    private static TrafficShift Shift(int weight, TrafficAction action = TrafficAction.Shift, TargetSpec? spec = null)
        => new(spec ?? Spec(), "release-7", "checkout", "2.0.0", "production", 1, weight, action, $"key-{action}-{weight}");

    [Fact]
    public async Task A_shift_patches_weights_summing_to_100_and_reads_them_back()
    {
        var state = await Target().ApplyAsync(Shift(20), CancellationToken.None);

        var patch = _server.Requests.Single(r => r.Method == "PATCH");
        Assert.Equal("2024-03-01", patch.Query("api-version"));
        var traffic = JsonNode.Parse(patch.Body)!["properties"]!["configuration"]!["ingress"]!["traffic"]!.AsArray();
        Assert.Equal(100, traffic.Sum(t => t!["weight"]!.GetValue<int>()));
        Assert.Equal(("checkout--v1", 80, "stable"), (traffic[0]!["revisionName"]!.GetValue<string>(), traffic[0]!["weight"]!.GetValue<int>(), traffic[0]!["label"]!.GetValue<string>()));
        Assert.Equal(("checkout--v2", 20), (traffic[1]!["revisionName"]!.GetValue<string>(), traffic[1]!["weight"]!.GetValue<int>()));
        Assert.Null(traffic[1]!["label"]);
        Assert.Null(JsonNode.Parse(patch.Body)!["properties"]!["configuration"]!["activeRevisionsMode"]);
        Assert.Equal((20, "checkout--v1"), (state.CandidateWeightPercent, state.LiveSlot));
        Assert.Equal(2, _server.Requests.Count(r => r.Method == "GET"));
    }

    [Fact]
    public async Task Promote_and_rollback_move_everything_and_a_background_patch_is_followed()
    {
        _asyncPatch = true;
        await Target().ApplyAsync(Shift(20), CancellationToken.None);

        var promoted = await Target().ApplyAsync(Shift(0, TrafficAction.Promote), CancellationToken.None);
        var rolledBack = await Target().ApplyAsync(Shift(0, TrafficAction.Rollback), CancellationToken.None);

        Assert.Equal((100, "checkout--v2"), (promoted.CandidateWeightPercent, promoted.LiveSlot));
        Assert.Equal((0, "checkout--v1"), (rolledBack.CandidateWeightPercent, rolledBack.LiveSlot));
        Assert.Equal(3, _server.Requests.Count(r => r.Path == "/providers/Microsoft.App/operations/op-1"));
    }

    [Fact]
    public async Task Single_revision_mode_is_refused_with_how_to_change_it()
    {
        _mode = "Single";

        var error = await Assert.ThrowsAsync<IntegrationException>(() => Target().ApplyAsync(Shift(10), CancellationToken.None));

        Assert.Equal(IntegrationFailureKind.Rejected, error.Kind);
        Assert.Contains("set-mode --mode multiple", error.Message);
        Assert.DoesNotContain(_server.Requests, r => r.Method == "PATCH");
    }

    [Fact]
    public async Task Latest_revision_entries_are_resolved_and_named_revisions_override_the_defaults()
    {
        _traffic = JsonNode.Parse("""[{"latestRevision":true,"weight":30},{"revisionName":"checkout--v0","weight":70}]""")!.AsArray();

        var read = await Target().ReadAsync(Shift(0), CancellationToken.None);
        var state = await Target().ApplyAsync(Shift(50, spec: Spec(new() { ["candidate_revision"] = "checkout--v3", ["stable_revision"] = "checkout--v2" })), CancellationToken.None);

        Assert.Equal((30, "checkout--v0"), (read.CandidateWeightPercent, read.LiveSlot));
        Assert.Equal(50, state.CandidateWeightPercent);
        Assert.Equal(["checkout--v2", "checkout--v3"], _traffic.Select(t => t!["revisionName"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Weights_read_back_that_do_not_sum_to_100_are_malformed()
    {
        _traffic = JsonNode.Parse("""[{"revisionName":"checkout--v1","weight":60},{"revisionName":"checkout--v2","weight":10}]""")!.AsArray();

        var error = await Assert.ThrowsAsync<IntegrationException>(() => Target().ReadAsync(Shift(0), CancellationToken.None));

        Assert.Equal(IntegrationFailureKind.MalformedResponse, error.Kind);
        Assert.Contains("sum to 70", error.Message);
    }

    [Fact]
    public async Task Refusal_names_the_container_apps_role()
    {
        _server.Respond(_ => FakeResponse.Json("""{"error":{"code":"AuthorizationFailed"}}""", 403));

        var error = await Assert.ThrowsAsync<IntegrationException>(() => Target().ApplyAsync(Shift(10), CancellationToken.None));

        Assert.Equal(IntegrationFailureKind.Unauthorized, error.Kind);
        Assert.Contains("Container Apps Contributor role on " + App, error.Message);
    }

    [Fact]
    public async Task A_failing_read_is_retried_on_the_clock_with_back_off_and_a_token_each_time()
    {
        var failures = 2;
        _server.Respond(r => r.Method == "GET" && Interlocked.Decrement(ref failures) >= 0 ? new FakeResponse(503, "busy") : Arm(r));

        var state = await Target().ReadAsync(Shift(0), CancellationToken.None);

        Assert.Equal(0, state.CandidateWeightPercent);
        Assert.Equal(3, _server.Requests.Count);
        Assert.All(_server.Requests, r => Assert.Equal("Bearer test-token", r.Header("Authorization")));
        Assert.Equal([TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2)], _clock.RequestedDelays);
    }

    [Fact]
    public async Task Throttling_that_asks_for_longer_than_allowed_ends_at_once_and_a_persistent_failure_names_the_attempts()
    {
        _server.Respond(_ => new FakeResponse(429, """{"error":{"code":"TooManyRequests"}}""", new Dictionary<string, string> { ["Retry-After"] = "600" }));
        var throttled = await Assert.ThrowsAsync<IntegrationException>(() => Target().ReadAsync(Shift(0), CancellationToken.None));
        _server.Respond(_ => new FakeResponse(500, "down"));
        var down = await Assert.ThrowsAsync<IntegrationException>(() => Target().ReadAsync(Shift(0), CancellationToken.None));

        Assert.Equal(IntegrationFailureKind.Throttled, throttled.Kind);
        Assert.Contains("asked to wait 600 s", throttled.Message);
        Assert.Equal(IntegrationFailureKind.Unavailable, down.Kind);
        Assert.Contains("after 4 attempts", down.Message);
        Assert.Equal(1 + 4, _server.Requests.Count);
    }
}
