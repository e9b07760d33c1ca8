using ReleaseFunctions.Core.Dora;
using ReleaseFunctions.Core.Ports;
using ReleaseFunctions.Core.Releases;

namespace ReleaseFunctions.Dora;

/// <summary>The ledger's releases as DORA counts them: the one conversion the API and the summary timer share.</summary>
internal static class LedgerDeployments
{
    private const int PageSize = 500;

    /// <summary>Every finished release (of one repository, or all) that started before <paramref name="startedBefore"/>, as a deployment.</summary>
    public static async Task<IReadOnlyList<DeploymentRecord>> ListAsync(IReleaseLedger ledger, string? repository, DateTimeOffset startedBefore, CancellationToken cancellationToken)
    {
        // A release counts in the period it completed in, so every release started before the end may count.
        var deployments = new List<DeploymentRecord>();
        string? token = null;
        do
        {
            var page = await ledger.ListReleasesAsync(
                new ReleaseFilter(Repository: repository, StartedTo: startedBefore, PageSize: PageSize, ContinuationToken: token), cancellationToken);
            deployments.AddRange(page.Releases.Select(Deployment).OfType<DeploymentRecord>());
            token = page.ContinuationToken;
        }
        while (token is not null);

        return deployments;
    }

    /// <summary>A finished release as DORA counts it; null while it runs.</summary>
    public static DeploymentRecord? Deployment(ReleaseRecord release)
    {
        DeploymentOutcome? outcome = release.Status switch
        {
            ReleaseStatus.Promoted => DeploymentOutcome.Promoted,
            ReleaseStatus.RolledBack => DeploymentOutcome.RolledBack,
            ReleaseStatus.Failed or ReleaseStatus.RollbackFailed => DeploymentOutcome.Failed,
            ReleaseStatus.Aborted => DeploymentOutcome.Aborted,
            _ => null,
        };
        if (outcome is null || release.CompletedAt is not { } completedAt)
        {
            return null;
        }

        // GitHub's merge time and this app's clock can disagree by a little; a release never starts before its merge.
        var mergedAt = release.MergedAt <= release.StartedAt ? release.MergedAt : release.StartedAt;
        return new DeploymentRecord(release.Repository, mergedAt, release.StartedAt, completedAt, outcome.Value,
            restoredAt: outcome == DeploymentOutcome.RolledBack ? completedAt : null);
    }
}
