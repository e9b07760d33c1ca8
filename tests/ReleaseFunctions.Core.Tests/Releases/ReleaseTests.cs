using ReleaseFunctions.Core.Releases;

namespace ReleaseFunctions.Core.Tests.Releases;

public class ReleaseTests
{
    private static readonly ReleaseId Id = new("contoso/shop", 42, new string('a', 40));
    private static readonly DateTimeOffset T0 = new(2026, 11, 23, 10, 0, 0, TimeSpan.Zero);
    private const string Workflow = "release-workflow";

    private static Release In(ReleaseStatus status)
    {
        var pending = Release.Create(Id, T0);
        var running = pending.Start("staging", Workflow, T0.AddMinutes(1));
        return status switch
        {
            ReleaseStatus.Pending => pending,
            ReleaseStatus.Running => running,
            ReleaseStatus.WaitingForApproval => running.RequestApproval(Workflow, T0.AddMinutes(2), "approval before production"),
            ReleaseStatus.Paused => running.Pause("alice", T0.AddMinutes(2), "/pause"),
            ReleaseStatus.AwaitingDecision => running.AwaitDecision(Workflow, T0.AddMinutes(2), "gate inconclusive"),
            ReleaseStatus.RollingBack => running.BeginRollback(Workflow, T0.AddMinutes(2), "gate failed"),
            ReleaseStatus.Promoted => running.Promote(Workflow, T0.AddMinutes(2), "all stages passed"),
            ReleaseStatus.RolledBack => running.BeginRollback(Workflow, T0.AddMinutes(2), "gate failed").CompleteRollback(Workflow, T0.AddMinutes(3), "verified"),
            ReleaseStatus.Failed => running.Fail(Workflow, T0.AddMinutes(2), "target unavailable"),
            ReleaseStatus.RollbackFailed => running.BeginRollback(Workflow, T0.AddMinutes(2), "gate failed").FailRollback(Workflow, T0.AddMinutes(3), "still at 25%"),
            _ => running.Abort("alice", T0.AddMinutes(2), "/abort"),
        };
    }

    private static Release ApplyMove(Release release, ReleaseMove move)
    {
        var at = release.UpdatedAt.AddMinutes(1);
        return move switch
        {
            ReleaseMove.Start => release.Start("staging", Workflow, at),
            ReleaseMove.AdvanceStep => release.AdvanceTo("staging", 1, Workflow, at, "next step"),
            ReleaseMove.RequestApproval => release.RequestApproval(Workflow, at, "approval"),
            ReleaseMove.GrantApproval => release.GrantApproval("bob", at, "approved"),
            ReleaseMove.Pause => release.Pause("bob", at, "/pause"),
            ReleaseMove.Resume => release.Resume("bob", at, "/resume"),
            ReleaseMove.AwaitDecision => release.AwaitDecision(Workflow, at, "inconclusive"),
            ReleaseMove.Proceed => release.Proceed("bob", at, "/resume"),
            ReleaseMove.Promote => release.Promote("bob", at, "/promote"),
            ReleaseMove.BeginRollback => release.BeginRollback("bob", at, "/rollback"),
            ReleaseMove.CompleteRollback => release.CompleteRollback(Workflow, at, "verified"),
            ReleaseMove.Fail => release.Fail(Workflow, at, "error"),
            ReleaseMove.FailRollback => release.FailRollback(Workflow, at, "still at 25%"),
            _ => release.Abort("bob", at, "/abort"),
        };
    }

    [Fact]
    public void A_canary_runs_through_approval_and_promotes()
    {
        var release = Release.Create(Id, T0)
            .Start("staging", Workflow, T0.AddMinutes(1))
            .AdvanceTo("staging", 1, Workflow, T0.AddMinutes(2), "step 1: 10%")
            .RequestApproval(Workflow, T0.AddMinutes(20), "approval before production")
            .GrantApproval("bob", T0.AddMinutes(30), "approved by bob")
            .AdvanceTo("production", 1, Workflow, T0.AddMinutes(31), "step 1: 5%")
            .Promote(Workflow, T0.AddMinutes(90), "all gates passed");

        Assert.Equal(ReleaseStatus.Promoted, release.Status);
        Assert.True(release.IsFinal);
        Assert.Equal(("production", 1), (release.Stage, release.Step));
        Assert.Equal(new ReleaseTransition(ReleaseStatus.Running, ReleaseStatus.Promoted, ReleaseMove.Promote, T0.AddMinutes(90), Workflow, "all gates passed"), release.LastTransition);
    }

    [Fact]
    public void Pause_resumes_to_where_it_was()
    {
        var waiting = In(ReleaseStatus.WaitingForApproval);

        var paused = waiting.Pause("alice", T0.AddMinutes(5), "/pause");
        var resumed = paused.Resume("alice", T0.AddMinutes(6), "/resume");

        Assert.Equal(ReleaseStatus.WaitingForApproval, paused.PausedFrom);
        Assert.Equal(ReleaseStatus.WaitingForApproval, resumed.Status);
        Assert.Null(resumed.PausedFrom);
    }

