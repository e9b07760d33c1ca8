using System.Text.Json;
using System.Text.Json.Serialization;
using ReleaseFunctions.Core.Audit;
using ReleaseFunctions.Core.Policy;
using ReleaseFunctions.Core.Ports;
using ReleaseFunctions.Core.Releases;
using ReleaseFunctions.Durable;

namespace ReleaseFunctions.Releases;

/// <summary>
/// One release: resolves its policy, waits out freeze windows and a spent error budget, then drives each stage's
/// strategy step by step (shift traffic, soak on a durable timer, judge the gate), asks for the approvals the
/// policy names, and promotes or rolls back. Commands (pause, resume, promote, rollback, abort, approve, reject)
/// are handled at every wait. Every decision goes to the audit trail with its evidence. Deterministic: all I/O is
/// in activities and all time comes from the context.
/// </summary>
/// <remarks>
/// The safety invariant lives here: whatever fails (an activity after its retries, the ledger, a bug), the release
/// ends promoted, rolled back with traffic read back at 0% on every stage it moved, or <see cref="ReleaseStatus.RollbackFailed"/>
/// with the last weight read and an alert. It never ends failed with traffic left on the candidate. The parts:
/// this file (the course of a release and its endings), <c>.Traffic</c> (shifts and rollback), <c>.Waits</c>
/// (soaks, commands, pause, freeze windows, the error budget, overrides), <c>.Approvals</c>, <c>.Gates</c>,
/// <c>.Records</c> (the audit trail, buffered while the ledger is down, and status updates).
/// </remarks>
internal sealed partial class ReleaseOrchestrator : TaskOrchestrator<ReleaseRequest, ReleaseOutcome>
{
    private const string Workflow = "release-workflow";

    // Enums by name, so an audit record reads the same to a person as to the dashboard.
    private static readonly JsonSerializerOptions EvidenceJson = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

    /// <summary>Traffic calls are retried durably; a target that keeps failing ends in a rollback that says why.</summary>
    private static readonly TaskOptions TargetRetry = TaskOptions.WithRetry(new RetryPolicy(4, TimeSpan.FromSeconds(10), 2, TimeSpan.FromMinutes(2)));
    private static readonly TaskOptions IoRetry = TaskOptions.WithRetry(new RetryPolicy(3, TimeSpan.FromSeconds(5), 2, TimeSpan.FromMinutes(1)));

    private TaskOrchestrationContext _context = null!;
    private ReleaseRequest _request = null!;
    private ReleasePolicy? _policy;
    private string _policyYaml = string.Empty;
    private Release _release = null!;
    private DateTimeOffset _startedAt;
    private int? _weight;
    private int _stepCount;
    private string _summary = "received";
    private readonly List<GateSummary> _gates = new();
    private readonly List<string> _approvedBy = new();
    private string? _laneStage;

    /// <summary>The stages whose traffic this release asked to move and has not yet verified back at 0%, oldest first.</summary>
    private readonly List<StagePolicy> _movedStages = new();

    private ReleasePolicy Policy => _policy ?? throw new InvalidOperationException("The release policy is not resolved yet.");

    private DateTimeOffset Now => new(_context.CurrentUtcDateTime, TimeSpan.Zero);

    public override async Task<ReleaseOutcome> RunAsync(TaskOrchestrationContext context, ReleaseRequest request)
    {
        _context = context;
        _request = request;
        _startedAt = Now;
        _release = Release.Create(request.Id, Now);

        ReleaseOutcome outcome;
        try
        {
            outcome = await RunReleaseAsync();
        }
        catch (Exception ex)
        {
            // Whatever escaped (an activity after its retries, a bug): traffic is never left on the candidate.
            outcome = await RecoverAsync(ex);
        }

        await LeaveLaneAsync();
        return await SettleTrailAsync(outcome);
    }

