using System.Diagnostics;
using System.Globalization;
using ReleaseFunctions.Core.Audit;
using ReleaseFunctions.Core.ErrorBudget;
using ReleaseFunctions.Core.Gates;
using ReleaseFunctions.Core.Policy;
using ReleaseFunctions.Core.Ports;
using ReleaseFunctions.Core.Preflight;
using ReleaseFunctions.Core.Releases;
using ReleaseFunctions.Core.Sli;
using Microsoft.DurableTask;
using ReleaseFunctions.Telemetry;

namespace ReleaseFunctions.Releases;

/// <summary>Reads the repository's policy at the merge commit (or the default one when it has none).</summary>
internal sealed class ResolveReleasePolicy(IPolicySource source) : TaskActivity<ReleaseRequest, PolicyDocument>
{
    public override Task<PolicyDocument> RunAsync(TaskActivityContext context, ReleaseRequest input)
        => source.ReadAsync(input.Id, input.InstallationId, ActivityCancellation.None);
}

/// <summary>
/// Moves traffic on the stage's target, then reads the target's state with a separate read and returns that: what the
/// workflow verifies is what was read back after the change, not what the change reported.
/// </summary>
internal sealed class ShiftTraffic(IEnumerable<IDeploymentTarget> targets) : TaskActivity<TrafficShift, TrafficState>
{
    public override async Task<TrafficState> RunAsync(TaskActivityContext context, TrafficShift input)
    {
        var target = targets.For(input.Target);
        using var span = ReleaseTelemetry.Source.StartActivity("release.traffic-shift");
        span?.SetTag("release.id", input.ReleaseId).SetTag("release.service", input.Service).SetTag("release.stage", input.Stage)
            .SetTag("release.step", input.Step).SetTag("release.action", input.Action.ToString()).SetTag("release.weight", input.CandidateWeightPercent)
            .SetTag("release.target", target.Provider);
        // The key comes with the input: the orchestrator derives it, the same for every attempt of this change.
        var applied = await target.ApplyAsync(input, ActivityCancellation.None);
        var read = await target.ReadAsync(input, ActivityCancellation.None);
        span?.SetTag("release.weight.read", read.CandidateWeightPercent);
        return read with { Detail = $"read back: {read.Detail} (the change reported {applied.CandidateWeightPercent}%)" };
    }
}

/// <summary>
/// Reads the traffic split a stage's target has now, without changing it: the last word after a rollback that kept
/// failing. The input is the change that was asked for, so the read knows which release it is for.
/// </summary>
internal sealed class ReadTraffic(IEnumerable<IDeploymentTarget> targets) : TaskActivity<TrafficShift, TrafficState>
{
    public override Task<TrafficState> RunAsync(TaskActivityContext context, TrafficShift input)
    {
        var target = targets.For(input.Target);
        return target.ReadAsync(input, ActivityCancellation.None);
    }
}

/// <summary>Which gate of a stage to measure.</summary>
public enum GateScope
{
    /// <summary>The stage's gate, after a canary step or a swap.</summary>
    Stage,
    /// <summary>Blue-green: the checks on the idle slot before the swap.</summary>
    IdleSlot,
}

public sealed record GateMeasurementRequest(
    string PolicyYaml,
    string Stage,
    GateScope Scope,
    DateTimeOffset WindowStart,
    DateTimeOffset WindowEnd,
    IReadOnlyDictionary<string, string> Parameters,
    DateTimeOffset? TrafficFirstMovedAt = null, // pre-release windows end there; alerts older than it are evidence only
    string? ReleaseInstanceId = null); // the release measured, left out when its service's previous promoted release is looked up

/// <summary>One measurement of a gate: the verdict with its evidence, or why it could not be measured.</summary>
public sealed record GateMeasurement(GateVerdict? Verdict, string? Error)
{
    public AnalysisMeasurement ToAnalysis() => Verdict is not null ? AnalysisMeasurement.Of(Verdict) : AnalysisMeasurement.Failed(Error ?? "unknown error");
}

