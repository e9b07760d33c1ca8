using Octokit.Internal;

namespace ReleaseFunctions.Integrations.GitHub.Client;

// The bodies Octokit has no model for (or none that pages as needed), in the shape its serializer reads and writes
// (snake_case names, nulls left out). REST API version 2022-11-28. Fields GitHub documents as required are nullable
// here all the same, so an answer without them is reported as malformed instead of read as a default.

/// <summary>
/// A comment as GET /repos/{owner}/{repo}/issues/{issue_number}/comments lists it. Octokit's IssueComment lacks
/// <c>performed_via_github_app</c>, which tells the App's own status comment from a pasted marker.
/// </summary>
internal sealed class ListedIssueComment
{
    public long Id { get; set; }
    public string? Body { get; set; }

    [Parameter(Key = "performed_via_github_app")]
    public CommentingApp? PerformedViaGitHubApp { get; set; }
}

internal sealed class CommentingApp
{
    public long Id { get; set; }
}

/// <summary>POST {deployment_callback_url}: the review of a custom deployment protection rule (no Octokit call exists).</summary>
internal sealed class ProtectionRuleReview
{
    public required string EnvironmentName { get; init; }
    public required string State { get; init; }
    public required string Comment { get; init; }
}

/// <summary>
/// One page of GET /repos/{owner}/{repo}/commits/{ref}/status: the latest status of each context. Read raw because
/// Octokit's GetCombined takes no paging options and would stop at GitHub's first page. Its total_count is not relied
/// on: pages are read while full.
/// </summary>
internal sealed class CombinedStatusPage
{
    public List<ListedCommitStatus>? Statuses { get; set; }
}

internal sealed class ListedCommitStatus
{
    public string? Context { get; set; }

    /// <summary>pending, success, failure or error.</summary>
    public string? State { get; set; }
    public string? TargetUrl { get; set; }
}

/// <summary>
/// One page of GET /repos/{owner}/{repo}/commits/{ref}/check-runs. Read as strings, not Octokit's enums, so a status or
/// conclusion GitHub adds later (stale, startup_failure were such) is still shown in its own words.
/// </summary>
internal sealed class CheckRunsPage
{
    public int TotalCount { get; set; }
    public List<ListedCheckRun>? CheckRuns { get; set; }
}

internal sealed class ListedCheckRun
{
    public string? Name { get; set; }

    /// <summary>queued, in_progress, completed, waiting, requested or pending.</summary>
    public string? Status { get; set; }

    /// <summary>Set once completed: success, failure, neutral, cancelled, skipped, timed_out, action_required, stale or startup_failure.</summary>
    public string? Conclusion { get; set; }
    public string? HtmlUrl { get; set; }
}

/// <summary>An alert as GET /repos/{owner}/{repo}/code-scanning/alerts lists it (Octokit has no code scanning API).</summary>
internal sealed class ListedCodeScanningAlert
{
    public int Number { get; set; }
    public string? HtmlUrl { get; set; }
    public CodeScanningRule? Rule { get; set; }
    public CodeScanningInstance? MostRecentInstance { get; set; }
}

internal sealed class CodeScanningRule
{
    public string? Id { get; set; }
    public string? Description { get; set; }

    /// <summary>low, medium, high or critical; null for a rule that is not a security rule (a code quality finding).</summary>
    public string? SecuritySeverityLevel { get; set; }
}

internal sealed class CodeScanningInstance
{
    public CodeScanningLocation? Location { get; set; }
}

internal sealed class CodeScanningLocation
{
    public string? Path { get; set; }
}

/// <summary>An alert as GET /repos/{owner}/{repo}/dependabot/alerts lists it (Octokit has no Dependabot alerts API).</summary>
internal sealed class ListedDependabotAlert
{
    public int Number { get; set; }
    public string? HtmlUrl { get; set; }
    public DependabotDependency? Dependency { get; set; }
    public DependabotAdvisory? SecurityAdvisory { get; set; }
    public DependabotVulnerability? SecurityVulnerability { get; set; }
}

internal sealed class DependabotDependency
{
    public DependabotPackage? Package { get; set; }
}

internal sealed class DependabotPackage
{
    public string? Ecosystem { get; set; }
    public string? Name { get; set; }
}

internal sealed class DependabotAdvisory
{
    public string? GhsaId { get; set; }
    public string? Summary { get; set; }

    /// <summary>low, medium, high or critical.</summary>
    public string? Severity { get; set; }
}

internal sealed class DependabotVulnerability
{
    public string? Severity { get; set; }
}
