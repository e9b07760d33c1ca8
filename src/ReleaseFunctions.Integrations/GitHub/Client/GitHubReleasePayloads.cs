namespace ReleaseFunctions.Integrations.GitHub.Client;

// What release notes and tags read from GitHub, in the shape Octokit's serializer reads (snake_case names), REST API
// version 2022-11-28. Read raw because Octokit's models would fill a missing documented field with a default; here it
// stays null and is reported as malformed.

/// <summary>
/// One page of GET /repos/{owner}/{repo}/compare/{base}...{head}: the commits reachable from head and not from base,
/// oldest first. Paged with per_page/page (the files come with page 1 only, and are not read).
/// </summary>
internal sealed class CommitComparisonPage
{
    /// <summary>ahead, behind, diverged or identical.</summary>
    public string? Status { get; set; }

    public int TotalCommits { get; set; }
    public List<ComparedCommit>? Commits { get; set; }
}

internal sealed class ComparedCommit
{
    public string? Sha { get; set; }
    public List<ComparedCommitParent>? Parents { get; set; }
}

internal sealed class ComparedCommitParent
{
    public string? Sha { get; set; }
}

/// <summary>A pull request as GET /repos/{owner}/{repo}/commits/{sha}/pulls lists it (pull-request-simple).</summary>
internal sealed class CommitPullRequest
{
    public int Number { get; set; }
    public string? Title { get; set; }
    public PullRequestAuthor? User { get; set; }
    public List<PullRequestLabel>? Labels { get; set; }

    /// <summary>Null while open, or when closed without merging.</summary>
    public DateTimeOffset? MergedAt { get; set; }

    /// <summary>The commit the merge made on the base branch: the merge commit, the squashed commit, or the last rebased one.</summary>
    public string? MergeCommitSha { get; set; }
}

internal sealed class PullRequestAuthor
{
    public string? Login { get; set; }
}

internal sealed class PullRequestLabel
{
    public string? Name { get; set; }
}

/// <summary>
/// A reference as GET /repos/{owner}/{repo}/git/ref/{ref} answers it (exactly that ref, or 404: the older git/refs/{ref}
/// lists refs starting with the name when it is missing) and git/matching-refs lists them.
/// </summary>
internal sealed class GitRefAnswer
{
    public string? Ref { get; set; }
    public GitObjectAnswer? Object { get; set; }
}

/// <summary>What a ref or an annotated tag points at: a commit, or (a ref to an annotated tag) the tag object.</summary>
internal sealed class GitObjectAnswer
{
    /// <summary>commit, tag (or tree, blob).</summary>
    public string? Type { get; set; }

    public string? Sha { get; set; }
}

/// <summary>GET /repos/{owner}/{repo}/git/tags/{tag_sha}: an annotated tag object and what it tags.</summary>
internal sealed class AnnotatedTagAnswer
{
    public string? Tag { get; set; }
    public GitObjectAnswer? Object { get; set; }
}

/// <summary>POST /repos/{owner}/{repo}/git/refs.</summary>
internal sealed class NewTagRef
{
    public required string Ref { get; init; }
    public required string Sha { get; init; }
}

/// <summary>A release as GET /repos/{owner}/{repo}/releases/tags/{tag} and POST /repos/{owner}/{repo}/releases answer it.</summary>
internal sealed class ReleaseAnswer
{
    public long Id { get; set; }
    public string? TagName { get; set; }
    public string? HtmlUrl { get; set; }
}

/// <summary>POST /repos/{owner}/{repo}/releases: a published release (not a draft, not a pre-release unless the version is one).</summary>
internal sealed class NewReleaseBody
{
    public required string TagName { get; init; }
    public required string TargetCommitish { get; init; }
    public required string Name { get; init; }
    public required string Body { get; init; }
    public bool Draft { get; init; }
    public bool Prerelease { get; init; }
}