/// <summary>
/// Queries every objective of a gate from its SLI source and judges them (a pure decision on the evidence).
/// A source that fails is an error of this measurement, not of the release: the analysis counts errors against its limit.
/// </summary>
internal sealed class MeasureGate(IEnumerable<ISliSource> sources, IEnumerable<IAlertSource> alertSources, IReleaseLedger ledger) : TaskActivity<GateMeasurementRequest, GateMeasurement>
{
    private readonly PreviousReleaseReference _previousRelease = new(ledger);

    public override async Task<GateMeasurement> RunAsync(TaskActivityContext context, GateMeasurementRequest input)
    {
        var gate = StageGates.Find(input.PolicyYaml, input.Stage, input.Scope);
        using var span = ReleaseTelemetry.Source.StartActivity("release.gate-measurement");
        span?.SetTag("release.service", input.Parameters.GetValueOrDefault("service")).SetTag("release.stage", input.Stage).SetTag("release.gate.scope", input.Scope.ToString())
            .SetTag("release.window.start", input.WindowStart.ToString("O", CultureInfo.InvariantCulture))
            .SetTag("release.window.end", input.WindowEnd.ToString("O", CultureInfo.InvariantCulture));
        var window = new SliWindow(input.WindowStart, input.WindowEnd);
        var readings = new Dictionary<string, SliReading>(StringComparer.Ordinal);
        var errors = new List<string>();
        foreach (var objective in gate.Objectives)
        {
            var source = sources.For(objective.Provider);
            if (source is null)
            {
                errors.Add($"{objective.Name}: no SLI source '{objective.Provider}' is configured");
                continue;
            }

            try
            {
                readings[objective.Name] = await source.QueryAsync(objective.ToQuery(window, input.Parameters), ActivityCancellation.None);
            }
            catch (IntegrationException ex)
            {
                errors.Add($"{objective.Name}: {ex.Message}");
                continue;
            }

            if (objective.NeedsReference && objective.CompareTo == ReferencePopulation.PreRelease && input.TrafficFirstMovedAt is { } movedAt)
            {
                readings[objective.Name] = await WithPreReleaseAsync(source, objective, readings[objective.Name], window.Preceding(movedAt), input.Parameters, errors);
            }
        }

        await WithPreviousReleaseAsync(gate, input, readings, errors);
        var measurement = errors.Count > 0 && readings.Count == 0
            ? new GateMeasurement(null, string.Join("; ", errors))
            : new GateMeasurement(GateEvaluator.Evaluate(gate, readings, input.Parameters), errors.Count > 0 ? string.Join("; ", errors) : null);
        if (gate.Alerts is { } watch)
        {
            measurement = await WithAlertsAsync(watch, measurement, input);
        }
        span?.SetTag("release.gate.outcome", measurement.Verdict?.Outcome.ToString() ?? "error");
        if (measurement.Error is not null)
        {
            span?.SetStatus(ActivityStatusCode.Error, measurement.Error);
        }

        return measurement;
    }

    /// <summary>
    /// The measurement with what the gate's alert watch found: alerts firing since traffic moved fail it, also when
    /// the SLIs could not be read. An alert source that is missing or fails makes this measurement an error (never a
    /// pass), which the analysis counts.
    /// </summary>
    private async Task<GateMeasurement> WithAlertsAsync(AlertWatch watch, GateMeasurement measurement, GateMeasurementRequest input)
    {
        if (alertSources.For(watch) is not { } source)
        {
            return new GateMeasurement(null, StageGates.NoAlertSource(watch));
        }

        try
        {
            var judgement = watch.Judge(await source.FiringAsync(watch, input.Parameters, ActivityCancellation.None), input.TrafficFirstMovedAt ?? input.WindowStart);
            return measurement.Verdict is { } verdict
                ? measurement with { Verdict = verdict.WithAlerts(judgement) }
                : judgement.Failing.Count > 0
                    ? measurement with { Verdict = new GateVerdict(GateOutcome.Fail, null, [], $"no SLI verdict ({measurement.Error})").WithAlerts(judgement) }
                    : measurement;
        }
        catch (IntegrationException ex)
        {
            return new GateMeasurement(null, $"alerts: {ex.Message}" + (measurement.Error is null ? "" : $"; {measurement.Error}"));
        }
    }

