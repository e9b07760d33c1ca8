using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using ReleaseFunctions.Core.Ports;
using ReleaseFunctions.Core.Sli;
using ReleaseFunctions.Integrations.Deployment;
using ReleaseFunctions.Integrations.Http;
using ReleaseFunctions.Integrations.Sandbox;
using ReleaseFunctions.Integrations.Tests.Support;

namespace ReleaseFunctions.Integrations.Tests.Sandbox;

/// <summary>The sandbox's App Configuration store over real HTTP, through the feature-flag target, and the share of traffic its flag moves.</summary>
public sealed class SandboxAppConfigurationStoreTests
{
    private static readonly DateTimeOffset Start = TestClock.At(2026, 11, 23, 18, 0, 0);
    private static readonly SandboxOptions Quiet = new() { LoadRatePerSecond = 0, RandomSeed = 7 };
    private static readonly TargetSpec FlagSpec = new(AppConfigurationFeatureFlagTarget.ProviderName, new Dictionary<string, string>
    {
        ["endpoint"] = AppConfigurationFeatureFlagTarget.SandboxEndpoint,
        ["flag"] = "new-checkout",
    });

    private static TrafficShift Shift(int weight, TrafficAction action = TrafficAction.Shift)
        => new(FlagSpec, "release-1", "sandbox-service", "1.1.0", "production", 1, weight, action, $"key-{action}-{weight}");

    private static AppConfigurationFeatureFlagTarget Target(SandboxEnvironment sandbox, TimeProvider clock) => new(new HttpClient(),
        new AppConfigurationTargetOptions { Sandbox = () => sandbox.FeatureFlagStoreKey, Resilience = new HttpResilienceOptions { MaxAttempts = 1 } },
        new FakeTokenCredential(), clock);

    /// <summary>A request signed as the REST API documents it, independently of the code under test.</summary>
    private static HttpRequestMessage Signed(HttpMethod method, Uri url, AppConfigurationAccessKey key, DateTimeOffset at, string body = "", string? secret = null)
    {
        var request = new HttpRequestMessage(method, url);
        if (body.Length > 0)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/vnd.microsoft.appconfig.kv+json");
        }

