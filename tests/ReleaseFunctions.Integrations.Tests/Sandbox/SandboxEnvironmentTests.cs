using System.Diagnostics;
using ReleaseFunctions.Core.Ports;
using ReleaseFunctions.Core.Sli;
using ReleaseFunctions.Integrations.Sandbox;
using ReleaseFunctions.Integrations.Tests.Support;

namespace ReleaseFunctions.Integrations.Tests.Sandbox;

public sealed class SandboxEnvironmentTests
{
    private static readonly DateTimeOffset Start = TestClock.At(2026, 11, 23, 18, 0, 0);
    private static readonly TargetSpec SandboxSpec = new("sandbox", new Dictionary<string, string>());
    private static readonly SandboxOptions Quiet = new() { LoadRatePerSecond = 0, RandomSeed = 7 };

    private static TrafficShift Shift(int weight, TrafficAction action = TrafficAction.Shift, string? key = null)
        => new(SandboxSpec, "release-1", "sandbox-service", "1.1.0", "production", 1, weight, action, key ?? $"key-{action}-{weight}");

    private static async Task<string[]> SendAsync(HttpClient client, Uri router, int count)
    {
        var versions = new List<string>();
        for (var batch = 0; batch < count; batch += 20)
        {
            var answers = await Task.WhenAll(Enumerable.Range(0, Math.Min(20, count - batch)).Select(_ => client.GetAsync(new Uri(router, "work"))));
            versions.AddRange(answers.Select(a => a.Headers.GetValues("X-Sandbox-Version").Single()));
            foreach (var answer in answers)
            {
                answer.Dispose();
            }
        }

        return versions.ToArray();
    }

    private static SliQuery Sli(string name, SliWindow window, TimeSpan? step = null, string? unit = null)
        => new("sandbox", name, window, new Dictionary<string, string>(), step, null, unit);

    [Fact]
    public async Task The_router_splits_traffic_near_the_weight_and_the_target_reads_it_back()
    {
        var clock = new FakeTimeProvider(Start);
        await using var sandbox = await SandboxEnvironment.StartAsync(Quiet, clock);
        using var client = new HttpClient();

        var state = await sandbox.Target.ApplyAsync(Shift(25), CancellationToken.None);
        var versions = await SendAsync(client, sandbox.RouterAddress, 400);

        Assert.Equal(25, state.CandidateWeightPercent);
        Assert.Equal("stable", state.LiveSlot);
        var share = versions.Count(v => v == "1.1.0") / 400.0;
        Assert.InRange(share, 0.18, 0.32);
        Assert.Equal(400, versions.Count(v => v is "1.0.0" or "1.1.0"));
        Assert.Equal(400, sandbox.ObservedRequests);
    }

    [Fact]
    public async Task Each_version_answers_with_its_own_version()
    {
        await using var sandbox = await SandboxEnvironment.StartAsync(Quiet, new FakeTimeProvider(Start));
        using var client = new HttpClient();

        Assert.Contains("\"version\":\"1.0.0\"", await client.GetStringAsync(new Uri(sandbox.StableAddress, "work")));
        Assert.Contains("\"version\":\"1.1.0\"", await client.GetStringAsync(new Uri(sandbox.CandidateAddress, "work")));
    }

    [Fact]
    public async Task A_misbehaving_candidate_shows_a_higher_error_rate_than_the_stable_version()
    {
        var clock = new FakeTimeProvider(Start);
        await using var sandbox = await SandboxEnvironment.StartAsync(Quiet, clock);
        using var client = new HttpClient();
        await sandbox.Target.ApplyAsync(Shift(50), CancellationToken.None);
        sandbox.SetCandidateBehaviour(new CandidateBehaviour(0.4, TimeSpan.Zero));

        await SendAsync(client, sandbox.RouterAddress, 100);
        clock.Advance(TimeSpan.FromSeconds(10));
        await SendAsync(client, sandbox.RouterAddress, 100);
        clock.Advance(TimeSpan.FromSeconds(10));

        var reading = await sandbox.SliSource.QueryAsync(Sli("error_rate", new SliWindow(Start, Start.AddSeconds(20)), TimeSpan.FromSeconds(10)), CancellationToken.None);

        var canary = reading.For("canary")!;
        var baseline = reading.For("baseline")!;
        Assert.Equal([Start, Start.AddSeconds(10)], canary.Samples.Select(s => s.Timestamp));
        Assert.All(canary.Samples, s => Assert.InRange(s.Value, 0.3, 0.5));
        Assert.All(baseline.Samples, s => Assert.Equal(0, s.Value));
        Assert.Equal("ratio", canary.Unit);

        var rate = await sandbox.SliSource.QueryAsync(Sli("request_rate", new SliWindow(Start, Start.AddSeconds(20)), TimeSpan.FromSeconds(10)), CancellationToken.None);
        Assert.Equal(20, rate.For("canary")!.Samples.Sum(s => s.Value) + rate.For("baseline")!.Samples.Sum(s => s.Value), 6);
    }