    /// <summary>
    /// Adds to each reading of an objective that compares with the previous promoted release the values that release
    /// recorded. A ledger that cannot be read is an error of this measurement; no previous release leaves the reference
    /// out, which the gate judges inconclusive.
    /// </summary>
    private async Task WithPreviousReleaseAsync(GateDefinition gate, GateMeasurementRequest input, Dictionary<string, SliReading> readings, List<string> errors)
    {
        var wanted = gate.Objectives.Where(o => o.NeedsReference && o.CompareTo == ReferencePopulation.PreviousRelease && readings.ContainsKey(o.Name)).Select(o => o.Name).ToArray();
        if (wanted.Length == 0 || input.ReleaseInstanceId is null)
        {
            return;
        }

        try
        {
            var (series, release) = await _previousRelease.ReadAsync(input.Parameters["service"], input.ReleaseInstanceId, input.Stage, input.Scope, wanted, ActivityCancellation.None);
            foreach (var name in wanted)
            {
                var reading = readings[name];
                readings[name] = series.TryGetValue(name, out var recorded)
                    ? SliReading.Of(reading.Query, reading.Window, [.. reading.Series.Where(s => s.Population != SliPopulations.PreviousRelease), recorded])
                    : reading;
                if (!series.ContainsKey(name))
                {
                    errors.Add(release is null
                        ? $"{name}: no promoted release of {input.Parameters["service"]} before this one to compare with"
                        : $"{name}: the previous promoted release {release} recorded no {name} in {input.Stage}");
                }
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            errors.Add($"the previous promoted release could not be read from the ledger: {ex.Message}");
        }
    }

    /// <summary>
    /// The reading with the service's series over <paramref name="before"/> (the window of the same length that ends
    /// when the release first moved traffic), as the pre-release population. Before the release all traffic went to the stable
    /// version, so that is its baseline series there. No data or a failed read leaves it out, which the gate judges
    /// inconclusive: never a pass.
    /// </summary>
    private static async Task<SliReading> WithPreReleaseAsync(
        ISliSource source, SliObjective objective, SliReading reading, SliWindow before, IReadOnlyDictionary<string, string> parameters, List<string> errors)
    {
        if (!reading.HasData)
        {
            return reading;
        }

        try
        {
            var earlier = await source.QueryAsync(objective.ToQuery(before, parameters), ActivityCancellation.None);
            if (earlier.For(SliPopulations.Baseline) is not { IsEmpty: false } service)
            {
                return reading;
            }

            var preRelease = new SliSeries(SliPopulations.PreRelease, service.Samples, service.Unit, service.DroppedSamples) { Window = before };
            return SliReading.Of(reading.Query, reading.Window, [.. reading.Series.Where(s => s.Population != SliPopulations.PreRelease), preRelease]);
        }
        catch (IntegrationException ex)
        {
            errors.Add($"{objective.Name}: the pre-release window {before} could not be read: {ex.Message}");
            return reading;
        }
    }
}

public sealed record ErrorBudgetRequest(string PolicyYaml, DateTimeOffset At, IReadOnlyDictionary<string, string> Parameters);

public sealed record ErrorBudgetCounts(long GoodEvents, long TotalEvents);

/// <summary>Counts good and total events over the SLO window, for the error-budget gate.</summary>
internal sealed class ReadErrorBudget(IEnumerable<ISliSource> sources) : TaskActivity<ErrorBudgetRequest, ErrorBudgetCounts>
{
    public override async Task<ErrorBudgetCounts> RunAsync(TaskActivityContext context, ErrorBudgetRequest input)
    {
        var budget = ReleasePolicyParser.Parse(input.PolicyYaml).Policy?.ErrorBudget
                     ?? throw new InvalidOperationException("The release policy has no error budget.");
        var source = sources.For(budget.Provider)
                     ?? throw new InvalidOperationException($"No SLI source '{budget.Provider}' is configured for the error budget.");
        var window = new SliWindow(input.At - budget.Window, input.At);
        var good = await CountAsync(source, budget.GoodEventsQuery, window, input.Parameters, ActivityCancellation.None);
        var total = await CountAsync(source, budget.TotalEventsQuery, window, input.Parameters, ActivityCancellation.None);
        return new ErrorBudgetCounts(good, total);
    }

