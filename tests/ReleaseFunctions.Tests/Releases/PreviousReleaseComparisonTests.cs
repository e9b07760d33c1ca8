using System.Text.Json;
using ReleaseFunctions.Core.Releases;

namespace ReleaseFunctions.Tests.Releases;

/// <summary>
/// Relative criteria compared with what the service's previous promoted release recorded (<c>compare_to:
/// previous-release</c>), through the engine: a regression against it rolls back though the stable version beside the
/// canary regressed with it; with no promoted release before, the gate is inconclusive and waits for a person, never a pass.
/// </summary>
public sealed class PreviousReleaseComparisonTests
{
    private const string Gate = """
        gate:
          provider: prometheus
          compare_to: previous-release
          analysis: { interval: 5m, count: 2, failure_limit: 0, inconclusive_limit: 0, consecutive_error_limit: 1, no_data_limit: 0 }
          objectives:
            - name: error_rate
              query: error_rate
              aggregation: mean
              unit: ratio
              pass: "<= +50%"
        """;

    // The first release is judged against the stable version beside it; what it records is the next one's reference.
    private static readonly string FirstGate = Gate.Replace("compare_to: previous-release", "compare_to: baseline", StringComparison.Ordinal);

    [Fact]
    public async Task A_regression_against_what_the_previous_promoted_release_recorded_rolls_back()
    {
        await using var h = await ReleaseWorkflowHarness.StartAsync(Policies.Canary(gate: FirstGate));
        // The first release: 0.2% errors at 5% and 25%, 0.1% at its last step (50%); stable alike.
        h.Sli.Canary = (_, weight) => weight == 50 ? 0.001 : 0.002;
        var first = await h.StartReleaseAsync(ReleaseWorkflowHarness.Merge());
        await h.RunAsync(first);
        Assert.Equal(ReleaseStatus.Promoted, (await h.OutcomeAsync(first)).Status);

        // The next release: 0.3% errors, and the stable version beside it too (a shared dependency): +200% on the
        // previous release's last step, where the baseline comparison would see no change.
        h.Policy.Yaml = Policies.Canary(gate: Gate);
        h.Sli.Canary = (_, _) => 0.003;
        var second = await h.StartReleaseAsync(ReleaseWorkflowHarness.LaterMerge());
        await h.RunAsync(second);
        var outcome = await h.OutcomeAsync(second);

        Assert.Equal(ReleaseStatus.RolledBack, outcome.Status);
        var measurement = (await h.AuditAsync(second)).First(r => r.Kind == "gate-measurement");
        Assert.Contains("vs previous-release 0.1% (+200%)", measurement.Reason, StringComparison.Ordinal);
        using var evidence = JsonDocument.Parse(measurement.EvidenceJson);
        var objective = evidence.RootElement.GetProperty("verdict").GetProperty("objectives")[0];
        Assert.Equal("Fail", objective.GetProperty("outcome").GetString());
        Assert.Equal("previous-release", objective.GetProperty("referencePopulation").GetString());
        Assert.Equal(0.001, objective.GetProperty("reference").GetDouble(), 9);
        Assert.Equal(2, objective.GetProperty("referenceSamples").GetInt32()); // the two measurements of its last step
        Assert.Contains("previous-release holds the aggregates it recorded, not samples", objective.GetProperty("test").GetString(), StringComparison.Ordinal);
        // The reference window is where the previous release measured its last step.
        var firstMeasurements = (await h.AuditAsync(first)).Where(r => r.Kind == "gate-measurement").Select(r => r.At).ToArray();
        Assert.Equal(firstMeasurements[^2], objective.GetProperty("referenceWindow").GetProperty("start").GetDateTimeOffset());
    }

    [Fact]
    public async Task Without_a_promoted_release_before_the_comparison_is_inconclusive_and_waits_for_a_person()
    {
        await using var h = await ReleaseWorkflowHarness.StartAsync(Policies.Canary(gate: Gate));
        var id = await h.StartReleaseAsync(ReleaseWorkflowHarness.Merge());

        await h.RunAsync(id, progress => progress?.Status == ReleaseStatus.AwaitingDecision);

        Assert.False(await h.IsCompletedAsync(id));
        var audit = await h.AuditAsync(id);
        var verdict = Assert.Single(audit, r => r.Kind == "gate-verdict");
        Assert.Contains("inconclusive", verdict.Reason, StringComparison.Ordinal);
        var measurement = audit.First(r => r.Kind == "gate-measurement");
        Assert.Contains("no promoted release of shop before this one to compare with", measurement.Reason + measurement.EvidenceJson, StringComparison.Ordinal);
        Assert.Contains(audit, r => r.Kind == "decision-requested");
        Assert.Equal(5, h.Target.Weight); // held where it was, waiting for /promote or /rollback
    }
}
