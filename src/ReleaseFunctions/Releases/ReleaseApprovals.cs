using Microsoft.DurableTask;
using ReleaseFunctions.Core.Approvals;
using ReleaseFunctions.Core.Policy;
using ReleaseFunctions.Core.Releases;

namespace ReleaseFunctions.Releases;

/// <summary>
/// Approvals: the requirements the policy names before a stage or step, each waited for with its timeout, and the
/// quorum an override (of a freeze window or a spent error budget) needs.
/// </summary>
internal sealed class ReleaseApprovals(ReleaseRun run, ReleaseTrail trail, ReleaseCommands commands)
{
    private readonly Dictionary<string, IReadOnlySet<string>> _overrideTeams = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Every approval the policy asks for before <paramref name="step"/> of <paramref name="stage"/> (and before the stage, at step 1).</summary>
    public async Task<Interruption?> AwaitAllAsync(StagePolicy stage, int step)
    {
        var requirements = stage.ApprovalsBefore(step).ToList();
        if (step == 1)
        {
            requirements.InsertRange(0, stage.ApprovalsBefore(null));
        }

        foreach (var requirement in requirements)
        {
            var outcome = await AwaitAsync(stage, step, requirement);
            if (outcome is not null)
            {
                return outcome;
            }
        }

        return null;
    }

    private async Task<Interruption?> AwaitAsync(StagePolicy stage, int step, ApprovalRequirement requirement)
    {
        var requestedAt = run.Now;
        run.Release = run.Release.RequestApproval(ReleaseRun.Workflow, requestedAt, $"approval needed before {stage.Name} step {step}");
        await trail.RecordAsync("approval-requested", ReleaseRun.Workflow, $"approval needed before {stage.Name} step {step}: {requirement.DescribeAllowed()}",
            new { stage = stage.Name, step, requirement.Quorum, users = requirement.Users, teams = requirement.Teams, requirement.Timeout, onTimeout = requirement.OnTimeout.ToString(), requirement.AllowSelfApproval });
        await trail.PublishAsync($"waiting for approval: {requirement.DescribeAllowed()} (/approve or /reject)");

        var votes = new List<ReleaseCommand>();
        var teams = new Dictionary<string, IReadOnlySet<string>>(StringComparer.OrdinalIgnoreCase);
        DateTimeOffset? deadline = requirement.Timeout is { } timeout ? requestedAt + timeout : null;
        while (true)
        {
            var command = await commands.NextAsync(deadline);
            if (command is null)
            {
                var reason = $"no approval within {requirement.Timeout} before {stage.Name} step {step}";
                await trail.RecordAsync("approval-timed-out", ReleaseRun.Workflow, $"{reason}; the policy says {requirement.OnTimeout}", new { stage = stage.Name, step, onTimeout = requirement.OnTimeout.ToString() });
                switch (requirement.OnTimeout)
                {
                    case ApprovalTimeoutAction.Proceed:
                        run.Release = run.Release.GrantApproval(ReleaseRun.Workflow, run.Now, reason + "; proceeding as the policy says");
                        return null;
                    case ApprovalTimeoutAction.Wait:
                        deadline = null;
                        await trail.PublishAsync($"still waiting for approval: {requirement.DescribeAllowed()}");
                        continue;
                    default:
                        // Without automatic rollback the release fails, and a failing release still moves traffic back first.
                        return run.Policy.Rollback.OnApprovalTimeout ? Interruption.Rollback(ReleaseRun.Workflow, reason, null) : Interruption.Failed(reason);
                }
            }

            if (command.Kind is not (ReleaseCommandKind.Approve or ReleaseCommandKind.Reject))
            {
                var (interruption, _) = await commands.HandleControlAsync(command, acceptPromote: false);
                if (interruption is not null)
                {
                    return interruption;
                }

                continue;
            }

            if (requirement.Teams.Count > 0 && !teams.ContainsKey(command.Actor))
            {
                var found = await TeamsOfAsync(command.Actor, requirement.Teams.ToArray());
                if (found is null)
                {
                    await trail.RefuseAsync(command, $"the approver teams of {command.Actor} could not be read; send /{command.Slash()} again");
                    continue;
                }

                teams[command.Actor] = found;
            }

            votes.Add(command);
            var state = ApprovalEvaluator.Evaluate(requirement, run.Request.Author, votes, teams, requestedAt, run.Now);
            var refused = state.Refused.FirstOrDefault(r => ReferenceEquals(r.Command, command) || r.Command == command);
            if (refused is not null)
            {
                await trail.RefuseAsync(command, refused.Reason);
                continue;
            }

            if (command.Kind == ReleaseCommandKind.Approve)
            {
                await trail.RecordAsync("approval-given", command.Actor, $"approved by {command.Actor}" + command.Because() + $"; {state.Reason}", new { command, state.ApprovedBy, state.StillNeeded });
            }

            switch (state.Status)
            {
                case ApprovalStatus.Granted:
                    run.ApprovedBy.AddRange(state.ApprovedBy.Where(a => !run.ApprovedBy.Contains(a, StringComparer.OrdinalIgnoreCase)));
                    run.Release = run.Release.GrantApproval(ReleaseRun.Workflow, run.Now, state.Reason);
                    await trail.RecordAsync("approval-granted", ReleaseRun.Workflow, state.Reason, new { state.ApprovedBy, stage = stage.Name, step });
                    return null;
                case ApprovalStatus.Rejected:
                    return Interruption.Rollback(command.Actor, $"rejected by {state.RejectedBy}" + command.Because(), new { command, state.Reason });
                default:
                    await trail.PublishAsync($"waiting for {state.StillNeeded} more approval(s): {requirement.DescribeAllowed()}");
                    break;
            }
        }
    }

