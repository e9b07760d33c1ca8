using ReleaseFunctions.Core.Ports;
using ReleaseFunctions.Core.ReleaseNotes;

namespace ReleaseFunctions.Integrations.GitHub.Client;

/// <summary>
/// What a promoted release leaves on GitHub: the pull requests merged since the previous version (compare, then each
/// first-parent commit's pull requests), the latest version among the repository's tags, the tag on the merge commit and
/// the GitHub release. Creating is idempotent: an existing tag or release is read first and reused, and a create that
/// loses a race (422) reads again, so a retry or a replay never makes a second one. A tag is never moved.
/// </summary>
public sealed partial class GitHubClient
{
    // Release notes read the range whole or not at all: a missed 'major' label would give the wrong version.
    private const int MaxComparePages = 10;
    private const int MaxPullRequestLookups = 250;
    private const int MaxTagPages = 20;
    private const int MaxTagDepth = 3;

    /// <summary>
    /// The pull requests merged into the branch from <paramref name="baseSha"/> (excluded) to <paramref name="headSha"/>
    /// (included), oldest first. The comparison is read page by page; then each commit on head's first-parent line (the
    /// merge, squash or rebased commits the branch got; a merged branch's own commits are left out) is asked for its
    /// pull requests, and those merged with their merge commit in the range are kept, once each.
    /// </summary>
    public async Task<IReadOnlyList<MergedPullRequest>> ListPullRequestsMergedBetweenAsync(
        GitHubRepositoryName repository, string baseSha, string headSha, long? installationId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(repository);
        ArgumentException.ThrowIfNullOrWhiteSpace(baseSha);
        ArgumentException.ThrowIfNullOrWhiteSpace(headSha);
        var head = headSha.ToLowerInvariant();
        var commits = await CompareAsync(repository, baseSha.ToLowerInvariant(), head, installationId, cancellationToken).ConfigureAwait(false);
        if (commits.Count == 0)
        {
            return []; // head is the base, or behind it: nothing was merged since
        }

        var bySha = commits.ToDictionary(c => c.Sha, StringComparer.Ordinal);
        if (!bySha.ContainsKey(head))
        {
            throw GitHubFailures.Malformed(Describe("GET", Repo(repository, "compare")), $"{commits.Count} commits without the head commit {head}");
        }

        var line = new List<string>();
        for (var sha = head; sha is not null && bySha.TryGetValue(sha, out var commit) && line.Count < commits.Count; sha = commit.FirstParent)
        {
            line.Add(sha);
        }

        if (line.Count > MaxPullRequestLookups)
        {
            throw new IntegrationException(GitHubFailures.SystemName, IntegrationFailureKind.Rejected,
                $"{line.Count} commits were merged into {repository} between {Short(baseSha)} and {Short(headSha)}; release notes look up the pull requests of at most "
                + $"{MaxPullRequestLookups}, so they were not written (release a version more often, or use release.version.from: policy)");
        }

        line.Reverse();
        var merged = new List<MergedPullRequest>();
        foreach (var sha in line)
        {
            var path = Repo(repository, $"commits/{Uri.EscapeDataString(sha)}/pulls");
            var pulls = await GetJsonAsync<List<CommitPullRequest>>(installationId, path, Paged(1), cancellationToken).ConfigureAwait(false);
            foreach (var pull in pulls)
            {
                if (pull is null || pull.Number <= 0)
                {
                    throw GitHubFailures.Malformed(Describe("GET", path), "a pull request without the documented 'number'");
                }

                // Open pull requests holding the commit, and ones merged elsewhere (a backport), are not part of this range.
                if (pull.MergedAt is null || pull.MergeCommitSha is not { } mergeCommit || !bySha.ContainsKey(mergeCommit.ToLowerInvariant()) || merged.Any(m => m.Number == pull.Number))
                {
                    continue;
                }

                var labels = (pull.Labels ?? []).Select(l => l?.Name).OfType<string>().Where(n => n.Length > 0).ToArray();
                merged.Add(new MergedPullRequest(pull.Number, pull.Title ?? "", pull.User?.Login ?? "", labels));
            }
        }

        return merged;
    }

