using Microsoft.DurableTask;
using ReleaseFunctions.Core.Gates;
using ReleaseFunctions.Core.Policy;
using ReleaseFunctions.Core.Ports;
using ReleaseFunctions.Core.Releases;

namespace ReleaseFunctions.Releases;

/// <summary>Gates: the analysis of a step (measurements at an interval until the limits decide) and the decisions it leaves to people.</summary>
internal sealed class ReleaseGates(ReleaseRun run, ReleaseTrail trail, ReleaseCommands commands)
{
    /// <summary>Runs the gate's analysis: measurements at its interval until its limits decide.</summary>
    public async Task<Interruption?> JudgeAsync(StagePolicy stage, GateScope scope, GateDefinition? gate, DateTimeOffset since, int step)
    {
        if (gate is null)
        {
            return null;
        }

        var measurements = new List<AnalysisMeasurement>();
        AnalysisRunResult result;
        while (true)
        {
            var end = run.Now > since ? run.Now : since.AddSeconds(1);
            var measurement = await MeasureAsync(new GateMeasurementRequest(run.PolicyYaml, stage.Name, scope, since, end, ReleaseParameters.For(run.Request, stage.Name, step, run.Weight), run.TrafficFirstMovedAt ?? run.StartedAt, run.InstanceId));
            measurements.Add(measurement.ToAnalysis());
            var verdict = measurement.Verdict;
            await trail.RecordAsync("gate-measurement", "gate",
                verdict is null ? $"{stage.Name} step {step}: measurement failed: {measurement.Error}" : $"{stage.Name} step {step} at {run.Weight ?? 0}%: {verdict.Reason}",
                new { stage = stage.Name, step, scope = scope.ToString(), weight = run.Weight, window = new { since, end }, verdict, error = measurement.Error });
            result = AnalysisRun.Aggregate(gate.Analysis, measurements);
            if (result.IsFinished)
            {
                break;
            }

            var wait = await SoakAsync(stage, scope, gate, run.Now + gate.Analysis.Interval, step, since);
            if (wait is { Kind: InterruptionKind.Promote })
            {
                return null;
            }

            if (wait is not null)
            {
                return wait;
            }
        }

        run.Gates.Add(new GateSummary(stage.Name, step, result.Status.ToString(), result.Reason));
        var reason = $"gate of {stage.Name} at {run.Weight ?? 0}%: {result.Reason}";
        await trail.RecordAsync("gate-verdict", "gate", reason, new { stage = stage.Name, step, scope = scope.ToString(), since, result });
        switch (result.Status)
        {
            case AnalysisStatus.Pass or AnalysisStatus.Warning:
                return null;
            case AnalysisStatus.Fail:
                // Without automatic rollback a person decides; traffic never stays on a failed candidate by default.
                return run.Policy.Rollback.OnFailedGate ? Interruption.Rollback("gate", reason, result) : await AwaitDecisionAsync(reason);
            default:
                return run.Policy.Rollback.OnInconclusive == InconclusiveAction.Rollback
                    ? Interruption.Rollback("gate", reason, result)
                    : await AwaitDecisionAsync(reason);
        }
    }

