using ReleaseFunctions.Core.Approvals;
using ReleaseFunctions.Core.Policy;
using ReleaseFunctions.Core.Releases;

namespace ReleaseFunctions.Releases;

/// <summary>Approvals: the requirements the policy names before a stage or step, each waited for with its timeout.</summary>
internal sealed partial class ReleaseOrchestrator
{
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
                        // Without automatic rollback the release fails, and a failing release still moves traffic back first.
                        return Policy.Rollback.OnApprovalTimeout
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
                var found = await TeamsOfAsync(command.Actor, requirement.Teams.ToArray());
                if (found is null)
                {
                    await RefuseAsync(command, $"the approver teams of {command.Actor} could not be read; send /{command.Kind.ToString().ToLowerInvariant()} again");
                    continue;
                }

                teams[command.Actor] = found;
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
}
