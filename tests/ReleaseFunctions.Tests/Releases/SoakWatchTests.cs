using System.Text.Json;
using ReleaseFunctions.Core.Ports;
using ReleaseFunctions.Core.Releases;

namespace ReleaseFunctions.Tests.Releases;

/// <summary>
/// The gate's watch while a step soaks (<c>gate.alerts</c>, <c>gate.burn_rate</c>, read every <c>watch_interval</c>),
/// through the engine: a fired alert or a fast burn rolls back at once, without waiting for the soak or the analysis;
/// a slow burn does not; a watch that cannot be read is recorded once and never rolls back on its own.
/// </summary>
public sealed class SoakWatchTests
{
    private const string AlertGate = """
        gate:
          provider: prometheus
          analysis: { interval: 5m, count: 3 }
          alerts:
            provider: alertmanager
            matchers: ['service="{service}"']
          objectives:
            - name: error_rate
              query: error_rate
              aggregation: mean
              unit: ratio
              pass: "< 1%"
        """;

    // The SLI threshold alone (10%) would let a 5% error ratio through: only the burn rate can stop it.
    private const string BurnGate = """
        gate:
          provider: prometheus
          analysis: { interval: 5m, count: 3 }
          burn_rate:
            objective: error_rate
            slo: 99.9%
            windows: [ { short: 5m, long: 1h, factor: 14.4 } ]
          objectives:
            - name: error_rate
              query: error_rate
              aggregation: mean
              unit: ratio
              pass: "< 10%"
        """;

    [Fact]
    public async Task An_alert_that_fires_mid_soak_rolls_back_within_a_watch_interval_before_any_measurement()
    {
        await using var h = await ReleaseWorkflowHarness.StartAsync(Policies.Canary(gate: AlertGate));
        var movedAt = h.Clock.GetUtcNow();
        var firesAt = movedAt.AddMinutes(2.5); // in step 1's 10-minute soak
        h.Alerts.Firing = () => h.Clock.GetUtcNow() >= firesAt
            ? [new FiredAlert("CheckoutLatencyHigh", firesAt, new Dictionary<string, string> { ["alertname"] = "CheckoutLatencyHigh", ["service"] = "shop" }, "p99 above 2 s")]
            : [];
        var id = await h.StartReleaseAsync(ReleaseWorkflowHarness.Merge());

        await h.RunAsync(id);
        var outcome = await h.OutcomeAsync(id);

        Assert.Equal(ReleaseStatus.RolledBack, outcome.Status);
        Assert.Contains("failed during the soak", outcome.Reason, StringComparison.Ordinal);
        Assert.Contains("CheckoutLatencyHigh", outcome.Reason, StringComparison.Ordinal);
        Assert.Equal([(TrafficAction.Shift, 5), (TrafficAction.Rollback, 0)], h.Target.Applied);
        var audit = await h.AuditAsync(id);
        Assert.DoesNotContain(audit, r => r.Kind == "gate-measurement");
        var watch = Assert.Single(audit, r => r.Kind == "soak-watch");
        Assert.Equal(movedAt.AddMinutes(3), watch.At); // the first watch read after it fired
        using var evidence = JsonDocument.Parse(watch.EvidenceJson);
        var alert = Assert.Single(evidence.RootElement.GetProperty("alerts").GetProperty("firing").EnumerateArray());
        Assert.Equal("p99 above 2 s", alert.GetProperty("summary").GetString());
        Assert.Equal(3, h.Alerts.Asked.Count); // at 1, 2 and 3 minutes
    }

