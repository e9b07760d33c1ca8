using System.Text.Json;
using System.Text.Json.Serialization;
using ReleaseFunctions.Core.Approvals;
using ReleaseFunctions.Core.Audit;
using ReleaseFunctions.Core.ErrorBudget;
using ReleaseFunctions.Core.Gates;
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
internal sealed class ReleaseOrchestrator : TaskOrchestrator<ReleaseRequest, ReleaseOutcome>
{
    private const string Workflow = "release-workflow";

    // Enums by name, so an audit record reads the same to a person as to the dashboard.
    private static readonly JsonSerializerOptions EvidenceJson = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

    /// <summary>Traffic calls are retried durably; a target that keeps failing ends in a rollback that says why.</summary>
    private static readonly TaskOptions TargetRetry = TaskOptions.WithRetry(new RetryPolicy(4, TimeSpan.FromSeconds(10), 2, TimeSpan.FromMinutes(2)));
    private static readonly TaskOptions IoRetry = TaskOptions.WithRetry(new RetryPolicy(3, TimeSpan.FromSeconds(5), 2, TimeSpan.FromMinutes(1)));

    private TaskOrchestrationContext _context = null!;
    private ReleaseRequest _request = null!;
    private ReleasePolicy _policy = null!;
    private string _policyYaml = string.Empty;
    private Release _release = null!;
    private DateTimeOffset _startedAt;
    private int? _weight;
    private int _stepCount;
    private string _summary = "received";
    private readonly List<GateSummary> _gates = new();
    private readonly List<string> _approvedBy = new();
    private string? _laneStage;

    private DateTimeOffset Now => new(_context.CurrentUtcDateTime, TimeSpan.Zero);

    public override async Task<ReleaseOutcome> RunAsync(TaskOrchestrationContext context, ReleaseRequest request)
    {
        try
        {
            return await RunReleaseAsync(context, request);
        }
        finally
        {
            await LeaveLaneAsync();
        }
    }

