using System.Text.Json.Nodes;
using ReleaseFunctions.Core.Ports;
using ReleaseFunctions.Integrations.Deployment;
using ReleaseFunctions.Integrations.Http;
using ReleaseFunctions.Integrations.Tests.Support;

namespace ReleaseFunctions.Integrations.Tests.Deployment;

public sealed class AppServiceSlotTargetTests : IAsyncLifetime
{
    private const string Site = "/subscriptions/00000000-0000-0000-0000-000000001111/resourceGroups/shop/providers/Microsoft.Web/sites/checkout";
    private const string SlotHost = "checkout-staging-a1b2.azurewebsites.net";
    private static readonly DateTimeOffset Now = TestClock.At(2026, 11, 23, 18, 0, 0);
    private readonly HttpClient _client = TestTls.TrustingClient();
    private readonly FakeTokenCredential _credential = new("arm-token");
    private readonly TestTimeProvider _clock = new(Now) { AutoAdvanceUpTo = TimeSpan.FromSeconds(10) };
    private FakeHttpServer _server = null!;

    // The fake site's state, changed by the requests the target makes.
    private JsonArray _rules = JsonNode.Parse("""[{"actionHostName":"checkout-qa.azurewebsites.net","reroutePercentage":5,"name":"qa"}]""")!.AsArray();
    private string? _lastSwap;
    private JsonObject _tags = new() { ["owner"] = "shop-team" };
    private Queue<FakeResponse> _operation = new();

    /// <summary>What production serves: a swap exchanges the slots' content, so every swap flips it.</summary>
    private string _production = "1.9.0";
    private string _stagingSlot = "2.0.0";

