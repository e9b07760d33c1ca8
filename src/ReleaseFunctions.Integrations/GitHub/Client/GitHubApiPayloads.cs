using Octokit.Internal;

namespace ReleaseFunctions.Integrations.GitHub.Client;

// The two bodies Octokit has no model for, in the shape its serializer reads and writes (snake_case names, nulls left
// out). REST API version 2022-11-28.

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
