namespace ReleaseFunctions.Core.Releases;

/// <summary>Where a release is in its life. The last five are final.</summary>
public enum ReleaseStatus
{
    /// <summary>Created, not yet deploying (e.g. waiting out a freeze window or the error-budget gate).</summary>
    Pending,
    /// <summary>Deploying, soaking or being judged.</summary>
    Running,
    /// <summary>Waiting for people to approve the next stage or step.</summary>
    WaitingForApproval,
    /// <summary>Held by a person; resumes where it was.</summary>
    Paused,
    /// <summary>A gate was inconclusive and the policy leaves the decision to a person.</summary>
    AwaitingDecision,
    /// <summary>Traffic is going back to the stable version.</summary>
    RollingBack,
    Promoted,
    RolledBack,
    /// <summary>Could not complete, with no traffic left on the candidate (it never moved, or was verified back on the stable version).</summary>
    Failed,
    /// <summary>Stopped by a person; any traffic that had moved was verified back on the stable version.</summary>
    Aborted,
    /// <summary>
    /// Moving traffic back to the stable version kept failing, or was not read back at 0%: the candidate may still take
    /// traffic. People were alerted; the trail has the last weight read and what failed.
    /// </summary>
    RollbackFailed,
}

/// <summary>The moves of the release state machine.</summary>
public enum ReleaseMove
{
    Start,
    AdvanceStep,
    RequestApproval,
    GrantApproval,
    Pause,
    Resume,
    AwaitDecision,
    Proceed,
    Promote,
    BeginRollback,
    CompleteRollback,
    /// <summary>Traffic could not be moved back (or not verified back) after every retry.</summary>
    FailRollback,
    Fail,
    Abort,
}

/// <summary>A move refused because the release is in a state that does not allow it.</summary>
public sealed class ReleaseTransitionException : InvalidOperationException
{
    public ReleaseTransitionException(ReleaseId release, ReleaseStatus state, ReleaseMove move, IReadOnlySet<ReleaseStatus> allowedFrom)
        : base($"Release {release} cannot {move} while {state}; {move} is allowed from: {string.Join(", ", allowedFrom.Order())}.")
    {
        State = state;
        Move = move;
    }

    public ReleaseStatus State { get; }
    public ReleaseMove Move { get; }
}

/// <summary>One applied move: from where to where, by whom (a login, or "release-workflow"), when, and why.</summary>
public sealed record ReleaseTransition(ReleaseStatus From, ReleaseStatus To, ReleaseMove Move, DateTimeOffset At, string Actor, string Reason);

/// <summary>
/// A release's state. Immutable: every move checks the current state, returns the next state, and records the
/// transition in <see cref="LastTransition"/>; an illegal move throws <see cref="ReleaseTransitionException"/>.
/// </summary>
public sealed record Release
{
    private static readonly IReadOnlySet<ReleaseStatus> Active = new HashSet<ReleaseStatus>
    {
        ReleaseStatus.Pending, ReleaseStatus.Running, ReleaseStatus.WaitingForApproval, ReleaseStatus.Paused, ReleaseStatus.AwaitingDecision, ReleaseStatus.RollingBack,
    };

