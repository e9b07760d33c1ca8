using System.Collections.Concurrent;
using System.Text;
using ReleaseFunctions.Core.Ports;
using ReleaseFunctions.Core.Releases;

namespace ReleaseFunctions.Integrations.GitHub.Client;

/// <summary>
/// The release workflow's side of GitHub: the sticky status comment, the check run, deployments and their statuses,
/// the policy file, team membership and permissions, protection-rule answers, comments and issues. Each call takes
/// the installation id from the webhook (ignored with token authentication). Failures after retries throw
/// <see cref="IntegrationException"/> with <see cref="IntegrationException.System"/> "GitHub".
/// </summary>
public sealed class GitHubClient : IDisposable
{
    /// <summary>Where a repository keeps its release policy.</summary>
    public const string PolicyFilePath = ".github/release-policy.yml";

    private const int CommentsPerPage = 100;
    private const int MaxCommentPages = 30;
    private readonly GitHubConnection _github;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, long> _statusComments = new(StringComparer.Ordinal);

    public GitHubClient(HttpClient http, GitHubClientOptions options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        options.Validate();
        _github = new GitHubConnection(http, options, time);
        _time = time;
    }

    /// <summary>
    /// Creates the release's status comment on its PR, or edits it in place. The comment is the one at
    /// <paramref name="knownCommentId"/> when the caller kept its id, else the one this client remembers; when neither
    /// is known (after a restart) it is found again by its hidden marker among the PR's comments, and when someone
    /// deleted it a new one is posted. Returns the comment id. One release's status is posted by its own orchestration, one update at a time.
    /// </summary>
    public Task<long> UpsertStatusCommentAsync(ReleaseStatusView status, long? installationId, CancellationToken cancellationToken)
        => UpsertStatusCommentAsync(status, knownCommentId: null, installationId, cancellationToken);

    /// <inheritdoc cref="UpsertStatusCommentAsync(ReleaseStatusView, long?, CancellationToken)"/>
    public async Task<long> UpsertStatusCommentAsync(ReleaseStatusView status, long? knownCommentId, long? installationId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(status);
        var release = status.Release;
        var repository = GitHubRepositoryName.Parse(release.Repository);
        var body = new CommentRequest(ReleaseStatusComment.Render(status));

        var existing = knownCommentId ?? (_statusComments.TryGetValue(release.InstanceId, out var remembered)
            ? remembered
            : await FindStatusCommentAsync(repository, release, installationId, cancellationToken).ConfigureAwait(false));
        if (existing is { } commentId)
        {
            var edited = await _github.SendAsync(HttpMethod.Patch, Repo(repository, $"issues/comments/{commentId}"), installationId, body,
                GitHubApiJsonContext.Default.CommentRequest, GitHubApiJsonContext.Default.IdBody, notFoundIsAnswer: true, cancellationToken).ConfigureAwait(false);
            if (edited is not null)
            {
                _statusComments[release.InstanceId] = edited.Id;
                return edited.Id;
            }

            // Deleted by someone since: post a new one.
            _statusComments.TryRemove(release.InstanceId, out _);
        }

        var created = await PostAsync(repository, release.PullRequest, body, installationId, cancellationToken).ConfigureAwait(false);
        _statusComments[release.InstanceId] = created;
        return created;
    }

    /// <summary>Posts a plain comment on a PR or issue; returns its id.</summary>
    public Task<long> PostCommentAsync(GitHubRepositoryName repository, int issueOrPullRequest, string markdown, long? installationId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(repository);
        ArgumentException.ThrowIfNullOrWhiteSpace(markdown);
        return PostAsync(repository, issueOrPullRequest, new CommentRequest(markdown), installationId, cancellationToken);
    }

