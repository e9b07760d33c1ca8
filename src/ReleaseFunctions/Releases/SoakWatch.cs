using Microsoft.DurableTask;
using ReleaseFunctions.Core.Gates;
using ReleaseFunctions.Core.Policy;
using ReleaseFunctions.Core.Ports;
using ReleaseFunctions.Core.Sli;

namespace ReleaseFunctions.Releases;

/// <param name="CandidateSince">When the candidate started taking traffic: alerts older than it are evidence only, and burn-rate windows reach back no further.</param>
public sealed record SoakWatchRequest(string PolicyYaml, string Stage, GateScope Scope, DateTimeOffset At, DateTimeOffset CandidateSince, IReadOnlyDictionary<string, string> Parameters);

/// <summary>What the watch read during a soak: fired alerts and the burn rate (each null when the gate does not watch it), or why it could not be read.</summary>
public sealed record SoakWatchReading(AlertJudgement? Alerts, BurnRateVerdict? BurnRate, string? Error)
{
    /// <summary>A fired alert since traffic moved, or a burn-rate pair at or above its factor: the step fails at once.</summary>
    public bool Tripped => Alerts is { Failing.Count: > 0 } || BurnRate is { Tripped: true };

    public string Describe()
    {
        var parts = new List<string>();
        if (Alerts is { Failing.Count: > 0 } alerts)
        {
            parts.Add($"alert(s) firing: {string.Join(", ", alerts.Failing)}");
        }

        if (BurnRate is { Tripped: true } burn)
        {
            parts.Add(burn.Reason);
        }

        if (Error is not null)
        {
            parts.Add($"the watch could not be read in full: {Error}");
        }

        return parts.Count > 0 ? string.Join("; ", parts) : BurnRate?.Reason ?? "no alert firing";
    }
}

/// <summary>
/// Reads a gate's watch while a step soaks: the alerts of <see cref="GateDefinition.Alerts"/> and the burn rate of
/// <see cref="GateDefinition.BurnRate"/>. A part that cannot be read is an error of this reading (never a pass, and
/// never a rollback on its own); the other part is still judged.
/// </summary>
internal sealed class WatchSoak(IEnumerable<ISliSource> sources, IEnumerable<IAlertSource> alertSources) : TaskActivity<SoakWatchRequest, SoakWatchReading>
{
    public override async Task<SoakWatchReading> RunAsync(TaskActivityContext context, SoakWatchRequest input)
    {
        var gate = StageGates.Find(input.PolicyYaml, input.Stage, input.Scope);
        var errors = new List<string>();
        AlertJudgement? alerts = null;
        if (gate.Alerts is { } watch)
        {
            if (alertSources.For(watch) is not { } source)
            {
                errors.Add(StageGates.NoAlertSource(watch));
            }
            else
            {
                try
                {
                    alerts = watch.Judge(await source.FiringAsync(watch, input.Parameters, ActivityCancellation.None), input.CandidateSince);
                }
                catch (IntegrationException ex)
                {
                    errors.Add($"alerts: {ex.Message}");
                }
            }
        }

        BurnRateVerdict? burnRate = null;
        if (gate is { BurnRate: { } rule, BurnRateObjective: { } objective })
        {
            if (sources.For(objective.Provider) is not { } source)
            {
                errors.Add($"burn rate: no SLI source '{objective.Provider}' is configured for objective {objective.Name}");
            }
            else
            {
                try
                {
                    burnRate = await ReadBurnRateAsync(source, rule, objective, input);
                }
                catch (IntegrationException ex)
                {
                    errors.Add($"burn rate: {ex.Message}");
                }
            }
        }

        return new SoakWatchReading(alerts, burnRate, errors.Count > 0 ? string.Join("; ", errors) : null);
    }

    private static async Task<BurnRateVerdict> ReadBurnRateAsync(ISliSource source, BurnRateRule rule, SliObjective objective, SoakWatchRequest input)
    {
        var readings = new Dictionary<TimeSpan, ErrorRatioReading>();
        foreach (var duration in rule.ReadDurations)
        {
            var window = BurnRateRule.WindowEndingAt(input.At, duration, input.CandidateSince);
            var reading = await source.QueryAsync(objective.ToQuery(window, input.Parameters), ActivityCancellation.None);
            var canary = reading.For(SliPopulations.Canary);
            // The mean of the error-ratio samples over the window; a percentage objective is brought to a ratio.
            double? ratio = canary is { IsEmpty: false } ? canary.Samples.Average(s => s.Value) / (objective.Unit == SliUnit.Percent ? 100 : 1) : null;
            readings[duration] = new ErrorRatioReading(ratio, window, canary?.Samples.Count ?? 0);
        }

        return rule.Judge(readings, objective.Query);
    }
}

/// <summary>Finding a stage's gate in the policy a release runs with, for the activities that measure it.</summary>
internal static class StageGates
{
    public static GateDefinition Find(string policyYaml, string stageName, GateScope scope)
    {
        var policy = ReleasePolicyParser.Parse(policyYaml).Policy
                     ?? throw new InvalidOperationException("The release policy no longer parses; it was valid when the release started.");
        var stage = policy.Stages.Single(s => s.Name == stageName);
        var gate = scope == GateScope.IdleSlot ? (stage.Strategy as BlueGreenStrategy)?.IdleChecks : stage.Gate;
        return gate ?? throw new InvalidOperationException($"Stage '{stageName}' has no {scope} gate.");
    }

    public static string NoAlertSource(AlertWatch watch)
        => $"alerts: no alert source '{watch.Provider}' is configured (for alertmanager set ReleaseFunctions__Alertmanager__BaseUrl)";
}
