using ReleaseFunctions.Core.Approvals;
using ReleaseFunctions.Core.ErrorBudget;
using ReleaseFunctions.Core.Freeze;
using ReleaseFunctions.Core.Policy;
using ReleaseFunctions.Core.Releases;
using ReleaseFunctions.Durable;

namespace ReleaseFunctions.Releases;

/// <summary>Waiting, with commands: soaks, pause, the service's lane, freeze windows, the error budget and their overrides.</summary>
internal sealed partial class ReleaseOrchestrator
{
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
                return (Aborted(command, $"aborted by {command.Actor}" + Because(command)), TimeSpan.Zero);
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
                    return (Aborted(command, $"aborted by {command.Actor}" + Because(command)), Now - pausedAt);
                case ReleaseCommandKind.Status:
                    await PublishAsync("paused: /resume continues, /rollback or /abort stops");
                    break;
                default:
                    await RefuseAsync(command, "the release is paused; send /resume first");
                    break;
            }
        }
    }

    private static Interruption Aborted(ReleaseCommand command, string reason) => new(InterruptionKind.Abort, command.Actor, reason, command, command.Comment);

    // ---- one release per service and stage ----

    /// <summary>Waits for this service's lane in the stage; commands still apply while queued.</summary>
    private async Task<Interruption?> EnterLaneAsync(StagePolicy stage)
    {
        var request = new LaneRequest(true, _request.Id.InstanceId, _request.Version, Policy.Concurrency, _request.MergedAt, stage.Target);
        string laneId;
        try
        {
            laneId = await _context.CallActivityAsync<string>(nameof(RequestLane), new LaneEntry(_request.Service, stage.Name, request), IoRetry);
        }
        catch (TaskFailedException ex)
        {
            return new Interruption(InterruptionKind.Fail, Workflow, $"could not ask for the lane of {_request.Service} in {stage.Name}: {ex.FailureDetails.ErrorMessage}", null, null);
        }

        _laneStage = stage.Name;
        var requestedAt = Now;
        _context.SetCustomStatus(Progress($"waiting until no other release of {_request.Service} is in {stage.Name} ({Policy.Concurrency})", stage.Name, 0));
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
                return Aborted(received, $"stopped by {received.Actor} while waiting to enter {stage.Name}" + Because(received));
            }

            await RefuseAsync(received, $"another release of {_request.Service} is in {stage.Name}; this one waits its turn");
        }
    }

    /// <summary>Gives the lane up; when the lane cannot be told, its watch frees it once this release has ended.</summary>
    private async Task LeaveLaneAsync()
    {
        if (_laneStage is { } stage)
        {
            _laneStage = null;
            var request = new LaneRequest(false, _request.Id.InstanceId, _request.Version, Policy.Concurrency, _request.MergedAt);
            try
            {
                await _context.CallActivityAsync<string>(nameof(RequestLane), new LaneEntry(_request.Service, stage, request), IoRetry);
            }
            catch (TaskFailedException ex)
            {
                await RecordAsync("lane-leave-failed", Workflow, $"could not leave the lane of {_request.Service} in {stage}: {ex.FailureDetails.ErrorMessage}; the lane frees itself once this release has ended",
                    new { stage, error = ex.FailureDetails.ErrorMessage });
            }
        }
    }

    // ---- release windows ----

    /// <summary>
    /// Holds the release while a freeze window blocks it: before it starts (<paramref name="stage"/> null), before
    /// every later stage and every traffic increase. Once traffic has moved, the policy may roll back instead of
    /// holding. An authorised override (the approvals quorum) or the window's end lets it go on.
    /// </summary>
    private async Task<Interruption?> WaitOutFreezeAsync(StagePolicy? stage, string when)
    {
        while (true)
        {
            var status = Policy.Freeze.Check(Now, _request.Labels);
            if (!status.Blocked)
            {
                if (status.Frozen)
                {
                    await RecordAsync("freeze-exempt", Workflow, $"{when}: {status.Reason}", status);
                }

                return null;
            }

            var moved = _movedStages.Count > 0;
            if (moved && Policy.Freeze.DuringRollout == FreezeDuringRollout.Rollback)
            {
                var reason = $"freeze window {status.Window} opened mid-rollout ({when}); the policy rolls back";
                await RecordAsync("freeze-rollback", Workflow, reason, new { status, weight = _weight, stage = stage?.Name });
                return Interruption.Rollback(Workflow, reason, status);
            }

            var at = moved ? $" at {_weight ?? 0}%" : string.Empty;
            await RecordAsync("freeze-hold", Workflow, $"{when}: {status.Reason}; held{at}", new { status, weight = _weight, stage = stage?.Name });
            await PublishAsync($"held{at} by freeze window {status.Window} until {status.AllowedFrom:u}; an authorised /approve overrides");
            var overrideVotes = new List<ReleaseCommand>();
            while (true)
            {
                var command = await NextCommandAsync(status.AllowedFrom);
                if (command is null)
                {
                    break;
                }

                switch (command.Kind)
                {
                    case ReleaseCommandKind.Abort or ReleaseCommandKind.Reject:
                        return Aborted(command, $"stopped by {command.Actor} during freeze window {status.Window}" + Because(command));
                    case ReleaseCommandKind.Rollback:
                        return moved
                            ? Interruption.Rollback(command.Actor, $"rollback requested by {command.Actor} during freeze window {status.Window}" + Because(command), command)
                            : Aborted(command, $"stopped by {command.Actor} during freeze window {status.Window}" + Because(command));
                    case ReleaseCommandKind.Approve:
                        var approvedBy = await CountOverrideAsync(overrideVotes, command, $"freeze window {status.Window}");
                        if (approvedBy is null)
                        {
                            continue;
                        }

                        await RecordAsync("freeze-overridden", command.Actor, $"freeze window {status.Window} overridden by {string.Join(", ", approvedBy)}" + Because(command), new { approvedBy, status });
                        return null;
                    case ReleaseCommandKind.Status:
                        await PublishAsync($"held{at} by freeze window {status.Window} until {status.AllowedFrom:u}");
                        continue;
                    default:
                        await RefuseAsync(command, $"the release is held by freeze window {status.Window}; only /approve (override), /rollback or /abort apply");
                        continue;
                }
            }
        }
    }

    private async Task<Interruption?> PassErrorBudgetAsync()
    {
        if (Policy.ErrorBudget is not { } budget)
        {
            return null;
        }

        var parameters = ReleaseParameters.For(_request, Policy.Stages[0].Name, 0, null);
        ErrorBudgetCounts counts;
        try
        {
            counts = await _context.CallActivityAsync<ErrorBudgetCounts>(nameof(ReadErrorBudget), new ErrorBudgetRequest(_policyYaml, Now, parameters), IoRetry);
        }
        catch (TaskFailedException ex)
        {
            return new Interruption(InterruptionKind.Fail, Workflow, $"the error budget could not be read: {ex.FailureDetails.ErrorMessage}", null, null);
        }

        var decision = ErrorBudgetGate.Decide(budget, counts.GoodEvents, counts.TotalEvents, _request.Labels);
        await RecordAsync("error-budget", Workflow, decision.Reason, decision);
        if (decision.MayProceed)
        {
            return null;
        }

        await PublishAsync("blocked: the error budget is spent; an authorised /approve overrides, /abort stops");
        var overrideVotes = new List<ReleaseCommand>();
        while (true)
        {
            var command = (await NextCommandAsync(null))!;
            if (command.Kind is ReleaseCommandKind.Abort or ReleaseCommandKind.Reject or ReleaseCommandKind.Rollback)
            {
                return Aborted(command, $"stopped by {command.Actor}: {decision.Reason}");
            }

            if (command.Kind != ReleaseCommandKind.Approve)
            {
                await RefuseAsync(command, "the error budget is spent; only /approve (override) or /abort apply");
                continue;
            }

            var approvedBy = await CountOverrideAsync(overrideVotes, command, "the spent error budget");
            if (approvedBy is null)
            {
                continue;
            }

            var overridden = ErrorBudgetGate.Decide(budget, counts.GoodEvents, counts.TotalEvents, _request.Labels, string.Join(", ", approvedBy));
            await RecordAsync("error-budget-overridden", command.Actor, overridden.Reason, new { command, approvedBy, overridden });
            return null;
        }
    }

    /// <summary>
    /// Counts an <c>/approve</c> towards an override (of a freeze window or a spent error budget). An override needs
    /// what the policy's approvals need: one of its approval requirements met in full, its quorum of distinct
    /// authorised people included. Returns who approved once one is met; until then records the vote or refuses it.
    /// </summary>
    private async Task<IReadOnlyList<string>?> CountOverrideAsync(List<ReleaseCommand> votes, ReleaseCommand command, string what)
    {
        var requirements = Policy.Stages.SelectMany(s => s.Approvals).ToList();
        if (requirements.Count == 0)
        {
            await RefuseAsync(command, $"this policy names no approvers, so nobody can approve an override of {what}");
            return null;
        }

        var candidate = votes.Append(command).ToList();
        var teams = await TeamsOfAsync(command.Actor, requirements.SelectMany(r => r.Teams).Distinct(StringComparer.OrdinalIgnoreCase).ToArray());
        if (teams is null)
        {
            await RefuseAsync(command, $"the approver teams of {command.Actor} could not be read; send /approve again");
            return null;
        }

        _overrideTeams[command.Actor] = teams;
        ApprovalState? best = null;
        string? refusal = null;
        foreach (var requirement in requirements)
        {
            var state = ApprovalEvaluator.Evaluate(requirement, _request.Author, candidate, _overrideTeams, Now, Now);
            if (state.Status == ApprovalStatus.Granted)
            {
                return state.ApprovedBy;
            }

            var refused = state.Refused.FirstOrDefault(r => r.Command == command);
            if (refused is null && (best is null || state.StillNeeded < best.StillNeeded))
            {
                best = state;
            }

            refusal ??= refused?.Reason;
        }

        if (best is null)
        {
            await RefuseAsync(command, refusal ?? $"{command.Actor} may not approve an override of {what}");
            return null;
        }

        votes.Add(command);
        await RecordAsync("override-approval-given", command.Actor, $"{command.Actor} approved overriding {what}" + Because(command) + $"; {best.StillNeeded} more approval(s) needed",
            new { command, best.ApprovedBy, best.StillNeeded });
        await PublishAsync($"overriding {what} needs {best.StillNeeded} more approval(s)");
        return null;
    }

    private readonly Dictionary<string, IReadOnlySet<string>> _overrideTeams = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Which of <paramref name="teams"/> a person belongs to; null when the directory could not be read.</summary>
    private async Task<IReadOnlySet<string>?> TeamsOfAsync(string login, IReadOnlyList<string> teams)
    {
        if (teams.Count == 0)
        {
            return new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        }

        try
        {
            var found = await _context.CallActivityAsync<string[]>(nameof(ResolveApproverTeams), new ApproverTeamsRequest(login, teams, _request.InstallationId), IoRetry);
            return found.ToHashSet(StringComparer.OrdinalIgnoreCase);
        }
        catch (TaskFailedException ex)
        {
            await RecordAsync("approver-teams-unavailable", Workflow, $"the teams of {login} could not be read: {ex.FailureDetails.ErrorMessage}", new { login, teams, error = ex.FailureDetails.ErrorMessage });
            return null;
        }
    }
}
