using ReleaseFunctions.Core.Approvals;
using ReleaseFunctions.Core.Releases;

namespace ReleaseFunctions.Core.Tests.Approvals;

public class ApprovalEvaluatorTests
{
    private static readonly DateTimeOffset Asked = new(2026, 11, 23, 9, 0, 0, TimeSpan.Zero);
    private static readonly Dictionary<string, IReadOnlySet<string>> NoTeams = new();

    private static ReleaseCommand Cmd(ReleaseCommandKind kind, string actor, int minutesAfter, string? comment = null) =>
        new(kind, actor, "github-comment", Asked.AddMinutes(minutesAfter), comment);

    private static ApprovalRequirement Requirement(int quorum = 1, string[]? users = null, string[]? teams = null, TimeSpan? timeout = null,
        ApprovalTimeoutAction onTimeout = ApprovalTimeoutAction.Reject, bool allowSelf = false) =>
        new(quorum, users ?? ["bob"], teams ?? ["org/sre"], "production", 1, timeout, onTimeout, allowSelf);

    [Fact]
    public void Quorum_of_distinct_allowed_people_grants()
    {
        var state = ApprovalEvaluator.Evaluate(Requirement(quorum: 2, users: ["bob", "carol"]), "alice",
            [Cmd(ReleaseCommandKind.Approve, "bob", 1), Cmd(ReleaseCommandKind.Approve, "carol", 2)], NoTeams, Asked, Asked.AddMinutes(3));

        Assert.Equal(ApprovalStatus.Granted, state.Status);
        Assert.Equal(["bob", "carol"], state.ApprovedBy);
        Assert.Equal(0, state.StillNeeded);
        Assert.Equal("approved by bob, carol (2 of 2)", state.Reason);
    }

    [Fact]
    public void Below_quorum_is_pending_and_says_who_is_still_needed()
    {
        var state = ApprovalEvaluator.Evaluate(Requirement(quorum: 2), "alice", [Cmd(ReleaseCommandKind.Approve, "bob", 1)], NoTeams, Asked, Asked.AddMinutes(3));

        Assert.Equal(ApprovalStatus.Pending, state.Status);
        Assert.Equal(1, state.StillNeeded);
        Assert.Equal("waiting for 1 more approval(s) from users [bob], teams [org/sre]; approved so far by bob", state.Reason);
    }

    [Fact]
    public void Unauthorised_people_are_refused_with_who_is_allowed()
    {
        var state = ApprovalEvaluator.Evaluate(Requirement(), "dave", [Cmd(ReleaseCommandKind.Approve, "alice", 1)], NoTeams, Asked, Asked.AddMinutes(3));

        Assert.Equal(ApprovalStatus.Pending, state.Status);
        var refused = Assert.Single(state.Refused);
        Assert.Equal("alice is not an allowed approver (allowed: users [bob], teams [org/sre])", refused.Reason);
    }

    [Fact]
    public void Team_members_count_case_insensitively()
    {
        var teams = new Dictionary<string, IReadOnlySet<string>> { ["Erin"] = new HashSet<string> { "ORG/SRE" } };

        var state = ApprovalEvaluator.Evaluate(Requirement(), "alice", [Cmd(ReleaseCommandKind.Approve, "erin", 1)], teams, Asked, Asked.AddMinutes(3));

        Assert.Equal(ApprovalStatus.Granted, state.Status);
    }

    [Fact]
    public void Members_of_other_teams_are_refused()
    {
        var teams = new Dictionary<string, IReadOnlySet<string>> { ["erin"] = new HashSet<string> { "org/frontend" } };

        var state = ApprovalEvaluator.Evaluate(Requirement(), "alice", [Cmd(ReleaseCommandKind.Approve, "erin", 1)], teams, Asked, Asked.AddMinutes(3));

        Assert.Equal(ApprovalStatus.Pending, state.Status);
        Assert.Single(state.Refused);
    }

    [Fact]
    public void The_author_cannot_approve_their_own_release_by_default()
    {
        var state = ApprovalEvaluator.Evaluate(Requirement(users: ["alice", "bob"]), "Alice", [Cmd(ReleaseCommandKind.Approve, "alice", 1)], NoTeams, Asked, Asked.AddMinutes(3));

        Assert.Equal(ApprovalStatus.Pending, state.Status);
        Assert.Equal("self-approval is not allowed by this policy", Assert.Single(state.Refused).Reason);
    }

    [Fact]
    public void Self_approval_counts_when_the_policy_allows_it()
    {
        var state = ApprovalEvaluator.Evaluate(Requirement(users: ["alice"], allowSelf: true), "alice", [Cmd(ReleaseCommandKind.Approve, "alice", 1)], NoTeams, Asked, Asked.AddMinutes(3));

        Assert.Equal(ApprovalStatus.Granted, state.Status);
    }

