using ReleaseFunctions.Core.Releases;

namespace ReleaseFunctions.Core.Approvals;

/// <summary>Where an approval stands.</summary>
public enum ApprovalStatus
{
    Pending,
    Granted,
    Rejected,
}

/// <summary>A command that did not count, and why.</summary>
public sealed record RefusedCommand(ReleaseCommand Command, string Reason);

/// <summary>
/// The state of an approval: who approved, who rejected, how many are still needed, the commands that did not
/// count, and a one-line reason. <see cref="TimedOut"/> says the timeout decided (or was ignored, for Pending).
/// </summary>
public sealed record ApprovalState(
    ApprovalStatus Status,
    IReadOnlyList<string> ApprovedBy,
    string? RejectedBy,
    int StillNeeded,
    bool TimedOut,
    IReadOnlyList<RefusedCommand> Refused,
    string Reason);

/// <summary>
/// Decides an approval from the commands received. Pure: team membership comes in as data.
/// </summary>
public static class ApprovalEvaluator
{
    /// <summary>
    /// Walks the <c>/approve</c> and <c>/reject</c> commands in the order they were issued (other commands are not
    /// about approval and are skipped) and stops at the first that decides. A command counts only from an allowed
    /// approver (listed user, or member of a listed team per <paramref name="teamsByUser"/>), not from the PR author
    /// unless self-approval is allowed, once per person, and before the timeout (after it too when the policy keeps
    /// waiting). Commands issued before the request count as well, so an early <c>/approve</c> is not lost.
    /// </summary>
    /// <param name="requestedAt">When the approval was asked for; the timeout runs from here.</param>
    /// <param name="now">The current instant, from the caller's clock.</param>
    public static ApprovalState Evaluate(
        ApprovalRequirement requirement,
        string pullRequestAuthor,
        IEnumerable<ReleaseCommand> commands,
        IReadOnlyDictionary<string, IReadOnlySet<string>> teamsByUser,
        DateTimeOffset requestedAt,
        DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(requirement);
        ArgumentException.ThrowIfNullOrWhiteSpace(pullRequestAuthor);
        ArgumentNullException.ThrowIfNull(commands);
        ArgumentNullException.ThrowIfNull(teamsByUser);
        var teams = new Dictionary<string, IReadOnlySet<string>>(teamsByUser, StringComparer.OrdinalIgnoreCase);
        DateTimeOffset? deadline = requirement.Timeout is { } timeout ? requestedAt + timeout : null;

        var approvedBy = new List<string>();
        var refused = new List<RefusedCommand>();
        foreach (var command in commands.Where(c => c.Kind is ReleaseCommandKind.Approve or ReleaseCommandKind.Reject).OrderBy(c => c.IssuedAt))
        {
            var verb = command.Kind == ReleaseCommandKind.Approve ? "approve" : "reject";
            if (deadline is { } due && command.IssuedAt >= due && requirement.OnTimeout != ApprovalTimeoutAction.Wait)
            {
                refused.Add(new RefusedCommand(command, $"the approval timed out at {due:O}, before {command.Actor}'s /{verb}"));
                continue;
            }

            if (!IsAllowed(requirement, command.Actor, teams))
            {
                refused.Add(new RefusedCommand(command, $"{command.Actor} is not an allowed approver (allowed: {requirement.DescribeAllowed()})"));
                continue;
            }

            if (!requirement.AllowSelfApproval && string.Equals(command.Actor, pullRequestAuthor, StringComparison.OrdinalIgnoreCase))
            {
                refused.Add(new RefusedCommand(command, command.Kind == ReleaseCommandKind.Approve
                    ? "self-approval is not allowed by this policy"
                    : "the PR author cannot decide on their own release under this policy"));
                continue;
            }

            if (command.Kind == ReleaseCommandKind.Reject)
            {
                var why = command.Comment is null ? string.Empty : $": {command.Comment}";
                return new ApprovalState(ApprovalStatus.Rejected, approvedBy, command.Actor, Math.Max(0, requirement.Quorum - approvedBy.Count), false, refused,
                    $"rejected by {command.Actor}{why}");
            }

            if (approvedBy.Contains(command.Actor, StringComparer.OrdinalIgnoreCase))
            {
                refused.Add(new RefusedCommand(command, $"{command.Actor} has already approved; one person counts once"));
                continue;
            }

            approvedBy.Add(command.Actor);
            if (approvedBy.Count >= requirement.Quorum)
            {
                return new ApprovalState(ApprovalStatus.Granted, approvedBy, null, 0, false, refused,
                    $"approved by {string.Join(", ", approvedBy)} ({approvedBy.Count} of {requirement.Quorum})");
            }
        }

        var stillNeeded = requirement.Quorum - approvedBy.Count;
        var waiting = $"waiting for {stillNeeded} more approval(s) from {requirement.DescribeAllowed()}" +
                      (approvedBy.Count > 0 ? $"; approved so far by {string.Join(", ", approvedBy)}" : string.Empty);
        if (deadline is { } end && now >= end)
        {
            return requirement.OnTimeout switch
            {
                ApprovalTimeoutAction.Reject => new ApprovalState(ApprovalStatus.Rejected, approvedBy, null, stillNeeded, true, refused,
                    $"rejected: no quorum within {requirement.Timeout} ({approvedBy.Count} of {requirement.Quorum}); the policy treats the timeout as a rejection"),
                ApprovalTimeoutAction.Proceed => new ApprovalState(ApprovalStatus.Granted, approvedBy, null, stillNeeded, true, refused,
                    $"proceeding: no quorum within {requirement.Timeout} ({approvedBy.Count} of {requirement.Quorum}); the policy proceeds on timeout"),
                _ => new ApprovalState(ApprovalStatus.Pending, approvedBy, null, stillNeeded, true, refused,
                    $"{waiting}; the timeout passed and the policy keeps waiting"),
            };
        }

        return new ApprovalState(ApprovalStatus.Pending, approvedBy, null, stillNeeded, false, refused,
            deadline is { } until ? $"{waiting}, until {until:O}" : waiting);
    }

    private static bool IsAllowed(ApprovalRequirement requirement, string actor, IReadOnlyDictionary<string, IReadOnlySet<string>> teamsByUser) =>
        requirement.Users.Contains(actor) ||
        (teamsByUser.TryGetValue(actor, out var memberOf) && memberOf.Any(requirement.Teams.Contains));
}
