using ReleaseFunctions.Core.Releases;

namespace ReleaseFunctions.Releases;

/// <summary>What a merge asks for: the input of a release orchestration.</summary>
public sealed record ReleaseRequest(
    string Repository,
    int PullRequest,
    string MergeCommitSha,
    string Service,
    string Title,
    string Author,
    DateTimeOffset MergedAt,
    IReadOnlyList<string> Labels,
    long? InstallationId = null)
{
    public ReleaseId Id => new(Repository, PullRequest, MergeCommitSha);

    /// <summary>The version being released: the merge commit, short.</summary>
    public string Version => MergeCommitSha[..12].ToLowerInvariant();
}

/// <summary>How a release ended, as the orchestration's output.</summary>
/// <param name="Unrecorded">The audit entries the ledger never took (JSON), kept here so that nothing decided is lost; null when the trail is complete.</param>
public sealed record ReleaseOutcome(ReleaseStatus Status, string Reason, string? Unrecorded = null);

/// <summary>Names shared by the orchestrator and whoever talks to it.</summary>
public static class ReleaseEvents
{
    /// <summary>The external event that carries a <see cref="ReleaseCommand"/> to a running release.</summary>
    public const string Command = "release-command";
}
