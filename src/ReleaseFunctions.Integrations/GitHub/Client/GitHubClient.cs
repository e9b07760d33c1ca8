using System.Collections.Concurrent;
using System.Text;
using Microsoft.AspNetCore.WebUtilities;
using Octokit;
using Octokit.Internal;
using ReleaseFunctions.Core.Ports;
using ReleaseFunctions.Core.Preflight;
using ReleaseFunctions.Core.Releases;
using OctokitClient = Octokit.GitHubClient;

namespace ReleaseFunctions.Integrations.GitHub.Client;

/// <summary>
/// The release workflow's side of GitHub, through Octokit: the sticky status comment, the check run, deployments and
/// their statuses, the policy file, team membership and permissions, protection-rule answers, comments and issues, and
/// what pre-flight reads of a merge commit (its statuses and check runs, the repository's open security alerts).
/// Each call takes the installation id from the webhook (ignored with token authentication). Failures after retries
/// throw <see cref="IntegrationException"/> with <see cref="IntegrationException.System"/> "GitHub".
/// </summary>
public sealed partial class GitHubClient : IDisposable
{
    /// <summary>Where a repository keeps its release policy.</summary>
    public const string PolicyFilePath = ".github/release-policy.yml";

    private const int CommentsPerPage = 100;
    private const int MaxCommentPages = 30;
    private const int ListPageSize = 100;
    // Pre-flight reads a list whole or not at all (a gate must not pass on part of it); past these it gives up.
    private const int MaxCheckPages = 10;
    private const int MaxAlertPages = 50;
    private const string GitHubJson = "application/vnd.github+json";
    private readonly GitHubClientOptions _options;
    private readonly TimeProvider _time;
    private readonly Uri _base;
    private readonly GitHubHttp _http;
    private readonly OctokitClient? _tokenClient;
    private readonly GitHubAppJwt? _jwt;
    private readonly GitHubInstallationTokens? _tokens;
    private readonly ConcurrentDictionary<long, OctokitClient> _installations = new();
    private readonly ConcurrentDictionary<string, long> _statusComments = new(StringComparer.Ordinal);

