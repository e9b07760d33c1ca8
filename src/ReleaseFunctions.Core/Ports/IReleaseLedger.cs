using ReleaseFunctions.Core.Audit;
using ReleaseFunctions.Core.Releases;

namespace ReleaseFunctions.Core.Ports;

/// <summary>A release as listed and reported: who, what, where it stands. Updated with every recorded event.</summary>
public sealed record ReleaseRecord(
    string InstanceId,
    string Repository,
    int PullRequest,
    string MergeCommitSha,
    string Service,
    string Version,
    string Title,
    string Author,
    DateTimeOffset MergedAt,
    DateTimeOffset StartedAt,
    ReleaseStatus Status,
    string? Stage,
    int Step,
    int? WeightPercent,
    string Summary,
    DateTimeOffset UpdatedAt,
    DateTimeOffset? CompletedAt,
    bool RolledBack,
    long? InstallationId);

/// <summary>
/// Filters for listing releases. Started-time bounds: <see cref="StartedFrom"/> included, <see cref="StartedTo"/> excluded.
/// Newest first; <see cref="ContinuationToken"/> comes from the previous page.
/// </summary>
public sealed record ReleaseFilter(
    string? Repository = null,
    string? Service = null,
    IReadOnlyCollection<ReleaseStatus>? Statuses = null,
    DateTimeOffset? StartedFrom = null,
    DateTimeOffset? StartedTo = null,
    int PageSize = 50,
    string? ContinuationToken = null)
{
    public int PageSize { get; } = PageSize is >= 1 and <= 500
        ? PageSize
        : throw new ArgumentOutOfRangeException(nameof(PageSize), PageSize, "A page holds from 1 to 500 releases.");
}

public sealed record ReleasePage(IReadOnlyList<ReleaseRecord> Releases, string? ContinuationToken);

/// <summary>
/// The record of every release and its hash-chained audit trail. Appends are idempotent on their key, so an
/// activity that runs twice records once.
/// </summary>
public interface IReleaseLedger
{
    /// <summary>Saves the release's current state and appends the audit entry, atomically. Returns the appended (or already present) record.</summary>
    Task<AuditRecord> RecordAsync(ReleaseRecord release, AuditEntry entry, string idempotencyKey, CancellationToken cancellationToken);

    Task<ReleaseRecord?> GetReleaseAsync(string instanceId, CancellationToken cancellationToken);

    Task<ReleasePage> ListReleasesAsync(ReleaseFilter filter, CancellationToken cancellationToken);

    /// <summary>The release's audit trail, oldest first.</summary>
    Task<IReadOnlyList<AuditRecord>> GetAuditTrailAsync(string instanceId, CancellationToken cancellationToken);
}
