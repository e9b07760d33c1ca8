using System.Text.Json;
using ReleaseFunctions.Core.Ports;
using ReleaseFunctions.Core.Releases;

namespace ReleaseFunctions.Tests.Releases;

/// <summary>
/// Relative criteria compared with the service in the window just before the release moved traffic
/// (<c>compare_to: pre-release</c>), through the engine: a regression the stable version beside the canary shares is
/// still caught, and no data before the release is inconclusive, never a pass.
/// </summary>
public sealed class PreReleaseComparisonTests
{
    private const string Gate = """
        gate:
          provider: prometheus
          compare_to: pre-release
          analysis: { interval: 5m, count: 1, failure_limit: 0, inconclusive_limit: 0, consecutive_error_limit: 1 }
          objectives:
            - name: latency_ms
              query: latency_ms
              aggregation: median
              pass: "<= +10%"
        """;

    [Fact]
    public async Task A_regression_against_the_pre_release_window_rolls_back_though_the_stable_version_beside_it_regressed_too()
    {
        await using var h = await ReleaseWorkflowHarness.StartAsync(Policies.Canary(gate: Gate));
        var movedAt = h.Clock.GetUtcNow(); // the first shift happens at once: the clock does not move before it
        // Both versions answer in 200 ms during the release (a shared dependency got slower with the new code's calls);
        // before it the service answered in 100 ms.
        h.Sli.Canary = (_, _) => 200;
        h.Sli.Stable = query => query.Window.End <= movedAt ? 100 : 200;
        var id = await h.StartReleaseAsync(ReleaseWorkflowHarness.Merge());

        await h.RunAsync(id);
        var outcome = await h.OutcomeAsync(id);

        Assert.Equal(ReleaseStatus.RolledBack, outcome.Status);
        Assert.Equal([(TrafficAction.Shift, 5), (TrafficAction.Rollback, 0)], h.Target.Applied);
        var measurement = (await h.AuditAsync(id)).First(r => r.Kind == "gate-measurement");
        Assert.Contains("vs pre-release", measurement.Reason, StringComparison.Ordinal);
        using var evidence = JsonDocument.Parse(measurement.EvidenceJson);
        var objective = evidence.RootElement.GetProperty("verdict").GetProperty("objectives")[0];
        Assert.Equal("Fail", objective.GetProperty("outcome").GetString());
        Assert.Equal("pre-release", objective.GetProperty("referencePopulation").GetString());
        Assert.Equal(200, objective.GetProperty("observed").GetDouble());
        Assert.Equal(100, objective.GetProperty("reference").GetDouble());
        Assert.True(objective.GetProperty("pValue").GetDouble() < 0.01);
        // The reference window is as long as the measured one and ends where the release first moved traffic.
        var measured = objective.GetProperty("window");
        var reference = objective.GetProperty("referenceWindow");
        Assert.Equal(movedAt, reference.GetProperty("end").GetDateTimeOffset());
        Assert.Equal(
            measured.GetProperty("end").GetDateTimeOffset() - measured.GetProperty("start").GetDateTimeOffset(),
            reference.GetProperty("end").GetDateTimeOffset() - reference.GetProperty("start").GetDateTimeOffset());
        Assert.Contains(h.Sli.Queries, q => q.Window.End == movedAt);
    }

    [Fact]
    public async Task No_data_in_the_pre_release_window_is_inconclusive_and_waits_for_a_person()
    {
        await using var h = await ReleaseWorkflowHarness.StartAsync(Policies.Canary(gate: Gate));
        var movedAt = h.Clock.GetUtcNow();
        h.Sli.Canary = (_, _) => 100;
        h.Sli.Stable = query => query.Window.End <= movedAt ? null : 100; // the service was not measured before the release
        var id = await h.StartReleaseAsync(ReleaseWorkflowHarness.Merge());

        await h.RunAsync(id, p => p?.Status == ReleaseStatus.AwaitingDecision);

        Assert.Equal(ReleaseStatus.AwaitingDecision, (await h.ProgressAsync(id))!.Status);
        Assert.Equal(5, h.Target.Weight);
        var audit = await h.AuditAsync(id);
        Assert.Contains(audit, r => r.Kind == "gate-measurement" && r.EvidenceJson.Contains("latency_ms: no data for pre-release to compare with", StringComparison.Ordinal));
        Assert.Contains(audit, r => r.Kind == "gate-verdict" && r.Reason.Contains("nconclusive", StringComparison.Ordinal));
        Assert.DoesNotContain(audit, r => r.Kind == "gate-verdict" && r.Reason.Contains("pass", StringComparison.OrdinalIgnoreCase));
    }
}
