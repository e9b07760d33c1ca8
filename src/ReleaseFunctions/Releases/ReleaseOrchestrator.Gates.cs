using ReleaseFunctions.Core.Gates;
using ReleaseFunctions.Core.Policy;
using ReleaseFunctions.Core.Ports;
using ReleaseFunctions.Core.Releases;
using ReleaseFunctions.Durable;

namespace ReleaseFunctions.Releases;

/// <summary>Gates: the analysis of a step (measurements at an interval until the limits decide) and the decisions it leaves to people.</summary>
internal sealed partial class ReleaseOrchestrator
{
    /// <summary>Runs the gate's analysis: measurements at its interval until its limits decide.</summary>
    private async Task<Interruption?> JudgeAsync(StagePolicy stage, GateScope scope, GateDefinition? gate, DateTimeOffset since, int step)
    {
        if (gate is null)
        {
            return null;
        }

        var measurements = new List<AnalysisMeasurement>();
        AnalysisRunResult result;
        while (true)
        {
            var end = Now > since ? Now : since.AddSeconds(1);
            var measurement = await MeasureAsync(new GateMeasurementRequest(_policyYaml, stage.Name, scope, since, end, ReleaseParameters.For(_request, stage.Name, step, _weight)));
            measurements.Add(measurement.ToAnalysis());
            var verdict = measurement.Verdict;
            await RecordAsync("gate-measurement", "gate",
                verdict is null ? $"{stage.Name} step {step}: measurement failed: {measurement.Error}" : $"{stage.Name} step {step} at {_weight ?? 0}%: {verdict.Reason}",
                new { stage = stage.Name, step, scope = scope.ToString(), weight = _weight, window = new { since, end }, verdict, error = measurement.Error });
            result = AnalysisRun.Aggregate(gate.Analysis, measurements);
            if (result.IsFinished)
            {
                break;
            }

            var wait = await SoakAsync(Now + gate.Analysis.Interval, acceptPromote: true);
            if (wait is { Kind: InterruptionKind.Promote })
            {
                return null;
            }

            if (wait is not null)
            {
                return wait;
            }
        }

        _gates.Add(new GateSummary(stage.Name, step, result.Status.ToString(), result.Reason));
        var reason = $"gate of {stage.Name} at {_weight ?? 0}%: {result.Reason}";
        await RecordAsync("gate-verdict", "gate", reason, new { stage = stage.Name, step, scope = scope.ToString(), result });
        switch (result.Status)
        {
            case AnalysisStatus.Pass or AnalysisStatus.Warning:
                return null;
            case AnalysisStatus.Fail:
                // Without automatic rollback a person decides; traffic never stays on a failed candidate by default.
                return Policy.Rollback.OnFailedGate ? Interruption.Rollback("gate", reason, result) : await AwaitDecisionAsync(reason);
            default:
                return Policy.Rollback.OnInconclusive == InconclusiveAction.Rollback
                    ? Interruption.Rollback("gate", reason, result)
                    : await AwaitDecisionAsync(reason);
        }
    }

    /// <summary>One measurement; an activity that fails after its retries is an error of this measurement, counted by the analysis.</summary>
    private async Task<GateMeasurement> MeasureAsync(GateMeasurementRequest request)
    {
        try
        {
            return await _context.CallActivityAsync<GateMeasurement>(nameof(MeasureGate), request, IoRetry);
        }
        catch (TaskFailedException ex)
        {
            return new GateMeasurement(null, $"the measurement could not be taken: {ex.FailureDetails.ErrorMessage}");
        }
    }

    private async Task<Interruption?> AwaitDecisionAsync(string reason)
    {
        _release = _release.AwaitDecision("gate", Now, reason);
        await RecordAsync("decision-requested", "gate", reason + "; waiting for /promote or /rollback", null);
        await PublishAsync("the gate did not pass: /promote continues, /rollback undoes");
        while (true)
        {
            var command = (await NextCommandAsync(null))!;
            switch (command.Kind)
            {
                case ReleaseCommandKind.Promote:
                    _release = _release.Proceed(command.Actor, Now, $"{command.Actor} decided to proceed");
                    await RecordAsync("decision", command.Actor, $"{command.Actor} decided to proceed" + Because(command), command);
                    return null;
                case ReleaseCommandKind.Rollback:
                    await RecordAsync("decision", command.Actor, $"{command.Actor} decided to roll back" + Because(command), command);
                    return Interruption.Rollback(command.Actor, $"rollback decided by {command.Actor} after the gate: {reason}" + Because(command), command);
                default:
                    var (interruption, _) = await HandleControlCommandAsync(command, acceptPromote: false);
                    if (interruption is not null)
                    {
                        return interruption;
                    }

                    break;
            }
        }
    }
}
