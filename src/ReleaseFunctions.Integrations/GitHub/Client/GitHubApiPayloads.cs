using System.Text.Json.Serialization;

namespace ReleaseFunctions.Integrations.GitHub.Client;

// Request and response bodies of the REST endpoints the client calls, as GitHub documents them (REST API version
// 2022-11-28). Responses keep only the fields read; requests leave null fields out.

internal sealed record GitHubErrorBody
{
    public string? Message { get; init; }
    public string? DocumentationUrl { get; init; }
}

/// <summary>POST /app/installations/{installation_id}/access_tokens → 201.</summary>
internal sealed record InstallationTokenBody
{
    public required string Token { get; init; }
    public required DateTimeOffset ExpiresAt { get; init; }
}

/// <summary>Issue comments: GET /repos/{owner}/{repo}/issues/{issue_number}/comments, POST same, PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}.</summary>
internal sealed record IssueCommentBody
{
    public required long Id { get; init; }
    public string? Body { get; init; }
    public CommentAppBody? PerformedViaGithubApp { get; init; }
}

internal sealed record CommentAppBody
{
    public required long Id { get; init; }
}

internal sealed record CommentRequest(string Body);

/// <summary>POST /repos/{owner}/{repo}/check-runs and PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}.</summary>
internal sealed record CheckRunRequest(
    string Name,
    string? HeadSha,
    string Status,
    string? Conclusion,
    string? DetailsUrl,
    string? ExternalId,
    DateTimeOffset? CompletedAt,
    CheckRunOutputRequest Output);

internal sealed record CheckRunOutputRequest(string Title, string Summary);

internal sealed record IdBody
{
    public required long Id { get; init; }
}

/// <summary>POST /repos/{owner}/{repo}/deployments.</summary>
internal sealed record DeploymentRequest(
    string Ref,
    string Task,
    bool AutoMerge,
    IReadOnlyList<string> RequiredContexts,
    string Environment,
    string Description,
    bool TransientEnvironment,
    bool ProductionEnvironment);

/// <summary>POST /repos/{owner}/{repo}/deployments/{deployment_id}/statuses.</summary>
internal sealed record DeploymentStatusRequest(
    string State,
    string? Description,
    string? EnvironmentUrl,
    string? LogUrl);

/// <summary>GET /repos/{owner}/{repo}/contents/{path}?ref= for a file.</summary>
internal sealed record ContentFileBody
{
    public required string Type { get; init; }
    public string? Encoding { get; init; }
    public string? Content { get; init; }
    public required string Sha { get; init; }
}

/// <summary>GET /orgs/{org}/teams/{team_slug}/memberships/{username}.</summary>
internal sealed record TeamMembershipBody
{
    public required string State { get; init; }
    public string? Role { get; init; }
}

/// <summary>GET /repos/{owner}/{repo}/collaborators/{username}/permission.</summary>
internal sealed record CollaboratorPermissionBody
{
    public required string Permission { get; init; }
    public string? RoleName { get; init; }
}

/// <summary>POST {deployment_callback_url} (review a custom deployment protection rule).</summary>
internal sealed record ProtectionRuleReviewRequest(string EnvironmentName, string State, string Comment);

/// <summary>POST /repos/{owner}/{repo}/issues.</summary>
internal sealed record IssueRequest(string Title, string Body, IReadOnlyList<string> Labels);

internal sealed record IssueBody
{
    public required long Id { get; init; }
    public required int Number { get; init; }
    public string? HtmlUrl { get; init; }
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    RespectNullableAnnotations = true)]
[JsonSerializable(typeof(GitHubErrorBody))]
[JsonSerializable(typeof(InstallationTokenBody))]
[JsonSerializable(typeof(IssueCommentBody))]
[JsonSerializable(typeof(IReadOnlyList<IssueCommentBody>))]
[JsonSerializable(typeof(CommentRequest))]
[JsonSerializable(typeof(CheckRunRequest))]
[JsonSerializable(typeof(IdBody))]
[JsonSerializable(typeof(DeploymentRequest))]
[JsonSerializable(typeof(DeploymentStatusRequest))]
[JsonSerializable(typeof(ContentFileBody))]
[JsonSerializable(typeof(TeamMembershipBody))]
[JsonSerializable(typeof(CollaboratorPermissionBody))]
[JsonSerializable(typeof(ProtectionRuleReviewRequest))]
[JsonSerializable(typeof(IssueRequest))]
[JsonSerializable(typeof(IssueBody))]
internal sealed partial class GitHubApiJsonContext : JsonSerializerContext;
