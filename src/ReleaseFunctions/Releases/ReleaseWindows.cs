using Microsoft.DurableTask;
using ReleaseFunctions.Core.ErrorBudget;
using ReleaseFunctions.Core.Freeze;
using ReleaseFunctions.Core.Gates;
using ReleaseFunctions.Core.Policy;
using ReleaseFunctions.Core.Preflight;
using ReleaseFunctions.Core.Releases;
using ReleaseFunctions.Core.Ports;

namespace ReleaseFunctions.Releases;

/// <summary>When a release may move: freeze windows (before it starts, before every later stage and every traffic increase) and the error budget before it starts, each with its override.</summary>
internal sealed class ReleaseWindows(ReleaseRun run, ReleaseTrail trail, ReleaseCommands commands, ReleaseApprovals approvals)
{
    /// <summary>
    /// Holds the release while a freeze window blocks it: before it starts (<paramref name="stage"/> null), before
    /// every later stage and every traffic increase. Once traffic has moved, the policy may roll back instead of
    /// holding. An authorised override (the approvals quorum) or the window's end lets it go on.
    /// </summary>
    public async Task<Interruption?> WaitOutFreezeAsync(StagePolicy? stage, string when)
    {
        var policy = run.Policy;
        while (true)
        {
            var status = policy.Freeze.Check(run.Now, run.Request.Labels);
            if (!status.Blocked)
            {
                if (status.Frozen)
                {
                    await trail.RecordAsync("freeze-exempt", ReleaseRun.Workflow, $"{when}: {status.Reason}", status);
                }

                return null;
            }

            var moved = run.MovedStages.Count > 0;
            if (moved && policy.Freeze.DuringRollout == FreezeDuringRollout.Rollback)
            {
                var reason = $"freeze window {status.Window} opened mid-rollout ({when}); the policy rolls back";
                await trail.RecordAsync("freeze-rollback", ReleaseRun.Workflow, reason, new { status, weight = run.Weight, stage = stage?.Name });
                return Interruption.Rollback(ReleaseRun.Workflow, reason, status);
            }

            var at = moved ? $" at {run.Weight ?? 0}%" : string.Empty;
            await trail.RecordAsync("freeze-hold", ReleaseRun.Workflow, $"{when}: {status.Reason}; held{at}", new { status, weight = run.Weight, stage = stage?.Name });
            await trail.PublishAsync($"held{at} by freeze window {status.Window} until {status.AllowedFrom:u}; an authorised /approve overrides");
            var overrideVotes = new List<ReleaseCommand>();
            while (true)
            {
                var command = await commands.NextAsync(status.AllowedFrom);
                if (command is null)
                {
                    break;
                }

                switch (command.Kind)
                {
                    case ReleaseCommandKind.Abort or ReleaseCommandKind.Reject:
                        return Interruption.Aborted(command, $"stopped by {command.Actor} during freeze window {status.Window}" + command.Because());
                    case ReleaseCommandKind.Rollback:
                        return moved
                            ? Interruption.Rollback(command.Actor, $"rollback requested by {command.Actor} during freeze window {status.Window}" + command.Because(), command)
                            : Interruption.Aborted(command, $"stopped by {command.Actor} during freeze window {status.Window}" + command.Because());
                    case ReleaseCommandKind.Approve:
                        var approvedBy = await approvals.CountOverrideAsync(overrideVotes, command, $"freeze window {status.Window}");
                        if (approvedBy is null)
                        {
                            continue;
                        }

                        await trail.RecordAsync("freeze-overridden", command.Actor, $"freeze window {status.Window} overridden by {string.Join(", ", approvedBy)}" + command.Because(), new { approvedBy, status });
                        return null;
                    case ReleaseCommandKind.Status:
                        await trail.PublishAsync($"held{at} by freeze window {status.Window} until {status.AllowedFrom:u}");
                        continue;
                    default:
                        await trail.RefuseAsync(command, $"the release is held by freeze window {status.Window}; only /approve (override), /rollback or /abort apply");
                        continue;
                }
            }
        }
    }

