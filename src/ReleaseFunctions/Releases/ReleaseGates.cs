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
            var measurement = await MeasureAsync(new GateMeasurementRequest(run.PolicyYaml, stage.Name, scope, since, end, ReleaseParameters.For(run.Request, stage.Name, step, run.Weight), run.TrafficFirstMovedAt ?? run.StartedAt));
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

            var wait = await commands.SoakAsync(run.Now + gate.Analysis.Interval, acceptPromote: true);
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
