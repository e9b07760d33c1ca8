using Microsoft.DurableTask;
using ReleaseFunctions.Core.Policy;
using ReleaseFunctions.Core.Ports;

namespace ReleaseFunctions.Releases;

/// <summary>Traffic: shifts verified by read-back, and the rollback that keeps trying before it says it failed.</summary>
internal sealed class ReleaseTraffic(ReleaseRun run, ReleaseTrail trail)
{
    /// <summary>Rounds of a rollback (each a <see cref="ReleaseRun.TargetRetry"/> call) and the durable waits between them.</summary>
    private static readonly TimeSpan[] RollbackRoundDelays = [TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(5)];

    private TaskOrchestrationContext Context => run.Context;

    /// <summary>Shifts traffic and checks the target's read-back; a failure or a mismatch becomes a rollback with the reason.</summary>
    public async Task<Interruption?> ShiftAsync(StagePolicy stage, int step, int weight, TrafficAction action)
    {
        // Counted as moved before the call: a call that fails after the target applied it must still be undone.
        if (!run.MovedStages.Contains(stage))
        {
            run.MovedStages.Add(stage);
        }

        run.TrafficFirstMovedAt ??= run.Now;

        var shift = ShiftOf(stage, step, weight, action);
        TrafficState state;
        try
        {
            state = await Context.CallActivityAsync<TrafficState>(nameof(ShiftTraffic), shift, ReleaseRun.TargetRetry);
        }
        catch (TaskFailedException ex)
        {
            var reason = $"{action} to {weight}% on {stage.Target.Provider} failed after retries: {ex.FailureDetails.ErrorMessage}";
            await trail.RecordAsync("traffic-shift-failed", ReleaseRun.Workflow, reason, new { stage = stage.Name, step, action, expected = weight, error = ex.FailureDetails.ErrorMessage });
            return Interruption.Rollback(ReleaseRun.Workflow, reason, new { error = ex.FailureDetails.ErrorMessage });
        }

        run.Weight = state.CandidateWeightPercent;
        if (state.CandidateWeightPercent != weight)
        {
            var reason = $"{action} to {weight}% not verified: {stage.Target.Provider} reports {state.CandidateWeightPercent}% ({state.Detail})";
            await trail.RecordAsync("traffic-shift-unverified", ReleaseRun.Workflow, reason, new { stage = stage.Name, step, action, expected = weight, state });
            return Interruption.Rollback(ReleaseRun.Workflow, reason, state);
        }

        if (action is TrafficAction.Shift)
        {
            // The release is on its new step before the shift is recorded, so the record and the ledger agree on where it stands.
            run.Release = run.Release.AdvanceTo(stage.Name, step, ReleaseRun.Workflow, run.Now, $"{state.CandidateWeightPercent}% of traffic on {run.Request.Version}");
        }

        run.Summary = $"{stage.Name} step {step} of {stage.Strategy.StepCount}: {state.CandidateWeightPercent}% on {run.Request.Version}";
        await trail.RecordAsync(action == TrafficAction.Promote ? "stage-promoted" : "traffic-shifted", ReleaseRun.Workflow,
            $"{stage.Name}: {action} → {state.CandidateWeightPercent}% on {run.Request.Version} (verified: {state.Detail})",
            new { stage = stage.Name, step, action, requested = weight, state });
        return null;
    }

    /// <summary>Moves every stage this release moved back to the stable version, newest first; the first failure, or null.</summary>
    public async Task<RollbackFailure?> ShiftEverythingBackAsync()
    {
        RollbackFailure? first = null;
        foreach (var stage in Enumerable.Reverse(run.MovedStages.ToList()))
        {
            // A stage that cannot be moved back does not keep the others on the candidate.
            var failure = await ShiftBackAsync(stage);
            if (failure is null)
            {
                run.MovedStages.Remove(stage);
            }
            else
            {
                first ??= failure;
            }
        }

        return first;
    }

    /// <summary>
    /// Moves a stage's traffic back to the stable version and verifies the read-back at 0%. A failure or another
    /// weight is tried again in rounds with durable waits between them; after the last, the weight is read once more.
    /// </summary>
    private async Task<RollbackFailure?> ShiftBackAsync(StagePolicy stage)
    {
        var problem = string.Empty;
        TrafficState? lastRead = null;
        TrafficShift shift = null!;
        var rounds = RollbackRoundDelays.Length + 1;
        for (var round = 1; round <= rounds; round++)
        {
            // Each round is a change of its own (its own key): the target must apply it again, not answer from the last one.
            shift = ShiftOf(stage, run.Release.Step, 0, TrafficAction.Rollback);
            try
            {
                var state = await Context.CallActivityAsync<TrafficState>(nameof(ShiftTraffic), shift, ReleaseRun.TargetRetry);
                run.Weight = state.CandidateWeightPercent;
                lastRead = state;
                if (state.CandidateWeightPercent == 0)
                {
                    await trail.RecordAsync("traffic-shifted", ReleaseRun.Workflow, $"{stage.Name}: rollback → 0% on {run.Request.Version} (verified: {state.Detail})", new { stage = stage.Name, action = TrafficAction.Rollback, state, round });
                    return null;
                }

                problem = $"{stage.Target.Provider} reports {state.CandidateWeightPercent}% still on {run.Request.Version} ({state.Detail})";
            }
            catch (TaskFailedException ex)
            {
                problem = $"{stage.Target.Provider} failed: {ex.FailureDetails.ErrorMessage}";
            }

            if (round < rounds)
            {
                var wait = RollbackRoundDelays[round - 1];
                await trail.RecordAsync("rollback-retry", ReleaseRun.Workflow, $"{stage.Name}: rollback round {round} of {rounds} did not verify ({problem}); trying again in {wait}",
                    new { stage = stage.Name, round, rounds, problem, wait });
                await Context.CreateTimer((run.Now + wait).UtcDateTime, CancellationToken.None);
            }
        }

        var read = await ReadAsync(shift) ?? lastRead;
        if (read is { CandidateWeightPercent: 0 })
        {
            await trail.RecordAsync("traffic-shifted", ReleaseRun.Workflow, $"{stage.Name}: read back at 0% on {run.Request.Version} after the rollback calls failed (verified: {read.Detail})", new { stage = stage.Name, action = TrafficAction.Rollback, state = read });
            return null;
        }

        return new RollbackFailure(stage.Name, read?.CandidateWeightPercent, read?.Detail, problem, rounds);
    }

    /// <summary>What the target reads back now, without changing it; null when it cannot be read.</summary>
    private async Task<TrafficState?> ReadAsync(TrafficShift rollback)
    {
        try
        {
            var state = await Context.CallActivityAsync<TrafficState>(nameof(ReadTraffic), rollback, ReleaseRun.IoRetry);
            run.Weight = state.CandidateWeightPercent;
            return state;
        }
        catch (TaskFailedException)
        {
            return null;
        }
    }

    private TrafficShift ShiftOf(StagePolicy stage, int step, int weight, TrafficAction action)
        => new(stage.Target, run.InstanceId, run.Request.Service, run.Request.Version, stage.Name, step, weight, action, run.NextIdempotencyKey("traffic"));
}

/// <summary>Why a stage's traffic could not be moved back: the last weight read (null: unreadable) and what failed.</summary>
internal sealed record RollbackFailure(string Stage, int? LastWeightRead, string? LastReadDetail, string Problem, int Attempts);
