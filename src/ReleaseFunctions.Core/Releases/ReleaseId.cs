using System.Text.RegularExpressions;

namespace ReleaseFunctions.Core.Releases;

/// <summary>
/// The identity of one release: a repository, a pull request and its merge commit. The same merge always
/// yields the same id, so a redelivered webhook finds the release it already started.
/// </summary>
public sealed partial record ReleaseId
{
    public ReleaseId(string repository, int pullRequest, string mergeCommitSha)
    {
        if (string.IsNullOrWhiteSpace(repository) || !RepositoryPattern().IsMatch(repository))
        {
            throw new ArgumentException($"A repository is 'owner/name'; got '{repository}'.", nameof(repository));
        }

        if (pullRequest <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(pullRequest), pullRequest, "A pull request number is positive.");
        }

        if (string.IsNullOrWhiteSpace(mergeCommitSha) || !ShaPattern().IsMatch(mergeCommitSha))
        {
            throw new ArgumentException($"A merge commit is a 40-hex-digit SHA; got '{mergeCommitSha}'.", nameof(mergeCommitSha));
        }

        Repository = repository.ToLowerInvariant();
        PullRequest = pullRequest;
        MergeCommitSha = mergeCommitSha.ToLowerInvariant();
    }

    public string Repository { get; }
    public int PullRequest { get; }
    public string MergeCommitSha { get; }

    /// <summary>The orchestration instance id: stable, readable, and safe in a URL path segment.</summary>
    public string InstanceId => $"release-{Repository.Replace('/', '.')}-pr{PullRequest}-{MergeCommitSha[..12]}";

    public override string ToString() => $"{Repository}#{PullRequest}@{MergeCommitSha[..12]}";

    [GeneratedRegex("^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")]
    private static partial Regex RepositoryPattern();

    [GeneratedRegex("^[0-9a-fA-F]{40}$")]
    private static partial Regex ShaPattern();
}