    /// <param name="http">The transport every attempt is sent through; its <see cref="HttpClient.Timeout"/> bounds one attempt.</param>
    public GitHubClient(HttpClient http, GitHubClientOptions options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        options.Validate();
        _options = options;
        _time = time;
        _base = options.BaseAddress.AbsoluteUri.EndsWith('/') ? options.BaseAddress : new Uri(options.BaseAddress.AbsoluteUri + "/");
        if (options.UsesApp)
        {
            // Parses the key first: a bad key is a settings error before anything is built.
            _jwt = new GitHubAppJwt(options.AppId!.Value, options.AppPrivateKeyPem!, time);
        }

        _http = new GitHubHttp(http, options, time);
        if (_jwt is null)
        {
            _tokenClient = Octokit(new InMemoryCredentialStore(new Credentials(options.Token, AuthenticationType.Bearer)));
        }
        else
        {
            _tokens = new GitHubInstallationTokens(Octokit(new GitHubAppCredentials(_jwt)).GitHubApps, _base, options, time);
        }
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
        var body = ReleaseStatusComment.Render(status);

        var existing = knownCommentId ?? (_statusComments.TryGetValue(release.InstanceId, out var remembered)
            ? remembered
            : await FindStatusCommentAsync(repository, release, installationId, cancellationToken).ConfigureAwait(false));
        if (existing is { } commentId)
        {
            var edited = await CallAsync(installationId, "PATCH", Repo(repository, $"issues/comments/{commentId}"), notFoundIsAnswer: true,
                github => github.Issue.Comment.Update(repository.Owner, repository.Name, commentId, body), cancellationToken).ConfigureAwait(false);
            if (edited is not null)
            {
                var id = Id(edited.Id, "PATCH", Repo(repository, $"issues/comments/{commentId}"));
                _statusComments[release.InstanceId] = id;
                return id;
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
        return PostAsync(repository, issueOrPullRequest, markdown, installationId, cancellationToken);
    }

    /// <summary>Creates a check run on <paramref name="headSha"/> (the merge commit); returns its id.</summary>
    public async Task<long> CreateCheckRunAsync(GitHubRepositoryName repository, string headSha, CheckRunReport report, long? installationId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(repository);
        ArgumentException.ThrowIfNullOrWhiteSpace(headSha);
        ArgumentNullException.ThrowIfNull(report);
        var run = new NewCheckRun(report.Name, headSha)
        {
            Status = Wire(report.Status),
            Conclusion = Wire(report.Conclusion),
            DetailsUrl = report.DetailsUrl?.AbsoluteUri,
            ExternalId = report.ExternalId,
            CompletedAt = CompletedAt(report),
            Output = new NewCheckRunOutput(report.Title, report.Summary),
        };
        var path = Repo(repository, "check-runs");
        var created = await CallAsync(installationId, "POST", path, notFoundIsAnswer: false,
            github => github.Check.Run.Create(repository.Owner, repository.Name, run), cancellationToken).ConfigureAwait(false);
        return Id(created!.Id, "POST", path);
    }

    /// <summary>Updates a check run created by <see cref="CreateCheckRunAsync"/>.</summary>
    public async Task UpdateCheckRunAsync(GitHubRepositoryName repository, long checkRunId, CheckRunReport report, long? installationId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(repository);
        ArgumentNullException.ThrowIfNull(report);
        var update = new CheckRunUpdate
        {
            Name = report.Name,
            Status = Wire(report.Status),
            Conclusion = Wire(report.Conclusion),
            DetailsUrl = report.DetailsUrl?.AbsoluteUri,
            ExternalId = report.ExternalId,
            CompletedAt = CompletedAt(report),
            Output = new NewCheckRunOutput(report.Title, report.Summary),
        };
        await CallAsync(installationId, "PATCH", Repo(repository, $"check-runs/{checkRunId}"), notFoundIsAnswer: false,
            github => github.Check.Run.Update(repository.Owner, repository.Name, checkRunId, update), cancellationToken).ConfigureAwait(false);
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
        var deployment = new NewDeployment(gitRef)
        {
            Task = "deploy",
            AutoMerge = false,
            RequiredContexts = [],
            Environment = environment,
            Description = Limit(description ?? "", 140),
            TransientEnvironment = false,
            ProductionEnvironment = productionEnvironment,
        };
        var path = Repo(repository, "deployments");
        var created = await CallAsync(installationId, "POST", path, notFoundIsAnswer: false,
            github => github.Repository.Deployment.Create(repository.Owner, repository.Name, deployment), cancellationToken).ConfigureAwait(false);
        return Id(created!.Id, "POST", path);
    }

    /// <summary>Adds a status to a deployment; returns the status id.</summary>
    public async Task<long> CreateDeploymentStatusAsync(
        GitHubRepositoryName repository, long deploymentId, DeploymentState state, string? description, Uri? environmentUrl, Uri? logUrl, long? installationId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(repository);
        var status = new NewDeploymentStatus(Wire(state))
        {
            Description = description is null ? null : Limit(description, 140),
            EnvironmentUrl = environmentUrl?.AbsoluteUri,
            LogUrl = logUrl?.AbsoluteUri,
        };
        var path = Repo(repository, $"deployments/{deploymentId}/statuses");
        var created = await CallAsync(installationId, "POST", path, notFoundIsAnswer: false,
            github => github.Repository.Deployment.Status.Create(repository.Owner, repository.Name, deploymentId, status), cancellationToken).ConfigureAwait(false);
        return Id(created!.Id, "POST", path);
    }

    /// <summary>Reads <see cref="PolicyFilePath"/> at <paramref name="gitRef"/>; a 404 is <see cref="PolicyFileMissing"/>.</summary>
    public async Task<PolicyFileLookup> GetPolicyFileAsync(GitHubRepositoryName repository, string gitRef, long? installationId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(repository);
        ArgumentException.ThrowIfNullOrWhiteSpace(gitRef);
        // Octokit puts the ref into the query as given; escaped here so a branch name with '&' or '+' stays one ref.
        var contents = await CallAsync(installationId, "GET", Repo(repository, $"contents/{PolicyFilePath}"), notFoundIsAnswer: true,
            github => github.Repository.Content.GetAllContentsByRef(repository.Owner, repository.Name, PolicyFilePath, Uri.EscapeDataString(gitRef)), cancellationToken).ConfigureAwait(false);
        if (contents is null)
        {
            return new PolicyFileMissing(PolicyFilePath, gitRef);
        }

        var file = contents.Count == 1 ? contents[0] : null;
        if (file is null || file.Type.StringValue != "file" || file.Encoding != "base64" || file.EncodedContent is null || string.IsNullOrEmpty(file.Sha))
        {
            var what = file is null ? $"a directory of {contents.Count} entries" : $"a {file.Type.StringValue} with encoding '{file.Encoding}'";
            throw new IntegrationException(GitHubFailures.SystemName, IntegrationFailureKind.MalformedResponse,
                $"{PolicyFilePath} at '{gitRef}' in {repository} is {what}; expected a file under 1 MB returned base64-encoded");
        }

        try
        {
            var text = new UTF8Encoding(false, true).GetString(Convert.FromBase64String(file.EncodedContent));
            return new PolicyFileFound(PolicyFilePath, gitRef, file.Sha, text.TrimStart('\uFEFF'));
        }
        catch (Exception e) when (e is FormatException or DecoderFallbackException)
        {
            throw new IntegrationException(GitHubFailures.SystemName, IntegrationFailureKind.MalformedResponse,
                $"{PolicyFilePath} at '{gitRef}' in {repository} is not base64-encoded UTF-8 text: {e.Message}", inner: e);
        }
    }

    /// <summary>True when <paramref name="login"/> is an active (not pending) member of the team; false when not a member.</summary>
    public async Task<bool> IsActiveTeamMemberAsync(string organization, string teamSlug, string login, long? installationId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(organization);
        ArgumentException.ThrowIfNullOrWhiteSpace(teamSlug);
        ArgumentException.ThrowIfNullOrWhiteSpace(login);
        // Octokit reads memberships only by team id (the legacy /teams/{id} route); by slug is one GET on its connection.
        var path = $"orgs/{Uri.EscapeDataString(organization)}/teams/{Uri.EscapeDataString(teamSlug)}/memberships/{Uri.EscapeDataString(login)}";
        var membership = await CallAsync(installationId, "GET", path, notFoundIsAnswer: true,
            async github => (await github.Connection.Get<TeamMembershipDetails>(new Uri(path, UriKind.Relative), null).ConfigureAwait(false)).Body,
            cancellationToken).ConfigureAwait(false);
        return membership?.State.StringValue == "active";
    }

    /// <summary>
    /// The user's role on the repository: "admin", "maintain", "write", "triage", "read" or "none" (also when GitHub
    /// does not know the user as a collaborator).
    /// </summary>
    public async Task<string> GetRepositoryRoleAsync(GitHubRepositoryName repository, string login, long? installationId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(repository);
        ArgumentException.ThrowIfNullOrWhiteSpace(login);
        var path = Repo(repository, $"collaborators/{Uri.EscapeDataString(login)}/permission");
        var permission = await CallAsync(installationId, "GET", path, notFoundIsAnswer: true,
            github => github.Repository.Collaborator.ReviewPermission(repository.Owner, repository.Name, login), cancellationToken).ConfigureAwait(false);
        if (permission is null)
        {
            return "none";
        }

        return permission.RoleName ?? permission.Permission
            ?? throw GitHubFailures.Malformed(Describe("GET", path), "without the documented 'permission'");
    }

    /// <summary>
    /// Every check reported on <paramref name="sha"/>: the latest status of each commit-status context, then the latest
    /// check run of each name, all pages of both. A commit with more than <see cref="MaxCheckPages"/> pages of either is an
    /// <see cref="IntegrationException"/>, never a partial list.
    /// </summary>
    public async Task<IReadOnlyList<CommitCheck>> ListCommitChecksAsync(GitHubRepositoryName repository, string sha, long? installationId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(repository);
        ArgumentException.ThrowIfNullOrWhiteSpace(sha);
        var checks = new List<CommitCheck>();
        var commit = $"commits/{Uri.EscapeDataString(sha)}";

        var statusPath = Repo(repository, $"{commit}/status");
        for (var page = 1; ; page++)
        {
            var combined = await GetJsonAsync<CombinedStatusPage>(installationId, statusPath, Paged(page), cancellationToken).ConfigureAwait(false);
            var statuses = combined.Statuses ?? throw GitHubFailures.Malformed(Describe("GET", statusPath), "without the documented 'statuses'");
            foreach (var status in statuses)
            {
                if (string.IsNullOrWhiteSpace(status?.Context) || string.IsNullOrWhiteSpace(status.State))
                {
                    throw GitHubFailures.Malformed(Describe("GET", statusPath), "a status without the documented 'context' and 'state'");
                }

                checks.Add(new CommitCheck(status.Context, CommitCheckKind.Status, StatusState(status.State), status.State, NonEmpty(status.TargetUrl)));
            }

            if (statuses.Count < ListPageSize)
            {
                break;
            }

            if (page == MaxCheckPages)
            {
                throw TooManyPages(statusPath, MaxCheckPages, "commit statuses");
            }
        }

        var runsPath = Repo(repository, $"{commit}/check-runs");
        var runsSeen = 0;
        for (var page = 1; ; page++)
        {
            var query = Paged(page);
            query["filter"] = "latest";
            var listed = await GetJsonAsync<CheckRunsPage>(installationId, runsPath, query, cancellationToken).ConfigureAwait(false);
            var runs = listed.CheckRuns ?? throw GitHubFailures.Malformed(Describe("GET", runsPath), "without the documented 'check_runs'");
            foreach (var run in runs)
            {
                if (string.IsNullOrWhiteSpace(run?.Name) || string.IsNullOrWhiteSpace(run.Status))
                {
                    throw GitHubFailures.Malformed(Describe("GET", runsPath), "a check run without the documented 'name' and 'status'");
                }

                var conclusion = NonEmpty(run.Conclusion);
                var detail = conclusion is null ? run.Status : $"{run.Status}/{conclusion}";
                checks.Add(new CommitCheck(run.Name, CommitCheckKind.CheckRun, CheckRunState(run.Status, conclusion), detail, NonEmpty(run.HtmlUrl)));
            }

            runsSeen += runs.Count;
            // total_count saves the empty page after a full last one.
            if (runs.Count < ListPageSize || (listed.TotalCount > 0 && runsSeen >= listed.TotalCount))
            {
                break;
            }

            if (page == MaxCheckPages)
            {
                throw TooManyPages(runsPath, MaxCheckPages, "check runs");
            }
        }

        return checks;
    }

    /// <summary>
    /// The repository's open code scanning alerts of security rules (those with a <c>security_severity_level</c>; other
    /// findings have no severity to gate on and are left out), all pages. Code scanning off, or the App without the
    /// permission, is an <see cref="IntegrationException"/> naming what to enable, never an empty list.
    /// </summary>
    public async Task<IReadOnlyList<SecurityAlert>> ListOpenCodeScanningAlertsAsync(GitHubRepositoryName repository, long? installationId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(repository);
        var path = Repo(repository, "code-scanning/alerts");
        var alerts = new List<SecurityAlert>();
        for (var page = 1; ; page++)
        {
            var query = Paged(page);
            query["state"] = "open";
            var listed = await ReadAlertsAsync(SecurityAlertKind.CodeScanning, repository, path,
                () => GetJsonAsync<List<ListedCodeScanningAlert>>(installationId, path, query, cancellationToken)).ConfigureAwait(false);
            foreach (var alert in listed)
            {
                if (alert is null || alert.Number <= 0 || alert.Rule is null)
                {
                    throw GitHubFailures.Malformed(Describe("GET", path), "an alert without the documented 'number' and 'rule'");
                }

                if (NonEmpty(alert.Rule.SecuritySeverityLevel) is not { } level)
                {
                    continue;
                }

                var rule = NonEmpty(alert.Rule.Description) ?? NonEmpty(alert.Rule.Id)
                    ?? throw GitHubFailures.Malformed(Describe("GET", path), $"alert #{alert.Number} with a rule without the documented 'id'");
                var where = NonEmpty(alert.MostRecentInstance?.Location?.Path);
                alerts.Add(new SecurityAlert(SecurityAlertKind.CodeScanning, alert.Number, Severity(level, path, alert.Number),
                    where is null ? rule : $"{rule} in {where}", NonEmpty(alert.HtmlUrl)));
            }

            if (listed.Count < ListPageSize)
            {
                return alerts;
            }

            if (page == MaxAlertPages)
            {
                throw TooManyPages(path, MaxAlertPages, "open code scanning alerts");
            }
        }
    }

    /// <summary>
    /// The repository's open Dependabot alerts, all pages (cursor paging). Dependabot alerts off, or the App without the
    /// permission, is an <see cref="IntegrationException"/> naming what to enable, never an empty list.
    /// </summary>
    public async Task<IReadOnlyList<SecurityAlert>> ListOpenDependabotAlertsAsync(GitHubRepositoryName repository, long? installationId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(repository);
        var path = Repo(repository, "dependabot/alerts");
        var alerts = new List<SecurityAlert>();
        string? after = null;
        for (var page = 1; ; page++)
        {
            // The endpoint refuses 'page'; it pages by the 'after' cursor only.
            var query = new Dictionary<string, string> { ["state"] = "open", ["per_page"] = $"{ListPageSize}" };
            if (after is not null)
            {
                query["after"] = after;
            }

            var response = await ReadAlertsAsync(SecurityAlertKind.Dependabot, repository, path,
                () => GetAsync<List<ListedDependabotAlert>>(installationId, path, query, cancellationToken)).ConfigureAwait(false);
            var listed = response.Body ?? throw GitHubFailures.Malformed(Describe("GET", path), "an empty body; expected a list of alerts");
            foreach (var alert in listed)
            {
                alerts.Add(DependabotAlert(alert, path));
            }

            // GitHub's next link names the repository by id (/repositories/{id}/…); only its cursor is taken, so every
            // page is asked of the same path.
            if (response.HttpResponse?.ApiInfo?.Links is not { } links || !links.TryGetValue("next", out var next))
            {
                return alerts;
            }

            var cursor = QueryHelpers.ParseQuery(next.Query).TryGetValue("after", out var value) ? value.ToString() : "";
            if (cursor.Length == 0 || cursor == after)
            {
                throw GitHubFailures.Malformed(Describe("GET", path), $"a Link rel=\"next\" without a new 'after' cursor: {next}");
            }

            if (page == MaxAlertPages)
            {
                throw TooManyPages(path, MaxAlertPages, "open Dependabot alerts");
            }

            after = cursor;
        }
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
        if (!deploymentCallbackUrl.IsAbsoluteUri || !_base.IsBaseOf(deploymentCallbackUrl))
        {
            throw new IntegrationException(GitHubFailures.SystemName, IntegrationFailureKind.Rejected,
                $"deployment callback URL '{deploymentCallbackUrl}' is not under the GitHub API base address '{_base}'; refusing to send credentials there");
        }

        var review = new ProtectionRuleReview { EnvironmentName = environmentName, State = approve ? "approved" : "rejected", Comment = Limit(comment, 1024) };
        // Octokit has no call for this callback; its connection posts it with the same credentials and retries.
        var relative = _base.MakeRelativeUri(deploymentCallbackUrl).OriginalString;
        await CallAsync(installationId, "POST", relative, notFoundIsAnswer: false,
            async github =>
            {
                await github.Connection.Post<object>(deploymentCallbackUrl, review, GitHubJson, "application/json").ConfigureAwait(false);
                return review;
            },
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Opens an issue (a post-incident review of a failed release, say); returns its number.</summary>
    public async Task<int> OpenIssueAsync(GitHubRepositoryName repository, string title, string markdown, IReadOnlyList<string> labels, long? installationId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(repository);
        ArgumentException.ThrowIfNullOrWhiteSpace(title);
        ArgumentNullException.ThrowIfNull(markdown);
        var issue = new NewIssue(title) { Body = markdown };
        foreach (var label in labels ?? [])
        {
            issue.Labels.Add(label);
        }

        var path = Repo(repository, "issues");
        var opened = await CallAsync(installationId, "POST", path, notFoundIsAnswer: false,
            github => github.Issue.Create(repository.Owner, repository.Name, issue), cancellationToken).ConfigureAwait(false);
        return opened!.Number > 0 ? opened.Number : throw GitHubFailures.Malformed(Describe("POST", path), "without the documented 'number'");
    }

    public void Dispose()
    {
        _http.Dispose();
        _tokens?.Dispose();
        _jwt?.Dispose();
    }

    private async Task<long?> FindStatusCommentAsync(GitHubRepositoryName repository, ReleaseId release, long? installationId, CancellationToken cancellationToken)
    {
        var marker = ReleaseStatusComment.Marker(release);
        var path = Repo(repository, $"issues/{release.PullRequest}/comments");
        for (var page = 1; page <= MaxCommentPages; page++)
        {
            var query = new Dictionary<string, string> { ["per_page"] = $"{CommentsPerPage}", ["page"] = $"{page}" };
            // Octokit's IssueComment has no performed_via_github_app, so the page is read into our own shape.
            var comments = await CallAsync(installationId, "GET", path, notFoundIsAnswer: false,
                async github => (await github.Connection.Get<List<ListedIssueComment>>(new Uri(path, UriKind.Relative), query).ConfigureAwait(false)).Body ?? [],
                cancellationToken).ConfigureAwait(false);
            // Someone may paste the marker; only a comment this App made counts (with a token, the marker alone).
            var ours = comments!.FirstOrDefault(c => c.Body?.Contains(marker, StringComparison.Ordinal) == true
                && (_options.AppId is not { } appId || c.PerformedViaGitHubApp?.Id == appId));
            if (ours is not null)
            {
                return Id(ours.Id, "GET", path);
            }

            if (comments!.Count < CommentsPerPage)
            {
                return null;
            }
        }

        return null;
    }

    private async Task<long> PostAsync(GitHubRepositoryName repository, int issue, string body, long? installationId, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(issue);
        var path = Repo(repository, $"issues/{issue}/comments");
        var created = await CallAsync(installationId, "POST", path, notFoundIsAnswer: false,
            github => github.Issue.Comment.Create(repository.Owner, repository.Name, issue, body), cancellationToken).ConfigureAwait(false);
        return Id(created!.Id, "POST", path);
    }

    /// <summary>
    /// Runs one Octokit call as the right identity with the caller's cancellation, and turns its failure into an
    /// <see cref="IntegrationException"/> naming <paramref name="method"/> and <paramref name="path"/>; a 404 is null
    /// when <paramref name="notFoundIsAnswer"/>. A token GitHub refused is dropped so the next call gets a new one.
    /// </summary>
    private async Task<T?> CallAsync<T>(long? installationId, string method, string path, bool notFoundIsAnswer, Func<OctokitClient, Task<T>> call, CancellationToken cancellationToken)
        where T : class
    {
        var github = ClientFor(installationId);
        GitHubHttp.CallerCancellation.Value = cancellationToken;
        try
        {
            return await call(github).ConfigureAwait(false);
        }
        catch (NotFoundException) when (notFoundIsAnswer)
        {
            return null;
        }
        catch (Exception e)
        {
            if (e is AuthorizationException && installationId is { } id)
            {
                _tokens?.Forget(id);
            }

            var translated = GitHubFailures.Translate(e, Describe(method, path), _options, _time, cancellationToken);
            if (ReferenceEquals(translated, e))
            {
                throw;
            }

            throw translated;
        }
    }

    private async Task<T> GetJsonAsync<T>(long? installationId, string path, Dictionary<string, string> query, CancellationToken cancellationToken)
        where T : class
        => (await GetAsync<T>(installationId, path, query, cancellationToken).ConfigureAwait(false)).Body
           ?? throw GitHubFailures.Malformed(Describe("GET", path), $"an empty body; expected {typeof(T).Name}");

    private async Task<IApiResponse<T>> GetAsync<T>(long? installationId, string path, Dictionary<string, string> query, CancellationToken cancellationToken)
        => (await CallAsync(installationId, "GET", path, notFoundIsAnswer: false,
            github => github.Connection.Get<T>(new Uri(path, UriKind.Relative), query), cancellationToken).ConfigureAwait(false))!;

    private static Dictionary<string, string> Paged(int page) => new() { ["per_page"] = $"{ListPageSize}", ["page"] = $"{page}" };

    private IntegrationException TooManyPages(string path, int pages, string what) => new(GitHubFailures.SystemName, IntegrationFailureKind.MalformedResponse,
        $"{Describe("GET", path)} still had more {what} after {pages} pages of {ListPageSize}; pre-flight reads them all or none, so it stopped here");

    /// <summary>
    /// Runs a read of security alerts, turning GitHub's 403 (the feature is off, or the App lacks the permission) and
    /// 404 (code scanning never ran, or the repository is not visible) into a failure that says what to enable: an
    /// unreadable alert list must stop a gate, not look like a clean one.
    /// </summary>
    private async Task<T> ReadAlertsAsync<T>(SecurityAlertKind kind, GitHubRepositoryName repository, string path, Func<Task<T>> read)
    {
        try
        {
            return await read().ConfigureAwait(false);
        }
        catch (IntegrationException e) when (e.StatusCode is 403 or 404 && e.Kind is IntegrationFailureKind.Unauthorized or IntegrationFailureKind.NotFound)
        {
            var status = e.StatusCode!.Value;
            var (feature, remedy) = kind == SecurityAlertKind.CodeScanning
                ? ("code scanning alerts", "enable code scanning on the repository (GitHub Advanced Security where the plan needs it), and give the GitHub App the 'Code scanning alerts: read' permission (a classic token needs the 'security_events' scope)")
                : ("Dependabot alerts", "enable Dependabot alerts on the repository, and give the GitHub App the 'Dependabot alerts: read' permission (a classic token needs the 'security_events' scope)");
            var said = (e.InnerException as ApiException)?.ApiError?.Message is { Length: > 0 } message ? $": \"{Limit(message, 300)}\"" : "";
            var hidden = status == 404 ? "; a 404 also means the repository is not visible to these credentials" : "";
            throw new IntegrationException(GitHubFailures.SystemName, e.Kind,
                $"{feature} of {repository} could not be read ({status} {ReasonPhrases.GetReasonPhrase(status)} from {Describe("GET", path)}{said}): {remedy}{hidden}",
                status, e);
        }
    }

    private SecurityAlert DependabotAlert(ListedDependabotAlert? alert, string path)
    {
        if (alert is null || alert.Number <= 0)
        {
            throw GitHubFailures.Malformed(Describe("GET", path), "an alert without the documented 'number'");
        }

        var level = NonEmpty(alert.SecurityAdvisory?.Severity) ?? NonEmpty(alert.SecurityVulnerability?.Severity)
            ?? throw GitHubFailures.Malformed(Describe("GET", path), $"alert #{alert.Number} without the documented 'security_advisory.severity'");
        var advisory = NonEmpty(alert.SecurityAdvisory?.Summary) ?? NonEmpty(alert.SecurityAdvisory?.GhsaId)
            ?? throw GitHubFailures.Malformed(Describe("GET", path), $"alert #{alert.Number} without the documented 'security_advisory.summary'");
        var package = alert.Dependency?.Package;
        var summary = NonEmpty(package?.Ecosystem) is { } ecosystem && NonEmpty(package?.Name) is { } name ? $"{advisory} ({ecosystem}/{name})" : advisory;
        return new SecurityAlert(SecurityAlertKind.Dependabot, alert.Number, Severity(level, path, alert.Number), summary, NonEmpty(alert.HtmlUrl));
    }

    private SecuritySeverity Severity(string level, string path, int number) => level.ToLowerInvariant() switch
    {
        "low" => SecuritySeverity.Low,
        "medium" => SecuritySeverity.Medium,
        "high" => SecuritySeverity.High,
        "critical" => SecuritySeverity.Critical,
        _ => throw GitHubFailures.Malformed(Describe("GET", path), $"alert #{number} with severity '{level}'; expected low, medium, high or critical"),
    };

    // As branch protection counts them; a state or conclusion GitHub adds later fails until it is known to pass.
    private static CommitCheckState StatusState(string state) => state switch
    {
        "pending" => CommitCheckState.Pending,
        "success" => CommitCheckState.Passed,
        _ => CommitCheckState.Failed,
    };

    private static CommitCheckState CheckRunState(string status, string? conclusion) =>
        status != "completed" ? CommitCheckState.Pending
        : conclusion is "success" or "neutral" or "skipped" ? CommitCheckState.Passed
        : CommitCheckState.Failed;

    private static string? NonEmpty(string? text) => string.IsNullOrWhiteSpace(text) ? null : text;

    private OctokitClient ClientFor(long? installationId)
    {
        if (_tokenClient is not null)
        {
            return _tokenClient;
        }

        if (installationId is not { } id)
        {
            throw new IntegrationException(GitHubFailures.SystemName, IntegrationFailureKind.Unauthorized,
                "authenticating as a GitHub App needs the installation id of the repository (from the webhook's 'installation.id'); none was given");
        }

        return _installations.GetOrAdd(id, static (key, self) => self.Octokit(new GitHubInstallationCredentials(key, self._tokens!)), this);
    }

    private OctokitClient Octokit(ICredentialStore credentials) =>
        new(new Connection(ProductHeaderValue.Parse(_options.UserAgent), _base, credentials, _http, new SimpleJsonSerializer()));

    private string Describe(string method, string path) => $"{method} {new Uri(_base, path).AbsolutePath}";

    private long Id(long id, string method, string path) =>
        id > 0 ? id : throw GitHubFailures.Malformed(Describe(method, path), "without the documented 'id'");

    private static string Repo(GitHubRepositoryName repository, string rest) =>
        $"repos/{Uri.EscapeDataString(repository.Owner)}/{Uri.EscapeDataString(repository.Name)}/{rest}";

    private DateTimeOffset? CompletedAt(CheckRunReport report) => report.Status == CheckRunStatus.Completed ? _time.GetUtcNow() : null;

    // The port's enums name their values as Octokit's do (Octokit writes GitHub's snake_case spelling).
    private static CheckStatus Wire(CheckRunStatus status) => Enum.Parse<CheckStatus>(status.ToString());

    private static StringEnum<CheckConclusion>? Wire(CheckRunConclusion? conclusion) =>
        conclusion is { } value ? Enum.Parse<CheckConclusion>(value.ToString()) : null;

    private static global::Octokit.DeploymentState Wire(DeploymentState state) => Enum.Parse<global::Octokit.DeploymentState>(state.ToString());

    private static string Limit(string text, int max) => text.Length <= max ? text : text[..(max - 1)] + "…";
}