    /// <summary>Before the release starts: a spent error budget blocks it until an authorised override, or a stop.</summary>
    public async Task<Interruption?> PassErrorBudgetAsync()
    {
        if (run.Policy.ErrorBudget is not { } budget)
        {
            return null;
        }

        var parameters = ReleaseParameters.For(run.Request, run.Policy.Stages[0].Name, 0, null);
        ErrorBudgetCounts counts;
        try
        {
            counts = await run.Context.CallActivityAsync<ErrorBudgetCounts>(nameof(ReadErrorBudget), new ErrorBudgetRequest(run.PolicyYaml, run.Now, parameters), ReleaseRun.IoRetry);
        }
        catch (TaskFailedException ex)
        {
            return Interruption.Failed($"the error budget could not be read: {ex.FailureDetails.ErrorMessage}");
        }

        var decision = ErrorBudgetGate.Decide(budget, counts.GoodEvents, counts.TotalEvents, run.Request.Labels);
        await trail.RecordAsync("error-budget", ReleaseRun.Workflow, decision.Reason, decision);
        if (decision.MayProceed)
        {
            return null;
        }

        await trail.PublishAsync("blocked: the error budget is spent; an authorised /approve overrides, /abort stops");
        var (stopped, approvedBy, command) = await AwaitOverrideAsync("the spent error budget", decision.Reason, "the error budget is spent");
        if (stopped is not null)
        {
            return stopped;
        }

        var overridden = ErrorBudgetGate.Decide(budget, counts.GoodEvents, counts.TotalEvents, run.Request.Labels, string.Join(", ", approvedBy!));
        await trail.RecordAsync("error-budget-overridden", command!.Actor, overridden.Reason, new { command, approvedBy, overridden });
        return null;
    }

    /// <summary>
    /// Before the release starts: the pre-flight gate on the merge commit. Pending checks are read again every poll
    /// interval (commands still apply) until they pass, fail or time out; a failed or timed-out required check fails the
    /// release before any traffic moves, naming each; open security alerts hold it for an authorised override, or fail it.
    /// </summary>
    public async Task<Interruption?> PassPreflightAsync()
    {
        if (run.Policy.Preflight is not { } preflight)
        {
            return null;
        }

        var request = new PreflightReadRequest(run.Request.Repository, run.Request.MergeCommitSha, run.Request.InstallationId, preflight.CodeScanningAt, preflight.DependabotAt);
        var since = run.Now;
        string? lastPending = null;
        while (true)
        {
            PreflightReading reading;
            try
            {
                reading = await run.Context.CallActivityAsync<PreflightReading>(nameof(ReadPreflight), request, ReleaseRun.IoRetry);
            }
            catch (TaskFailedException ex)
            {
                // A gate that cannot be read never passes; nothing has moved, so the release fails here and says why.
                return Interruption.Failed($"the pre-flight checks of {run.Request.MergeCommitSha} could not be read: {ex.FailureDetails.ErrorMessage}");
            }

            var verdict = preflight.Judge(reading.Checks, reading.Alerts, run.Now - since);
            var reason = $"pre-flight of {ShortSha(run.Request.MergeCommitSha)}: {verdict.Reason}";
            if (verdict.Outcome != PreflightOutcome.Pending)
            {
                // On the PR comment with the gates: step 0, before any step of any stage.
                run.Gates.Add(new GateSummary("pre-flight", 0, verdict.Outcome switch
                {
                    PreflightOutcome.Pass => nameof(GateOutcome.Pass),
                    PreflightOutcome.Fail => nameof(GateOutcome.Fail),
                    _ => nameof(GateOutcome.Inconclusive),
                }, verdict.Reason));
            }

            switch (verdict.Outcome)
            {
                case PreflightOutcome.Pass:
                    await trail.RecordAsync("preflight-passed", ReleaseRun.Workflow, reason, verdict);
                    return null;
                case PreflightOutcome.Fail:
                    await trail.RecordAsync("preflight-failed", ReleaseRun.Workflow, reason, verdict);
                    return new Interruption(InterruptionKind.Fail, ReleaseRun.Workflow, reason, verdict, null);
                case PreflightOutcome.Pending:
                    // Recorded when what it waits for changes, not at every poll.
                    var waitingFor = string.Join(",", verdict.Pending.Select(c => c.Name).Concat(verdict.Missing));
                    if (waitingFor != lastPending)
                    {
                        await trail.RecordAsync("preflight-pending", ReleaseRun.Workflow, reason, verdict);
                        await trail.PublishAsync($"waiting for required checks (up to {PolicyValues.FormatDuration(preflight.PendingTimeout)}); /abort stops");
                        lastPending = waitingFor;
                    }

                    var stop = await WaitPollAsync(run.Now + preflight.PollInterval);
                    if (stop is not null)
                    {
                        return stop;
                    }

                    continue;
                default:
                    await trail.RecordAsync("preflight-blocked", ReleaseRun.Workflow, reason, verdict);
                    await trail.PublishAsync("blocked by open security alerts: an authorised /approve overrides, /abort stops");
                    var (stopped, approvedBy, command) = await AwaitOverrideAsync("the open security alerts", reason, "open security alerts block the release");
                    if (stopped is not null)
                    {
                        return stopped;
                    }

                    await trail.RecordAsync("preflight-overridden", command!.Actor, $"{reason}; overridden by {string.Join(", ", approvedBy!)}" + command.Because(), new { command, approvedBy, verdict });
                    return null;
            }
        }
    }

