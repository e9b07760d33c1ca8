using System.Text.Json;
using ReleaseFunctions.Core.Ports;
using ReleaseFunctions.Core.Releases;

namespace ReleaseFunctions.Tests.Releases;

/// <summary>
/// A gate's watch on fired alerts (<c>gate.alerts</c>), through the engine: an alert that fires mid-rollout fails the
/// step at once, whatever the SLIs and the failure limit say; one that was firing before the release moved traffic
/// is evidence only.
/// </summary>
public sealed class FiredAlertGateTests
{
    private const string Gate = """
        gate:
          provider: prometheus
          analysis: { interval: 5m, count: 3, failure_limit: 2, inconclusive_limit: 0, consecutive_error_limit: 1 }
          watch_interval: 1h             # longer than any wait here: only the measurements read the alerts (SoakWatchTests read them mid-soak)
          alerts:
            provider: alertmanager
            matchers: ['service="{service}"', 'severity=~"critical|page"']
          objectives:
            - name: error_rate
              query: error_rate
              aggregation: mean
              unit: ratio
              pass: "< 1%"
        """;

    [Fact]
    public async Task An_alert_that_fires_mid_rollout_rolls_the_release_back_at_once_though_the_SLIs_pass()
    {
        await using var h = await ReleaseWorkflowHarness.StartAsync(Policies.Canary(gate: Gate));
        var firesAt = h.Clock.GetUtcNow().AddMinutes(12); // during step 1's analysis
        h.Alerts.Firing = () => h.Clock.GetUtcNow() >= firesAt
            ? [new FiredAlert("CheckoutErrorsHigh", firesAt, new Dictionary<string, string> { ["alertname"] = "CheckoutErrorsHigh", ["severity"] = "page", ["service"] = "shop" }, "5xx above 2%")]
            : [];
        var id = await h.StartReleaseAsync(ReleaseWorkflowHarness.Merge());

        await h.RunAsync(id);
        var outcome = await h.OutcomeAsync(id);

        Assert.Equal(ReleaseStatus.RolledBack, outcome.Status);
        Assert.Contains("CheckoutErrorsHigh", outcome.Reason, StringComparison.Ordinal);
        Assert.Equal([(TrafficAction.Shift, 5), (TrafficAction.Rollback, 0)], h.Target.Applied);
        var audit = await h.AuditAsync(id);
        var verdict = audit.Single(r => r.Kind == "gate-verdict");
        Assert.Contains("failed at once", verdict.Reason, StringComparison.Ordinal);
        // The measurement before the alert passed; the one after it failed with the alert as evidence. A failure
        // limit of 2 would have let two SLI failures by: the alert did not wait for it.
        var measurements = audit.Where(r => r.Kind == "gate-measurement").ToArray();
        Assert.Equal(2, measurements.Length);
        using var evidence = JsonDocument.Parse(measurements[^1].EvidenceJson);
        var alert = Assert.Single(evidence.RootElement.GetProperty("verdict").GetProperty("firingAlerts").EnumerateArray());
        Assert.Equal("CheckoutErrorsHigh", alert.GetProperty("name").GetString());
        Assert.Equal("5xx above 2%", alert.GetProperty("summary").GetString());
        Assert.All(h.Alerts.Asked, matchers => Assert.Equal(["service=\"shop\"", "severity=~\"critical|page\""], matchers));
    }

    [Fact]
    public async Task A_fired_alert_fails_the_step_even_while_the_SLIs_cannot_be_read()
    {
        await using var h = await ReleaseWorkflowHarness.StartAsync(Policies.Canary(gate: Gate));
        var movedAt = h.Clock.GetUtcNow();
        h.Sli.Down = true;
        h.Alerts.Firing = () => [new FiredAlert("CheckoutDown", movedAt.AddMinutes(3), new Dictionary<string, string> { ["alertname"] = "CheckoutDown" })];
        var id = await h.StartReleaseAsync(ReleaseWorkflowHarness.Merge());

        await h.RunAsync(id);
        var outcome = await h.OutcomeAsync(id);

        Assert.Equal(ReleaseStatus.RolledBack, outcome.Status);
        Assert.Contains("CheckoutDown", outcome.Reason, StringComparison.Ordinal);
        Assert.Contains("no SLI verdict", outcome.Reason, StringComparison.Ordinal);
        Assert.Equal(0, h.Target.Weight);
    }

    [Fact]
    public async Task An_alert_already_firing_before_the_release_moved_traffic_is_evidence_not_a_verdict()
    {
        await using var h = await ReleaseWorkflowHarness.StartAsync(Policies.Canary(gate: Gate));
        var since = h.Clock.GetUtcNow().AddHours(-2);
        h.Alerts.Firing = () => [new FiredAlert("DiskAlmostFull", since, new Dictionary<string, string> { ["alertname"] = "DiskAlmostFull", ["severity"] = "critical" })];
        var id = await h.StartReleaseAsync(ReleaseWorkflowHarness.Merge());

        await h.RunAsync(id);
        var outcome = await h.OutcomeAsync(id);

        Assert.Equal(ReleaseStatus.Promoted, outcome.Status);
        var measurement = (await h.AuditAsync(id)).First(r => r.Kind == "gate-measurement");
        Assert.Contains("already firing before the release (evidence only): DiskAlmostFull", measurement.Reason, StringComparison.Ordinal);
        using var evidence = JsonDocument.Parse(measurement.EvidenceJson);
        Assert.Empty(evidence.RootElement.GetProperty("verdict").GetProperty("firingAlerts").EnumerateArray());
        Assert.Single(evidence.RootElement.GetProperty("verdict").GetProperty("preexistingAlerts").EnumerateArray());
    }

    [Fact]
    public async Task With_fail_on_preexisting_an_alert_firing_before_the_release_stops_it_too()
    {
        var gate = Gate.Replace("""matchers: ['service="{service}"', 'severity=~"critical|page"']""",
            """matchers: ['service="{service}"']""" + "\n    fail_on_preexisting: true", StringComparison.Ordinal);
        await using var h = await ReleaseWorkflowHarness.StartAsync(Policies.Canary(gate: gate));
        var since = h.Clock.GetUtcNow().AddHours(-2);
        h.Alerts.Firing = () => [new FiredAlert("DiskAlmostFull", since, new Dictionary<string, string> { ["alertname"] = "DiskAlmostFull" })];
        var id = await h.StartReleaseAsync(ReleaseWorkflowHarness.Merge());

        await h.RunAsync(id);

        Assert.Equal(ReleaseStatus.RolledBack, (await h.OutcomeAsync(id)).Status);
    }
}
