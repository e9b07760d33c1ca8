using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using ReleaseFunctions.Composition;
using ReleaseFunctions.Core.Audit;
using ReleaseFunctions.Core.Policy;
using ReleaseFunctions.Core.Ports;
using ReleaseFunctions.Core.Releases;
using ReleaseFunctions.Integrations.Deployment;
using ReleaseFunctions.Integrations.Http;
using ReleaseFunctions.Tests.Hosting;
using ReleaseFunctions.Tests.Support;
using WireMock.Logging;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;
using WireMock.Settings;

namespace ReleaseFunctions.Tests.Releases;

/// <summary>
/// A stand-in for an App Configuration store on 127.0.0.1 (WireMock.Net) holding one feature flag, answering the key-value
/// REST API (ETag, If-Match, 404, 412) and checking each request's HMAC-SHA256 signature as the store does, recomputed here
/// from the documentation. The target reaches it as https://checkout.azconfig.io through <see cref="LoopbackRedirect"/>.
/// </summary>
internal sealed class FakeFlagStore : IDisposable
{
    public const string Endpoint = "https://checkout.azconfig.io";
    public const string Secret = "ZmxhZy1zdG9yZS10ZXN0LXNlY3JldC0wMTIzNDU2Nzg5"; // base64 of "flag-store-test-secret-0123456789"

    private readonly WireMockServer _server;
    private readonly Func<DateTimeOffset> _now;
    private readonly object _gate = new();
    private int _version;

    /// <param name="now">The time on the release's clock, which the signature's date must be within 15 minutes of.</param>
    public FakeFlagStore(Func<DateTimeOffset> now)
    {
        _now = now;
        var port = LoopbackPort.Free();
        _server = WireMockServer.Start(new WireMockServerSettings { Urls = [$"http://127.0.0.1:{port}"], Logger = new WireMockNullLogger() });
        Address = new Uri($"http://127.0.0.1:{port}/");
        _server.Given(Request.Create()).RespondWith(Response.Create().WithCallback(request =>
        {
            var (status, body, headers) = Answer(request.Method, request.AbsolutePath, request.Query?.ToDictionary(q => q.Key, q => q.Value.FirstOrDefault()) ?? [],
                request.Headers?.ToDictionary(h => h.Key, h => string.Join(",", h.Value), StringComparer.OrdinalIgnoreCase) ?? [], request.Body ?? "", request.RawQuery);
            var response = new WireMock.ResponseMessage { StatusCode = status, Headers = new Dictionary<string, WireMock.Types.WireMockList<string>>() };
            foreach (var (name, value) in headers)
            {
                response.AddHeader(name, value);
            }

            if (body is not null)
            {
                response.BodyData = new WireMock.Util.BodyData { BodyAsString = body, DetectedBodyType = WireMock.Types.BodyType.String, Encoding = Encoding.UTF8 };
            }

            return response;
        }));
    }

    public Uri Address { get; }
    public AppConfigurationAccessKey AccessKey { get; } = new(new Uri(Endpoint), "flag-key-1", Secret);
    public bool Exists { get; set; } = true;
    public ConcurrentQueue<string> SignatureProblems { get; } = new();

    /// <summary>Every write, as (enabled, default rollout percentage) of the flag written.</summary>
    public ConcurrentQueue<(bool Enabled, double Percentage)> Writes { get; } = new();

    public JsonObject Flag { get; private set; } = JsonNode.Parse("""
        {"id":"checkout-v2","enabled":true,"conditions":{"client_filters":[
          {"name":"Microsoft.Targeting","parameters":{"Audience":{"Users":["qa-1"],"Groups":[{"Name":"staff","RolloutPercentage":100}],"DefaultRolloutPercentage":0}}}]}}
        """)!.AsObject();

    public static JsonObject Audience(JsonObject flag) => flag["conditions"]!["client_filters"]![0]!["parameters"]!["Audience"]!.AsObject();

    private (int Status, string? Body, Dictionary<string, string> Headers) Answer(string method, string path, Dictionary<string, string?> query, Dictionary<string, string> headers, string body, string? rawQuery)
    {
        if (Refuse(method, path, rawQuery, headers, body) is { } problem)
        {
            SignatureProblems.Enqueue(problem);
            return (401, null, new() { ["WWW-Authenticate"] = $"HMAC-SHA256 error=\"invalid_token\" error_description=\"{problem}\"" });
        }

        lock (_gate)
        {
            if (path != "/kv/.appconfig.featureflag/checkout-v2" || query.GetValueOrDefault("label") != "production" || query.GetValueOrDefault("api-version") != "2023-11-01" || !Exists)
            {
                return (404, null, []);
            }

            if (method == "PUT")
            {
                if (headers.GetValueOrDefault("If-Match") != $"\"v{_version}\"")
                {
                    return (412, null, []);
                }

                Flag = JsonNode.Parse(JsonNode.Parse(body)!["value"]!.GetValue<string>())!.AsObject();
                _version++;
                Writes.Enqueue((Flag["enabled"]!.GetValue<bool>(), Audience(Flag)["DefaultRolloutPercentage"]!.GetValue<double>()));
            }

            var kv = new JsonObject
            {
                ["etag"] = $"v{_version}", ["key"] = ".appconfig.featureflag/checkout-v2", ["label"] = "production",
                ["content_type"] = AppConfigurationFeatureFlagTarget.FeatureFlagContentType, ["value"] = Flag.ToJsonString(), ["tags"] = new JsonObject(),
            };
            return (200, kv.ToJsonString(), new() { ["ETag"] = $"\"v{_version}\"", ["Content-Type"] = "application/vnd.microsoft.appconfig.kv+json; charset=utf-8" });
        }
    }

