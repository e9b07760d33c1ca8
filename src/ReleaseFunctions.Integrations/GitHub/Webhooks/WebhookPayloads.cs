using System.Text.Json.Serialization;

namespace ReleaseFunctions.Integrations.GitHub.Webhooks;

// The subset of GitHub's webhook payloads the release workflow reads, as documented in "Webhook events and payloads"
// (pull_request, issue_comment, deployment_protection_rule, ping). Unknown fields are skipped; a field marked required
// that is missing, null or of another JSON type fails the read with the JSON path that was wrong.

internal sealed record PullRequestEvent
{
    public required string Action { get; init; }
    public required int Number { get; init; }
    public required PullRequestPayload PullRequest { get; init; }
    public required RepositoryPayload Repository { get; init; }
    public InstallationPayload? Installation { get; init; }
    public UserPayload? Sender { get; init; }
}

internal sealed record PullRequestPayload
{
    public required int Number { get; init; }
    public required string Title { get; init; }
    public required UserPayload User { get; init; }
    public bool? Merged { get; init; }
    public DateTimeOffset? MergedAt { get; init; }
    public UserPayload? MergedBy { get; init; }
    public string? MergeCommitSha { get; init; }
    public required BranchPayload Base { get; init; }
    public required BranchPayload Head { get; init; }
    public IReadOnlyList<LabelPayload>? Labels { get; init; }
}

internal sealed record BranchPayload
{
    public required string Ref { get; init; }
    public required string Sha { get; init; }
}

internal sealed record RepositoryPayload
{
    public required string FullName { get; init; }
}

internal sealed record UserPayload
{
    public required string Login { get; init; }

    /// <summary>"User", "Bot" or "Organization".</summary>
    public string? Type { get; init; }
}

internal sealed record LabelPayload
{
    public required string Name { get; init; }
}

internal sealed record InstallationPayload
{
    public required long Id { get; init; }
}

internal sealed record IssueCommentEvent
{
    public required string Action { get; init; }
    public required IssuePayload Issue { get; init; }
    public required CommentPayload Comment { get; init; }
    public required RepositoryPayload Repository { get; init; }
    public InstallationPayload? Installation { get; init; }
}

internal sealed record IssuePayload
{
    public required int Number { get; init; }

    /// <summary>Present only when the issue is a pull request.</summary>
    public IssuePullRequestLink? PullRequest { get; init; }
}

internal sealed record IssuePullRequestLink
{
    public string? Url { get; init; }
}

internal sealed record CommentPayload
{
    public required long Id { get; init; }
    public string? Body { get; init; }
    public required UserPayload User { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>OWNER, MEMBER, COLLABORATOR, CONTRIBUTOR, FIRST_TIME_CONTRIBUTOR, FIRST_TIMER, MANNEQUIN or NONE.</summary>
    public string? AuthorAssociation { get; init; }
}

internal sealed record DeploymentProtectionRuleEvent
{
    public required string Action { get; init; }
    public string? Environment { get; init; }
    public string? Event { get; init; }
    public string? DeploymentCallbackUrl { get; init; }
    public DeploymentPayload? Deployment { get; init; }
    public IReadOnlyList<PullRequestNumber>? PullRequests { get; init; }
    public required RepositoryPayload Repository { get; init; }
    public InstallationPayload? Installation { get; init; }
}

internal sealed record DeploymentPayload
{
    public required long Id { get; init; }
    public required string Sha { get; init; }
    public string? Ref { get; init; }
}

internal sealed record PullRequestNumber
{
    public required int Number { get; init; }
}

internal sealed record PingEvent
{
    public string? Zen { get; init; }
    public long? HookId { get; init; }
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    RespectNullableAnnotations = true,
    RespectRequiredConstructorParameters = true,
    AllowDuplicateProperties = false)]
[JsonSerializable(typeof(PullRequestEvent))]
[JsonSerializable(typeof(IssueCommentEvent))]
[JsonSerializable(typeof(DeploymentProtectionRuleEvent))]
[JsonSerializable(typeof(PingEvent))]
internal sealed partial class GitHubWebhookJsonContext : JsonSerializerContext;
