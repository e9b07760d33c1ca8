namespace ReleaseFunctions.Core.Approvals;

/// <summary>What happens when an approval is still pending at its timeout.</summary>
public enum ApprovalTimeoutAction
{
    /// <summary>The timeout counts as a rejection: the release rolls back (if the rollback policy says so) or stops.</summary>
    Reject,
    /// <summary>The release proceeds as if approved.</summary>
    Proceed,
    /// <summary>The timeout is ignored: the release keeps waiting for people.</summary>
    Wait,
}

/// <summary>
/// Who must approve a release, how many of them, and before which point of the rollout.
/// Logins and team slugs (<c>org/team</c>) compare case-insensitively, as GitHub does.
/// </summary>
public sealed record ApprovalRequirement
{
    public ApprovalRequirement(
        int quorum,
        IEnumerable<string> users,
        IEnumerable<string> teams,
        string beforeStage,
        int? beforeStep = null,
        TimeSpan? timeout = null,
        ApprovalTimeoutAction onTimeout = ApprovalTimeoutAction.Reject,
        bool allowSelfApproval = false)
    {
        ArgumentNullException.ThrowIfNull(users);
        ArgumentNullException.ThrowIfNull(teams);
        ArgumentException.ThrowIfNullOrWhiteSpace(beforeStage);
        Users = users.Select(u => u.Trim().TrimStart('@')).Where(u => u.Length > 0).ToHashSet(StringComparer.OrdinalIgnoreCase);
        Teams = teams.Select(t => t.Trim().TrimStart('@')).Where(t => t.Length > 0).ToHashSet(StringComparer.OrdinalIgnoreCase);
        if (Users.Count == 0 && Teams.Count == 0)
        {
            throw new ArgumentException("An approval needs at least one allowed user or team.", nameof(users));
        }

        if (Teams.FirstOrDefault(t => t.Split('/').Length != 2 || t.Split('/').Any(string.IsNullOrWhiteSpace)) is { } badTeam)
        {
            throw new ArgumentException($"A team is 'org/team-slug'; got '{badTeam}'.", nameof(teams));
        }

        if (quorum < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(quorum), quorum, "A quorum is at least 1.");
        }

        if (Teams.Count == 0 && quorum > Users.Count)
        {
            throw new ArgumentOutOfRangeException(nameof(quorum), quorum, $"A quorum of {quorum} can never be met by {Users.Count} allowed user(s) and no team.");
        }

        if (beforeStep is < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(beforeStep), beforeStep, "Steps are numbered from 1.");
        }

        if (timeout is { } t && t <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(timeout), timeout, "An approval timeout is a positive duration.");
        }

        if (!Enum.IsDefined(onTimeout))
        {
            throw new ArgumentOutOfRangeException(nameof(onTimeout), onTimeout, "Unknown timeout action.");
        }

        Quorum = quorum;
        BeforeStage = beforeStage;
        BeforeStep = beforeStep;
        Timeout = timeout;
        OnTimeout = onTimeout;
        AllowSelfApproval = allowSelfApproval;
    }

    /// <summary>How many different allowed people must approve.</summary>
    public int Quorum { get; }

    public IReadOnlySet<string> Users { get; }

    /// <summary>Teams as <c>org/team-slug</c>; any member is an allowed approver.</summary>
    public IReadOnlySet<string> Teams { get; }

    /// <summary>The stage the approval guards.</summary>
    public string BeforeStage { get; }

    /// <summary>The step (from 1) the approval guards; null means before the stage starts.</summary>
    public int? BeforeStep { get; }

    /// <summary>How long to wait from the request; null waits indefinitely.</summary>
    public TimeSpan? Timeout { get; }

    public ApprovalTimeoutAction OnTimeout { get; }

    /// <summary>Whether the PR author may approve their own release. Default false.</summary>
    public bool AllowSelfApproval { get; }

    /// <summary>"users [bob], teams [org/sre]": for messages.</summary>
    public string DescribeAllowed() =>
        $"users [{string.Join(", ", Users.Order(StringComparer.OrdinalIgnoreCase))}], teams [{string.Join(", ", Teams.Order(StringComparer.OrdinalIgnoreCase))}]";
}