    private string? Refuse(string method, string path, string? rawQuery, Dictionary<string, string> headers, string body)
    {
        var match = System.Text.RegularExpressions.Regex.Match(headers.GetValueOrDefault("Authorization") ?? "", "^HMAC-SHA256 Credential=flag-key-1&SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=(.+)$");
        if (!match.Success)
        {
            return "Authorization with the HMAC-SHA256 scheme and this store's key is required";
        }

        var date = headers.GetValueOrDefault("x-ms-date") ?? "";
        if (!DateTimeOffset.TryParseExact(date, "r", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) || (at - _now()).Duration() > TimeSpan.FromMinutes(15))
        {
            return "The access token has expired";
        }

        var hash = Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(body)));
        // The key is one path segment on the wire ('/' as %2F); WireMock hands the path over decoded.
        var pathAndQuery = "/kv/" + Uri.EscapeDataString(path["/kv/".Length..]) + (string.IsNullOrEmpty(rawQuery) ? "" : "?" + rawQuery.TrimStart('?'));
        var expected = Convert.ToBase64String(HMACSHA256.HashData(Convert.FromBase64String(Secret),
            Encoding.ASCII.GetBytes($"{method}\n{pathAndQuery}\n{date};{headers.GetValueOrDefault("Host")};{hash}")));
        return headers.GetValueOrDefault("x-ms-content-sha256") == hash && expected == match.Groups[1].Value ? null : "Invalid Signature";
    }

    public void Dispose()
    {
        _server.Stop();
        _server.Dispose();
    }
}

/// <summary>Sends requests for one host to a local server instead, the Host header kept, as DNS pointing the name here would.</summary>
internal sealed class LoopbackRedirect(Uri from, Uri to) : DelegatingHandler(new SocketsHttpHandler())
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (request.RequestUri is { } uri && uri.Authority == from.Authority)
        {
            request.Headers.Host = uri.Authority;
            request.RequestUri = new Uri(to, uri.PathAndQuery);
        }

        return base.SendAsync(request, cancellationToken);
    }
}

/// <summary>A canary whose stage rolls out an App Configuration feature flag, through the release workflow on the engine.</summary>
public sealed class FeatureFlagRolloutTests
{
    private static string Policy(string onRollback = "zero") => Policies.Canary().Replace(
        "target: { provider: sandbox }",
        $"target: {{ provider: app-configuration-flag, parameters: {{ endpoint: \"{FakeFlagStore.Endpoint}\", flag: checkout-v2, label: production, on_rollback: {onRollback} }} }}",
        StringComparison.Ordinal);

    private static async Task<(ReleaseWorkflowHarness Harness, FakeFlagStore Store)> StartAsync(string policy)
    {
        ReleaseWorkflowHarness? harness = null;
        var store = new FakeFlagStore(() => harness!.Clock.GetUtcNow());
        // Beside the harness's fake "sandbox" target: the workflow picks a stage's target by its provider.
        harness = await ReleaseWorkflowHarness.StartAsync(policy, addServices: services => services.AddSingleton<IDeploymentTarget>(sp =>
            new AppConfigurationFeatureFlagTarget(new HttpClient(new LoopbackRedirect(new Uri(FakeFlagStore.Endpoint), store.Address)),
                new AppConfigurationTargetOptions { AccessKeys = [store.AccessKey], Resilience = new HttpResilienceOptions { MaxAttempts = 1 } },
                new UnusedCredential(), sp.GetRequiredService<TimeProvider>())));
        return (harness, store);
    }