    private async Task<ReleaseOutcome> RunReleaseAsync(TaskOrchestrationContext context, ReleaseRequest request)
    {
        _context = context;
        _request = request;
        _startedAt = Now;
        _release = Release.Create(request.Id, Now);

        var document = await context.CallActivityAsync<PolicyDocument>(nameof(ResolveReleasePolicy), request, IoRetry);
        var parsed = ReleasePolicyParser.Parse(document.Yaml);
        if (parsed.Policy is null)
        {
            var problems = parsed.Problems.Select(p => p.ToString()).ToArray();
            return await FailAsync($"the release policy at {document.Location} is invalid: {string.Join("; ", problems)}", new { document.Location, problems });
        }

        _policy = parsed.Policy;
        _policyYaml = document.Yaml;
        await RecordAsync("release-received", Workflow, $"merge of #{request.PullRequest} by {request.Author} received; policy from {document.Location}",
            new { request.Repository, request.PullRequest, request.MergeCommitSha, request.Service, request.Version, request.Labels, policy = document.Location, document.IsDefault, stages = _policy.Stages.Select(s => s.Name) });

        var hold = await WaitOutFreezeAsync() ?? await PassErrorBudgetAsync();
        if (hold is not null)
        {
            return await FinishInterruptedAsync(hold, null);
        }

        _release = _release.Start(_policy.Stages[0].Name, Workflow, Now);
        foreach (var stage in _policy.Stages)
        {
            _stepCount = stage.Strategy.StepCount;
            await LeaveLaneAsync();
            var queued = await EnterLaneAsync(stage);
            if (queued is not null)
            {
                return await FinishInterruptedAsync(queued, stage);
            }

            var interrupted = stage.Strategy switch
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
        _summary = $"promoted: {_request.Version} is live in {string.Join(", ", _policy.Stages.Select(s => s.Name))}";
        await RecordAsync("promoted", Workflow, _summary, new { stages = _policy.Stages.Select(s => s.Name), gates = _gates });
        await PublishAsync("a post-release review runs after " + _policy.ReviewDelay);
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

        return await ShiftAsync(stage, canary.Steps.Count, 100, TrafficAction.Promote);
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
            return idle with { NothingToUndo = true };
        }

        var swapped = await ShiftAsync(stage, 1, 100, TrafficAction.Swap);
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

    // ---- one release per service and stage ----

    /// <summary>Waits for this service's lane in the stage; commands still apply while queued.</summary>
    private async Task<Interruption?> EnterLaneAsync(StagePolicy stage)
    {
        var request = new LaneRequest(true, _request.Id.InstanceId, _request.Version, _policy.Concurrency);
        var laneId = await _context.CallActivityAsync<string>(nameof(RequestLane), new LaneEntry(_request.Service, stage.Name, request), IoRetry);
        _laneStage = stage.Name;
        var requestedAt = Now;
        _context.SetCustomStatus(new ReleaseProgress(_release.Status, stage.Name, 0, _stepCount, _weight, _summary,
            $"waiting until no other release of {_request.Service} is in {stage.Name} ({_policy.Concurrency})", _gates.ToArray(), _approvedBy.ToArray()));
        while (true)
        {
            using var cts = new CancellationTokenSource();
            var granted = _context.WaitForExternalEvent<string>(ReleaseLaneOrchestrator.GrantedEvent, cts.Token);
            var command = _context.WaitForExternalEvent<ReleaseCommand>(ReleaseEvents.Command, cts.Token);
            var winner = await Task.WhenAny(granted, command);
            cts.Cancel();
            if (winner == granted)
            {
                if (await granted != laneId)
                {
                    continue; // a grant of an earlier stage's lane, delivered twice
                }

                if (Now > requestedAt)
                {
                    await RecordAsync("lane-entered", Workflow, $"entered {stage.Name} after waiting {Now - requestedAt} for the release ahead of it", new { lane = laneId, waited = Now - requestedAt });
                }

                return null;
            }

            var received = await command;
            if (received.Kind is ReleaseCommandKind.Abort or ReleaseCommandKind.Rollback)
            {
                return new Interruption(InterruptionKind.Abort, received.Actor, $"stopped by {received.Actor} while waiting to enter {stage.Name}" + Because(received), received, received.Comment) { NothingToUndo = true };
            }

            await RefuseAsync(received, $"another release of {_request.Service} is in {stage.Name}; this one waits its turn");
        }
    }

    private async Task LeaveLaneAsync()
    {
        if (_laneStage is { } stage)
        {
            _laneStage = null;
            var request = new LaneRequest(false, _request.Id.InstanceId, _request.Version, _policy.Concurrency);
            await _context.CallActivityAsync<string>(nameof(RequestLane), new LaneEntry(_request.Service, stage, request), IoRetry);
        }
    }

    // ---- traffic ----

    /// <summary>Shifts traffic and checks the target's read-back; a failure or a mismatch becomes a rollback with the reason.</summary>
    private async Task<Interruption?> ShiftAsync(StagePolicy stage, int step, int weight, TrafficAction action)
    {
        var expected = action is TrafficAction.Rollback ? 0 : weight;
        var shift = new TrafficShift(stage.Target, _request.Id.InstanceId, _request.Service, _request.Version, stage.Name, step, expected, action, IdempotencyKey: "-");
        TrafficState state;
        try
        {
            state = await _context.CallActivityAsync<TrafficState>(nameof(ShiftTraffic), shift, TargetRetry);
        }
        catch (TaskFailedException ex)
        {
            var reason = $"{action} to {expected}% on {stage.Target.Provider} failed after retries: {ex.FailureDetails.ErrorMessage}";
            await RecordAsync("traffic-shift-failed", Workflow, reason, new { stage = stage.Name, step, action, expected, error = ex.FailureDetails.ErrorMessage });
            return Interruption.Rollback(Workflow, reason, new { error = ex.FailureDetails.ErrorMessage });
        }

        if (state.CandidateWeightPercent != expected)
        {
            var reason = $"{action} to {expected}% not verified: {stage.Target.Provider} reports {state.CandidateWeightPercent}% ({state.Detail})";
            await RecordAsync("traffic-shift-unverified", Workflow, reason, new { stage = stage.Name, step, action, expected, state });
            return Interruption.Rollback(Workflow, reason, state);
        }

        _weight = state.CandidateWeightPercent;
        if (action is TrafficAction.Shift)
        {
            // The release is on its new step before the shift is recorded, so the record and the ledger agree on where it stands.
            _release = _release.AdvanceTo(stage.Name, step, Workflow, Now, $"{state.CandidateWeightPercent}% of traffic on {_request.Version}");
        }

        _summary = $"{stage.Name} step {step} of {stage.Strategy.StepCount}: {state.CandidateWeightPercent}% on {_request.Version}";
        await RecordAsync(action == TrafficAction.Promote ? "stage-promoted" : "traffic-shifted", Workflow,
            $"{stage.Name}: {action} → {state.CandidateWeightPercent}% on {_request.Version} (verified: {state.Detail})",
            new { stage = stage.Name, step, action, requested = expected, state });
        return null;
    }

    // ---- waiting, with commands ----

    /// <summary>Waits until <paramref name="until"/> while handling commands; null when the time was served.</summary>
    private async Task<Interruption?> SoakAsync(DateTimeOffset until, bool acceptPromote)
    {
        while (true)
        {
            var command = await NextCommandAsync(until);
            if (command is null)
            {
                return null;
            }

            var (interruption, pausedFor) = await HandleControlCommandAsync(command, acceptPromote);
            if (interruption is not null)
            {
                return interruption;
            }

            until += pausedFor; // time spent paused does not count as soak
        }
    }

    /// <summary>The next command, or null when <paramref name="until"/> comes first (never, when null). The loser is cancelled.</summary>
    private async Task<ReleaseCommand?> NextCommandAsync(DateTimeOffset? until)
    {
        if (until is null)
        {
            return await _context.WaitForExternalEvent<ReleaseCommand>(ReleaseEvents.Command);
        }

        if (until <= Now)
        {
            return null;
        }

        using var cts = new CancellationTokenSource();
        var command = _context.WaitForExternalEvent<ReleaseCommand>(ReleaseEvents.Command, cts.Token);
        var timer = _context.CreateTimer(until.Value.UtcDateTime, cts.Token);
        var winner = await Task.WhenAny(command, timer);
        cts.Cancel();
        return winner == command ? await command : null;
    }

    /// <summary>Pause (until resume), promote, rollback, abort and status; approvals outside an approval wait are refused.</summary>
    private async Task<(Interruption? Interruption, TimeSpan PausedFor)> HandleControlCommandAsync(ReleaseCommand command, bool acceptPromote)
    {
        switch (command.Kind)
        {
            case ReleaseCommandKind.Rollback:
                return (Interruption.Rollback(command.Actor, $"rollback requested by {command.Actor}" + Because(command), command), TimeSpan.Zero);
            case ReleaseCommandKind.Abort:
                return (new Interruption(InterruptionKind.Abort, command.Actor, $"aborted by {command.Actor}" + Because(command), command, command.Comment), TimeSpan.Zero);
            case ReleaseCommandKind.Promote when acceptPromote:
                return (new Interruption(InterruptionKind.Promote, command.Actor, $"promoted by {command.Actor}", command, command.Comment), TimeSpan.Zero);
            case ReleaseCommandKind.Pause:
                return await PauseAsync(command);
            case ReleaseCommandKind.Status:
                await PublishAsync(_summary);
                return (null, TimeSpan.Zero);
            default:
                await RefuseAsync(command, command.Kind switch
                {
                    ReleaseCommandKind.Resume => "the release is not paused",
                    ReleaseCommandKind.Promote => "there is no soak to cut short here",
                    _ => "no approval is pending",
                });
                return (null, TimeSpan.Zero);
        }
    }

    private async Task<(Interruption?, TimeSpan)> PauseAsync(ReleaseCommand pause)
    {
        var pausedAt = Now;
        _release = _release.Pause(pause.Actor, pausedAt, $"paused by {pause.Actor}" + Because(pause));
        await RecordAsync("paused", pause.Actor, $"paused by {pause.Actor}" + Because(pause), pause);
        await PublishAsync("paused: /resume continues, /rollback or /abort stops");
        while (true)
        {
            var command = (await NextCommandAsync(null))!;
            switch (command.Kind)
            {
                case ReleaseCommandKind.Resume:
                    _release = _release.Resume(command.Actor, Now, $"resumed by {command.Actor}");
                    await RecordAsync("resumed", command.Actor, $"resumed by {command.Actor} after {Now - pausedAt}", command);
                    await PublishAsync("resumed");
                    return (null, Now - pausedAt);
                case ReleaseCommandKind.Rollback:
                    return (Interruption.Rollback(command.Actor, $"rollback requested by {command.Actor}" + Because(command), command), Now - pausedAt);
                case ReleaseCommandKind.Abort:
                    return (new Interruption(InterruptionKind.Abort, command.Actor, $"aborted by {command.Actor}" + Because(command), command, command.Comment), Now - pausedAt);
                case ReleaseCommandKind.Status:
                    await PublishAsync("paused: /resume continues, /rollback or /abort stops");
                    break;
                default:
                    await RefuseAsync(command, "the release is paused; send /resume first");
                    break;
            }
        }
    }

    // ---- approvals ----

    private async Task<Interruption?> AwaitApprovalsAsync(StagePolicy stage, int step)
    {
        var requirements = stage.ApprovalsBefore(step).ToList();
        if (step == 1)
        {
            requirements.InsertRange(0, stage.ApprovalsBefore(null));
        }

        foreach (var requirement in requirements)
        {
            var outcome = await AwaitApprovalAsync(stage, step, requirement);
            if (outcome is not null)
            {
                return outcome;
            }
        }

        return null;
    }

    private async Task<Interruption?> AwaitApprovalAsync(StagePolicy stage, int step, ApprovalRequirement requirement)
    {
        var requestedAt = Now;
        _release = _release.RequestApproval(Workflow, requestedAt, $"approval needed before {stage.Name} step {step}");
        await RecordAsync("approval-requested", Workflow, $"approval needed before {stage.Name} step {step}: {requirement.DescribeAllowed()}",
            new { stage = stage.Name, step, requirement.Quorum, users = requirement.Users, teams = requirement.Teams, requirement.Timeout, onTimeout = requirement.OnTimeout.ToString(), requirement.AllowSelfApproval });
        await PublishAsync($"waiting for approval: {requirement.DescribeAllowed()} (/approve or /reject)");

        var commands = new List<ReleaseCommand>();
        var teams = new Dictionary<string, IReadOnlySet<string>>(StringComparer.OrdinalIgnoreCase);
        DateTimeOffset? deadline = requirement.Timeout is { } timeout ? requestedAt + timeout : null;
        while (true)
        {
            var command = await NextCommandAsync(deadline);
            if (command is null)
            {
                var reason = $"no approval within {requirement.Timeout} before {stage.Name} step {step}";
                await RecordAsync("approval-timed-out", Workflow, $"{reason}; the policy says {requirement.OnTimeout}", new { stage = stage.Name, step, onTimeout = requirement.OnTimeout.ToString() });
                switch (requirement.OnTimeout)
                {
                    case ApprovalTimeoutAction.Proceed:
                        _release = _release.GrantApproval(Workflow, Now, reason + "; proceeding as the policy says");
                        return null;
                    case ApprovalTimeoutAction.Wait:
                        deadline = null;
                        await PublishAsync($"still waiting for approval: {requirement.DescribeAllowed()}");
                        continue;
                    default:
                        return _policy.Rollback.OnApprovalTimeout
                            ? Interruption.Rollback(Workflow, reason, null)
                            : new Interruption(InterruptionKind.Fail, Workflow, reason, null, null);
                }
            }

            if (command.Kind is not (ReleaseCommandKind.Approve or ReleaseCommandKind.Reject))
            {
                var (interruption, _) = await HandleControlCommandAsync(command, acceptPromote: false);
                if (interruption is not null)
                {
                    return interruption;
                }

                continue;
            }

            if (requirement.Teams.Count > 0 && !teams.ContainsKey(command.Actor))
            {
                var found = await _context.CallActivityAsync<string[]>(nameof(ResolveApproverTeams), new ApproverTeamsRequest(command.Actor, requirement.Teams.ToArray(), _request.InstallationId), IoRetry);
                teams[command.Actor] = found.ToHashSet(StringComparer.OrdinalIgnoreCase);
            }

            commands.Add(command);
            var state = ApprovalEvaluator.Evaluate(requirement, _request.Author, commands, teams, requestedAt, Now);
            var refused = state.Refused.FirstOrDefault(r => ReferenceEquals(r.Command, command) || r.Command == command);
            if (refused is not null)
            {
                await RefuseAsync(command, refused.Reason);
                continue;
            }

            if (command.Kind == ReleaseCommandKind.Approve)
            {
                await RecordAsync("approval-given", command.Actor, $"approved by {command.Actor}" + Because(command) + $"; {state.Reason}", new { command, state.ApprovedBy, state.StillNeeded });
            }

            switch (state.Status)
            {
                case ApprovalStatus.Granted:
                    _approvedBy.AddRange(state.ApprovedBy.Where(a => !_approvedBy.Contains(a, StringComparer.OrdinalIgnoreCase)));
                    _release = _release.GrantApproval(Workflow, Now, state.Reason);
                    await RecordAsync("approval-granted", Workflow, state.Reason, new { state.ApprovedBy, stage = stage.Name, step });
                    return null;
                case ApprovalStatus.Rejected:
                    return Interruption.Rollback(command.Actor, $"rejected by {state.RejectedBy}" + Because(command), new { command, state.Reason });
                default:
                    await PublishAsync($"waiting for {state.StillNeeded} more approval(s): {requirement.DescribeAllowed()}");
                    break;
            }
        }
    }

    /// <summary>Whether <paramref name="command"/>'s author may approve anything under this policy (for freeze and error-budget overrides).</summary>
    private async Task<string?> OverrideRefusalAsync(ReleaseCommand command)
    {
        var requirements = _policy.Stages.SelectMany(s => s.Approvals).ToList();
        if (requirements.Count == 0)
        {
            return "this policy names no approvers, so nobody can approve an override";
        }

        string? lastReason = null;
        foreach (var requirement in requirements)
        {
            var teams = new Dictionary<string, IReadOnlySet<string>>(StringComparer.OrdinalIgnoreCase);
            if (requirement.Teams.Count > 0)
            {
                var found = await _context.CallActivityAsync<string[]>(nameof(ResolveApproverTeams), new ApproverTeamsRequest(command.Actor, requirement.Teams.ToArray(), _request.InstallationId), IoRetry);
                teams[command.Actor] = found.ToHashSet(StringComparer.OrdinalIgnoreCase);
            }

            var single = ApprovalEvaluator.Evaluate(requirement, _request.Author, [command], teams, Now, Now);
            var refusal = single.Refused.FirstOrDefault();
            if (refusal is null)
            {
                return null;
            }

            lastReason = refusal.Reason;
        }

        return lastReason;
    }

    // ---- release windows ----

    private async Task<Interruption?> WaitOutFreezeAsync()
    {
        while (true)
        {
            var status = _policy.Freeze.Check(Now, _request.Labels);
            if (!status.Blocked)
            {
                if (status.Frozen)
                {
                    await RecordAsync("freeze-exempt", Workflow, status.Reason, status);
                }

                return null;
            }

            await RecordAsync("freeze-hold", Workflow, status.Reason, status);
            await PublishAsync($"held by freeze window {status.Window} until {status.AllowedFrom:u}; an authorised /approve overrides");
            while (true)
            {
                var command = await NextCommandAsync(status.AllowedFrom);
                if (command is null)
                {
                    break;
                }

                if (command.Kind is ReleaseCommandKind.Abort or ReleaseCommandKind.Reject or ReleaseCommandKind.Rollback)
                {
                    return new Interruption(InterruptionKind.Abort, command.Actor, $"stopped by {command.Actor} during freeze window {status.Window}" + Because(command), command, command.Comment) { NothingToUndo = true };
                }

                if (command.Kind != ReleaseCommandKind.Approve)
                {
                    await RefuseAsync(command, $"the release is held by freeze window {status.Window}; only /approve (override) or /abort apply");
                    continue;
                }

                var refusal = await OverrideRefusalAsync(command);
                if (refusal is not null)
                {
                    await RefuseAsync(command, refusal);
                    continue;
                }

                await RecordAsync("freeze-overridden", command.Actor, $"freeze window {status.Window} overridden by {command.Actor}" + Because(command), new { command, status });
                return null;
            }
        }
    }

    private async Task<Interruption?> PassErrorBudgetAsync()
    {
        if (_policy.ErrorBudget is not { } budget)
        {
            return null;
        }

        var parameters = ReleaseParameters.For(_request, _policy.Stages[0].Name, 0, null);
        ErrorBudgetCounts counts;
        try
        {
            counts = await _context.CallActivityAsync<ErrorBudgetCounts>(nameof(ReadErrorBudget), new ErrorBudgetRequest(_policyYaml, Now, parameters), IoRetry);
        }
        catch (TaskFailedException ex)
        {
            var reason = $"the error budget could not be read: {ex.FailureDetails.ErrorMessage}";
            return new Interruption(InterruptionKind.Fail, Workflow, reason, null, null) { NothingToUndo = true };
        }

        var decision = ErrorBudgetGate.Decide(budget, counts.GoodEvents, counts.TotalEvents, _request.Labels);
        await RecordAsync("error-budget", Workflow, decision.Reason, decision);
        if (decision.MayProceed)
        {
            return null;
        }

        await PublishAsync("blocked: the error budget is spent; an authorised /approve overrides, /abort stops");
        while (true)
        {
            var command = (await NextCommandAsync(null))!;
            if (command.Kind is ReleaseCommandKind.Abort or ReleaseCommandKind.Reject or ReleaseCommandKind.Rollback)
            {
                return new Interruption(InterruptionKind.Abort, command.Actor, $"stopped by {command.Actor}: {decision.Reason}", command, command.Comment) { NothingToUndo = true };
            }

            var refusal = command.Kind == ReleaseCommandKind.Approve ? await OverrideRefusalAsync(command) : "the error budget is spent; only /approve (override) or /abort apply";
            if (refusal is not null)
            {
                await RefuseAsync(command, refusal);
                continue;
            }

            var overridden = ErrorBudgetGate.Decide(budget, counts.GoodEvents, counts.TotalEvents, _request.Labels, command.Actor);
            await RecordAsync("error-budget-overridden", command.Actor, overridden.Reason, new { command, overridden });
            return null;
        }
    }

    // ---- gates ----

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
            var request = new GateMeasurementRequest(_policyYaml, stage.Name, scope, since, end, ReleaseParameters.For(_request, stage.Name, step, _weight));
            var measurement = await _context.CallActivityAsync<GateMeasurement>(nameof(MeasureGate), request, IoRetry);
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
                return _policy.Rollback.OnFailedGate
                    ? Interruption.Rollback("gate", reason, result)
                    : new Interruption(InterruptionKind.Fail, "gate", reason, result, null);
            default:
                return _policy.Rollback.OnInconclusive == InconclusiveAction.Rollback
                    ? Interruption.Rollback("gate", reason, result)
                    : await AwaitDecisionAsync(reason);
        }
    }

    private async Task<Interruption?> AwaitDecisionAsync(string reason)
    {
        _release = _release.AwaitDecision("gate", Now, reason);
        await RecordAsync("decision-requested", "gate", reason + "; waiting for /promote or /rollback", null);
        await PublishAsync("the gate is inconclusive: /promote continues, /rollback undoes");
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
                    return Interruption.Rollback(command.Actor, $"rollback decided by {command.Actor} after an inconclusive gate" + Because(command), command);
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

    // ---- endings ----

    private async Task<ReleaseOutcome> FinishInterruptedAsync(Interruption interruption, StagePolicy? stage)
    {
        switch (interruption.Kind)
        {
            case InterruptionKind.Rollback when stage is not null && !interruption.NothingToUndo:
                return await RollBackAsync(stage, interruption);
            case InterruptionKind.Abort:
                if (stage is not null && !interruption.NothingToUndo && (_weight ?? 0) > 0)
                {
                    var undo = await ShiftBackAsync(stage);
                    if (undo is not null)
                    {
                        return await FailAsync($"aborted by {interruption.Actor}, but traffic could not be moved back: {undo}", interruption.Evidence);
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

    private async Task<ReleaseOutcome> RollBackAsync(StagePolicy stage, Interruption why)
    {
        _release = _release.BeginRollback(why.Actor, Now, why.Reason);
        await RecordAsync("rollback-started", why.Actor, why.Reason, why.Evidence);
        await PublishAsync("rolling back");
        var undo = await ShiftBackAsync(stage);
        if (undo is not null)
        {
            return await FailAsync($"rollback failed: {undo} (rolling back because {why.Reason})", why.Evidence);
        }

        _release = _release.CompleteRollback(Workflow, Now, "traffic back on the stable version, verified");
        _summary = $"rolled back: {why.Reason}";
        await RecordAsync("rolled-back", Workflow, _summary + "; traffic verified back on the stable version", new { cause = why.Evidence, weight = _weight });
        await PublishAsync("stopped; fix forward with a new merge");
        return new ReleaseOutcome(ReleaseStatus.RolledBack, _summary);
    }

    /// <summary>Moves all traffic back to the stable version and verifies it; returns why not, or null.</summary>
    private async Task<string?> ShiftBackAsync(StagePolicy stage)
    {
        var shift = new TrafficShift(stage.Target, _request.Id.InstanceId, _request.Service, _request.Version, stage.Name, _release.Step, 0, TrafficAction.Rollback, IdempotencyKey: "-");
        try
        {
            var state = await _context.CallActivityAsync<TrafficState>(nameof(ShiftTraffic), shift, TargetRetry);
            _weight = state.CandidateWeightPercent;
            if (state.CandidateWeightPercent != 0)
            {
                return $"{stage.Target.Provider} reports {state.CandidateWeightPercent}% still on {_request.Version} ({state.Detail})";
            }

            await RecordAsync("traffic-shifted", Workflow, $"{stage.Name}: rollback → 0% on {_request.Version} (verified: {state.Detail})", new { stage = stage.Name, action = TrafficAction.Rollback, state });
            return null;
        }
        catch (TaskFailedException ex)
        {
            return $"{stage.Target.Provider} failed: {ex.FailureDetails.ErrorMessage}";
        }
    }

    private async Task<ReleaseOutcome> FailAsync(string reason, object? evidence)
    {
        _release = _release.Fail(Workflow, Now, reason);
        _summary = $"failed: {reason}";
        await RecordAsync("failed", Workflow, reason, evidence);
        await PublishAsync("stopped; see the audit trail");
        return new ReleaseOutcome(ReleaseStatus.Failed, reason);
    }

    // ---- records and status ----

    private async Task RefuseAsync(ReleaseCommand command, string reason)
    {
        await RecordAsync("command-refused", command.Actor, $"/{command.Kind.ToString().ToLowerInvariant()} from {command.Actor} refused: {reason}", new { command, reason });
        await PublishAsync($"/{command.Kind.ToString().ToLowerInvariant()} from {command.Actor} was refused: {reason}");
    }

    private async Task RecordAsync(string kind, string actor, string reason, object? evidence)
    {
        var entry = new AuditEntry(_request.Id.InstanceId, Now, actor, kind, reason, JsonSerializer.Serialize(evidence ?? new { }, EvidenceJson));
        await _context.CallActivityAsync<long>(nameof(RecordReleaseEvent), new ReleaseEventRecord(Snapshot(), entry), IoRetry);
    }

    private ReleaseRecord Snapshot() => new(
        _request.Id.InstanceId, _request.Repository, _request.PullRequest, _request.MergeCommitSha, _request.Service, _request.Version,
        _request.Title, _request.Author, _request.MergedAt, _startedAt, _release.Status, _release.Stage, _release.Step, _weight, _summary,
        Now, _release.IsFinal ? Now : null, _release.Status == ReleaseStatus.RolledBack, _request.InstallationId);

    private async Task PublishAsync(string next)
    {
        _context.SetCustomStatus(new ReleaseProgress(_release.Status, _release.Stage, _release.Step, _stepCount, _weight, _summary, next, _gates.ToArray(), _approvedBy.ToArray()));
        var update = new ReleaseStatusUpdate(_request.Id, _request.Service, _request.Version, _release.Status, _release.Stage, _release.Step, _stepCount, _weight,
            _gates.ToArray(), _approvedBy.ToArray(), _summary, next, Now, _request.InstallationId);
        try
        {
            await _context.CallActivityAsync<int>(nameof(PublishReleaseStatus), update, IoRetry);
        }
        catch (TaskFailedException ex)
        {
            // People not hearing about a step must not stop the release; the trail says the update was lost.
            await RecordAsync("notification-failed", Workflow, $"the status update could not be published: {ex.FailureDetails.ErrorMessage}", new { next, error = ex.FailureDetails.ErrorMessage });
        }
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
        /// <summary>True when no traffic was moved yet, so there is nothing to roll back.</summary>
        public bool NothingToUndo { get; init; }

        public static Interruption Rollback(string actor, string reason, object? evidence) => new(InterruptionKind.Rollback, actor, reason, evidence, null);
    }
}
