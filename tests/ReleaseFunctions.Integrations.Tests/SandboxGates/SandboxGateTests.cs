using System.Diagnostics;
using ReleaseFunctions.Core.Gates;
using ReleaseFunctions.Core.Policy;
using ReleaseFunctions.Core.Ports;
using ReleaseFunctions.Core.Sli;
using ReleaseFunctions.Integrations.Sandbox;
using Xunit.Abstractions;

namespace ReleaseFunctions.Integrations.Tests.SandboxGates;

/// <summary>
/// A release gate from a policy, judged by <see cref="GateEvaluator"/> on SLIs the sandbox measured from real requests:
/// the load generator sends them through the router to two Kestrel servers on 127.0.0.1, ticking on a manual clock.
/// </summary>
public sealed class SandboxGateTests(ITestOutputHelper output)
{
    private const string Policy = """
        version: 1
        stages:
          - name: sandbox
            target: { provider: sandbox }
            strategy:
              canary:
                steps: [ { weight: 25, soak: 10s } ]
            gate:
              provider: sandbox
              min_samples: 5
              objectives:
                - name: error_rate
                  query: error_rate
                  pass: "< 1%"
                  critical: true
                  must_have_data: true
                - name: latency_p99_ms
                  query: latency_p99_ms
                  pass: "<= +25%"
        """;

    private static readonly DateTimeOffset Start = TestClock.At(2026, 11, 23, 18, 0, 0);

    /// <summary>20 requests a second: one load-generator tick per 50 ms of the manual clock.</summary>
    private static readonly SandboxOptions Options = new() { LoadRatePerSecond = 20, RandomSeed = 11 };

    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan Soak = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan Bucket = TimeSpan.FromSeconds(1);
    private static readonly Dictionary<string, string> Release = new() { ["service"] = "sandbox-service", ["version"] = "1.1.0" };

    private static StagePolicy Stage()
    {
        var parsed = ReleasePolicyParser.Parse(Policy);
        Assert.True(parsed.Policy is not null, string.Join(Environment.NewLine, parsed.Problems));
        return parsed.Policy.Stages.Single();
    }

    /// <summary>Shifts the router to the stage's first canary weight, as the release's first step does.</summary>
    private static async Task ShiftToFirstStepAsync(SandboxEnvironment sandbox, StagePolicy stage)
    {
        var weight = ((CanaryStrategy)stage.Strategy).Steps[0].WeightPercent;
        var state = await sandbox.Target.ApplyAsync(
            new TrafficShift(stage.Target, "release-1", "sandbox-service", "1.1.0", stage.Name, 1, weight, TrafficAction.Shift, "release-1/sandbox/1"),
            CancellationToken.None);
        Assert.Equal(25, state.CandidateWeightPercent);
    }

    /// <summary>
    /// Moves the clock through <see cref="Soak"/> one load tick at a time. After each tick it waits (bounded, real I/O)
    /// until the tick's request was sent and every request sent has come back through the router or is held by the
    /// candidate's added latency until the clock moves on; so each request arrives at the instant of its tick.
    /// </summary>
    private static async Task SoakAsync(SandboxEnvironment sandbox, TestTimeProvider clock)
    {
        for (var tick = 0; tick < Soak / Tick; tick++)
        {
            var sent = sandbox.GeneratedRequests + 1;
            clock.Advance(Tick);
            await Eventually(() => sandbox.GeneratedRequests == sent && sandbox.ObservedRequests + clock.PendingOneShotTimers == sent,
                () => $"after tick {tick + 1}: {sandbox.GeneratedRequests} sent, {sandbox.ObservedRequests} observed, {clock.PendingOneShotTimers} held by the clock, {sandbox.SkippedLoadTicks} ticks skipped");
        }
    }

    private static async Task<Dictionary<string, SliReading>> ReadAsync(SandboxEnvironment sandbox, GateDefinition gate, SliWindow window)
    {
        var readings = new Dictionary<string, SliReading>();
        foreach (var objective in gate.Objectives)
        {
            Assert.Equal(sandbox.SliSource.Provider, objective.Provider);
            readings[objective.Name] = await sandbox.SliSource.QueryAsync(objective.ToQuery(window, Release, Bucket), CancellationToken.None);
        }

        return readings;
    }

    private GateVerdict Judge(GateDefinition gate, IReadOnlyDictionary<string, SliReading> readings)
    {
        var verdict = GateEvaluator.Evaluate(gate, readings);
        output.WriteLine(verdict.Reason);
        return verdict;
    }

    [Fact]
    public async Task A_healthy_candidate_at_the_first_canary_weight_passes_the_gate()
    {
        var stage = Stage();
        var clock = new TestTimeProvider(Start);
        await using var sandbox = await SandboxEnvironment.StartAsync(Options, clock);
        await ShiftToFirstStepAsync(sandbox, stage);

        await SoakAsync(sandbox, clock);
        var verdict = Judge(stage.Gate!, await ReadAsync(sandbox, stage.Gate!, new SliWindow(Start, Start + Soak)));

        Assert.Equal(GateOutcome.Pass, verdict.Outcome);
        Assert.Equal(100, verdict.Score);
        var errors = verdict.Objectives.Single(o => o.Objective == "error_rate");
        var latency = verdict.Objectives.Single(o => o.Objective == "latency_p99_ms");
        Assert.Equal((GateOutcome.Pass, 0.0), (errors.Outcome, errors.Observed));
        Assert.Equal(GateOutcome.Pass, latency.Outcome);
        Assert.Equal("baseline", latency.ReferencePopulation);
        // Every one-second bucket of the soak saw traffic from both versions at a 25% weight of 20 requests a second.
        Assert.InRange(errors.CanarySamples, 8, 10);
        Assert.Equal(10, latency.ReferenceSamples);
        Assert.Equal(0, sandbox.SkippedLoadTicks);
    }