    [Fact]
    public async Task A_healthy_canary_rolls_the_flag_out_5_25_50_then_100_each_step_read_back_and_recorded()
    {
        var (h, store) = await StartAsync(Policy());
        await using var _ = h;
        using var __ = store;
        var id = await h.StartReleaseAsync(ReleaseWorkflowHarness.Merge());

        await h.RunAsync(id);
        var outcome = await h.OutcomeAsync(id);

        Assert.Equal(ReleaseStatus.Promoted, outcome.Status);
        Assert.Equal([(true, 5d), (true, 25d), (true, 50d), (true, 100d)], store.Writes);
        Assert.Empty(store.SignatureProblems);
        Assert.Empty(h.Target.Applied); // the sandbox's fake target was never asked
        // Only the percentage moved: the audience's users and groups are as they were.
        Assert.Equal(["qa-1"], FakeFlagStore.Audience(store.Flag)["Users"]!.AsArray().Select(u => u!.GetValue<string>()));
        Assert.Single(FakeFlagStore.Audience(store.Flag)["Groups"]!.AsArray());
        var audit = await h.AuditAsync(id);
        Assert.True(AuditChain.Verify(audit, InMemoryLedger.ChainKey).IsIntact);
        var shifts = audit.Where(r => r.Kind == "traffic-shifted").ToList();
        Assert.Equal(3, shifts.Count);
        Assert.Contains("Shift → 5% on", shifts[0].Reason);
        Assert.Contains("feature flag 'checkout-v2' (label 'production') in https://checkout.azconfig.io: enabled, Microsoft.Targeting default rollout 5%", shifts[0].Reason);
        Assert.Contains("\"candidateWeightPercent\":25", shifts[1].EvidenceJson);
        Assert.Contains(audit, r => r.Kind == "stage-promoted" && r.Reason.Contains("default rollout 100%"));
        Assert.Equal(100, (await h.Ledger.GetReleaseAsync(id, default))!.WeightPercent);
    }

    [Fact]
    public async Task A_failed_gate_at_25_percent_sets_the_flag_back_to_0_verified_by_a_read()
    {
        var (h, store) = await StartAsync(Policy());
        await using var _ = h;
        using var __ = store;
        h.Sli.Canary = (_, weight) => weight >= 25 ? 0.042 : 0.001;
        var id = await h.StartReleaseAsync(ReleaseWorkflowHarness.Merge());

        await h.RunAsync(id);
        var outcome = await h.OutcomeAsync(id);

        Assert.Equal(ReleaseStatus.RolledBack, outcome.Status);
        Assert.Contains("error_rate", outcome.Reason);
        Assert.Equal([(true, 5d), (true, 25d), (true, 0d)], store.Writes);
        var audit = await h.AuditAsync(id);
        Assert.Contains(audit, r => r.Kind == "traffic-shifted" && r.Reason.Contains("rollback → 0%") && r.Reason.Contains("enabled, Microsoft.Targeting default rollout 0%"));
        Assert.Contains(audit, r => r.Kind == "rolled-back" && r.Reason.Contains("verified"));
    }

    [Fact]
    public async Task With_on_rollback_disable_a_failed_gate_turns_the_flag_off_and_reads_it_back_at_0()
    {
        var (h, store) = await StartAsync(Policy(onRollback: "disable"));
        await using var _ = h;
        using var __ = store;
        h.Sli.Canary = (_, weight) => weight >= 25 ? 0.042 : 0.001;
        var id = await h.StartReleaseAsync(ReleaseWorkflowHarness.Merge());

        await h.RunAsync(id);
        var outcome = await h.OutcomeAsync(id);

        Assert.Equal(ReleaseStatus.RolledBack, outcome.Status);
        Assert.Equal([(true, 5d), (true, 25d), (false, 25d)], store.Writes);
        Assert.False(store.Flag["enabled"]!.GetValue<bool>());
        var audit = await h.AuditAsync(id);
        Assert.Contains(audit, r => r.Kind == "traffic-shifted" && r.Reason.Contains("rollback → 0%") && r.Reason.Contains("disabled (off for everyone"));
        Assert.Contains(audit, r => r.Kind == "rolled-back" && r.Reason.Contains("verified"));
    }

    [Fact]
    public async Task A_flag_that_does_not_exist_stops_the_release_naming_it_and_nothing_is_created()
    {
        var (h, store) = await StartAsync(Policy());
        await using var _ = h;
        using var __ = store;
        store.Exists = false;
        var id = await h.StartReleaseAsync(ReleaseWorkflowHarness.Merge());

        await h.RunAsync(id);
        var outcome = await h.OutcomeAsync(id);

        // Nothing can be read back, so the release cannot say traffic is on the stable version: rollback-failed, never "failed" quietly.
        Assert.Equal(ReleaseStatus.RollbackFailed, outcome.Status);
        Assert.Contains("the weight could not be read", outcome.Reason);
        Assert.Empty(store.Writes);
        var audit = await h.AuditAsync(id);
        Assert.Contains(audit, r => r.Reason.Contains("feature flag 'checkout-v2' (label 'production') does not exist in https://checkout.azconfig.io"));
    }

