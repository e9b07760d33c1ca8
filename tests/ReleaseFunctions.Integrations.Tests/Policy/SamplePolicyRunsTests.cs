using ReleaseFunctions.Testing;
using System.Globalization;
using System.Text.Json.Nodes;
using ReleaseFunctions.Core.Gates;
using ReleaseFunctions.Core.Policy;
using ReleaseFunctions.Core.Ports;
using ReleaseFunctions.Core.Sli;
using ReleaseFunctions.Integrations.AzureMonitor;
using ReleaseFunctions.Integrations.Deployment;
using ReleaseFunctions.Integrations.Http;
using ReleaseFunctions.Integrations.Prometheus;
using ReleaseFunctions.Integrations.Tests.Support;

namespace ReleaseFunctions.Integrations.Tests.Policy;

/// <summary>
/// The shipped sample policy runs, not only validates: every objective of every gate (and the error budget) is turned into
/// its query and run through the real adapter against fake Azure Monitor (Log Analytics and metrics), Prometheus and ARM
/// servers on 127.0.0.1, and every stage's target takes a shift and a rollback, read back.
/// </summary>
public sealed class SamplePolicyRunsTests : IAsyncLifetime
{
    private const string Workspace = "3f2c4a1e-9b7d-4c2a-8e5f-1a2b3c4d5e6f";
    private static readonly DateTimeOffset Start = TestClock.At(2026, 11, 23, 18);
    private static readonly SliWindow Window = new(Start, Start.AddMinutes(5));
    private static readonly Dictionary<string, string> Release = new()
    {
        ["service"] = "shop", ["version"] = "2.0.0", ["repository"] = "contoso/shop", ["stage"] = "staging", ["step"] = "1", ["weight"] = "10",
    };

    private readonly HttpClient _client = TestTls.TrustingClient();
    private readonly TestTimeProvider _clock = new(Start.AddMinutes(10)) { AutoAdvanceUpTo = TimeSpan.FromSeconds(10) };
    private readonly FakeTokenCredential _credential = new("token");
    private readonly Dictionary<string, JsonArray> _rampUpRules = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, JsonArray> _containerTraffic = new(StringComparer.OrdinalIgnoreCase);
    private FakeHttpServer _server = null!;

    public async Task InitializeAsync()
    {
        _server = await FakeHttpServer.StartAsync(shiftFixtureDates: false, tls: true); // answers built from the test's clock; https, as ARM's SDK sends tokens over TLS only
        _server.Respond(Answer);
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _client.Dispose();
    }

    private static string Sample() => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Policy", "samples", "release-policy.yml"));