    private static async Task<long> CountAsync(ISliSource source, string query, SliWindow window, IReadOnlyDictionary<string, string> parameters, CancellationToken cancellationToken)
    {
        var reading = await source.QueryAsync(new SliQuery(source.Provider, query, window, parameters), cancellationToken);
        if (!reading.HasData)
        {
            throw new InvalidOperationException($"The error budget query returned no data ({reading.NoDataReason}).");
        }

        // A count over the window: the latest sample of each series, summed.
        return (long)Math.Round(reading.Series.Where(s => !s.IsEmpty).Sum(s => s.Samples[^1].Value));
    }
}

/// <param name="CodeScanningAt">Read the open code scanning alerts at or above this severity; null: not read.</param>
/// <param name="DependabotAt">Read the open Dependabot alerts at or above this severity; null: not read.</param>
public sealed record PreflightReadRequest(string Repository, string MergeCommitSha, long? InstallationId, SecuritySeverity? CodeScanningAt, SecuritySeverity? DependabotAt);

/// <summary>What the code host reported for the pre-flight gate: every check on the commit and the open alerts read.</summary>
public sealed record PreflightReading(IReadOnlyList<CommitCheck> Checks, IReadOnlyList<SecurityAlert> Alerts);

/// <summary>Reads the merge commit's checks and, where the policy asks, the repository's open security alerts.</summary>
internal sealed class ReadPreflight(IPreflightSource source) : TaskActivity<PreflightReadRequest, PreflightReading>
{
    public override async Task<PreflightReading> RunAsync(TaskActivityContext context, PreflightReadRequest input)
    {
        var checks = await source.ChecksAsync(input.Repository, input.MergeCommitSha, input.InstallationId, ActivityCancellation.None);
        var alerts = new List<SecurityAlert>();
        foreach (var (kind, atLeast) in new[] { (SecurityAlertKind.CodeScanning, input.CodeScanningAt), (SecurityAlertKind.Dependabot, input.DependabotAt) })
        {
            if (atLeast is { } severity)
            {
                alerts.AddRange(await source.OpenSecurityAlertsAsync(input.Repository, kind, severity, input.InstallationId, ActivityCancellation.None));
            }
        }

        return new PreflightReading(checks, alerts);
    }
}

public sealed record ApproverTeamsRequest(string Login, IReadOnlyList<string> Teams, long? InstallationId);

/// <summary>Which of the policy's teams an approver belongs to.</summary>
internal sealed class ResolveApproverTeams(IApproverDirectory directory) : TaskActivity<ApproverTeamsRequest, string[]>
{
    public override async Task<string[]> RunAsync(TaskActivityContext context, ApproverTeamsRequest input)
        => (await directory.TeamsOfAsync(input.Login, input.Teams, input.InstallationId, ActivityCancellation.None)).Order(StringComparer.Ordinal).ToArray();
}

/// <param name="IdempotencyKey">The entry's place in the release's trail, derived by the orchestrator: a write retried, or replayed from the orchestration's buffer, appends once.</param>
public sealed record ReleaseEventRecord(ReleaseRecord Release, AuditEntry Entry, string IdempotencyKey);

/// <summary>Appends a decision or state change to the release's audit trail and saves where it stands, once per key.</summary>
internal sealed class RecordReleaseEvent(IReleaseLedger ledger) : TaskActivity<ReleaseEventRecord, long>
{
    public override async Task<long> RunAsync(TaskActivityContext context, ReleaseEventRecord input)
    {
        var recorded = await ledger.RecordAsync(input.Release, input.Entry, input.IdempotencyKey, ActivityCancellation.None);
        // Counted once the ledger holds the entry; a completed activity is not run again when the orchestration replays.
        ReleaseTelemetry.OnRecorded(input.Release, input.Entry);
        return recorded.Sequence;
    }
}

/// <param name="IdempotencyKey">The update's place among the release's keyed calls, derived by the orchestrator: a retried publication posts once.</param>
public sealed record ReleaseStatusPublication(ReleaseStatusUpdate Update, string IdempotencyKey);

/// <summary>
/// Tells people where the release stands (PR comment, check run, deployment status, log). Every notifier is tried,
/// so one that is down does not silence the others (an alert of a failed rollback reaches everyone who can hear it);
/// the call fails afterwards naming the ones that failed.
/// </summary>
internal sealed class PublishReleaseStatus(IEnumerable<IReleaseNotifier> notifiers) : TaskActivity<ReleaseStatusPublication, int>
{
    public override async Task<int> RunAsync(TaskActivityContext context, ReleaseStatusPublication input)
    {
        var failures = await notifiers.PublishToEachAsync(input.Update, input.IdempotencyKey, ActivityCancellation.None);
        var all = notifiers.Count();
        return failures.Count == 0
            ? all
            : throw new InvalidOperationException($"{failures.Count} of {all} notifiers failed: {string.Join("; ", failures.Select(f => $"{f.Notifier}: {f.Error}"))}");
    }
}

internal static class ReleaseNotifiers
{
    /// <summary>Publishes to every notifier, one that fails not stopping the others; returns the ones that failed and why.</summary>
    public static async Task<IReadOnlyList<(string Notifier, string Error)>> PublishToEachAsync(
        this IEnumerable<IReleaseNotifier> notifiers, ReleaseStatusUpdate update, string idempotencyKey, CancellationToken cancellationToken)
    {
        var failures = new List<(string, string)>();
        foreach (var notifier in notifiers)
        {
            try
            {
                await notifier.PublishAsync(update, idempotencyKey, cancellationToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                failures.Add((notifier.GetType().Name, ex.Message));
            }
        }

        return failures;
    }
}

internal static class ActivityCancellation
{
    /// <summary>
    /// The SDK hands activities no cancellation token: a worker that stops abandons the call, and it runs again
    /// (at least once). The ports' calls are bounded by their own timeouts.
    /// </summary>
    public static CancellationToken None => CancellationToken.None;
}

/// <summary>The configured SLI and alert sources, by the provider a policy names (case-insensitive).</summary>
internal static class ProviderSources
{
    /// <summary>The SLI source of <paramref name="provider"/>, or null when none is configured.</summary>
    public static ISliSource? For(this IEnumerable<ISliSource> sources, string provider)
        => sources.FirstOrDefault(s => string.Equals(s.Provider, provider, StringComparison.OrdinalIgnoreCase));