    private static readonly IReadOnlyDictionary<ReleaseMove, IReadOnlySet<ReleaseStatus>> AllowedFromTable = new Dictionary<ReleaseMove, IReadOnlySet<ReleaseStatus>>
    {
        [ReleaseMove.Start] = Set(ReleaseStatus.Pending),
        [ReleaseMove.AdvanceStep] = Set(ReleaseStatus.Running),
        [ReleaseMove.RequestApproval] = Set(ReleaseStatus.Running),
        [ReleaseMove.GrantApproval] = Set(ReleaseStatus.WaitingForApproval),
        [ReleaseMove.Pause] = Set(ReleaseStatus.Running, ReleaseStatus.WaitingForApproval, ReleaseStatus.AwaitingDecision),
        [ReleaseMove.Resume] = Set(ReleaseStatus.Paused),
        [ReleaseMove.AwaitDecision] = Set(ReleaseStatus.Running),
        [ReleaseMove.Proceed] = Set(ReleaseStatus.AwaitingDecision),
        [ReleaseMove.Promote] = Set(ReleaseStatus.Running, ReleaseStatus.AwaitingDecision),
        [ReleaseMove.BeginRollback] = Set(ReleaseStatus.Running, ReleaseStatus.WaitingForApproval, ReleaseStatus.Paused, ReleaseStatus.AwaitingDecision),
        [ReleaseMove.CompleteRollback] = Set(ReleaseStatus.RollingBack),
        [ReleaseMove.FailRollback] = Set(ReleaseStatus.RollingBack),
        // A rollback under way ends rolled back or rollback-failed, never plain failed: traffic may still be on the candidate.
        [ReleaseMove.Fail] = Set(ReleaseStatus.Pending, ReleaseStatus.Running, ReleaseStatus.WaitingForApproval, ReleaseStatus.Paused, ReleaseStatus.AwaitingDecision),
        // A rollback in progress is not abandoned half-way: it completes or fails.
        [ReleaseMove.Abort] = Set(ReleaseStatus.Pending, ReleaseStatus.Running, ReleaseStatus.WaitingForApproval, ReleaseStatus.Paused, ReleaseStatus.AwaitingDecision),
    };

    private Release(ReleaseId id, ReleaseStatus status, string? stage, int step, ReleaseStatus? pausedFrom, DateTimeOffset updatedAt, ReleaseTransition? lastTransition)
    {
        Id = id;
        Status = status;
        Stage = stage;
        Step = step;
        PausedFrom = pausedFrom;
        UpdatedAt = updatedAt;
        LastTransition = lastTransition;
    }

    public ReleaseId Id { get; }
    public ReleaseStatus Status { get; }

    /// <summary>The stage being rolled out, or null before the start.</summary>
    public string? Stage { get; }

    /// <summary>The step within the stage, from 1; 0 before the first step.</summary>
    public int Step { get; }

    /// <summary>The state a pause will resume to; null unless <see cref="ReleaseStatus.Paused"/>.</summary>
    public ReleaseStatus? PausedFrom { get; }

    public DateTimeOffset UpdatedAt { get; }
    public ReleaseTransition? LastTransition { get; }

    public bool IsFinal => !Active.Contains(Status);

    public static Release Create(ReleaseId id, DateTimeOffset createdAt) =>
        new(id ?? throw new ArgumentNullException(nameof(id)), ReleaseStatus.Pending, null, 0, null, createdAt.ToUniversalTime(), null);

    /// <summary>The states a move is allowed from.</summary>
    public static IReadOnlySet<ReleaseStatus> AllowedFrom(ReleaseMove move) =>
        AllowedFromTable.TryGetValue(move, out var states) ? states : throw new ArgumentOutOfRangeException(nameof(move), move, "Unknown move.");

    public bool Allows(ReleaseMove move) => AllowedFrom(move).Contains(Status);

    /// <summary>
    /// The move a person's command asks for in the current state, or null for commands that are not moves
    /// (<c>/approve</c> and <c>/reject</c> go through the approval evaluator; <c>/status</c> changes nothing).
    /// <c>/resume</c> continues a paused release, or one awaiting a decision after an inconclusive gate.
    /// </summary>
    public ReleaseMove? MoveFor(ReleaseCommandKind command) => command switch
    {
        ReleaseCommandKind.Promote => ReleaseMove.Promote,
        ReleaseCommandKind.Pause => ReleaseMove.Pause,
        ReleaseCommandKind.Resume => Status == ReleaseStatus.AwaitingDecision ? ReleaseMove.Proceed : ReleaseMove.Resume,
        ReleaseCommandKind.Rollback => ReleaseMove.BeginRollback,
        ReleaseCommandKind.Abort => ReleaseMove.Abort,
        _ => null,
    };