    /// <summary>
    /// Counts an <c>/approve</c> towards an override (of a freeze window or a spent error budget). An override needs
    /// what the policy's approvals need: one of its approval requirements met in full, its quorum of distinct
    /// authorised people included. Returns who approved once one is met; until then records the vote or refuses it.
    /// </summary>
    public async Task<IReadOnlyList<string>?> CountOverrideAsync(List<ReleaseCommand> votes, ReleaseCommand command, string what)
    {
        var requirements = run.Policy.Stages.SelectMany(s => s.Approvals).ToList();
        if (requirements.Count == 0)
        {
            await trail.RefuseAsync(command, $"this policy names no approvers, so nobody can approve an override of {what}");
            return null;
        }

        var candidate = votes.Append(command).ToList();
        var teams = await TeamsOfAsync(command.Actor, requirements.SelectMany(r => r.Teams).Distinct(StringComparer.OrdinalIgnoreCase).ToArray());
        if (teams is null)
        {
            await trail.RefuseAsync(command, $"the approver teams of {command.Actor} could not be read; send /approve again");
            return null;
        }

        _overrideTeams[command.Actor] = teams;
        ApprovalState? best = null;
        string? refusal = null;
        foreach (var requirement in requirements)
        {
            var state = ApprovalEvaluator.Evaluate(requirement, run.Request.Author, candidate, _overrideTeams, run.Now, run.Now);
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
            await trail.RefuseAsync(command, refusal ?? $"{command.Actor} may not approve an override of {what}");
            return null;
        }

        votes.Add(command);
        await trail.RecordAsync("override-approval-given", command.Actor, $"{command.Actor} approved overriding {what}" + command.Because() + $"; {best.StillNeeded} more approval(s) needed",
            new { command, best.ApprovedBy, best.StillNeeded });
        await trail.PublishAsync($"overriding {what} needs {best.StillNeeded} more approval(s)");
        return null;
    }

    /// <summary>Which of <paramref name="teams"/> a person belongs to; null when the directory could not be read.</summary>
    private async Task<IReadOnlySet<string>?> TeamsOfAsync(string login, IReadOnlyList<string> teams)
    {
        if (teams.Count == 0)
        {
            return new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        }

        try
        {
            var found = await run.Context.CallActivityAsync<string[]>(nameof(ResolveApproverTeams), new ApproverTeamsRequest(login, teams, run.Request.InstallationId), ReleaseRun.IoRetry);
            return found.ToHashSet(StringComparer.OrdinalIgnoreCase);
        }
        catch (TaskFailedException ex)
        {
            await trail.RecordAsync("approver-teams-unavailable", ReleaseRun.Workflow, $"the teams of {login} could not be read: {ex.FailureDetails.ErrorMessage}", new { login, teams, error = ex.FailureDetails.ErrorMessage });
            return null;
        }
    }
}