    [Fact]
    public void One_person_counts_once()
    {
        var state = ApprovalEvaluator.Evaluate(Requirement(quorum: 2, users: ["bob", "carol"]), "alice",
            [Cmd(ReleaseCommandKind.Approve, "bob", 1), Cmd(ReleaseCommandKind.Approve, "BOB", 2)], NoTeams, Asked, Asked.AddMinutes(3));

        Assert.Equal(ApprovalStatus.Pending, state.Status);
        Assert.Equal("BOB has already approved; one person counts once", Assert.Single(state.Refused).Reason);
    }

    [Fact]
    public void A_reject_from_an_allowed_approver_rejects()
    {
        var state = ApprovalEvaluator.Evaluate(Requirement(quorum: 2, users: ["bob", "carol"]), "alice",
            [Cmd(ReleaseCommandKind.Approve, "bob", 1), Cmd(ReleaseCommandKind.Reject, "carol", 2, "error rate looks off"), Cmd(ReleaseCommandKind.Approve, "carol", 3)],
            NoTeams, Asked, Asked.AddMinutes(5));

        Assert.Equal(ApprovalStatus.Rejected, state.Status);
        Assert.Equal("carol", state.RejectedBy);
        Assert.Equal("rejected by carol: error rate looks off", state.Reason);
    }

    [Fact]
    public void A_reject_from_an_outsider_does_not_reject()
    {
        var state = ApprovalEvaluator.Evaluate(Requirement(), "alice", [Cmd(ReleaseCommandKind.Reject, "mallory", 1)], NoTeams, Asked, Asked.AddMinutes(3));

        Assert.Equal(ApprovalStatus.Pending, state.Status);
        Assert.Contains("mallory is not an allowed approver", Assert.Single(state.Refused).Reason);
    }

    [Fact]
    public void Commands_are_taken_in_the_order_issued_and_other_commands_are_skipped()
    {
        var state = ApprovalEvaluator.Evaluate(Requirement(), "alice",
            [Cmd(ReleaseCommandKind.Reject, "bob", 10), Cmd(ReleaseCommandKind.Status, "bob", 0), Cmd(ReleaseCommandKind.Approve, "bob", 5)], NoTeams, Asked, Asked.AddMinutes(11));

        Assert.Equal(ApprovalStatus.Granted, state.Status);
        Assert.Empty(state.Refused);
    }

    [Fact]
    public void Timeout_rejects_by_default_and_late_approvals_do_not_count()
    {
        var state = ApprovalEvaluator.Evaluate(Requirement(timeout: TimeSpan.FromHours(4)), "alice",
            [Cmd(ReleaseCommandKind.Approve, "bob", 240)], NoTeams, Asked, Asked.AddHours(5));

        Assert.Equal(ApprovalStatus.Rejected, state.Status);
        Assert.True(state.TimedOut);
        Assert.Contains("treats the timeout as a rejection", state.Reason);
        Assert.Contains("timed out", Assert.Single(state.Refused).Reason);
    }

    [Fact]
    public void Before_the_timeout_it_is_pending_with_the_deadline()
    {
        var state = ApprovalEvaluator.Evaluate(Requirement(timeout: TimeSpan.FromHours(4)), "alice", [], NoTeams, Asked, Asked.AddHours(4).AddTicks(-1));

        Assert.Equal(ApprovalStatus.Pending, state.Status);
        Assert.False(state.TimedOut);
        Assert.EndsWith("until 2026-11-23T13:00:00.0000000+00:00", state.Reason);
    }

    [Fact]
    public void Timeout_can_proceed_or_keep_waiting()
    {
        var proceed = ApprovalEvaluator.Evaluate(Requirement(timeout: TimeSpan.FromHours(1), onTimeout: ApprovalTimeoutAction.Proceed), "alice", [], NoTeams, Asked, Asked.AddHours(1));
        var wait = ApprovalEvaluator.Evaluate(Requirement(timeout: TimeSpan.FromHours(1), onTimeout: ApprovalTimeoutAction.Wait), "alice", [], NoTeams, Asked, Asked.AddHours(2));
        var lateButWaiting = ApprovalEvaluator.Evaluate(Requirement(timeout: TimeSpan.FromHours(1), onTimeout: ApprovalTimeoutAction.Wait), "alice",
            [Cmd(ReleaseCommandKind.Approve, "bob", 90)], NoTeams, Asked, Asked.AddHours(2));

        Assert.Equal(ApprovalStatus.Granted, proceed.Status);
        Assert.True(proceed.TimedOut);
        Assert.Equal(ApprovalStatus.Pending, wait.Status);
        Assert.True(wait.TimedOut);
        Assert.Equal(ApprovalStatus.Granted, lateButWaiting.Status);
    }

    [Fact]
    public void Requirements_that_can_never_be_met_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new ApprovalRequirement(3, ["bob"], [], "production"));
        Assert.Throws<ArgumentException>(() => new ApprovalRequirement(1, [], [], "production"));
        var badTeam = Assert.Throws<ArgumentException>(() => new ApprovalRequirement(1, [], ["sre"], "production"));
        Assert.Contains("'org/team-slug'", badTeam.Message);
    }
}
