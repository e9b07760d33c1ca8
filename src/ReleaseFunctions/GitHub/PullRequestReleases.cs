using ReleaseFunctions.Core.Releases;
using ReleaseFunctions.Durable;

namespace ReleaseFunctions.GitHub;

/// <summary>
/// Finds the release of a pull request in the engine. A comment names no merge commit, so the release is the newest
/// unfinished instance whose id starts with the PR's prefix (<c>release-{owner}.{repo}-pr{N}-</c>), else the newest finished one.
/// </summary>
internal static class PullRequestReleases
{
    private static readonly OrchestrationRuntimeStatus[] Unfinished =
        [OrchestrationRuntimeStatus.Pending, OrchestrationRuntimeStatus.Running, OrchestrationRuntimeStatus.Suspended, OrchestrationRuntimeStatus.ContinuedAsNew];

    public static string InstanceIdPrefix(string repository, int pullRequest)
    {
        // The same shape as ReleaseId.InstanceId, which lower-cases the repository; the trailing '-' keeps #1 from matching #12.
        var probe = new ReleaseId(repository, pullRequest, new string('0', 40)).InstanceId;
        return probe[..(probe.LastIndexOf('-') + 1)];
    }

    /// <summary>The release to command, or null when the pull request never started one.</summary>
    public static async Task<OrchestrationMetadata?> FindAsync(DurableTaskClient engine, string repository, int pullRequest, CancellationToken cancellationToken)
    {
        var prefix = InstanceIdPrefix(repository, pullRequest);
        var running = await engine.QueryInstancesAsync(new InstanceQuery(Statuses: Unfinished, InstanceIdPrefix: prefix, PageSize: 1), cancellationToken);
        if (running.Instances.Count > 0)
        {
            return running.Instances[0];
        }

        var any = await engine.QueryInstancesAsync(new InstanceQuery(InstanceIdPrefix: prefix, PageSize: 1), cancellationToken);
        return any.Instances.Count > 0 ? any.Instances[0] : null;
    }
}