        var date = at.ToString("r", CultureInfo.InvariantCulture);
        var hash = Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(body)));
        var signature = Convert.ToBase64String(HMACSHA256.HashData(Convert.FromBase64String(secret ?? key.Secret),
            Encoding.ASCII.GetBytes($"{method.Method}\n{url.PathAndQuery}\n{date};{url.Authority};{hash}")));
        request.Headers.Add("x-ms-date", date);
        request.Headers.Add("x-ms-content-sha256", hash);
        request.Headers.TryAddWithoutValidation("Authorization", $"HMAC-SHA256 Credential={key.Id}&SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature={signature}");
        return request;
    }

    private static Uri FlagUrl(SandboxEnvironment sandbox) => new(sandbox.FeatureFlagStoreAddress, "kv/.appconfig.featureflag%2Fnew-checkout?api-version=2023-11-01");

    [Fact]
    public async Task The_target_rolls_the_sandbox_flag_out_over_signed_http_and_reads_it_back()
    {
        var clock = new FakeTimeProvider(Start);
        await using var sandbox = await SandboxEnvironment.StartAsync(Quiet, clock);
        var target = Target(sandbox, clock);

        var initial = await target.ReadAsync(Shift(0), CancellationToken.None);
        var shifted = await target.ApplyAsync(Shift(50), CancellationToken.None);
        var read = await target.ReadAsync(Shift(50), CancellationToken.None);
        var rolledBack = await target.ApplyAsync(Shift(0, TrafficAction.Rollback), CancellationToken.None);

        Assert.Equal((0, 50, 50, 0), (initial.CandidateWeightPercent, shifted.CandidateWeightPercent, read.CandidateWeightPercent, rolledBack.CandidateWeightPercent));
        Assert.Contains("enabled, Microsoft.Targeting default rollout 50%, and 1 user(s) and 1 group(s)", read.Detail);
        Assert.Equal(0, sandbox.FeatureFlagPercentage);
    }

    [Fact]
    public async Task The_store_answers_the_documented_key_value_and_refuses_what_is_not_signed_right()
    {
        var clock = new FakeTimeProvider(Start);
        await using var sandbox = await SandboxEnvironment.StartAsync(Quiet, clock);
        using var client = new HttpClient();
        var key = sandbox.FeatureFlagStoreKey;

        using var ok = await client.SendAsync(Signed(HttpMethod.Get, FlagUrl(sandbox), key, Start));
        using var wrongSecret = await client.SendAsync(Signed(HttpMethod.Get, FlagUrl(sandbox), key, Start, secret: Convert.ToBase64String(new byte[32])));
        using var stale = await client.SendAsync(Signed(HttpMethod.Get, FlagUrl(sandbox), key, Start.AddMinutes(-16)));
        using var unsigned = await client.GetAsync(FlagUrl(sandbox));
        // The key is one path segment: a '/' left unescaped is not the flag's key.
        using var unescaped = await client.SendAsync(Signed(HttpMethod.Get, new Uri(sandbox.FeatureFlagStoreAddress, "kv/.appconfig.featureflag/new-checkout?api-version=2023-11-01"), key, Start));
        using var missing = await client.SendAsync(Signed(HttpMethod.Get, new Uri(sandbox.FeatureFlagStoreAddress, "kv/.appconfig.featureflag%2Fother?api-version=2023-11-01"), key, Start));

        Assert.Equal(200, (int)ok.StatusCode);
        Assert.StartsWith("application/vnd.microsoft.appconfig.kv+json", ok.Content.Headers.ContentType!.ToString());
        var kv = JsonNode.Parse(await ok.Content.ReadAsStringAsync())!;
        Assert.Equal(".appconfig.featureflag/new-checkout", kv["key"]!.GetValue<string>());
        Assert.Equal(AppConfigurationFeatureFlagTarget.FeatureFlagContentType, kv["content_type"]!.GetValue<string>());
        Assert.Equal($"\"{kv["etag"]!.GetValue<string>()}\"", ok.Headers.ETag!.ToString());
        var flag = JsonNode.Parse(kv["value"]!.GetValue<string>())!;
        Assert.Equal(("new-checkout", true), (flag["id"]!.GetValue<string>(), flag["enabled"]!.GetValue<bool>()));
        Assert.Equal(0, flag["conditions"]!["client_filters"]![0]!["parameters"]!["Audience"]!["DefaultRolloutPercentage"]!.GetValue<int>());
        Assert.Equal([401, 401, 401, 400, 404], new[] { wrongSecret, stale, unsigned, unescaped, missing }.Select(r => (int)r.StatusCode));
        Assert.Contains("Invalid Signature", wrongSecret.Headers.WwwAuthenticate.ToString());
        Assert.Contains("expired", stale.Headers.WwwAuthenticate.ToString());
        Assert.Contains("HMAC-SHA256 scheme is required", unsigned.Headers.WwwAuthenticate.ToString());
    }

    [Fact]
    public async Task A_write_needs_the_etag_it_read()
    {
        var clock = new FakeTimeProvider(Start);
        await using var sandbox = await SandboxEnvironment.StartAsync(Quiet, clock);
        using var client = new HttpClient();
        var key = sandbox.FeatureFlagStoreKey;
        using var read = await client.SendAsync(Signed(HttpMethod.Get, FlagUrl(sandbox), key, Start));
        var etag = read.Headers.ETag!.ToString();
        var body = new JsonObject { ["value"] = """{"id":"new-checkout","enabled":false}""", ["content_type"] = AppConfigurationFeatureFlagTarget.FeatureFlagContentType }.ToJsonString();

        var stale = Signed(HttpMethod.Put, FlagUrl(sandbox), key, Start, body);
        stale.Headers.TryAddWithoutValidation("If-Match", "\"not-the-etag\"");
        using var conflict = await client.SendAsync(stale);
        var current = Signed(HttpMethod.Put, FlagUrl(sandbox), key, Start, body);
        current.Headers.TryAddWithoutValidation("If-Match", etag);
        using var written = await client.SendAsync(current);

        Assert.Equal((412, 200), ((int)conflict.StatusCode, (int)written.StatusCode));
        Assert.NotEqual(etag, written.Headers.ETag!.ToString());
        Assert.Equal(0, sandbox.FeatureFlagPercentage);
    }

    [Fact]
    public async Task The_flags_percentage_is_the_share_of_requests_that_run_the_candidates_code_and_the_slis_see_it()
    {
        var clock = new FakeTimeProvider(Start);
        await using var sandbox = await SandboxEnvironment.StartAsync(Quiet, clock);
        using var client = new HttpClient();
        await Target(sandbox, clock).ApplyAsync(Shift(25), CancellationToken.None);
        sandbox.SetCandidateBehaviour(new CandidateBehaviour(0.5, TimeSpan.Zero));

        var paths = new List<string?>();
        for (var i = 0; i < 200; i++)
        {
            using var answer = await client.GetAsync(new Uri(sandbox.RouterAddress, "work"));
            paths.Add(answer.Headers.TryGetValues("X-Sandbox-Code-Path", out var path) ? path.Single() : null);
            Assert.Equal("1.0.0", answer.Headers.GetValues("X-Sandbox-Version").Single()); // the router sends everything to stable
        }

        clock.Advance(TimeSpan.FromSeconds(10));
        var reading = await sandbox.SliSource.QueryAsync(new SliQuery("sandbox", "error_rate", new SliWindow(Start, Start.AddSeconds(10)), new Dictionary<string, string>(), TimeSpan.FromSeconds(10), null, null), CancellationToken.None);
        var rate = await sandbox.SliSource.QueryAsync(new SliQuery("sandbox", "request_rate", new SliWindow(Start, Start.AddSeconds(10)), new Dictionary<string, string>(), TimeSpan.FromSeconds(10), null, null), CancellationToken.None);

        Assert.Equal(50, paths.Count(p => p == "candidate")); // exactly a quarter, evenly spread
        Assert.Equal(0.5, reading.For("canary")!.Samples.Single().Value, 6);
        Assert.Equal(0, reading.For("baseline")!.Samples.Single().Value);
        Assert.Equal((5.0, 15.0), (rate.For("canary")!.Samples.Single().Value, rate.For("baseline")!.Samples.Single().Value));
        Assert.Equal(25, sandbox.FeatureFlagPercentage);
    }

    [Fact]
    public async Task The_flag_survives_a_restart_with_a_state_file()
    {
        var folder = Directory.CreateTempSubdirectory("rf-flags-").FullName;
        try
        {
            var options = Quiet with { FeatureFlagStateFile = Path.Combine(folder, "sandbox-flags.json") };
            var clock = new FakeTimeProvider(Start);
            await using (var before = await SandboxEnvironment.StartAsync(options, clock))
            {
                await Target(before, clock).ApplyAsync(Shift(10), CancellationToken.None);
            }

            await using var after = await SandboxEnvironment.StartAsync(options, clock);
            var read = await Target(after, clock).ReadAsync(Shift(10), CancellationToken.None);

            Assert.Equal(10, read.CandidateWeightPercent);
            Assert.Equal(10, after.FeatureFlagPercentage);
            File.WriteAllText(options.FeatureFlagStateFile, "{ not json");
            var damaged = await Assert.ThrowsAsync<InvalidDataException>(() => SandboxEnvironment.StartAsync(options, clock));
            Assert.Contains("Delete it to start the store with its flag at 0%", damaged.Message);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
