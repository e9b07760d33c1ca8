using ReleaseFunctions.Core.Audit;
using ReleaseFunctions.Core.Ports;
using ReleaseFunctions.Core.Releases;

namespace ReleaseFunctions.Tests.Support;

/// <summary>Release records for tests, as the workflow would record them.</summary>
internal static class LedgerSeed
{
    public static ReleaseRecord Release(string repository, int pullRequest, ReleaseStatus status, DateTimeOffset startedAt, string? service = null, string sha = "0123456789abcdef0123456789abcdef01234567")
    {
        var id = new ReleaseId(repository, pullRequest, sha);
        var final = status is ReleaseStatus.Promoted or ReleaseStatus.RolledBack or ReleaseStatus.Failed or ReleaseStatus.Aborted;
        return new ReleaseRecord(id.InstanceId, id.Repository, pullRequest, id.MergeCommitSha, service ?? repository.Split('/')[1], sha[..12], $"PR {pullRequest}", "octocat",
            startedAt - TimeSpan.FromMinutes(5), startedAt, status, "production", 1, 10, $"{status}", startedAt + TimeSpan.FromMinutes(30),
            final ? startedAt + TimeSpan.FromMinutes(30) : null, status == ReleaseStatus.RolledBack, null);
    }

    public static Task<AuditRecord> RecordAsync(IReleaseLedger ledger, ReleaseRecord release, string key, string kind = "transition", string evidence = "{}", DateTimeOffset? at = null)
        => ledger.RecordAsync(release, new AuditEntry(release.InstanceId, at ?? release.UpdatedAt, "release-workflow", kind, $"{kind} of {release.InstanceId}", evidence), key, CancellationToken.None);
}