    [Fact]
    public async Task Added_latency_shows_in_the_candidates_percentiles()
    {
        var clock = new TestTimeProvider(Start);
        await using var sandbox = await SandboxEnvironment.StartAsync(Quiet, clock);
        using var client = new HttpClient();
        await sandbox.Target.ApplyAsync(Shift(50), CancellationToken.None);
        sandbox.SetCandidateBehaviour(new CandidateBehaviour(0, TimeSpan.FromMilliseconds(150)));

        // The candidate holds each request on the clock for its added latency: once every request has come back or is
        // held, the clock moves on by that latency and the held ones answer.
        var sending = Task.WhenAll(Enumerable.Range(0, 60).Select(async _ =>
        {
            using var answer = await client.GetAsync(new Uri(sandbox.RouterAddress, "work"));
            return answer.Headers.GetValues("X-Sandbox-Version").Single();
        }));
        await Eventually(() => sandbox.ObservedRequests + clock.PendingOneShotTimers == 60);
        Assert.True(clock.PendingOneShotTimers > 0, "no request went to the candidate");
        clock.Advance(TimeSpan.FromMilliseconds(150));
        Assert.Equal(60, (await sending).Length);
        var window = new SliWindow(Start.AddSeconds(-1), clock.GetUtcNow().AddSeconds(1));

        var p50 = await sandbox.SliSource.QueryAsync(Sli("latency_p50_ms", window, window.Duration), CancellationToken.None);
        var p99Seconds = await sandbox.SliSource.QueryAsync(Sli("latency_p99_ms", window, window.Duration, "Seconds"), CancellationToken.None);

        var canaryP50 = p50.For("canary")!.Samples.Single().Value;
        Assert.True(canaryP50 >= 150, $"canary p50 {canaryP50} ms");
        Assert.True(p50.For("baseline")!.Samples.Single().Value < canaryP50);
        Assert.Equal("Seconds", p99Seconds.For("canary")!.Unit);
        Assert.InRange(p99Seconds.For("canary")!.Samples.Single().Value, 0.15, 10);
    }

    [Fact]
    public async Task Swap_promote_and_rollback_are_read_back_and_an_old_key_is_not_applied_again()
    {
        await using var sandbox = await SandboxEnvironment.StartAsync(Quiet, new FakeTimeProvider(Start));

        var shifted = await sandbox.Target.ApplyAsync(Shift(10, key: "step-1"), CancellationToken.None);
        var swapped = await sandbox.Target.ApplyAsync(Shift(0, TrafficAction.Swap), CancellationToken.None);
        var rolledBack = await sandbox.Target.ApplyAsync(Shift(0, TrafficAction.Rollback), CancellationToken.None);
        var replayed = await sandbox.Target.ApplyAsync(Shift(10, key: "step-1"), CancellationToken.None);
        var read = await sandbox.Target.ReadAsync(Shift(0, TrafficAction.Rollback), CancellationToken.None);

        Assert.Equal((10, "stable"), (shifted.CandidateWeightPercent, shifted.LiveSlot));
        Assert.Equal((100, "candidate"), (swapped.CandidateWeightPercent, swapped.LiveSlot));
        Assert.Equal((0, "stable"), (rolledBack.CandidateWeightPercent, rolledBack.LiveSlot));
        Assert.Equal(0, replayed.CandidateWeightPercent);
        Assert.Equal((0, "stable", Start), (read.CandidateWeightPercent, read.LiveSlot, read.ObservedAt));
    }