    [Fact]
    public async Task A_fast_burn_rolls_back_at_once_though_the_SLI_threshold_would_pass()
    {
        await using var h = await ReleaseWorkflowHarness.StartAsync(Policies.Canary(gate: BurnGate));
        var movedAt = h.Clock.GetUtcNow();
        // 5% errors against a 0.1% budget: 50x, from the second minute on.
        h.Sli.Canary = (_, _) => h.Clock.GetUtcNow() >= movedAt.AddMinutes(2) ? 0.05 : 0.0002;
        var id = await h.StartReleaseAsync(ReleaseWorkflowHarness.Merge());

        await h.RunAsync(id);
        var outcome = await h.OutcomeAsync(id);

        Assert.Equal(ReleaseStatus.RolledBack, outcome.Status);
        Assert.Contains("burn rate 50x over 5m and 50x over 1h, at or above 14.4x", outcome.Reason, StringComparison.Ordinal);
        Assert.Equal(0, h.Target.Weight);
        var audit = await h.AuditAsync(id);
        Assert.DoesNotContain(audit, r => r.Kind == "gate-measurement");
        var watch = Assert.Single(audit, r => r.Kind == "soak-watch");
        Assert.Equal(movedAt.AddMinutes(2), watch.At);
        using var evidence = JsonDocument.Parse(watch.EvidenceJson);
        var burn = evidence.RootElement.GetProperty("burnRate");
        Assert.True(burn.GetProperty("tripped").GetBoolean());
        var pair = Assert.Single(burn.GetProperty("windows").EnumerateArray());
        Assert.Equal(50, pair.GetProperty("shortBurnRate").GetDouble(), 6);
        Assert.Equal(50, pair.GetProperty("longBurnRate").GetDouble(), 6);
        // The candidate has served traffic for 2 minutes: both windows reach back to then, not 5 minutes or an hour.
        Assert.Equal(movedAt, pair.GetProperty("longWindow").GetProperty("start").GetDateTimeOffset());
        Assert.Equal(movedAt.AddMinutes(2), pair.GetProperty("longWindow").GetProperty("end").GetDateTimeOffset());
        Assert.Contains(h.Sli.Queries, q => q.Window.Start == movedAt && q.Window.End == movedAt.AddMinutes(2));
    }

    [Fact]
    public async Task A_burn_below_the_factor_lets_the_release_go_on_to_promotion()
    {
        await using var h = await ReleaseWorkflowHarness.StartAsync(Policies.Canary(gate: BurnGate));
        h.Sli.Canary = (_, _) => 0.005; // 5x: spends the budget early, but is not a page
        var id = await h.StartReleaseAsync(ReleaseWorkflowHarness.Merge());

        await h.RunAsync(id);

        Assert.Equal(ReleaseStatus.Promoted, (await h.OutcomeAsync(id)).Status);
        var audit = await h.AuditAsync(id);
        Assert.DoesNotContain(audit, r => r.Kind == "soak-watch");
        // The watch was read all along: nine times in each 10-minute soak, four times in each 5-minute analysis wait.
        var watchReads = h.Sli.Queries.Count(q => q.Window.End.Second == 0 && q.Window.End.Minute % 5 != 0);
        Assert.True(watchReads >= 3 * 8, $"expected the burn rate to be read through every soak; read {watchReads} times");
    }

    [Fact]
    public async Task A_watch_that_cannot_be_read_is_recorded_once_and_never_rolls_back_on_its_own()
    {
        await using var h = await ReleaseWorkflowHarness.StartAsync(Policies.Canary(gate: AlertGate));
        var movedAt = h.Clock.GetUtcNow();
        h.Alerts.Down = () => h.Clock.GetUtcNow() < movedAt.AddMinutes(5); // down for the first half of step 1's soak
        var id = await h.StartReleaseAsync(ReleaseWorkflowHarness.Merge());

        await h.RunAsync(id);

        Assert.Equal(ReleaseStatus.Promoted, (await h.OutcomeAsync(id)).Status);
        var watch = Assert.Single(await h.AuditAsync(id), r => r.Kind == "soak-watch");
        Assert.Equal(movedAt.AddMinutes(1), watch.At);
        Assert.Contains("the fake Alertmanager is down", watch.Reason, StringComparison.Ordinal);
    }
}