    /// <summary>Begins the rollout with the first stage.</summary>
    public Release Start(string firstStage, string actor, DateTimeOffset at)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(firstStage);
        return Apply(ReleaseMove.Start, ReleaseStatus.Running, actor, at, $"starting stage {firstStage}", firstStage, 0);
    }

    /// <summary>Moves to a step (from 1) of a stage: the next step, or step 1 of the next stage.</summary>
    public Release AdvanceTo(string stage, int step, string actor, DateTimeOffset at, string reason)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(stage);
        ArgumentOutOfRangeException.ThrowIfLessThan(step, 1);
        return Apply(ReleaseMove.AdvanceStep, ReleaseStatus.Running, actor, at, reason, stage, step);
    }

    public Release RequestApproval(string actor, DateTimeOffset at, string reason) => Apply(ReleaseMove.RequestApproval, ReleaseStatus.WaitingForApproval, actor, at, reason);

    public Release GrantApproval(string actor, DateTimeOffset at, string reason) => Apply(ReleaseMove.GrantApproval, ReleaseStatus.Running, actor, at, reason);

    public Release Pause(string actor, DateTimeOffset at, string reason) => Apply(ReleaseMove.Pause, ReleaseStatus.Paused, actor, at, reason, pausedFrom: Status);

    public Release Resume(string actor, DateTimeOffset at, string reason) =>
        Apply(ReleaseMove.Resume, PausedFrom ?? ReleaseStatus.Running, actor, at, reason);

    /// <summary>An inconclusive gate leaves the decision to a person.</summary>
    public Release AwaitDecision(string actor, DateTimeOffset at, string reason) => Apply(ReleaseMove.AwaitDecision, ReleaseStatus.AwaitingDecision, actor, at, reason);

    /// <summary>A person decided to continue after an inconclusive gate.</summary>
    public Release Proceed(string actor, DateTimeOffset at, string reason) => Apply(ReleaseMove.Proceed, ReleaseStatus.Running, actor, at, reason);

    public Release Promote(string actor, DateTimeOffset at, string reason) => Apply(ReleaseMove.Promote, ReleaseStatus.Promoted, actor, at, reason);

    public Release BeginRollback(string actor, DateTimeOffset at, string reason) => Apply(ReleaseMove.BeginRollback, ReleaseStatus.RollingBack, actor, at, reason);

    /// <summary>The rollback was applied and verified.</summary>
    public Release CompleteRollback(string actor, DateTimeOffset at, string reason) => Apply(ReleaseMove.CompleteRollback, ReleaseStatus.RolledBack, actor, at, reason);

    /// <summary>The rollback could not be applied, or not verified: the candidate may still take traffic.</summary>
    public Release FailRollback(string actor, DateTimeOffset at, string reason) => Apply(ReleaseMove.FailRollback, ReleaseStatus.RollbackFailed, actor, at, reason);

    public Release Fail(string actor, DateTimeOffset at, string reason) => Apply(ReleaseMove.Fail, ReleaseStatus.Failed, actor, at, reason);

    public Release Abort(string actor, DateTimeOffset at, string reason) => Apply(ReleaseMove.Abort, ReleaseStatus.Aborted, actor, at, reason);

    private Release Apply(ReleaseMove move, ReleaseStatus to, string actor, DateTimeOffset at, string reason, string? stage = null, int? step = null, ReleaseStatus? pausedFrom = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(actor);
        ArgumentException.ThrowIfNullOrWhiteSpace(reason);
        var allowed = AllowedFrom(move);
        if (!allowed.Contains(Status))
        {
            throw new ReleaseTransitionException(Id, Status, move, allowed);
        }

        if (at < UpdatedAt)
        {
            throw new ArgumentOutOfRangeException(nameof(at), at, $"A move cannot happen before the release's last change at {UpdatedAt:O}.");
        }

        var utc = at.ToUniversalTime();
        return new Release(Id, to, stage ?? Stage, step ?? Step, pausedFrom, utc, new ReleaseTransition(Status, to, move, utc, actor, reason));
    }

    private static HashSet<ReleaseStatus> Set(params ReleaseStatus[] states) => [.. states];
}