    [Fact]
    public async Task A_candidate_failing_30_percent_of_requests_fails_the_gate_on_the_critical_error_rate()
    {
        var stage = Stage();
        var clock = new TestTimeProvider(Start);
        await using var sandbox = await SandboxEnvironment.StartAsync(Options, clock);
        await ShiftToFirstStepAsync(sandbox, stage);
        sandbox.SetCandidateBehaviour(new CandidateBehaviour(0.3, TimeSpan.Zero));

        await SoakAsync(sandbox, clock);
        var verdict = Judge(stage.Gate!, await ReadAsync(sandbox, stage.Gate!, new SliWindow(Start, Start + Soak)));

        Assert.Equal(GateOutcome.Fail, verdict.Outcome);
        Assert.StartsWith("failed: critical objective error_rate failed", verdict.Reason);
        var errors = verdict.Objectives.Single(o => o.Objective == "error_rate");
        Assert.Equal(GateOutcome.Fail, errors.Outcome);
        Assert.InRange(errors.Observed!.Value, 0.15, 0.45);
        Assert.StartsWith("error_rate ", errors.Reason);
        Assert.Contains("> 1%", errors.Reason);
        Assert.Equal(GateOutcome.Pass, verdict.Objectives.Single(o => o.Objective == "latency_p99_ms").Outcome);
    }

    [Fact]
    public async Task A_candidate_with_200_ms_added_latency_fails_the_gate_on_p99_latency_against_the_baseline()
    {
        var stage = Stage();
        var clock = new TestTimeProvider(Start);
        await using var sandbox = await SandboxEnvironment.StartAsync(Options, clock);
        await ShiftToFirstStepAsync(sandbox, stage);
        var added = TimeSpan.FromMilliseconds(200);
        sandbox.SetCandidateBehaviour(new CandidateBehaviour(0, added));

        await SoakAsync(sandbox, clock);
        var readings = await ReadAsync(sandbox, stage.Gate!, new SliWindow(Start, Start + Soak));
        var verdict = Judge(stage.Gate!, readings);

        // The objective's unit is the policy's default 'number', which names no unit: values stay in milliseconds.
        Assert.Equal("Milliseconds", readings["latency_p99_ms"].For(SliPopulations.Canary)!.Unit);
        Assert.Equal(GateOutcome.Fail, verdict.Outcome);
        Assert.Equal(50, verdict.Score);
        var latency = verdict.Objectives.Single(o => o.Objective == "latency_p99_ms");
        Assert.Equal(GateOutcome.Fail, latency.Outcome);
        // Latency is measured on the test's clock: a canary request takes exactly the added 200 ms, a baseline one no time.
        Assert.Equal(added.TotalMilliseconds, latency.Observed);
        Assert.Equal(0, latency.Reference);
        Assert.NotNull(latency.PValue);
        Assert.True(latency.PValue < 0.05, $"p={latency.PValue}");
        Assert.StartsWith("latency_p99_ms ", latency.Reason);
        Assert.Contains("vs baseline", latency.Reason);
        Assert.Contains("latency_p99_ms", verdict.Reason);
        Assert.Equal(GateOutcome.Pass, verdict.Objectives.Single(o => o.Objective == "error_rate").Outcome);
    }

    [Fact]
    public async Task A_window_without_traffic_fails_the_gate_because_the_error_rate_must_have_data()
    {
        var stage = Stage();
        var clock = new TestTimeProvider(Start);
        await using var sandbox = await SandboxEnvironment.StartAsync(Options, clock);
        await ShiftToFirstStepAsync(sandbox, stage);
        await SoakAsync(sandbox, clock);

        var verdict = Judge(stage.Gate!, await ReadAsync(sandbox, stage.Gate!, new SliWindow(Start - Soak, Start)));

        Assert.Equal(GateOutcome.Fail, verdict.Outcome);
        Assert.Contains("critical objective error_rate failed", verdict.Reason);
        var errors = verdict.Objectives.Single(o => o.Objective == "error_rate");
        Assert.Contains("no requests went through the sandbox router", errors.Reason);
        Assert.Contains("data is required", errors.Reason);
        Assert.Equal(GateOutcome.Inconclusive, verdict.Objectives.Single(o => o.Objective == "latency_p99_ms").Outcome);
    }

    /// <summary>Waits for real I/O (requests crossing local sockets) to finish, bounded.</summary>
    private static async Task Eventually(Func<bool> condition, Func<string> state)
    {
        var waited = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(waited.Elapsed < TimeSpan.FromSeconds(10), $"the sandbox did not settle within 10 s: {state()}");
            await Task.Delay(2);
        }
    }
}