    /// <summary>
    /// The highest version named by a tag <paramref name="tagPrefix"/> + version (all pages of the matching tags), with
    /// the commit it tags; tags on <paramref name="excludingCommitSha"/> are passed over. Null when there is none.
    /// </summary>
    public async Task<PreviousVersion?> FindLatestVersionTagAsync(
        GitHubRepositoryName repository, string tagPrefix, string excludingCommitSha, long? installationId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(repository);
        ArgumentNullException.ThrowIfNull(tagPrefix);
        ArgumentException.ThrowIfNullOrWhiteSpace(excludingCommitSha);
        // Without a prefix every tag is listed ("tags" names them all; a trailing '/' would be an empty part).
        var path = Repo(repository, $"git/matching-refs/{RefPath(tagPrefix.Length == 0 ? "tags" : "tags/" + tagPrefix)}");
        var tags = new List<(SemanticVersion Version, string Tag, GitObjectAnswer Target)>();
        for (var page = 1; ; page++)
        {
            // GitHub answers an empty list when no tag matches; older GitHub Enterprise Server answers 404.
            var listed = await CallAsync(installationId, "GET", path, notFoundIsAnswer: true,
                async github => (await github.Connection.Get<List<GitRefAnswer>>(new Uri(path, UriKind.Relative), Paged(page)).ConfigureAwait(false)).Body ?? [],
                cancellationToken).ConfigureAwait(false) ?? [];
            foreach (var reference in listed)
            {
                if (reference?.Ref is not { } name || reference.Object?.Sha is null)
                {
                    throw GitHubFailures.Malformed(Describe("GET", path), "a reference without the documented 'ref' and 'object.sha'");
                }

                var tag = name.StartsWith("refs/tags/", StringComparison.Ordinal) ? name["refs/tags/".Length..] : null;
                if (tag is not null && SemanticVersion.FromTag(tag, tagPrefix) is { } version)
                {
                    tags.Add((version, tag, reference.Object));
                }
            }

            if (listed.Count < ListPageSize)
            {
                break;
            }

            if (page == MaxTagPages)
            {
                throw new IntegrationException(GitHubFailures.SystemName, IntegrationFailureKind.MalformedResponse,
                    $"{Describe("GET", path)} still had more tags after {MaxTagPages} pages of {ListPageSize}; the latest version is read from all of them or none, so it stopped here");
            }
        }

        foreach (var (version, tag, target) in tags.OrderByDescending(t => t.Version))
        {
            var commit = await TaggedCommitAsync(repository, target, installationId, cancellationToken).ConfigureAwait(false);
            if (!string.Equals(commit, excludingCommitSha, StringComparison.OrdinalIgnoreCase))
            {
                return new PreviousVersion(version, commit, $"tag {tag} in {repository}");
            }
        }

        return null;
    }

