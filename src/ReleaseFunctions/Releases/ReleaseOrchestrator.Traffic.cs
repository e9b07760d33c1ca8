using ReleaseFunctions.Core.Policy;
using ReleaseFunctions.Core.Ports;
using ReleaseFunctions.Durable;

namespace ReleaseFunctions.Releases;

/// <summary>Traffic: shifts verified by read-back, and the rollback that keeps trying before it says it failed.</summary>
internal sealed partial class ReleaseOrchestrator
{
    /// <summary>Rounds of a rollback (each a <see cref="TargetRetry"/> call) and the durable waits between them.</summary>
    private static readonly TimeSpan[] RollbackRoundDelays = [TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(5)];

    /// <summary>Shifts traffic and checks the target's read-back; a failure or a mismatch becomes a rollback with the reason.</summary>
    private async Task<Interruption?> ShiftAsync(StagePolicy stage, int step, int weight, TrafficAction action)
    {
        // Counted as moved before the call: a call that fails after the target applied it must still be undone.
        if (!_movedStages.Contains(stage))
        {
            _movedStages.Add(stage);
        }

        var shift = new TrafficShift(stage.Target, _request.Id.InstanceId, _request.Service, _request.Version, stage.Name, step, weight, action, IdempotencyKey: "-");
        TrafficState state;
        try
        {
            state = await _context.CallActivityAsync<TrafficState>(nameof(ShiftTraffic), shift, TargetRetry);
        }
        catch (TaskFailedException ex)
        {
            var reason = $"{action} to {weight}% on {stage.Target.Provider} failed after retries: {ex.FailureDetails.ErrorMessage}";
            await RecordAsync("traffic-shift-failed", Workflow, reason, new { stage = stage.Name, step, action, expected = weight, error = ex.FailureDetails.ErrorMessage });
            return Interruption.Rollback(Workflow, reason, new { error = ex.FailureDetails.ErrorMessage });
        }

        _weight = state.CandidateWeightPercent;
        if (state.CandidateWeightPercent != weight)
        {
            var reason = $"{action} to {weight}% not verified: {stage.Target.Provider} reports {state.CandidateWeightPercent}% ({state.Detail})";
            await RecordAsync("traffic-shift-unverified", Workflow, reason, new { stage = stage.Name, step, action, expected = weight, state });
            return Interruption.Rollback(Workflow, reason, state);
        }

        if (action is TrafficAction.Shift)
        {
            // The release is on its new step before the shift is recorded, so the record and the ledger agree on where it stands.
            _release = _release.AdvanceTo(stage.Name, step, Workflow, Now, $"{state.CandidateWeightPercent}% of traffic on {_request.Version}");
        }

        _summary = $"{stage.Name} step {step} of {stage.Strategy.StepCount}: {state.CandidateWeightPercent}% on {_request.Version}";
        await RecordAsync(action == TrafficAction.Promote ? "stage-promoted" : "traffic-shifted", Workflow,
            $"{stage.Name}: {action} → {state.CandidateWeightPercent}% on {_request.Version} (verified: {state.Detail})",
            new { stage = stage.Name, step, action, requested = weight, state });
        return null;
    }

    /// <summary>Moves every stage this release moved back to the stable version, newest first; the first failure, or null.</summary>
    private async Task<RollbackFailure?> ShiftEverythingBackAsync()
    {
        RollbackFailure? first = null;
        foreach (var stage in Enumerable.Reverse(_movedStages.ToList()))
        {
            // A stage that cannot be moved back does not keep the others on the candidate.
            var failure = await ShiftBackAsync(stage);
            if (failure is null)
            {
                _movedStages.Remove(stage);
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
        var shift = new TrafficShift(stage.Target, _request.Id.InstanceId, _request.Service, _request.Version, stage.Name, _release.Step, 0, TrafficAction.Rollback, IdempotencyKey: "-");
        var problem = string.Empty;
        TrafficState? lastRead = null;
        var rounds = RollbackRoundDelays.Length + 1;
        for (var round = 1; round <= rounds; round++)
        {
            try
            {
                var state = await _context.CallActivityAsync<TrafficState>(nameof(ShiftTraffic), shift, TargetRetry);
                _weight = state.CandidateWeightPercent;
                lastRead = state;
                if (state.CandidateWeightPercent == 0)
                {
                    await RecordAsync("traffic-shifted", Workflow, $"{stage.Name}: rollback → 0% on {_request.Version} (verified: {state.Detail})", new { stage = stage.Name, action = TrafficAction.Rollback, state, round });
                    return null;
                }

                problem = $"{stage.Target.Provider} reports {state.CandidateWeightPercent}% still on {_request.Version} ({state.Detail})";
            }
            catch (TaskFailedException ex)
            {
                problem = $"{stage.Target.Provider} failed: {ex.FailureDetails.ErrorMessage}";
            }

            if (round < rounds)
            {
                var wait = RollbackRoundDelays[round - 1];
                await RecordAsync("rollback-retry", Workflow, $"{stage.Name}: rollback round {round} of {rounds} did not verify ({problem}); trying again in {wait}",
                    new { stage = stage.Name, round, rounds, problem, wait });
                await _context.CreateTimer((Now + wait).UtcDateTime, CancellationToken.None);
            }
        }

        var read = await ReadTrafficAsync(shift) ?? lastRead;
        if (read is { CandidateWeightPercent: 0 })
        {
            await RecordAsync("traffic-shifted", Workflow, $"{stage.Name}: read back at 0% on {_request.Version} after the rollback calls failed (verified: {read.Detail})", new { stage = stage.Name, action = TrafficAction.Rollback, state = read });
            return null;
        }

        return new RollbackFailure(stage.Name, read?.CandidateWeightPercent, read?.Detail, problem, rounds);
    }

    /// <summary>What the target reads back now, without changing it; null when it cannot be read.</summary>
    private async Task<TrafficState?> ReadTrafficAsync(TrafficShift rollback)
    {
        try
        {
            var state = await _context.CallActivityAsync<TrafficState>(nameof(ReadTraffic), rollback, IoRetry);
            _weight = state.CandidateWeightPercent;
            return state;
        }
        catch (TaskFailedException)
        {
            return null;
        }
    }

    /// <summary>Why a stage's traffic could not be moved back: the last weight read (null: unreadable) and what failed.</summary>
    private sealed record RollbackFailure(string Stage, int? LastWeightRead, string? LastReadDetail, string Problem, int Attempts);
}
