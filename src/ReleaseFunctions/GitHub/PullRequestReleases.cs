using Microsoft.DurableTask.Client;
using ReleaseFunctions.Core.Releases;
using ReleaseFunctions.Releases;

namespace ReleaseFunctions.GitHub;

/// <summary>
/// Finds the release of a pull request in the engine. A comment names no merge commit, so the release is the newest
/// unfinished instance whose id starts with the PR's prefix (<c>release-{owner}.{repo}-pr{N}-</c>), else the newest finished one.
/// </summary>
internal static class PullRequestReleases
{
    private static readonly OrchestrationRuntimeStatus[] Unfinished =
        [OrchestrationRuntimeStatus.Pending, OrchestrationRuntimeStatus.Running, OrchestrationRuntimeStatus.Suspended];

    public static string InstanceIdPrefix(string repository, int pullRequest)
    {
        // The same shape as ReleaseId.InstanceId, which lower-cases the repository; the trailing '-' keeps #1 from matching #12.
        var probe = new ReleaseId(repository, pullRequest, new string('0', 40)).InstanceId;
        return probe[..(probe.LastIndexOf('-') + 1)];
    }

    /// <summary>The release to command, or null when the pull request never started one.</summary>
    public static async Task<OrchestrationMetadata?> FindAsync(DurableTaskClient engine, string repository, int pullRequest, CancellationToken cancellationToken)
    {
        // A pull request has a few releases at most (one per merge commit): all of them are read, and the newest is chosen here.
        var releases = await engine.ListAsync(new OrchestrationQuery(InstanceIdPrefix: InstanceIdPrefix(repository, pullRequest)), cancellationToken);
        return releases.Where(r => Unfinished.Contains(r.RuntimeStatus)).MaxBy(r => r.CreatedAt) ?? releases.MaxBy(r => r.CreatedAt);
    }
}