    private static string Unix(DateTimeOffset t) => t.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);

    private FakeResponse Answer(RecordedRequest request)
    {
        var sample = Start.AddMinutes(1);
        if (request.Method == "POST" && request.Path == $"/v1/workspaces/{Workspace}/query")
        {
            return FakeResponse.Json($$$"""{"tables":[{"name":"PrimaryResult","columns":[{"name":"timestamp","type":"datetime"},{"name":"value","type":"real"}],"rows":[["{{{sample:O}}}",0.001]]}]}""");
        }

        if (request.Method == "POST" && request.Path is "/api/v1/query_range")
        {
            return FakeResponse.Json($$$"""{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[{{{Unix(sample)}}},"0.001"]]}]}}""");
        }

        if (request.Method == "GET" && request.Path.EndsWith("/providers/Microsoft.Insights/metrics", StringComparison.Ordinal))
        {
            var metric = request.Query("metricnames");
            var field = request.Query("aggregation")!.ToLowerInvariant();
            return FakeResponse.Json($$"""
                {"value":[{"name":{"value":"{{metric}}"},"unit":"Percent","errorCode":"Success",
                  "timeseries":[{"data":[{"timeStamp":"{{sample:yyyy-MM-ddTHH:mm:ssZ}}","{{field}}":42}]}]}]}
                """);
        }

        // App Service (Microsoft.Web/sites) and Container Apps (Microsoft.App/containerApps), as ARM answers them.
        if (request.Path.Contains("/providers/Microsoft.Web/sites/", StringComparison.Ordinal))
        {
            var site = request.Path[..(request.Path.IndexOf("/providers/Microsoft.Web/sites/", StringComparison.Ordinal) + "/providers/Microsoft.Web/sites/".Length)]
                       + request.Path[(request.Path.IndexOf("/providers/Microsoft.Web/sites/", StringComparison.Ordinal) + "/providers/Microsoft.Web/sites/".Length)..].Split('/')[0];
            var rules = _rampUpRules.TryGetValue(site, out var r) ? r : _rampUpRules[site] = [];
            switch (request.Method, request.Path[site.Length..])
            {
                case ("GET", "/config/web"):
                    return ArmResource(request.Path, "Microsoft.Web/sites/config", new JsonObject { ["experiments"] = new JsonObject { ["rampUpRules"] = rules.DeepClone() } });
                case ("PATCH", "/config/web"):
                    _rampUpRules[site] = JsonNode.Parse(request.Body)!["properties"]!["experiments"]!["rampUpRules"]!.AsArray();
                    return ArmResource(request.Path, "Microsoft.Web/sites/config", JsonNode.Parse(request.Body)!["properties"]!.DeepClone().AsObject());
                case ("GET", var slot) when slot.StartsWith("/slots/", StringComparison.Ordinal):
                    return ArmResource(request.Path, "Microsoft.Web/sites/slots", new JsonObject { ["defaultHostName"] = $"shop-staging-{slot[7..]}.azurewebsites.net" });
                case ("GET", ""):
                    return ArmResource(request.Path, "Microsoft.Web/sites", new JsonObject { ["defaultHostName"] = "shop-staging.azurewebsites.net" });
            }
        }

        if (request.Path.Contains("/providers/Microsoft.App/containerApps/", StringComparison.Ordinal))
        {
            var traffic = _containerTraffic.TryGetValue(request.Path, out var t) ? t : _containerTraffic[request.Path] = JsonNode.Parse("""[{"revisionName":"shop--v1","weight":100}]""")!.AsArray();
            if (request.Method == "PATCH")
            {
                traffic = _containerTraffic[request.Path] = JsonNode.Parse(request.Body)!["properties"]!["configuration"]!["ingress"]!["traffic"]!.AsArray();
            }

            if (request.Method is "GET" or "PATCH")
            {
                return ArmResource(request.Path, "Microsoft.App/containerApps", new JsonObject
                {
                    ["latestRevisionName"] = "shop--v2",
                    ["configuration"] = new JsonObject { ["activeRevisionsMode"] = "Multiple", ["ingress"] = new JsonObject { ["traffic"] = traffic.DeepClone() } },
                });
            }
        }

        return new FakeResponse(404, $$$"""{"error":{"code":"NotFound","message":"{{{request.Method}}} {{{request.Path}}}"}}""");
    }

    /// <summary>A resource as ARM answers it: with its id, type and location.</summary>
    private static FakeResponse ArmResource(string id, string type, JsonObject properties)
        => FakeResponse.Json(new JsonObject { ["id"] = id, ["name"] = id.Split('/')[^1], ["type"] = type, ["location"] = "westeurope", ["tags"] = new JsonObject(), ["properties"] = properties }.ToJsonString());

    private Dictionary<string, ISliSource> Sources()
    {
        var resilience = new HttpResilienceOptions { UseJitter = false };
        ISliSource[] sources =
        [
            new LogAnalyticsSliSource(_client, new LogAnalyticsOptions(Workspace) { Endpoint = _server.BaseAddress, Resilience = resilience }, _credential, _clock),
            new AzureMonitorMetricsSliSource(_client, new AzureMonitorMetricsOptions { ResourceManagerEndpoint = _server.BaseAddress, Resilience = resilience }, _credential, _clock),
            new PrometheusSliSource(_client, new PrometheusOptions(_server.BaseAddress) { Resilience = resilience }, _clock),
        ];
        return sources.ToDictionary(s => s.Provider, StringComparer.OrdinalIgnoreCase);
    }

    private Dictionary<string, IDeploymentTarget> Targets()
    {
        var options = new AzureTargetOptions { ResourceManagerEndpoint = _server.BaseAddress, Resilience = new HttpResilienceOptions { UseJitter = false } };
        IDeploymentTarget[] targets = [new AppServiceSlotTarget(_client, options, _credential, _clock), new ContainerAppsRevisionTarget(_client, options, _credential, _clock)];
        return targets.ToDictionary(t => t.Provider, StringComparer.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Every_objective_of_the_sample_runs_through_its_adapter_with_its_parameters_filled_in()
    {
        var result = ReleasePolicyParser.Parse(Sample());
        Assert.True(result.IsValid, result.Describe());
        var policy = result.Policy!;
        var sources = Sources();
        var objectives = policy.Stages
            .SelectMany(s => new[] { s.Gate, (s.Strategy as BlueGreenStrategy)?.IdleChecks })
            .Where(g => g is not null)
            .SelectMany(g => g!.Objectives)
            .DistinctBy(o => o.Name)
            .ToArray();
        Assert.Equal(["cpu_ratio", "error_rate", "p99_latency_ms", "smoke_error_rate"], objectives.Select(o => o.Name).Order(StringComparer.Ordinal));

        foreach (var objective in objectives)
        {
            var reading = await sources[objective.Provider].QueryAsync(objective.ToQuery(Window, Release, TimeSpan.FromMinutes(1)), CancellationToken.None);
            Assert.True(reading.HasData, $"{objective.Name}: {reading.NoDataReason}");
        }

        var budget = policy.ErrorBudget!;
        foreach (var query in new[] { budget.GoodEventsQuery, budget.TotalEventsQuery })
        {
            var reading = await sources[budget.Provider].QueryAsync(new SliQuery(budget.Provider, query, Window, Release), CancellationToken.None);
            Assert.True(reading.HasData, reading.NoDataReason);
        }

        var kql = JsonNode.Parse(_server.Requests.Single(r => r.Path.StartsWith("/v1/workspaces/", StringComparison.Ordinal)).Body)!["query"]!.GetValue<string>();
        Assert.Contains("where cloud_RoleName == 'shop' and cloud_RoleInstance has 'green'", kql);
        var promQl = _server.Requests.Where(r => r.Path.StartsWith("/api/v1/", StringComparison.Ordinal)).Select(r => Uri.UnescapeDataString(r.Body.Replace('+', ' '))).ToArray();
        Assert.Equal(4, promQl.Length);
        Assert.All(promQl, q => Assert.Contains("service=\"shop\"", q));
        Assert.Contains(promQl, q => q.Contains("version=\"2.0.0\"", StringComparison.Ordinal));
        Assert.All(promQl.Append(kql), q => Assert.Empty(QueryTemplate.Placeholders(q)));
        var metrics = _server.Requests.Single(r => r.Path.EndsWith("/metrics", StringComparison.Ordinal));
        Assert.Equal("/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-shop/providers/Microsoft.Web/serverfarms/shop-plan/providers/Microsoft.Insights/metrics", metrics.Path);
        Assert.Equal(("CpuPercentage", "Maximum", "Microsoft.Web/serverFarms"), (metrics.Query("metricnames"), metrics.Query("aggregation"), metrics.Query("metricnamespace")));
    }

    [Fact]
    public async Task Every_target_of_the_sample_takes_a_shift_and_a_rollback_read_back()
    {
        var policy = ReleasePolicyParser.Parse(Sample()).Policy!;
        var targets = Targets();

        foreach (var stage in policy.Stages)
        {
            var target = targets[stage.Target.Provider];
            TrafficShift Shift(int weight, TrafficAction action) => new(stage.Target, "release-7", "shop", "2.0.0", stage.Name, 1, weight, action, $"{stage.Name}-{action}");

            await target.ApplyAsync(Shift(10, TrafficAction.Shift), CancellationToken.None);
            var shifted = await target.ReadAsync(Shift(10, TrafficAction.Shift), CancellationToken.None);
            await target.ApplyAsync(Shift(0, TrafficAction.Rollback), CancellationToken.None);
            var rolledBack = await target.ReadAsync(Shift(0, TrafficAction.Rollback), CancellationToken.None);

            Assert.True(shifted.CandidateWeightPercent == 10, $"{stage.Name}: {shifted.Detail}");
            Assert.True(rolledBack.CandidateWeightPercent == 0, $"{stage.Name}: {rolledBack.Detail}");
        }
    }
}
