using Microsoft.DurableTask;
using ReleaseFunctions.Core.Releases;

namespace ReleaseFunctions.Releases;

/// <summary>
/// How a release ends: promoted, rolled back (traffic verified back on the stable version), aborted, failed (only
/// with no traffic moved: a failure with traffic moved rolls back first) or rollback-failed, with an alert.
/// </summary>
internal sealed class ReleaseEndings(ReleaseRun run, ReleaseTrail trail, ReleaseTraffic traffic)
{
    private const string Workflow = ReleaseRun.Workflow;

    public async Task<ReleaseOutcome> PromoteAsync()
    {
        var stages = run.Policy.Stages.Select(s => s.Name).ToArray();
        run.Release = run.Release.Promote(Workflow, run.Now, "every stage passed");
        run.MovedStages.Clear(); // promoted: the candidate is the stable version now
        run.Summary = $"promoted: {run.Request.Version} is live in {string.Join(", ", stages)}";
        await trail.RecordAsync("promoted", Workflow, run.Summary, new { stages, gates = run.Gates });
        await trail.PublishAsync("a post-release review runs after " + run.Policy.ReviewDelay);
        // The version, notes, tag and GitHub release the policy asks for: recorded, and never a change to the outcome.
        await ReleaseVersionStep.RecordAsync(run, trail);
        return new ReleaseOutcome(ReleaseStatus.Promoted, run.Summary);
    }

    public async Task<ReleaseOutcome> FinishInterruptedAsync(Interruption interruption)
    {
        switch (interruption.Kind)
        {
            case InterruptionKind.Rollback when run.MovedStages.Count > 0:
                return await RollBackAsync(interruption);
            case InterruptionKind.Abort:
                if (run.MovedStages.Count > 0)
                {
                    var undo = await traffic.ShiftEverythingBackAsync();
                    if (undo is not null)
                    {
                        run.Release = run.Release.BeginRollback(interruption.Actor, run.Now, $"{interruption.Reason}: moving traffic back");
                        return await RollbackFailedAsync(interruption, undo);
                    }
                }

                run.Release = run.Release.Abort(interruption.Actor, run.Now, interruption.Reason);
                run.Summary = interruption.Reason;
                await trail.RecordAsync("aborted", interruption.Actor, interruption.Reason, interruption.Evidence);
                await trail.PublishAsync("stopped");
                return new ReleaseOutcome(ReleaseStatus.Aborted, interruption.Reason);
            case InterruptionKind.Rollback:
                run.Release = run.Release.BeginRollback(interruption.Actor, run.Now, interruption.Reason)
                                         .CompleteRollback(Workflow, run.Now, "nothing was deployed yet");
                run.Summary = $"rolled back before any traffic moved: {interruption.Reason}";
                await trail.RecordAsync("rolled-back", interruption.Actor, run.Summary, interruption.Evidence);
                await trail.PublishAsync("stopped");
                return new ReleaseOutcome(ReleaseStatus.RolledBack, run.Summary);
            default:
                return await FailAsync(interruption.Reason, interruption.Evidence);
        }
    }

    /// <summary>Ends the release failed; when traffic had moved, it goes back first (failed never leaves it on the candidate).</summary>
    public async Task<ReleaseOutcome> FailAsync(string reason, object? evidence)
    {
        if (run.MovedStages.Count > 0)
        {
            return await RollBackAsync(Interruption.Rollback(Workflow, reason, evidence));
        }

        run.Release = run.Release.Fail(Workflow, run.Now, reason);
        run.Summary = $"failed: {reason}";
        await trail.RecordAsync("failed", Workflow, reason, evidence);
        await trail.PublishAsync("stopped; see the audit trail");
        return new ReleaseOutcome(ReleaseStatus.Failed, reason);
    }

    /// <summary>Something escaped the course of the release: undo what moved, or fail when nothing did.</summary>
    public async Task<ReleaseOutcome> RecoverAsync(Exception error)
    {
        var message = error is TaskFailedException failed ? $"{failed.Message} ({failed.FailureDetails.ErrorMessage})" : $"{error.GetType().Name}: {error.Message}";
        var reason = $"the release workflow failed unexpectedly: {message}";
        if (run.Release.IsFinal)
        {
            return new ReleaseOutcome(run.Release.Status, run.Summary);
        }

        if (run.MovedStages.Count == 0 && run.Release.Status == ReleaseStatus.RollingBack)
        {
            // Everything was verified back before the failure: the rollback is complete.
            run.Release = run.Release.CompleteRollback(Workflow, run.Now, "traffic back on the stable version, verified");
            run.Summary = $"rolled back; then {reason}";
            await trail.RecordAsync("rolled-back", Workflow, run.Summary, new { error = message });
            return new ReleaseOutcome(ReleaseStatus.RolledBack, run.Summary);
        }

        if (run.MovedStages.Count == 0)
        {
            if (!run.Release.Allows(ReleaseMove.Fail))
            {
                return new ReleaseOutcome(run.Release.Status, run.Summary);
            }

            return await FailAsync(reason, new { error = message });
        }

        return await RollBackAsync(Interruption.Rollback(Workflow, reason, new { error = message }));
    }

    /// <summary>Moves every stage this release touched back to the stable version; ends rolled back, or rollback-failed.</summary>
    private async Task<ReleaseOutcome> RollBackAsync(Interruption why)
    {
        if (run.Release.Status != ReleaseStatus.RollingBack)
        {
            run.Release = run.Release.BeginRollback(why.Actor, run.Now, why.Reason);
        }

        await trail.RecordAsync("rollback-started", why.Actor, why.Reason, new { cause = why.Evidence, stages = run.MovedStages.Select(s => s.Name).Reverse() });
        await trail.PublishAsync("rolling back");
        var undo = await traffic.ShiftEverythingBackAsync();
        if (undo is not null)
        {
            return await RollbackFailedAsync(why, undo);
        }

        run.Release = run.Release.CompleteRollback(Workflow, run.Now, "traffic back on the stable version, verified");
        run.Summary = $"rolled back: {why.Reason}";
        await trail.RecordAsync("rolled-back", Workflow, run.Summary + "; traffic verified back on the stable version", new { cause = why.Evidence, weight = run.Weight });
        await trail.PublishAsync("stopped; fix forward with a new merge");
        return new ReleaseOutcome(ReleaseStatus.RolledBack, run.Summary);
    }

    /// <summary>Traffic could not be moved back: a distinct final state, the last weight read, and an alert to everyone.</summary>
    private async Task<ReleaseOutcome> RollbackFailedAsync(Interruption why, RollbackFailure failure)
    {
        run.Weight = failure.LastWeightRead ?? run.Weight;
        var weight = failure.LastWeightRead is { } read ? $"{read}% read back on {run.Request.Version}" : "the weight could not be read";
        var reason = $"rollback failed in {failure.Stage}: {failure.Problem}; {weight} (rolling back because {why.Reason})";
        run.Release = run.Release.FailRollback(Workflow, run.Now, reason);
        run.Summary = $"ROLLBACK FAILED: {reason}";
        await trail.RecordAsync("rollback-failed", Workflow, reason,
            new { cause = why.Evidence, stage = failure.Stage, lastWeightRead = failure.LastWeightRead, failure.LastReadDetail, problem = failure.Problem, failure.Attempts });
        await trail.PublishAsync($"ACTION NEEDED: the candidate {run.Request.Version} may still take traffic in {failure.Stage}; move it back on the target by hand");
        return new ReleaseOutcome(ReleaseStatus.RollbackFailed, reason);
    }
}