    /// <summary>
    /// Waits until <paramref name="until"/> while handling commands, reading the gate's watch (fired alerts, burn rate)
    /// every <see cref="GateDefinition.WatchInterval"/> before it: a watch that trips ends the step there, as a failed
    /// gate does, without waiting for the soak or the analysis to end. Null when the time was served; a /promote comes back as
    /// its interruption for the caller to apply.
    /// </summary>
    /// <param name="stepStart">When the step began; the candidate's start when the release has not moved traffic yet (an idle slot).</param>
    public async Task<Interruption?> SoakAsync(StagePolicy stage, GateScope scope, GateDefinition? gate, DateTimeOffset until, int step, DateTimeOffset stepStart)
    {
        if (gate is not { WatchesSoaks: true })
        {
            return await commands.SoakAsync(until, acceptPromote: true);
        }

        var erring = false;
        while (true)
        {
            var sliceEnd = run.Now + gate.WatchInterval < until ? run.Now + gate.WatchInterval : until;
            var soak = await commands.SoakAsync(sliceEnd, acceptPromote: true);
            if (soak is not null)
            {
                return soak;
            }

            until += run.Now - sliceEnd; // time spent paused does not count as soak
            if (run.Now >= until)
            {
                return null; // the measurement that follows reads the alerts at this instant
            }

            var reading = await WatchAsync(new SoakWatchRequest(run.PolicyYaml, stage.Name, scope, run.Now, run.TrafficFirstMovedAt ?? stepStart, ReleaseParameters.For(run.Request, stage.Name, step, run.Weight)));
            if (reading.Tripped || (reading.Error is not null && !erring))
            {
                // A read that fails is recorded once until the watch reads again; a trip always is.
                await trail.RecordAsync("soak-watch", "gate", $"{stage.Name} step {step} at {run.Weight ?? 0}%: {reading.Describe()}",
                    new { stage = stage.Name, step, scope = scope.ToString(), weight = run.Weight, window = new { since = stepStart, end = run.Now }, alerts = reading.Alerts is { } a ? new { firing = a.Failing, preexisting = a.Preexisting } : null, burnRate = reading.BurnRate, error = reading.Error });
            }

            erring = reading.Error is not null;
            if (reading.Tripped)
            {
                var reason = $"gate of {stage.Name} at {run.Weight ?? 0}%: failed during the soak: {reading.Describe()}";
                run.Gates.Add(new GateSummary(stage.Name, step, AnalysisStatus.Fail.ToString(), reason));
                if (run.Policy.Rollback.OnFailedGate)
                {
                    return Interruption.Rollback("gate", reason, reading);
                }

                // A person decided to go on despite it: the rest of the soak is served without the watch.
                return await AwaitDecisionAsync(reason) ?? await commands.SoakAsync(until, acceptPromote: true);
            }
        }
    }

    /// <summary>One reading of the soak's watch; an activity that fails after its retries is an error of this reading, never a pass.</summary>
    private async Task<SoakWatchReading> WatchAsync(SoakWatchRequest request)
    {
        try
        {
            return await run.Context.CallActivityAsync<SoakWatchReading>(nameof(WatchSoak), request, ReleaseRun.IoRetry);
        }
        catch (TaskFailedException ex)
        {
            return new SoakWatchReading(null, null, $"the watch could not be read: {ex.FailureDetails.ErrorMessage}");
        }
    }

    /// <summary>One measurement; an activity that fails after its retries is an error of this measurement, counted by the analysis.</summary>
    private async Task<GateMeasurement> MeasureAsync(GateMeasurementRequest request)
    {
        try
        {
            return await run.Context.CallActivityAsync<GateMeasurement>(nameof(MeasureGate), request, ReleaseRun.IoRetry);
        }
        catch (TaskFailedException ex)
        {
            return new GateMeasurement(null, $"the measurement could not be taken: {ex.FailureDetails.ErrorMessage}");
        }
    }

    /// <summary>A gate that did not pass, with no automatic rollback: a person promotes or rolls back.</summary>
    private async Task<Interruption?> AwaitDecisionAsync(string reason)
    {
        run.Release = run.Release.AwaitDecision("gate", run.Now, reason);
        await trail.RecordAsync("decision-requested", "gate", reason + "; waiting for /promote or /rollback", null);
        await trail.PublishAsync("the gate did not pass: /promote continues, /rollback undoes");
        while (true)
        {
            var command = await commands.TakeAsync();
            switch (command.Kind)
            {
                case ReleaseCommandKind.Promote:
                    run.Release = run.Release.Proceed(command.Actor, run.Now, $"{command.Actor} decided to proceed");
                    await trail.RecordAsync("decision", command.Actor, $"{command.Actor} decided to proceed" + command.Because(), command);
                    return null;
                case ReleaseCommandKind.Rollback:
                    await trail.RecordAsync("decision", command.Actor, $"{command.Actor} decided to roll back" + command.Because(), command);
                    return Interruption.Rollback(command.Actor, $"rollback decided by {command.Actor} after the gate: {reason}" + command.Because(), command);
                default:
                    var (interruption, _) = await commands.HandleControlAsync(command, acceptPromote: false);
                    if (interruption is not null)
                    {
                        return interruption;
                    }

                    break;
            }
        }
    }
}