    private async Task<ReleaseOutcome> RunReleaseAsync()
    {
        PolicyDocument document;
        try
        {
            document = await _context.CallActivityAsync<PolicyDocument>(nameof(ResolveReleasePolicy), _request, IoRetry);
        }
        catch (TaskFailedException ex)
        {
            return await FailAsync($"the release policy could not be read: {ex.FailureDetails.ErrorMessage}", new { error = ex.FailureDetails.ErrorMessage });
        }

        var parsed = ReleasePolicyParser.Parse(document.Yaml);
        if (parsed.Policy is null)
        {
            var problems = parsed.Problems.Select(p => p.ToString()).ToArray();
            return await FailAsync($"the release policy at {document.Location} is invalid: {string.Join("; ", problems)}", new { document.Location, problems });
        }

        _policy = parsed.Policy;
        _policyYaml = document.Yaml;
        await RecordAsync("release-received", Workflow, $"merge of #{_request.PullRequest} by {_request.Author} received; policy from {document.Location}",
            new { _request.Repository, _request.PullRequest, _request.MergeCommitSha, _request.Service, _request.Version, _request.Labels, policy = document.Location, document.IsDefault, stages = Policy.Stages.Select(s => s.Name) });

        var hold = await WaitOutFreezeAsync(null, "before the release starts") ?? await PassErrorBudgetAsync();
        if (hold is not null)
        {
            return await FinishInterruptedAsync(hold, null);
        }

        _release = _release.Start(Policy.Stages[0].Name, Workflow, Now);
        foreach (var stage in Policy.Stages)
        {
            _stepCount = stage.Strategy.StepCount;
            await LeaveLaneAsync();
            var queued = await EnterLaneAsync(stage);
            if (queued is not null)
            {
                return await FinishInterruptedAsync(queued, stage);
            }

            var frozen = stage == Policy.Stages[0] ? null : await WaitOutFreezeAsync(stage, $"before stage {stage.Name}");
            var interrupted = frozen ?? stage.Strategy switch
            {
                CanaryStrategy canary => await RunCanaryAsync(stage, canary),
                BlueGreenStrategy blueGreen => await RunBlueGreenAsync(stage, blueGreen),
                DirectStrategy direct => await RunDirectAsync(stage, direct),
                _ => throw new InvalidOperationException($"Unknown strategy {stage.Strategy.GetType().Name}."),
            };
            if (interrupted is not null)
            {
                return await FinishInterruptedAsync(interrupted, stage);
            }
        }

        _release = _release.Promote(Workflow, Now, "every stage passed");
        _movedStages.Clear(); // promoted: the candidate is the stable version now
        _summary = $"promoted: {_request.Version} is live in {string.Join(", ", Policy.Stages.Select(s => s.Name))}";
        await RecordAsync("promoted", Workflow, _summary, new { stages = Policy.Stages.Select(s => s.Name), gates = _gates });
        await PublishAsync("a post-release review runs after " + Policy.ReviewDelay);
        return new ReleaseOutcome(ReleaseStatus.Promoted, _summary);
    }

    // ---- strategies ----

    private async Task<Interruption?> RunCanaryAsync(StagePolicy stage, CanaryStrategy canary)
    {
        for (var step = 1; step <= canary.Steps.Count; step++)
        {
            var plan = canary.Steps[step - 1];
            var approval = await AwaitApprovalsAsync(stage, step);
            if (approval is not null)
            {
                return approval;
            }

            var frozen = step == 1 ? null : await WaitOutFreezeAsync(stage, $"before {stage.Name} step {step} ({plan.WeightPercent}%)");
            if (frozen is not null)
            {
                return frozen;
            }

            var shifted = await ShiftAsync(stage, step, plan.WeightPercent, TrafficAction.Shift);
            if (shifted is not null)
            {
                return shifted;
            }

            var stepStart = Now;
            await PublishAsync($"soaking for {plan.Soak}, then judging the gate");
            var soak = await SoakAsync(stepStart + plan.Soak, acceptPromote: true);
            if (soak is { Kind: InterruptionKind.Promote })
            {
                await RecordAsync("soak-skipped", soak.Actor, $"{soak.Actor} promoted step {step}: the rest of the soak and its gate are skipped", new { stage = stage.Name, step, soak.Comment });
                continue;
            }

            if (soak is not null)
            {
                return soak;
            }

            var judged = await JudgeAsync(stage, GateScope.Stage, stage.Gate, stepStart, step);
            if (judged is not null)
            {
                return judged;
            }
        }

        return await WaitOutFreezeAsync(stage, $"before {stage.Name} takes all traffic")
               ?? await ShiftAsync(stage, canary.Steps.Count, 100, TrafficAction.Promote);
    }