    public async Task InitializeAsync()
    {
        _server = await FakeHttpServer.StartAsync(shiftFixtureDates: false, tls: true); // answers built from the test's clock
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
            case ("GET", Site + "/config/web"):
                return FakeResponse.Json(ConfigJson());
            case ("PATCH", Site + "/config/web"):
                _rules = JsonNode.Parse(request.Body)!["properties"]!["experiments"]!["rampUpRules"]!.AsArray();
                return FakeResponse.Json(ConfigJson());
            case ("GET", Site + "/slots/staging"):
                return FakeResponse.Json($$$"""{"id":"{{{Site}}}/slots/staging","name":"checkout/staging","type":"Microsoft.Web/sites/slots","location":"westeurope","properties":{"defaultHostName":"{{{SlotHost}}}"}}""");
            case ("GET", Site):
                var properties = new JsonObject { ["defaultHostName"] = "checkout.azurewebsites.net" };
                if (_lastSwap is not null)
                {
                    properties["slotSwapStatus"] = new JsonObject { ["timestampUtc"] = _lastSwap, ["sourceSlotName"] = "staging", ["destinationSlotName"] = "production" };
                }

                return FakeResponse.Json(new JsonObject { ["id"] = Site, ["name"] = "checkout", ["type"] = "Microsoft.Web/sites", ["location"] = "westeurope", ["tags"] = _tags.DeepClone(), ["properties"] = properties }.ToJsonString());
            case ("PATCH", Site + "/providers/Microsoft.Resources/tags/default"):
                var tagRequest = JsonNode.Parse(request.Body)!;
                if (tagRequest["operation"]?.GetValue<string>() != "Merge")
                {
                    return new FakeResponse(400, """{"error":{"code":"InvalidOperation"}}""");
                }

                foreach (var (name, value) in tagRequest["properties"]!["tags"]!.AsObject())
                {
                    _tags[name] = value?.DeepClone();
                }

                return FakeResponse.Json(new JsonObject { ["id"] = Site + "/providers/Microsoft.Resources/tags/default", ["name"] = "default", ["properties"] = new JsonObject { ["tags"] = _tags.DeepClone() } }.ToJsonString());
            case ("POST", Site + "/slots/staging/slotsswap"):
                return new FakeResponse(202, null, new Dictionary<string, string>
                {
                    ["Azure-AsyncOperation"] = new Uri(_server.BaseAddress, "operations/swap-1?api-version=2023-12-01").AbsoluteUri,
                    ["Retry-After"] = "3",
                });
            case ("GET", "/operations/swap-1"):
                var next = _operation.Dequeue();
                if (next.Body?.Contains("Succeeded") == true)
                {
                    RecordSwap();
                }

                return next;
            default:
                return new FakeResponse(404, $$$"""{"error":{"code":"ResourceNotFound","message":"{{{request.Method}}} {{{request.Path}}}"}}""");
        }
    }

    private string ConfigJson() => new JsonObject
    {
        ["id"] = Site + "/config/web",
        ["name"] = "web",
        ["type"] = "Microsoft.Web/sites/config",
        ["location"] = "westeurope",
        ["properties"] = new JsonObject { ["experiments"] = new JsonObject { ["rampUpRules"] = _rules.DeepClone() } },
    }.ToJsonString();

    private AppServiceSlotTarget Target(AzureTargetOptions? options = null) => new(_client,
        options ?? new AzureTargetOptions { ResourceManagerEndpoint = _server.BaseAddress, Resilience = new HttpResilienceOptions { UseJitter = false } },
        _credential, _clock);

    private static TargetSpec Spec(string? strategy = null)
    {
        var parameters = new Dictionary<string, string> { ["resource_id"] = Site, ["slot"] = "staging" };
        if (strategy is not null)
        {
            parameters["strategy"] = strategy;
        }

        return new TargetSpec("app-service", parameters);
    }

    private static TrafficShift Shift(int weight, TrafficAction action = TrafficAction.Shift, string? strategy = null)
        => new(Spec(strategy), "release-7", "checkout", "2.0.0", "production", 1, weight, action, $"key-{action}-{weight}");

    [Fact]
    public async Task A_shift_sets_the_slots_ramp_up_rule_keeps_others_and_reads_it_back()
    {
        var state = await Target().ApplyAsync(Shift(10), CancellationToken.None);

        var patch = _server.Requests.Single(r => r.Method == "PATCH");
        Assert.Equal("2023-12-01", patch.Query("api-version"));
        Assert.Equal("Bearer arm-token", patch.Header("Authorization"));
        var rules = JsonNode.Parse(patch.Body)!["properties"]!["experiments"]!["rampUpRules"]!.AsArray();
        Assert.Equal(2, rules.Count);
        Assert.Equal("qa", rules[0]!["name"]!.GetValue<string>());
        Assert.Equal(SlotHost, rules[1]!["actionHostName"]!.GetValue<string>());
        Assert.Equal(10, rules[1]!["reroutePercentage"]!.GetValue<double>());
        Assert.Equal("staging", rules[1]!["name"]!.GetValue<string>());
        Assert.Equal((10, "production", Now), (state.CandidateWeightPercent, state.LiveSlot, state.ObservedAt));
        Assert.Equal(2, _server.Requests.Count(r => r.Method == "GET" && r.Path == Site + "/config/web"));
        Assert.Contains("https://management.azure.com/.default", _credential.Scopes);
    }

    [Fact]
    public async Task A_shift_to_zero_removes_the_rule_and_read_reports_zero()
    {
        await Target().ApplyAsync(Shift(30), CancellationToken.None);
        await Target().ApplyAsync(Shift(0), CancellationToken.None);

        var read = await Target().ReadAsync(Shift(0), CancellationToken.None);

        Assert.Equal(0, read.CandidateWeightPercent);
        Assert.Single(_rules);
    }

    [Fact]
    public async Task A_swap_is_posted_and_its_long_running_operation_followed_to_the_end()
    {
        _operation = new Queue<FakeResponse>([FakeResponse.Json("""{"status":"InProgress"}"""), FakeResponse.Json("""{"status":"Succeeded"}""")]);
        await Target().ApplyAsync(Shift(20), CancellationToken.None);

        var state = await Target().ApplyAsync(Shift(0, TrafficAction.Swap), CancellationToken.None);

        var swap = _server.Requests.Single(r => r.Method == "POST");
        var body = JsonNode.Parse(swap.Body)!;
        Assert.Equal("production", body["targetSlot"]!.GetValue<string>());
        Assert.True(body["preserveVnet"]!.GetValue<bool>());
        Assert.Equal(2, _server.Requests.Count(r => r.Path == "/operations/swap-1"));
        Assert.Equal("Bearer arm-token", _server.Requests.Last(r => r.Path == "/operations/swap-1").Header("Authorization"));
        Assert.Contains(TimeSpan.FromSeconds(3), _clock.RequestedDelays);
        var routeBeforeSwap = _server.Requests.ToList().FindLastIndex(r => r.Method == "PATCH" && r.Path == Site + "/config/web");
        Assert.True(routeBeforeSwap < _server.Requests.ToList().FindIndex(r => r.Method == "POST"), "routing is withdrawn before the swap");
        Assert.Single(_rules);
        Assert.Equal((100, "production"), (state.CandidateWeightPercent, state.LiveSlot));
        Assert.Contains("production serves 2.0.0", state.Detail);
        Assert.Equal("release-7|in|" + _lastSwap, _tags[AppServiceSlotTarget.SwapTag]!.GetValue<string>());
        Assert.Equal("shop-team", _tags["owner"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_failed_swap_operation_is_unavailable_with_azures_reason()
    {
        _operation = new Queue<FakeResponse>([FakeResponse.Json("""{"status":"Failed","error":{"code":"SwapFailed","message":"Slot warm-up timed out"}}""")]);

        var error = await Assert.ThrowsAsync<IntegrationException>(() => Target().ApplyAsync(Shift(0, TrafficAction.Swap), CancellationToken.None));

        Assert.Equal(IntegrationFailureKind.Unavailable, error.Kind);
        Assert.Contains("Slot warm-up timed out", error.Message);
    }

    [Fact]
    public async Task An_operation_that_never_ends_times_out()
    {
        _operation = new Queue<FakeResponse>(Enumerable.Repeat(FakeResponse.Json("""{"status":"InProgress"}"""), 20));
        var options = new AzureTargetOptions { ResourceManagerEndpoint = _server.BaseAddress, OperationTimeout = TimeSpan.FromSeconds(10), Resilience = new HttpResilienceOptions { UseJitter = false } };

        var error = await Assert.ThrowsAsync<IntegrationException>(() => Target(options).ApplyAsync(Shift(0, TrafficAction.Swap), CancellationToken.None));

        Assert.Equal(IntegrationFailureKind.Timeout, error.Kind);
        Assert.Contains("did not finish", error.Message);
        // Polled at 3 s (Retry-After) and 8 s (the 5 s default); a third poll at 13 s would pass the 10 s limit.
        Assert.Equal(2, _server.Requests.Count(r => r.Path == "/operations/swap-1"));
    }

    [Fact]
    public async Task A_rollback_after_the_releases_swap_swaps_back_without_any_strategy_parameter_and_reads_the_stable_version_back()
    {
        _operation = new Queue<FakeResponse>([FakeResponse.Json("""{"status":"Succeeded"}"""), FakeResponse.Json("""{"status":"Succeeded"}""")]);
        var swapped = await Target().ApplyAsync(Shift(100, TrafficAction.Swap), CancellationToken.None);
        Assert.Equal("2.0.0", _production);
        _clock.Advance(TimeSpan.FromMinutes(5));

        var rolledBack = await Target().ApplyAsync(Shift(0, TrafficAction.Rollback), CancellationToken.None);

        Assert.Equal(100, swapped.CandidateWeightPercent);
        Assert.Equal(2, _server.Requests.Count(r => r.Method == "POST"));
        Assert.Equal("1.9.0", _production);
        Assert.Equal(0, rolledBack.CandidateWeightPercent);
        Assert.Contains("swap reversed", rolledBack.Detail);
    }

    [Fact]
    public async Task A_read_after_the_swap_says_the_candidate_is_live_and_a_retried_swap_does_not_swap_back()
    {
        _operation = new Queue<FakeResponse>([FakeResponse.Json("""{"status":"Succeeded"}""")]);
        await Target().ApplyAsync(Shift(100, TrafficAction.Swap), CancellationToken.None);

        var again = await Target().ApplyAsync(Shift(100, TrafficAction.Swap), CancellationToken.None);
        var read = await Target().ReadAsync(Shift(100, TrafficAction.Swap), CancellationToken.None);
        var otherRelease = await Target().ReadAsync(Shift(0) with { ReleaseId = "release-8" }, CancellationToken.None);

        Assert.Single(_server.Requests, r => r.Method == "POST");
        Assert.Equal("2.0.0", _production);
        Assert.Equal(100, again.CandidateWeightPercent);
        Assert.Equal(100, read.CandidateWeightPercent);
        Assert.Contains("production serves 2.0.0", read.Detail);
        Assert.Equal(0, otherRelease.CandidateWeightPercent);
    }

    [Fact]
    public async Task A_rollback_after_someone_else_swapped_fails_saying_nobody_can_tell_what_production_serves()
    {
        _operation = new Queue<FakeResponse>([FakeResponse.Json("""{"status":"Succeeded"}""")]);
        await Target().ApplyAsync(Shift(100, TrafficAction.Swap), CancellationToken.None);
        _clock.Advance(TimeSpan.FromMinutes(5));
        RecordSwap(); // swapped by hand in the portal

        var error = await Assert.ThrowsAsync<IntegrationException>(() => Target().ApplyAsync(Shift(0, TrafficAction.Rollback), CancellationToken.None));

        Assert.Contains("cannot tell which version production", error.Message);
        Assert.Contains("someone swapped since", error.Message);
        Assert.Single(_server.Requests, r => r.Method == "POST");
    }

    [Fact]
    public async Task A_canary_rollback_after_an_earlier_releases_swap_only_withdraws_routing()
    {
        (_production, _stagingSlot) = ("1.8.0", "1.9.0");
        _operation = new Queue<FakeResponse>([FakeResponse.Json("""{"status":"Succeeded"}""")]);
        await Target().ApplyAsync(Shift(100, TrafficAction.Promote) with { ReleaseId = "release-6" }, CancellationToken.None);
        _stagingSlot = "2.0.0"; // the next release deploys its candidate to the slot
        await Target().ApplyAsync(Shift(10), CancellationToken.None);

        var rolledBack = await Target().ApplyAsync(Shift(0, TrafficAction.Rollback), CancellationToken.None);

        Assert.Single(_server.Requests, r => r.Method == "POST");
        Assert.Equal("1.9.0", _production);
        Assert.Equal(0, rolledBack.CandidateWeightPercent);
        Assert.Single(_rules);
    }

    [Fact]
    public async Task A_swap_followed_through_its_location_header_ends_when_the_location_stops_answering_202()
    {
        var polls = 0;
        _server.Respond(r => (r.Method, r.Path) switch
        {
            ("POST", _) => new FakeResponse(202, null, new Dictionary<string, string> { ["Location"] = new Uri(_server.BaseAddress, "operationresults/swap-2").AbsoluteUri }),
            ("GET", "/operationresults/swap-2") => ++polls < 3 ? new FakeResponse(202) : SwapRecorded(),
            _ => Arm(r),
        });

        var state = await Target().ApplyAsync(Shift(0, TrafficAction.Promote), CancellationToken.None);

        Assert.Equal(3, polls);
        Assert.Equal(100, state.CandidateWeightPercent);
        Assert.Equal(3, _clock.RequestedDelays.Count(d => d == TimeSpan.FromSeconds(5)));
    }

    private FakeResponse SwapRecorded()
    {
        RecordSwap();
        return new FakeResponse(200);
    }

    /// <summary>A finished swap: the slots exchange their content and the site records when.</summary>
    private void RecordSwap()
    {
        (_production, _stagingSlot) = (_stagingSlot, _production);
        _lastSwap = _clock.GetUtcNow().ToString("O");
    }

    [Fact]
    public async Task A_swap_that_fails_on_the_server_is_not_repeated()
    {
        _server.Respond(r => r.Method == "POST" ? new FakeResponse(500, "internal error") : Arm(r));

        var error = await Assert.ThrowsAsync<IntegrationException>(() => Target().ApplyAsync(Shift(0, TrafficAction.Swap), CancellationToken.None));

        Assert.Equal(IntegrationFailureKind.Unavailable, error.Kind);
        Assert.Single(_server.Requests, r => r.Method == "POST");
        Assert.Contains("not repeated", error.Message);
    }

    [Fact]
    public async Task A_monitor_url_on_another_host_gets_no_token()
    {
        _server.Respond(r => r.Method == "POST"
            ? new FakeResponse(202, null, new Dictionary<string, string> { ["Azure-AsyncOperation"] = "https://attacker.example/op" })
            : Arm(r));

        var error = await Assert.ThrowsAsync<IntegrationException>(() => Target().ApplyAsync(Shift(0, TrafficAction.Swap), CancellationToken.None));

        Assert.Equal(IntegrationFailureKind.MalformedResponse, error.Kind);
        Assert.Contains("no token is sent elsewhere", error.Message);
    }

    [Theory]
    [InlineData(403, IntegrationFailureKind.Unauthorized, "Website Contributor role on " + Site)]
    [InlineData(404, IntegrationFailureKind.NotFound, Site + " does not exist")]
    public async Task Refusals_name_the_role_or_the_resource(int status, IntegrationFailureKind kind, string expected)
    {
        _server.Respond(_ => FakeResponse.Json("""{"error":{"code":"AuthorizationFailed"}}""", status));

        var error = await Assert.ThrowsAsync<IntegrationException>(() => Target().ApplyAsync(Shift(10), CancellationToken.None));

        Assert.Equal(kind, error.Kind);
        Assert.Contains(expected, error.Message);
    }

    [Theory]
    [InlineData("/subscriptions/x/resourceGroups/y/providers/Microsoft.App/containerApps/z", "staging", "Microsoft.Web/sites resource id")]
    [InlineData(Site, "production", "other than production")]
    [InlineData("/subscriptions/0000-1111/resourceGroups/shop/providers/Microsoft.Web/sites/checkout", "staging", "subscription GUID")]
    public async Task Bad_target_parameters_are_refused_before_any_call(string resourceId, string slot, string expected)
    {
        var spec = new TargetSpec("app-service", new Dictionary<string, string> { ["resource_id"] = resourceId, ["slot"] = slot });

        var error = await Assert.ThrowsAsync<IntegrationException>(() => Target().ReadAsync(Shift(0) with { Target = spec }, CancellationToken.None));

        Assert.Equal(IntegrationFailureKind.Rejected, error.Kind);
        Assert.Contains(expected, error.Message);
        Assert.Empty(_server.Requests);
    }
}
