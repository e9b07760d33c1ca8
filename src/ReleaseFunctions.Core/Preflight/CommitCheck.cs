namespace ReleaseFunctions.Core.Preflight;

/// <summary>Which of the code host's two check mechanisms reported a check.</summary>
public enum CommitCheckKind
{
    /// <summary>A commit status (GitHub's combined status: one context each).</summary>
    Status,
    /// <summary>A check run of a check suite (GitHub Actions and apps).</summary>
    CheckRun,
}

/// <summary>Where a check stands, as a required check counts it.</summary>
public enum CommitCheckState
{
    /// <summary>Queued, in progress, waiting or pending: no result yet.</summary>
    Pending,
    /// <summary>Success, or a neutral or skipped check run (GitHub's branch protection counts those as passing too).</summary>
    Passed,
    /// <summary>Failure, error, cancelled, timed out, action required, stale or startup failure.</summary>
    Failed,
}

/// <summary>One check reported on a commit.</summary>
/// <param name="Name">The status context or the check run's name, as branch protection names it.</param>
/// <param name="Detail">The code host's own words: the status state, or the check run's status and conclusion (e.g. "completed/timed_out").</param>
/// <param name="Url">Where a person sees it (target URL or the run's page), when known.</param>
public sealed record CommitCheck(string Name, CommitCheckKind Kind, CommitCheckState State, string Detail, string? Url = null)
{
    public override string ToString() => $"{Name} ({Detail})";
}

/// <summary>The severity ladder of security alerts: code scanning's security severity and Dependabot's advisory severity.</summary>
public enum SecuritySeverity
{
    Low = 1,
    Medium = 2,
    High = 3,
    Critical = 4,
}

/// <summary>Where a security alert comes from.</summary>
public enum SecurityAlertKind
{
    /// <summary>Code scanning (CodeQL and other SARIF tools).</summary>
    CodeScanning,
    /// <summary>Dependabot: a vulnerable dependency.</summary>
    Dependabot,
}

/// <summary>One open security alert of the repository.</summary>
/// <param name="Number">The alert's number in the repository.</param>
/// <param name="Summary">What it is: the rule or advisory, and where (path or package).</param>
public sealed record SecurityAlert(SecurityAlertKind Kind, int Number, SecuritySeverity Severity, string Summary, string? Url = null)
{
    public override string ToString() => $"{(Kind == SecurityAlertKind.CodeScanning ? "code scanning" : "Dependabot")} #{Number} {Severity.ToString().ToLowerInvariant()}: {Summary}";
}