    private async Task<Interruption?> RunBlueGreenAsync(StagePolicy stage, BlueGreenStrategy blueGreen)
    {
        var approval = await AwaitApprovalsAsync(stage, 1);
        if (approval is not null)
        {
            return approval;
        }

        _release = _release.AdvanceTo(stage.Name, 1, Workflow, Now, $"checking {_request.Version} on the idle slot before the swap");
        var idleStart = Now;
        await PublishAsync($"checking the idle slot for {blueGreen.IdleSoak}, then swapping");
        var idle = await SoakAsync(idleStart + blueGreen.IdleSoak, acceptPromote: true)
                   ?? await JudgeAsync(stage, GateScope.IdleSlot, blueGreen.IdleChecks, idleStart, 1);
        if (idle is { Kind: not InterruptionKind.Promote })
        {
            return idle;
        }

        var swapped = await WaitOutFreezeAsync(stage, $"before the swap of {stage.Name}") ?? await ShiftAsync(stage, 1, 100, TrafficAction.Swap);
        if (swapped is not null)
        {
            return swapped;
        }

        var swapStart = Now;
        await PublishAsync($"swapped; watching for {blueGreen.PostSwapSoak}; the old slot stays warm for {blueGreen.KeepOldSlotFor}");
        var after = await SoakAsync(swapStart + blueGreen.PostSwapSoak, acceptPromote: true);
        if (after is { Kind: InterruptionKind.Promote })
        {
            return null;
        }

        return after ?? await JudgeAsync(stage, GateScope.Stage, stage.Gate, swapStart, 1);
    }

    private async Task<Interruption?> RunDirectAsync(StagePolicy stage, DirectStrategy direct)
    {
        var approval = await AwaitApprovalsAsync(stage, 1);
        if (approval is not null)
        {
            return approval;
        }

        var shifted = await ShiftAsync(stage, 1, 100, TrafficAction.Shift);
        if (shifted is not null)
        {
            return shifted;
        }

        var start = Now;
        await PublishAsync($"soaking for {direct.Soak}, then judging the gate");
        var soak = await SoakAsync(start + direct.Soak, acceptPromote: true);
        if (soak is { Kind: InterruptionKind.Promote })
        {
            return null;
        }

        return soak ?? await JudgeAsync(stage, GateScope.Stage, stage.Gate, start, 1);
    }

    // ---- endings ----

    private async Task<ReleaseOutcome> FinishInterruptedAsync(Interruption interruption, StagePolicy? stage)
    {
        switch (interruption.Kind)
        {
            case InterruptionKind.Rollback when _movedStages.Count > 0:
                return await RollBackAsync(interruption);
            case InterruptionKind.Abort:
                if (_movedStages.Count > 0)
                {
                    var undo = await ShiftEverythingBackAsync();
                    if (undo is not null)
                    {
                        _release = _release.BeginRollback(interruption.Actor, Now, $"{interruption.Reason}: moving traffic back");
                        return await RollbackFailedAsync(interruption, undo);
                    }
                }

                _release = _release.Abort(interruption.Actor, Now, interruption.Reason);
                _summary = interruption.Reason;
                await RecordAsync("aborted", interruption.Actor, interruption.Reason, interruption.Evidence);
                await PublishAsync("stopped");
                return new ReleaseOutcome(ReleaseStatus.Aborted, interruption.Reason);
            case InterruptionKind.Rollback:
                _release = _release.BeginRollback(interruption.Actor, Now, interruption.Reason)
                                   .CompleteRollback(Workflow, Now, "nothing was deployed yet");
                _summary = $"rolled back before any traffic moved: {interruption.Reason}";
                await RecordAsync("rolled-back", interruption.Actor, _summary, interruption.Evidence);
                await PublishAsync("stopped");
                return new ReleaseOutcome(ReleaseStatus.RolledBack, _summary);
            default:
                return await FailAsync(interruption.Reason, interruption.Evidence);
        }
    }