    [Fact]
    public void An_inconclusive_gate_waits_for_a_person_then_continues_or_rolls_back()
    {
        var awaiting = In(ReleaseStatus.AwaitingDecision);

        Assert.Equal(ReleaseStatus.Running, awaiting.Proceed("bob", T0.AddMinutes(5), "/resume").Status);
        Assert.Equal(ReleaseStatus.Promoted, awaiting.Promote("bob", T0.AddMinutes(5), "/promote").Status);
        Assert.Equal(ReleaseStatus.RolledBack, awaiting.BeginRollback("bob", T0.AddMinutes(5), "/rollback").CompleteRollback(Workflow, T0.AddMinutes(6), "verified").Status);
    }

    [Fact]
    public void A_rollback_that_cannot_be_verified_is_rollback_failed_never_plain_failed()
    {
        var rollingBack = In(ReleaseStatus.RollingBack);
        var failed = rollingBack.FailRollback(Workflow, T0.AddMinutes(10), "traffic still at 25% after rollback");

        Assert.Equal(ReleaseStatus.RollbackFailed, failed.Status);
        Assert.True(failed.IsFinal);
        Assert.Equal(ReleaseStatus.RollingBack, failed.LastTransition!.From);
        Assert.Throws<ReleaseTransitionException>(() => rollingBack.Fail(Workflow, T0.AddMinutes(10), "traffic still at 25% after rollback"));
    }

    public static TheoryData<ReleaseStatus, ReleaseMove> AllStatesAndMoves()
    {
        var data = new TheoryData<ReleaseStatus, ReleaseMove>();
        foreach (var status in Enum.GetValues<ReleaseStatus>())
        {
            foreach (var move in Enum.GetValues<ReleaseMove>())
            {
                data.Add(status, move);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(AllStatesAndMoves))]
    public void Every_move_is_applied_exactly_where_the_table_allows_it(ReleaseStatus status, ReleaseMove move)
    {
        var release = In(status);
        Assert.Equal(status, release.Status);

        if (release.Allows(move))
        {
            var next = ApplyMove(release, move);
            Assert.Equal(move, next.LastTransition!.Move);
            Assert.Equal(status, next.LastTransition.From);
        }
        else
        {
            var error = Assert.Throws<ReleaseTransitionException>(() => ApplyMove(release, move));
            Assert.IsAssignableFrom<InvalidOperationException>(error);
            Assert.Equal((status, move), (error.State, error.Move));
            Assert.Contains($"cannot {move} while {status}", error.Message);
        }
    }

    [Theory]
    [InlineData(ReleaseStatus.Promoted)]
    [InlineData(ReleaseStatus.RolledBack)]
    [InlineData(ReleaseStatus.Failed)]
    [InlineData(ReleaseStatus.Aborted)]
    [InlineData(ReleaseStatus.RollbackFailed)]
    public void Final_states_allow_no_move(ReleaseStatus status)
    {
        var release = In(status);

        Assert.True(release.IsFinal);
        Assert.DoesNotContain(Enum.GetValues<ReleaseMove>(), release.Allows);
    }

    [Fact]
    public void Illegal_moves_name_the_state_the_move_and_what_is_allowed()
    {
        var error = Assert.Throws<ReleaseTransitionException>(() => In(ReleaseStatus.RolledBack).Promote("bob", T0.AddHours(1), "/promote"));

        Assert.Equal("Release contoso/shop#42@aaaaaaaaaaaa cannot Promote while RolledBack; Promote is allowed from: Running, AwaitingDecision.", error.Message);
    }

    [Fact]
    public void A_rollback_in_progress_cannot_be_aborted()
    {
        Assert.Throws<ReleaseTransitionException>(() => In(ReleaseStatus.RollingBack).Abort("bob", T0.AddHours(1), "/abort"));
    }

    [Theory]
    [InlineData(ReleaseStatus.Running, ReleaseCommandKind.Promote, ReleaseMove.Promote)]
    [InlineData(ReleaseStatus.Running, ReleaseCommandKind.Pause, ReleaseMove.Pause)]
    [InlineData(ReleaseStatus.Paused, ReleaseCommandKind.Resume, ReleaseMove.Resume)]
    [InlineData(ReleaseStatus.AwaitingDecision, ReleaseCommandKind.Resume, ReleaseMove.Proceed)]
    [InlineData(ReleaseStatus.WaitingForApproval, ReleaseCommandKind.Rollback, ReleaseMove.BeginRollback)]
    [InlineData(ReleaseStatus.Pending, ReleaseCommandKind.Abort, ReleaseMove.Abort)]
    [InlineData(ReleaseStatus.Running, ReleaseCommandKind.Approve, null)]
    [InlineData(ReleaseStatus.Running, ReleaseCommandKind.Reject, null)]
    [InlineData(ReleaseStatus.Running, ReleaseCommandKind.Status, null)]
    public void Commands_map_to_moves(ReleaseStatus status, ReleaseCommandKind command, ReleaseMove? expected)
    {
        Assert.Equal(expected, In(status).MoveFor(command));
    }

    [Fact]
    public void Moves_cannot_go_back_in_time()
    {
        var running = In(ReleaseStatus.Running);

        Assert.Throws<ArgumentOutOfRangeException>(() => running.Promote(Workflow, T0, "too early"));
    }
}