    /// <summary>The alert source of the watch's provider, or null when none is configured.</summary>
    public static IAlertSource? For(this IEnumerable<IAlertSource> alertSources, AlertWatch watch)
        => alertSources.FirstOrDefault(s => string.Equals(s.Provider, watch.Provider, StringComparison.OrdinalIgnoreCase));
}

internal static class DeploymentTargets
{
    /// <summary>The configured target of a stage's provider; an error naming the configured ones when there is none.</summary>
    public static IDeploymentTarget For(this IEnumerable<IDeploymentTarget> targets, TargetSpec spec)
        => targets.FirstOrDefault(t => string.Equals(t.Provider, spec.Provider, StringComparison.OrdinalIgnoreCase))
           ?? throw new InvalidOperationException(
               $"No deployment target '{spec.Provider}' is configured; configured targets: {string.Join(", ", targets.Select(t => t.Provider))}.");
}

internal static class ReleaseParameters
{
    /// <summary>The release facts an SLI query or a hook may use, by name.</summary>
    public static IReadOnlyDictionary<string, string> For(ReleaseRequest request, string stage, int step, int? weight) => new Dictionary<string, string>
    {
        ["service"] = request.Service,
        ["version"] = request.Version,
        ["repository"] = request.Repository,
        ["stage"] = stage,
        ["step"] = step.ToString(CultureInfo.InvariantCulture),
        ["weight"] = (weight ?? 0).ToString(CultureInfo.InvariantCulture),
    };
}