    /// <summary>Moves every stage this release touched back to the stable version; ends rolled back, or rollback-failed.</summary>
    private async Task<ReleaseOutcome> RollBackAsync(Interruption why)
    {
        if (_release.Status != ReleaseStatus.RollingBack)
        {
            _release = _release.BeginRollback(why.Actor, Now, why.Reason);
        }

        await RecordAsync("rollback-started", why.Actor, why.Reason, new { cause = why.Evidence, stages = _movedStages.Select(s => s.Name).Reverse() });
        await PublishAsync("rolling back");
        var undo = await ShiftEverythingBackAsync();
        if (undo is not null)
        {
            return await RollbackFailedAsync(why, undo);
        }

        _release = _release.CompleteRollback(Workflow, Now, "traffic back on the stable version, verified");
        _summary = $"rolled back: {why.Reason}";
        await RecordAsync("rolled-back", Workflow, _summary + "; traffic verified back on the stable version", new { cause = why.Evidence, weight = _weight });
        await PublishAsync("stopped; fix forward with a new merge");
        return new ReleaseOutcome(ReleaseStatus.RolledBack, _summary);
    }

    /// <summary>Traffic could not be moved back: a distinct final state, the last weight read, and an alert to everyone.</summary>
    private async Task<ReleaseOutcome> RollbackFailedAsync(Interruption why, RollbackFailure failure)
    {
        _weight = failure.LastWeightRead ?? _weight;
        var weight = failure.LastWeightRead is { } read ? $"{read}% read back on {_request.Version}" : "the weight could not be read";
        var reason = $"rollback failed in {failure.Stage}: {failure.Problem}; {weight} (rolling back because {why.Reason})";
        _release = _release.FailRollback(Workflow, Now, reason);
        _summary = $"ROLLBACK FAILED: {reason}";
        await RecordAsync("rollback-failed", Workflow, reason,
            new { cause = why.Evidence, stage = failure.Stage, lastWeightRead = failure.LastWeightRead, failure.LastReadDetail, problem = failure.Problem, failure.Attempts });
        await PublishAsync($"ACTION NEEDED: the candidate {_request.Version} may still take traffic in {failure.Stage}; move it back on the target by hand");
        return new ReleaseOutcome(ReleaseStatus.RollbackFailed, reason);
    }

    /// <summary>Ends the release failed; when traffic had moved, it goes back first (failed never leaves it on the candidate).</summary>
    private async Task<ReleaseOutcome> FailAsync(string reason, object? evidence)
    {
        if (_movedStages.Count > 0)
        {
            return await RollBackAsync(Interruption.Rollback(Workflow, reason, evidence));
        }

        _release = _release.Fail(Workflow, Now, reason);
        _summary = $"failed: {reason}";
        await RecordAsync("failed", Workflow, reason, evidence);
        await PublishAsync("stopped; see the audit trail");
        return new ReleaseOutcome(ReleaseStatus.Failed, reason);
    }

    /// <summary>Something escaped the course of the release: undo what moved, or fail when nothing did.</summary>
    private async Task<ReleaseOutcome> RecoverAsync(Exception error)
    {
        var message = error is TaskFailedException failed ? $"{failed.Message} ({failed.FailureDetails.ErrorMessage})" : $"{error.GetType().Name}: {error.Message}";
        var reason = $"the release workflow failed unexpectedly: {message}";
        if (_release.IsFinal)
        {
            return new ReleaseOutcome(_release.Status, _summary);
        }

        if (_movedStages.Count == 0 && _release.Status == ReleaseStatus.RollingBack)
        {
            // Everything was verified back before the failure: the rollback is complete.
            _release = _release.CompleteRollback(Workflow, Now, "traffic back on the stable version, verified");
            _summary = $"rolled back; then {reason}";
            await RecordAsync("rolled-back", Workflow, _summary, new { error = message });
            return new ReleaseOutcome(ReleaseStatus.RolledBack, _summary);
        }

        if (_movedStages.Count == 0)
        {
            if (!_release.Allows(ReleaseMove.Fail))
            {
                return new ReleaseOutcome(_release.Status, _summary);
            }

            return await FailAsync(reason, new { error = message });
        }

        return await RollBackAsync(Interruption.Rollback(Workflow, reason, new { error = message }));
    }

    private static string Because(ReleaseCommand command) => command.Comment is { } comment ? $" ({comment})" : string.Empty;

    private enum InterruptionKind
    {
        Promote,
        Rollback,
        Abort,
        Fail,
    }

    /// <summary>Why the normal course stopped, who stopped it, and the evidence.</summary>
    private sealed record Interruption(InterruptionKind Kind, string Actor, string Reason, object? Evidence, string? Comment)
    {
        public static Interruption Rollback(string actor, string reason, object? evidence) => new(InterruptionKind.Rollback, actor, reason, evidence, null);
    }
}