    /// <summary>Creates a check run on <paramref name="headSha"/> (the merge commit); returns its id.</summary>
    public async Task<long> CreateCheckRunAsync(GitHubRepositoryName repository, string headSha, CheckRunReport report, long? installationId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(repository);
        ArgumentException.ThrowIfNullOrWhiteSpace(headSha);
        var created = await _github.SendAsync(HttpMethod.Post, Repo(repository, "check-runs"), installationId, CheckRun(report, headSha),
            GitHubApiJsonContext.Default.CheckRunRequest, GitHubApiJsonContext.Default.IdBody, notFoundIsAnswer: false, cancellationToken).ConfigureAwait(false);
        return created!.Id;
    }

    /// <summary>Updates a check run created by <see cref="CreateCheckRunAsync"/>.</summary>
    public async Task UpdateCheckRunAsync(GitHubRepositoryName repository, long checkRunId, CheckRunReport report, long? installationId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(repository);
        await _github.SendAsync(HttpMethod.Patch, Repo(repository, $"check-runs/{checkRunId}"), installationId, CheckRun(report, null),
            GitHubApiJsonContext.Default.CheckRunRequest, GitHubApiJsonContext.Default.IdBody, notFoundIsAnswer: false, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Creates a GitHub deployment of <paramref name="gitRef"/> (the merge commit) to <paramref name="environment"/>;
    /// returns its id. Commit status checks are not required again (the release already merged) and nothing is merged.
    /// </summary>
    public async Task<long> CreateDeploymentAsync(
        GitHubRepositoryName repository, string gitRef, string environment, string description, bool productionEnvironment, long? installationId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(repository);
        ArgumentException.ThrowIfNullOrWhiteSpace(gitRef);
        ArgumentException.ThrowIfNullOrWhiteSpace(environment);
        var request = new DeploymentRequest(gitRef, "deploy", AutoMerge: false, RequiredContexts: [], environment, Limit(description ?? "", 140), TransientEnvironment: false, productionEnvironment);
        var created = await _github.SendAsync(HttpMethod.Post, Repo(repository, "deployments"), installationId, request,
            GitHubApiJsonContext.Default.DeploymentRequest, GitHubApiJsonContext.Default.IdBody, notFoundIsAnswer: false, cancellationToken).ConfigureAwait(false);
        return created!.Id;
    }

    /// <summary>Adds a status to a deployment; returns the status id.</summary>
    public async Task<long> CreateDeploymentStatusAsync(
        GitHubRepositoryName repository, long deploymentId, DeploymentState state, string? description, Uri? environmentUrl, Uri? logUrl, long? installationId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(repository);
        var request = new DeploymentStatusRequest(Wire(state), description is null ? null : Limit(description, 140), environmentUrl?.AbsoluteUri, logUrl?.AbsoluteUri);
        var created = await _github.SendAsync(HttpMethod.Post, Repo(repository, $"deployments/{deploymentId}/statuses"), installationId, request,
            GitHubApiJsonContext.Default.DeploymentStatusRequest, GitHubApiJsonContext.Default.IdBody, notFoundIsAnswer: false, cancellationToken).ConfigureAwait(false);
        return created!.Id;
    }

    /// <summary>Reads <see cref="PolicyFilePath"/> at <paramref name="gitRef"/>; a 404 is <see cref="PolicyFileMissing"/>.</summary>
    public async Task<PolicyFileLookup> GetPolicyFileAsync(GitHubRepositoryName repository, string gitRef, long? installationId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(repository);
        ArgumentException.ThrowIfNullOrWhiteSpace(gitRef);
        var path = string.Join('/', PolicyFilePath.Split('/').Select(Uri.EscapeDataString));
        var uri = Repo(repository, $"contents/{path}?ref={Uri.EscapeDataString(gitRef)}");
        var file = await _github.SendAsync<object, ContentFileBody>(HttpMethod.Get, uri, installationId, null, null,
            GitHubApiJsonContext.Default.ContentFileBody, notFoundIsAnswer: true, cancellationToken).ConfigureAwait(false);
        if (file is null)
        {
            return new PolicyFileMissing(PolicyFilePath, gitRef);
        }

        if (file.Type != "file" || file.Encoding != "base64" || file.Content is null)
        {
            throw new IntegrationException(GitHubConnection.SystemName, IntegrationFailureKind.MalformedResponse,
                $"{PolicyFilePath} at '{gitRef}' in {repository} is a {file.Type} with encoding '{file.Encoding}'; expected a file under 1 MB returned base64-encoded");
        }

        try
        {
            var text = new UTF8Encoding(false, true).GetString(Convert.FromBase64String(file.Content));
            return new PolicyFileFound(PolicyFilePath, gitRef, file.Sha, text.TrimStart('\uFEFF'));
        }
        catch (Exception e) when (e is FormatException or DecoderFallbackException)
        {
            throw new IntegrationException(GitHubConnection.SystemName, IntegrationFailureKind.MalformedResponse,
                $"{PolicyFilePath} at '{gitRef}' in {repository} is not base64-encoded UTF-8 text: {e.Message}", inner: e);
        }
    }

    /// <summary>True when <paramref name="login"/> is an active (not pending) member of the team; false when not a member.</summary>
    public async Task<bool> IsActiveTeamMemberAsync(string organization, string teamSlug, string login, long? installationId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(organization);
        ArgumentException.ThrowIfNullOrWhiteSpace(teamSlug);
        ArgumentException.ThrowIfNullOrWhiteSpace(login);
        var uri = _github.Api($"orgs/{Uri.EscapeDataString(organization)}/teams/{Uri.EscapeDataString(teamSlug)}/memberships/{Uri.EscapeDataString(login)}");
        var membership = await _github.SendAsync<object, TeamMembershipBody>(HttpMethod.Get, uri, installationId, null, null,
            GitHubApiJsonContext.Default.TeamMembershipBody, notFoundIsAnswer: true, cancellationToken).ConfigureAwait(false);
        return membership?.State == "active";
    }

    /// <summary>
    /// The user's role on the repository: "admin", "maintain", "write", "triage", "read" or "none" (also when GitHub
    /// does not know the user as a collaborator).
    /// </summary>
    public async Task<string> GetRepositoryRoleAsync(GitHubRepositoryName repository, string login, long? installationId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(repository);
        ArgumentException.ThrowIfNullOrWhiteSpace(login);
        var permission = await _github.SendAsync<object, CollaboratorPermissionBody>(HttpMethod.Get, Repo(repository, $"collaborators/{Uri.EscapeDataString(login)}/permission"), installationId, null, null,
            GitHubApiJsonContext.Default.CollaboratorPermissionBody, notFoundIsAnswer: true, cancellationToken).ConfigureAwait(false);
        return permission is null ? "none" : permission.RoleName ?? permission.Permission;
    }

    /// <summary>
    /// Answers a custom deployment protection rule at the <c>deployment_callback_url</c> from its webhook. The URL must
    /// lie under the configured base address, so the installation token is never sent anywhere else.
    /// </summary>
    public async Task ReviewDeploymentProtectionRuleAsync(Uri deploymentCallbackUrl, string environmentName, bool approve, string comment, long? installationId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(deploymentCallbackUrl);
        ArgumentException.ThrowIfNullOrWhiteSpace(environmentName);
        ArgumentNullException.ThrowIfNull(comment);
        if (!deploymentCallbackUrl.IsAbsoluteUri || !_github.BaseAddress.IsBaseOf(deploymentCallbackUrl))
        {
            throw new IntegrationException(GitHubConnection.SystemName, IntegrationFailureKind.Rejected,
                $"deployment callback URL '{deploymentCallbackUrl}' is not under the GitHub API base address '{_github.BaseAddress}'; refusing to send credentials there");
        }

        var review = new ProtectionRuleReviewRequest(environmentName, approve ? "approved" : "rejected", Limit(comment, 1024));
        await _github.SendAsync(HttpMethod.Post, deploymentCallbackUrl, installationId, review, GitHubApiJsonContext.Default.ProtectionRuleReviewRequest, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Opens an issue (a post-incident review of a failed release, say); returns its number.</summary>
    public async Task<int> OpenIssueAsync(GitHubRepositoryName repository, string title, string markdown, IReadOnlyList<string> labels, long? installationId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(repository);
        ArgumentException.ThrowIfNullOrWhiteSpace(title);
        ArgumentNullException.ThrowIfNull(markdown);
        var issue = await _github.SendAsync(HttpMethod.Post, Repo(repository, "issues"), installationId, new IssueRequest(title, markdown, labels ?? []),
            GitHubApiJsonContext.Default.IssueRequest, GitHubApiJsonContext.Default.IssueBody, notFoundIsAnswer: false, cancellationToken).ConfigureAwait(false);
        return issue!.Number;
    }

    public void Dispose() => _github.Dispose();

    private async Task<long?> FindStatusCommentAsync(GitHubRepositoryName repository, ReleaseId release, long? installationId, CancellationToken cancellationToken)
    {
        var marker = ReleaseStatusComment.Marker(release);
        for (var page = 1; page <= MaxCommentPages; page++)
        {
            var uri = Repo(repository, $"issues/{release.PullRequest}/comments?per_page={CommentsPerPage}&page={page}");
            var comments = await _github.SendAsync<object, IReadOnlyList<IssueCommentBody>>(HttpMethod.Get, uri, installationId, null, null,
                GitHubApiJsonContext.Default.IReadOnlyListIssueCommentBody, notFoundIsAnswer: false, cancellationToken).ConfigureAwait(false);
            // Someone may paste the marker; only a comment this App made counts (with a token, the marker alone).
            var ours = comments!.FirstOrDefault(c => c.Body?.Contains(marker, StringComparison.Ordinal) == true
                && (_github.AppId is not { } appId || c.PerformedViaGithubApp?.Id == appId));
            if (ours is not null)
            {
                return ours.Id;
            }

            if (comments!.Count < CommentsPerPage)
            {
                return null;
            }
        }

        return null;
    }

    private async Task<long> PostAsync(GitHubRepositoryName repository, int issue, CommentRequest body, long? installationId, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(issue);
        var created = await _github.SendAsync(HttpMethod.Post, Repo(repository, $"issues/{issue}/comments"), installationId, body,
            GitHubApiJsonContext.Default.CommentRequest, GitHubApiJsonContext.Default.IdBody, notFoundIsAnswer: false, cancellationToken).ConfigureAwait(false);
        return created!.Id;
    }

    private Uri Repo(GitHubRepositoryName repository, string rest) =>
        _github.Api($"repos/{Uri.EscapeDataString(repository.Owner)}/{Uri.EscapeDataString(repository.Name)}/{rest}");

    private CheckRunRequest CheckRun(CheckRunReport report, string? headSha)
    {
        ArgumentNullException.ThrowIfNull(report);
        return new CheckRunRequest(
            report.Name,
            headSha,
            report.Status switch { CheckRunStatus.Queued => "queued", CheckRunStatus.InProgress => "in_progress", _ => "completed" },
            report.Conclusion switch
            {
                null => null,
                CheckRunConclusion.TimedOut => "timed_out",
                CheckRunConclusion.ActionRequired => "action_required",
                { } conclusion => conclusion.ToString().ToLowerInvariant(),
            },
            report.DetailsUrl?.AbsoluteUri,
            report.ExternalId,
            report.Status == CheckRunStatus.Completed ? _time.GetUtcNow() : null,
            new CheckRunOutputRequest(report.Title, report.Summary));
    }

    private static string Wire(DeploymentState state) => state == DeploymentState.InProgress ? "in_progress" : state.ToString().ToLowerInvariant();

    private static string Limit(string text, int max) => text.Length <= max ? text : text[..(max - 1)] + "…";
}