    /// <summary>The commit <paramref name="tag"/> points at (through annotated tags); null when the repository has no such tag.</summary>
    public async Task<string?> FindTagCommitAsync(GitHubRepositoryName repository, string tag, long? installationId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(repository);
        ArgumentException.ThrowIfNullOrWhiteSpace(tag);
        // git/ref (singular) answers exactly that ref or 404; git/refs/{ref} would list refs that start with the name.
        var path = Repo(repository, $"git/ref/{RefPath("tags/" + tag)}");
        var found = await CallAsync(installationId, "GET", path, notFoundIsAnswer: true,
            async github => (await github.Connection.Get<GitRefAnswer>(new Uri(path, UriKind.Relative), null).ConfigureAwait(false)).Body,
            cancellationToken).ConfigureAwait(false);
        if (found is null)
        {
            return null;
        }

        if (found.Object is not { Sha: not null } target)
        {
            throw GitHubFailures.Malformed(Describe("GET", path), "a reference without the documented 'object.sha'");
        }

        return await TaggedCommitAsync(repository, target, installationId, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Tags <paramref name="commitSha"/> with a lightweight <paramref name="tag"/> unless the tag exists. An existing tag on
    /// the same commit is reused; one on another commit is left where it is and said (<see cref="TagState.OnAnotherCommit"/>).
    /// </summary>
    public async Task<TagOutcome> EnsureTagAsync(GitHubRepositoryName repository, string tag, string commitSha, long? installationId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(repository);
        ArgumentException.ThrowIfNullOrWhiteSpace(tag);
        ArgumentException.ThrowIfNullOrWhiteSpace(commitSha);
        if (await FindTagCommitAsync(repository, tag, installationId, cancellationToken).ConfigureAwait(false) is { } existing)
        {
            return Existing(tag, existing, commitSha);
        }

        var path = Repo(repository, "git/refs");
        var body = new NewTagRef { Ref = $"refs/tags/{tag}", Sha = commitSha };
        try
        {
            await CallAsync(installationId, "POST", path, notFoundIsAnswer: false,
                async github => (await github.Connection.Post<GitRefAnswer>(new Uri(path, UriKind.Relative), body, GitHubJson, "application/json").ConfigureAwait(false)).Body,
                cancellationToken).ConfigureAwait(false);
        }
        catch (IntegrationException e) when (e.StatusCode == 422)
        {
            // "Reference already exists": made since the read (another attempt of this call, or a person).
            if (await FindTagCommitAsync(repository, tag, installationId, cancellationToken).ConfigureAwait(false) is { } made)
            {
                return Existing(tag, made, commitSha);
            }

            throw;
        }

        return new TagOutcome(tag, commitSha.ToLowerInvariant(), TagState.Created);
    }

    /// <summary>
    /// Publishes a release on <paramref name="tag"/> unless the tag has one already, which is reused as it is (GitHub keeps
    /// one release per tag). <paramref name="commitSha"/> is its target; the tag is expected to be there already.
    /// </summary>
    public async Task<PublishedRelease> EnsureReleaseAsync(
        GitHubRepositoryName repository, string tag, string name, string body, string commitSha, bool prerelease, long? installationId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(repository);
        ArgumentException.ThrowIfNullOrWhiteSpace(tag);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(body);
        ArgumentException.ThrowIfNullOrWhiteSpace(commitSha);
        if (await FindReleaseAsync(repository, tag, installationId, cancellationToken).ConfigureAwait(false) is { } existing)
        {
            return existing with { Created = false };
        }

        var path = Repo(repository, "releases");
        var release = new NewReleaseBody { TagName = tag, TargetCommitish = commitSha, Name = name, Body = body, Draft = false, Prerelease = prerelease };
        ReleaseAnswer? created;
        try
        {
            created = await CallAsync(installationId, "POST", path, notFoundIsAnswer: false,
                async github => (await github.Connection.Post<ReleaseAnswer>(new Uri(path, UriKind.Relative), release, GitHubJson, "application/json").ConfigureAwait(false)).Body,
                cancellationToken).ConfigureAwait(false);
        }
        catch (IntegrationException e) when (e.StatusCode == 422)
        {
            // already_exists: published since the read (another attempt of this call, or a person).
            if (await FindReleaseAsync(repository, tag, installationId, cancellationToken).ConfigureAwait(false) is { } made)
            {
                return made with { Created = false };
            }

            throw;
        }

        return Published(created, tag, "POST", path, created: true);
    }

    /// <summary>The published release on <paramref name="tag"/>; null when the tag has none.</summary>
    public async Task<PublishedRelease?> FindReleaseAsync(GitHubRepositoryName repository, string tag, long? installationId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(repository);
        ArgumentException.ThrowIfNullOrWhiteSpace(tag);
        var path = Repo(repository, $"releases/tags/{RefPath(tag)}");
        var found = await CallAsync(installationId, "GET", path, notFoundIsAnswer: true,
            async github => (await github.Connection.Get<ReleaseAnswer>(new Uri(path, UriKind.Relative), null).ConfigureAwait(false)).Body,
            cancellationToken).ConfigureAwait(false);
        return found is null ? null : Published(found, tag, "GET", path, created: false);
    }

    /// <summary>The commits of base...head, oldest first, each with its first parent; every page, up to <see cref="MaxComparePages"/>.</summary>
    private async Task<IReadOnlyList<(string Sha, string? FirstParent)>> CompareAsync(
        GitHubRepositoryName repository, string baseSha, string headSha, long? installationId, CancellationToken cancellationToken)
    {
        var path = Repo(repository, $"compare/{Uri.EscapeDataString(baseSha)}...{Uri.EscapeDataString(headSha)}");
        var commits = new List<(string, string?)>();
        for (var page = 1; ; page++)
        {
            var query = Paged(page);
            var comparison = await CallAsync(installationId, "GET", path, notFoundIsAnswer: true,
                    async github => (await github.Connection.Get<CommitComparisonPage>(new Uri(path, UriKind.Relative), query).ConfigureAwait(false)).Body,
                    cancellationToken).ConfigureAwait(false)
                ?? throw new IntegrationException(GitHubFailures.SystemName, IntegrationFailureKind.NotFound,
                    $"{Describe("GET", path)} answered 404 Not Found: {repository} does not have both the previous version's commit {Short(baseSha)} and this release's {Short(headSha)} "
                    + "(a force-push may have removed the older one), or these credentials cannot read the repository", 404);
            var listed = comparison.Commits ?? throw GitHubFailures.Malformed(Describe("GET", path), "without the documented 'commits'");
            foreach (var commit in listed)
            {
                if (string.IsNullOrWhiteSpace(commit?.Sha))
                {
                    throw GitHubFailures.Malformed(Describe("GET", path), "a commit without the documented 'sha'");
                }

                commits.Add((commit.Sha.ToLowerInvariant(), commit.Parents?.FirstOrDefault()?.Sha?.ToLowerInvariant()));
            }

            if (listed.Count < ListPageSize || commits.Count >= comparison.TotalCommits)
            {
                return commits;
            }

            if (page == MaxComparePages)
            {
                throw new IntegrationException(GitHubFailures.SystemName, IntegrationFailureKind.Rejected,
                    $"{Describe("GET", path)} still had more commits after {MaxComparePages} pages of {ListPageSize} ({comparison.TotalCommits} in all); "
                    + "release notes read the range whole or not at all, so they were not written (release a version more often, or use release.version.from: policy)");
            }
        }
    }

    /// <summary>The commit a ref's object names, following annotated tags (a tag object names another object).</summary>
    private async Task<string> TaggedCommitAsync(GitHubRepositoryName repository, GitObjectAnswer target, long? installationId, CancellationToken cancellationToken)
    {
        for (var depth = 0; ; depth++)
        {
            if (target.Type != "tag" || depth == MaxTagDepth)
            {
                // A commit; or a tag of a tree or blob, which is no release's commit and so never equals one.
                return target.Sha!.ToLowerInvariant();
            }

            var path = Repo(repository, $"git/tags/{Uri.EscapeDataString(target.Sha!)}");
            var tag = await GetJsonAsync<AnnotatedTagAnswer>(installationId, path, new Dictionary<string, string>(), cancellationToken).ConfigureAwait(false);
            target = tag.Object is { Sha: not null } next ? next : throw GitHubFailures.Malformed(Describe("GET", path), "an annotated tag without the documented 'object.sha'");
        }
    }

    private static TagOutcome Existing(string tag, string existing, string commitSha) =>
        new(tag, existing, string.Equals(existing, commitSha, StringComparison.OrdinalIgnoreCase) ? TagState.Existed : TagState.OnAnotherCommit);

    private PublishedRelease Published(ReleaseAnswer? answer, string tag, string method, string path, bool created)
    {
        if (answer is null || answer.Id <= 0)
        {
            throw GitHubFailures.Malformed(Describe(method, path), "a release without the documented 'id'");
        }

        return new PublishedRelease(answer.TagName ?? tag, answer.Id, string.IsNullOrWhiteSpace(answer.HtmlUrl) ? null : answer.HtmlUrl, created);
    }

    /// <summary>A ref name in a path: each part escaped, the '/' between them kept (GitHub reads "tags/checkout/v1.2.3" as one ref).</summary>
    private static string RefPath(string name) => string.Join('/', name.Split('/').Select(Uri.EscapeDataString));

    private static string Short(string sha) => sha.Length > 12 ? sha[..12] : sha;
}