    [Fact]
    public async Task With_a_state_file_a_restarted_sandbox_finds_traffic_where_it_was_and_applies_no_old_change_again()
    {
        var folder = Directory.CreateTempSubdirectory("rf-sandbox-state-");
        try
        {
            var options = Quiet with { StateFile = Path.Combine(folder.FullName, "sandbox-router.json") };
            await using (var before = await SandboxEnvironment.StartAsync(options, new FakeTimeProvider(Start)))
            {
                await before.Target.ApplyAsync(Shift(25, key: "step-2"), CancellationToken.None);
            }

            await using var after = await SandboxEnvironment.StartAsync(options, new FakeTimeProvider(Start));
            Assert.Equal(25, (await after.Target.ReadAsync(Shift(25), CancellationToken.None)).CandidateWeightPercent);
            using var client = new HttpClient();
            Assert.Contains("1.1.0", await SendAsync(client, after.RouterAddress, 100)); // the router really sends the candidate its share

            await after.Target.ApplyAsync(Shift(0, TrafficAction.Rollback, key: "rollback"), CancellationToken.None);
            Assert.Equal(0, (await after.Target.ApplyAsync(Shift(25, key: "step-2"), CancellationToken.None)).CandidateWeightPercent);

            File.WriteAllText(options.StateFile, "{not json");
            var damaged = await Assert.ThrowsAsync<InvalidDataException>(() => SandboxEnvironment.StartAsync(options, new FakeTimeProvider(Start)));
            Assert.Contains("sandbox-router.json is damaged", damaged.Message);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task The_load_generator_sends_one_request_per_tick_through_the_router()
    {
        var clock = new FakeTimeProvider(Start);
        await using var sandbox = await SandboxEnvironment.StartAsync(Quiet with { LoadRatePerSecond = 20 }, clock);

        for (var tick = 1; tick <= 5; tick++)
        {
            clock.Advance(TimeSpan.FromMilliseconds(50));
            await Eventually(() => sandbox.GeneratedRequests == tick);
        }

        await Eventually(() => sandbox.ObservedRequests == 5);
        Assert.Equal(5, sandbox.GeneratedRequests);
        Assert.Equal(0, sandbox.SkippedLoadTicks);
    }

    [Fact]
    public async Task Queries_without_traffic_unknown_names_and_unconvertible_units_are_explicit()
    {
        await using var sandbox = await SandboxEnvironment.StartAsync(Quiet, new FakeTimeProvider(Start.AddMinutes(5)));
        var window = new SliWindow(Start, Start.AddMinutes(1));

        var empty = await sandbox.SliSource.QueryAsync(Sli("error_rate", window), CancellationToken.None);
        var unknown = await Assert.ThrowsAsync<IntegrationException>(() => sandbox.SliSource.QueryAsync(Sli("cpu", window), CancellationToken.None));
        var unit = await Assert.ThrowsAsync<IntegrationException>(() => sandbox.SliSource.QueryAsync(Sli("latency_p99_ms", window, unit: "Percent"), CancellationToken.None));

        Assert.False(empty.HasData);
        Assert.Contains("no requests", empty.NoDataReason);
        Assert.Equal(IntegrationFailureKind.Rejected, unknown.Kind);
        Assert.Contains("latency_pNN_ms", unknown.Message);
        Assert.Contains("cannot be converted", unit.Message);
    }

    [Fact]
    public async Task The_candidate_can_be_told_to_misbehave_over_http_and_fails_exactly_that_share_from_then_on()
    {
        await using var sandbox = await SandboxEnvironment.StartAsync(Quiet, new FakeTimeProvider(Start));
        using var client = new HttpClient();
        for (var i = 0; i < 7; i++)
        {
            (await client.GetAsync(new Uri(sandbox.CandidateAddress, "work"))).Dispose();
        }

        using var bad = await client.PutAsync(new Uri(sandbox.CandidateAddress, "behaviour"), new StringContent("""{"errorRate":2}""", System.Text.Encoding.UTF8, "application/json"));
        using var good = await client.PutAsync(new Uri(sandbox.CandidateAddress, "behaviour"), new StringContent("""{"errorRate":0.25}""", System.Text.Encoding.UTF8, "application/json"));
        var statuses = new List<int>();
        for (var i = 0; i < 20; i++)
        {
            using var answer = await client.GetAsync(new Uri(sandbox.CandidateAddress, "work"));
            statuses.Add((int)answer.StatusCode);
        }

        Assert.Equal(System.Net.HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("error rate", await bad.Content.ReadAsStringAsync());
        Assert.Equal(System.Net.HttpStatusCode.NoContent, good.StatusCode);
        Assert.Equal(5, statuses.Count(s => s == 500));
        Assert.Equal(500, statuses[3]);
        Assert.All(statuses.Take(3), s => Assert.Equal(200, s));
    }

    [Fact]
    public void Options_and_behaviour_refuse_values_out_of_range()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new SandboxOptions { LoadRatePerSecond = -1 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new SandboxOptions { BucketInterval = TimeSpan.Zero });
        Assert.Throws<ArgumentOutOfRangeException>(() => new CandidateBehaviour(1.5, TimeSpan.Zero));
    }

    /// <summary>Waits for real I/O (requests crossing local sockets) to finish, bounded.</summary>
    private static async Task Eventually(Func<bool> condition)
    {
        var waited = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(waited.Elapsed < TimeSpan.FromSeconds(10), "the condition did not hold within 10 s");
            await Task.Yield();
            await Task.Delay(5);
        }
    }
}