    /// <summary>Waits for the next read of pending checks; a stop ends the release, other commands are refused.</summary>
    private async Task<Interruption?> WaitPollAsync(DateTimeOffset until)
    {
        while (await commands.NextAsync(until) is { } command)
        {
            switch (command.Kind)
            {
                case ReleaseCommandKind.Abort or ReleaseCommandKind.Reject or ReleaseCommandKind.Rollback:
                    return Interruption.Aborted(command, $"stopped by {command.Actor} while waiting for the required checks" + command.Because());
                case ReleaseCommandKind.Status:
                    await trail.PublishAsync("waiting for required checks");
                    break;
                default:
                    await trail.RefuseAsync(command, "the release waits for its required checks; only /abort applies");
                    break;
            }
        }

        return null;
    }

    /// <summary>
    /// Holds a release that has not moved traffic until the approvals quorum overrides <paramref name="what"/>, or someone
    /// stops it. Returns the stop, or who approved and the approval that completed the quorum.
    /// </summary>
    private async Task<(Interruption? Stopped, IReadOnlyList<string>? ApprovedBy, ReleaseCommand? Command)> AwaitOverrideAsync(string what, string blockedReason, string refusal)
    {
        var overrideVotes = new List<ReleaseCommand>();
        while (true)
        {
            var command = await commands.TakeAsync();
            if (command.Kind is ReleaseCommandKind.Abort or ReleaseCommandKind.Reject or ReleaseCommandKind.Rollback)
            {
                return (Interruption.Aborted(command, $"stopped by {command.Actor}: {blockedReason}"), null, null);
            }

            if (command.Kind != ReleaseCommandKind.Approve)
            {
                await trail.RefuseAsync(command, $"{refusal}; only /approve (override) or /abort apply");
                continue;
            }

            var approvedBy = await approvals.CountOverrideAsync(overrideVotes, command, what);
            if (approvedBy is not null)
            {
                return (null, approvedBy, command);
            }
        }
    }

    private static string ShortSha(string sha) => sha.Length > 12 ? sha[..12] : sha;
}
