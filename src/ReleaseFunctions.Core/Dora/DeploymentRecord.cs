namespace ReleaseFunctions.Core.Dora;

/// <summary>How a release ended.</summary>
public enum DeploymentOutcome
{
    Promoted,
    RolledBack,
    /// <summary>Failed in production, including a rollback that could not be verified.</summary>
    Failed,
    /// <summary>Stopped by a person; not counted as a deployment.</summary>
    Aborted,
}

/// <summary>
/// What DORA metrics need from one release. <see cref="FirstCommitAt"/> is the oldest commit of the change when
/// known (lead time then starts there, else at <see cref="MergedAt"/>). <see cref="RestoredAt"/> is when service was
/// restored after a failed change (the verified rollback or the fix), for rolled-back or failed releases.
/// </summary>
public sealed record DeploymentRecord
{
    public DeploymentRecord(
        string repository,
        DateTimeOffset mergedAt,
        DateTimeOffset startedAt,
        DateTimeOffset? completedAt,
        DeploymentOutcome outcome,
        DateTimeOffset? firstCommitAt = null,
        DateTimeOffset? restoredAt = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(repository);
        if (firstCommitAt > mergedAt)
        {
            throw new ArgumentException($"{repository}: the first commit ({firstCommitAt:O}) cannot come after the merge ({mergedAt:O}).", nameof(firstCommitAt));
        }

        if (startedAt < mergedAt)
        {
            throw new ArgumentException($"{repository}: a release cannot start ({startedAt:O}) before its merge ({mergedAt:O}).", nameof(startedAt));
        }

        if (completedAt < startedAt)
        {
            throw new ArgumentException($"{repository}: a release cannot complete ({completedAt:O}) before it starts ({startedAt:O}).", nameof(completedAt));
        }

        if (restoredAt is not null && outcome is DeploymentOutcome.Promoted or DeploymentOutcome.Aborted)
        {
            throw new ArgumentException($"{repository}: only a rolled-back or failed release has a restore time; this one was {outcome}.", nameof(restoredAt));
        }

        if (restoredAt < startedAt)
        {
            throw new ArgumentException($"{repository}: service cannot be restored ({restoredAt:O}) before the release started ({startedAt:O}).", nameof(restoredAt));
        }

        Repository = repository;
        MergedAt = mergedAt;
        StartedAt = startedAt;
        CompletedAt = completedAt;
        Outcome = outcome;
        FirstCommitAt = firstCommitAt;
        RestoredAt = restoredAt;
    }

    public string Repository { get; }
    public DateTimeOffset MergedAt { get; }
    public DateTimeOffset StartedAt { get; }

    /// <summary>When the release reached its final state; null while it runs.</summary>
    public DateTimeOffset? CompletedAt { get; }

    public DeploymentOutcome Outcome { get; }
    public DateTimeOffset? FirstCommitAt { get; }
    public DateTimeOffset? RestoredAt { get; }

    public bool IsFailedChange => Outcome is DeploymentOutcome.RolledBack or DeploymentOutcome.Failed;
}
