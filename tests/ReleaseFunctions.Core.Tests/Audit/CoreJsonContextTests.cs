using System.Text.Json;
using ReleaseFunctions.Core.Approvals;
using ReleaseFunctions.Core.Audit;
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
        var record = AuditChain.Append(null, new AuditEntry("release-x", GateTestData.Window.End, "gate", "gate-verdict", verdict.Reason, json));
        var back = JsonSerializer.Deserialize(record.EvidenceJson, CoreJsonContext.Default.GateVerdict)!;

        Assert.Contains("\"outcome\":\"Fail\"", json);
        Assert.Equal(verdict.Outcome, back.Outcome);
        Assert.Equal(verdict.Objectives[0].PValue, back.Objectives[0].PValue);
        Assert.Equal(verdict.Objectives[0].Window, back.Objectives[0].Window);
        Assert.Equal(verdict.Objectives[0].Reason, back.Objectives[0].Reason);
        Assert.True(AuditChain.Verify([record]).IsIntact);
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
