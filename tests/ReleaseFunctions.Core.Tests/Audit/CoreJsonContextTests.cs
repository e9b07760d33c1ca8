using System.Text.Json;
using ReleaseFunctions.Core.Approvals;
using ReleaseFunctions.Core.Audit;
using ReleaseFunctions.Core.ErrorBudget;
using ReleaseFunctions.Core.Freeze;
using ReleaseFunctions.Core.Gates;
using ReleaseFunctions.Core.Releases;
using ReleaseFunctions.Core.Tests.Gates;

namespace ReleaseFunctions.Core.Tests.Audit;

public class CoreJsonContextTests
{
    [Fact]
    public void A_gate_verdict_round_trips_as_audit_evidence()
    {
        var gate = new GateDefinition([GateTestData.Objective("latency_ms", "<= +10%")]);
        var verdict = GateEvaluator.Evaluate(gate, new Dictionary<string, Sli.SliReading>
        {
            ["latency_ms"] = GateTestData.Reading(
                GateTestData.Series(SliPopulations.Canary, 300, 310, 320, 330, 340),
                GateTestData.Series(SliPopulations.Baseline, 200, 210, 220, 230, 240)),
        });

        var json = JsonSerializer.Serialize(verdict, CoreJsonContext.Default.GateVerdict);
        var record = AuditChain.Append(null, new AuditEntry("release-x", GateTestData.Window.End, "gate", "gate-verdict", verdict.Reason, json), AuditChainTests.Key);
        var back = JsonSerializer.Deserialize(record.EvidenceJson, CoreJsonContext.Default.GateVerdict)!;

        Assert.Contains("\"outcome\":\"Fail\"", json);
        Assert.Equal(verdict.Outcome, back.Outcome);
        Assert.Equal(verdict.Objectives[0].PValue, back.Objectives[0].PValue);
        Assert.Equal(verdict.Objectives[0].Window, back.Objectives[0].Window);
        Assert.Equal(verdict.Objectives[0].Reason, back.Objectives[0].Reason);
        Assert.True(AuditChain.Verify([record], AuditChainTests.Key).IsIntact);
    }

    [Fact]
    public void An_approval_state_with_refused_commands_round_trips()
    {
        var at = new DateTimeOffset(2026, 11, 23, 9, 0, 0, TimeSpan.Zero);
        var state = ApprovalEvaluator.Evaluate(new ApprovalRequirement(1, ["bob"], [], "production"), "alice",
            [new ReleaseCommand(ReleaseCommandKind.Approve, "mallory", "github-comment", at)], new Dictionary<string, IReadOnlySet<string>>(), at, at);

        var back = JsonSerializer.Deserialize(JsonSerializer.Serialize(state, CoreJsonContext.Default.ApprovalState), CoreJsonContext.Default.ApprovalState)!;

        Assert.Equal(ApprovalStatus.Pending, back.Status);
        Assert.Equal("mallory", back.Refused[0].Command.Actor);
        Assert.Equal(state.Refused[0].Reason, back.Refused[0].Reason);
    }
}

public class AuditEntriesTests
{
    [Fact]
    public void A_release_history_is_recorded_as_a_verifiable_chain()
    {
        var t0 = new DateTimeOffset(2026, 11, 23, 9, 0, 0, TimeSpan.Zero);
        var id = new ReleaseId("contoso/shop", 7, new string('b', 40));
        var release = Release.Create(id, t0).Start("production", AuditEntries.Workflow, t0.AddMinutes(1));
        var rolledBack = release.BeginRollback("gate", t0.AddMinutes(20), "error_rate 2.4% > 1%");
        var freeze = new FreezeCalendar([], []).Check(t0, []);
        var budget = ErrorBudgetGate.Decide(new ErrorBudgetPolicy(99.9, TimeSpan.FromDays(28), "p", "g", "t", []), 999_900, 1_000_000, []);

        var entries = new[]
        {
            AuditEntries.Freeze(id.InstanceId, t0, freeze),
            AuditEntries.ErrorBudget(id.InstanceId, t0, budget),
            AuditEntries.Transition(id.InstanceId, release.LastTransition!),
            AuditEntries.Transition(id.InstanceId, rolledBack.LastTransition!),
        };
        var trail = new List<AuditRecord>();
        foreach (var entry in entries)
        {
            trail.Add(AuditChain.Append(trail.LastOrDefault(), entry, AuditChainTests.Key));
        }

        Assert.True(AuditChain.Verify(trail, AuditChainTests.Key).IsIntact);
        Assert.Equal([AuditKinds.Freeze, AuditKinds.ErrorBudget, AuditKinds.Transition, AuditKinds.Transition], trail.Select(r => r.Kind));
        Assert.Equal("Running → RollingBack (BeginRollback): error_rate 2.4% > 1%", trail[3].Reason);
        Assert.Equal("gate", trail[3].Actor);
        Assert.Contains("\"move\":\"BeginRollback\"", trail[3].EvidenceJson);
        Assert.StartsWith("Proceed: 90% of the error budget remains", trail[1].Reason);
    }
}