    [Fact]
    public void The_shipped_sandbox_policy_rolls_out_the_sandbox_flag_and_a_wrong_endpoint_is_refused_at_its_line_and_column()
    {
        var root = LocalSettingsTests.FindRepositoryRoot();
        var shipped = ReleasePolicyParser.Parse(File.ReadAllText(Path.Combine(root, "src", "ReleaseFunctions", "policies", "contoso", "checkout-flags.yml")));
        var wrong = ReleasePolicyParser.Parse(Policy().Replace(FakeFlagStore.Endpoint, "https://flags.contoso.example", StringComparison.Ordinal));
        var missing = ReleasePolicyParser.Parse(Policy().Replace("flag: checkout-v2, ", "", StringComparison.Ordinal));

        Assert.True(shipped.IsValid, shipped.Describe());
        var target = Assert.Single(shipped.Policy!.Stages).Target;
        Assert.Equal(("app-configuration-flag", "sandbox", "new-checkout"), (target.Provider, target.Parameters["endpoint"], target.Parameters["flag"]));
        Assert.Contains(wrong.Problems.Select(p => p.ToString()), p => p.StartsWith("line 4, column ", StringComparison.Ordinal)
            && p.Contains("endpoint: expected the App Configuration store's endpoint as its Overview shows it, https://{store}.azconfig.io") && p.Contains("got 'https://flags.contoso.example'"));
        Assert.Contains(missing.Problems.Select(p => p.ToString()), p => p.Contains("missing parameter flag; expected flag: the feature flag's name"));
    }

    [Fact]
    public void The_access_key_setting_is_read_and_a_malformed_one_is_refused_without_its_secret()
    {
        using var good = new ReleaseAppFactory(new Dictionary<string, string?> { ["ReleaseFunctions:AppConfiguration:ConnectionString"] = $"Endpoint={FakeFlagStore.Endpoint};Id=flag-key-1;Secret={FakeFlagStore.Secret}" });
        using var bad = new ReleaseAppFactory(new Dictionary<string, string?> { ["ReleaseFunctions:AppConfiguration:ConnectionString"] = $"Endpoint={FakeFlagStore.Endpoint};Secret={FakeFlagStore.Secret}" });

        var key = good.Services.GetRequiredService<IOptions<IntegrationEndpointsOptions>>().Value.AppConfigurationAccessKey;
        var error = Assert.ThrowsAny<Exception>(() => bad.Services.GetRequiredService<IStartupValidator>().Validate());

        Assert.Equal((new Uri(FakeFlagStore.Endpoint + "/"), "flag-key-1"), (key!.Endpoint, key.Id));
        Assert.Contains("ReleaseFunctions__AppConfiguration__ConnectionString is not an App Configuration connection string: expected 'Endpoint=https://{store}.azconfig.io;Id=...;Secret=...'; Id missing.", Flatten(error));
        Assert.DoesNotContain(FakeFlagStore.Secret, Flatten(error));
    }

    [Fact]
    public async Task In_the_app_endpoint_sandbox_is_the_running_sandboxs_store()
    {
        using var app = new ReleaseAppFactory(useSandbox: true);
        var target = app.Services.GetServices<IDeploymentTarget>().Single(t => t.Provider == AppConfigurationFeatureFlagTarget.ProviderName);
        var spec = new TargetSpec(AppConfigurationFeatureFlagTarget.ProviderName, new Dictionary<string, string> { ["endpoint"] = "sandbox", ["flag"] = "new-checkout" });
        var shift = new TrafficShift(spec, "release-1", "checkout-flags", "1.1.0", "production", 1, 30, TrafficAction.Shift, "key-1");

        var applied = await target.ApplyAsync(shift, default);
        var read = await target.ReadAsync(shift, default);

        Assert.Equal((30, 30), (applied.CandidateWeightPercent, read.CandidateWeightPercent));
        Assert.Contains("feature flag 'new-checkout' in http://127.0.0.1:", read.Detail);
    }

    private static string Flatten(Exception exception) => exception switch
    {
        OptionsValidationException validation => string.Join("\n", validation.Failures),
        AggregateException aggregate => string.Join("\n", aggregate.InnerExceptions.Select(Flatten)),
        _ => exception.InnerException is { } inner ? Flatten(inner) : exception.Message,
    };

    /// <summary>The store is signed with its access key: no token is ever asked for.</summary>
    private sealed class UnusedCredential : Azure.Core.TokenCredential
    {
        public override Azure.Core.AccessToken GetToken(Azure.Core.TokenRequestContext requestContext, CancellationToken cancellationToken)
            => throw new InvalidOperationException("no Entra token is needed for a store with an access key");

        public override ValueTask<Azure.Core.AccessToken> GetTokenAsync(Azure.Core.TokenRequestContext requestContext, CancellationToken cancellationToken)
            => throw new InvalidOperationException("no Entra token is needed for a store with an access key");
    }
}
