using ReleaseFunctions.Core.ReleaseNotes;

namespace ReleaseFunctions.Core.Ports;

/// <summary>What became of a tag asked for.</summary>
public enum TagState
{
    /// <summary>The tag was made on the commit.</summary>
    Created,
    /// <summary>The tag was there already, on the same commit (a replay, or made by hand): reused.</summary>
    Existed,
    /// <summary>A tag of that name is on another commit: nothing was changed (a tag is never moved).</summary>
    OnAnotherCommit,
}

/// <param name="CommitSha">The commit the tag points at: the one asked for, or for <see cref="TagState.OnAnotherCommit"/> the other one.</param>
public sealed record TagOutcome(string Tag, string CommitSha, TagState State);

/// <summary>A release to publish on the code host, on its tag.</summary>
/// <param name="Name">Its title (the tag).</param>
/// <param name="Body">The release notes, Markdown.</param>
/// <param name="CommitSha">The merge commit the tag is on.</param>
/// <param name="Prerelease">True for a pre-release version (1.0.0-rc.1): the code host marks it as not ready for production.</param>
public sealed record ReleasePublication(string Tag, string Name, string Body, string CommitSha, bool Prerelease = false);

/// <param name="Created">False when a release on the tag was there already and was reused as it is.</param>
public sealed record PublishedRelease(string Tag, long Id, string? Url, bool Created);

/// <summary>
/// Reads what was merged between two commits and publishes a version on the code host (GitHub: compare, the pull
/// requests of each commit, tags, releases). Every call is safe to repeat: a tag or a release that exists is reused, never
/// made twice. Failures throw <see cref="IntegrationException"/>.
/// </summary>
public interface IReleasePublisher
{
    /// <summary>Why nothing can be read from or published on the code host (e.g. no credentials, naming the settings); null when it can.</summary>
    string? Unavailable { get; }

    /// <summary>The pull requests merged from <paramref name="baseSha"/> (excluded) to <paramref name="headSha"/> (included), in the order they were merged.</summary>
    /// <param name="repository">"owner/name".</param>
    Task<IReadOnlyList<MergedPullRequest>> MergedBetweenAsync(string repository, string baseSha, string headSha, long? installationId, CancellationToken cancellationToken);

    /// <summary>
    /// The highest version among the repository's tags named <paramref name="tagPrefix"/> and a version, leaving out tags on
    /// <paramref name="excludingCommitSha"/> (the commit being released); null when there is none.
    /// </summary>
    Task<PreviousVersion?> LatestVersionAsync(string repository, string tagPrefix, string excludingCommitSha, long? installationId, CancellationToken cancellationToken);

    /// <summary>Tags <paramref name="commitSha"/> with <paramref name="tag"/> unless the tag exists; a tag on another commit is left as it is and said.</summary>
    Task<TagOutcome> TagAsync(string repository, string tag, string commitSha, long? installationId, CancellationToken cancellationToken);

    /// <summary>Publishes the release on its tag unless a release on that tag exists, which is reused as it is.</summary>
    /// <param name="idempotencyKey">Stable for one release's publication: kept in the release so it can be told apart from one made by hand.</param>
    Task<PublishedRelease> PublishAsync(string repository, ReleasePublication publication, string idempotencyKey, long? installationId, CancellationToken cancellationToken);
}
