using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using ReleaseFunctions.Core.Audit;
using ReleaseFunctions.Core.Dora;
using ReleaseFunctions.Core.Ports;
using ReleaseFunctions.Core.Releases;

namespace ReleaseFunctions.Ledger.Tables;

/// <summary>
/// The release ledger in Azure Table storage, shared by every instance of the app. Each release is one partition of
/// <see cref="LedgerTables.Releases"/> (its key: the instance id, <see cref="TableKeys"/>-encoded) holding
/// <list type="bullet">
/// <item><c>release</c>: its latest state, the head of its trail (<c>AuditHead</c>) and whether its review is published;</item>
/// <item><c>audit-{sequence:D19}</c>: the hash-chained audit records, in order;</item>
/// <item><c>key-{idempotency key}</c>: the sequence an idempotency key recorded (keys are per release);</item>
/// <item><c>review</c> and <c>external-{name}</c>: its post-release review and its ids on GitHub.</item>
/// </list>
/// An append is one entity-group transaction in that partition: add the record at head + 1, add the key's row, and
/// replace the release row under the ETag it was read with (or add it). Whoever appends second to the same head, on
/// this instance or another, fails the whole transaction (409 on the sequence or the key, 412 on the ETag), reads the
/// new head and tries again; when the new head holds its idempotency key, the record written then is the answer. So a
/// record and the state it changed are written together or not at all, and the chain never forks.
/// </summary>
internal sealed partial class TableReleaseLedger : IReleaseLedger, IReleaseReviews, IDoraSummaries, IReleaseExternalIds, IReleaseLedgerProbe
{
    /// <summary>How often an append, or a review's publication, is tried against others writing the same release at once.</summary>
    internal const int MaxAttempts = 100;

    private const string ReleaseRow = "release";
    private const string ReviewRow = "review";
    private const string AuditPrefix = "audit-";
    private const string KeyPrefix = "key-";
    private const string ExternalPrefix = "external-";

    private readonly LedgerTables _tables;
    private readonly ILogger _logger;

    public TableReleaseLedger(LedgerTables tables, AuditChainKeySource chainKeys, ILogger<TableReleaseLedger> logger)
    {
        ArgumentNullException.ThrowIfNull(tables);
        ArgumentNullException.ThrowIfNull(chainKeys);
        ArgumentNullException.ThrowIfNull(logger);
        _tables = tables;
        ChainKeys = chainKeys;
        _logger = logger;
    }

    /// <summary>The key the audit trail is sealed with, and is to be verified with.</summary>
    public AuditChainKeySource ChainKeys { get; }

    public string Location => $"the Table service {_tables.Endpoint} (table {_tables.Releases.Name})";

    public async Task<AuditRecord> RecordAsync(ReleaseRecord release, AuditEntry entry, string idempotencyKey, CancellationToken cancellationToken)
    {
        RecordArguments.Check(release, entry, idempotencyKey);

        var partition = TableKeys.Encode(release.InstanceId, "release's instance id");
        var keyRow = KeyPrefix + TableKeys.Encode(idempotencyKey, nameof(idempotencyKey));
        var key = ChainKeys.Key;
        await _tables.EnsureCreatedAsync().ConfigureAwait(false);
        for (var attempt = 1; ; attempt++)
        {
            var recorded = await FindAsync(partition, keyRow, cancellationToken).ConfigureAwait(false);
            if (recorded is not null)
            {
                return await ReadAuditAsync(partition, Int64(recorded, "Sequence"), cancellationToken).ConfigureAwait(false);
            }

            var current = await FindAsync(partition, ReleaseRow, cancellationToken).ConfigureAwait(false);
            var head = current?.GetInt64("AuditHead") ?? 0;
            var last = head > 0 ? await ReadAuditAsync(partition, head, cancellationToken).ConfigureAwait(false) : null;
            var record = AuditChain.Append(last, entry, key);

            // A release row created after its review was published (rare: reviews follow the release) learns so here.
            var reviewPublished = current?.GetBoolean("ReviewPublished")
                                  ?? (await FindAsync(partition, ReviewRow, cancellationToken).ConfigureAwait(false))?.GetInt64("PublishedAtTicks") is not null;
            var state = ReleaseEntity(partition, current is null ? release : Kept(current, release), record.Sequence, reviewPublished);
            TableTransactionAction[] append =
            [
                new(TableTransactionActionType.Add, AuditEntity(partition, record, idempotencyKey)),
                new(TableTransactionActionType.Add, new TableEntity(partition, keyRow) { ["Sequence"] = record.Sequence }),
                current is null ? new(TableTransactionActionType.Add, state) : new(TableTransactionActionType.UpdateReplace, state, current.ETag),
            ];
            try
            {
                await _tables.Releases.SubmitTransactionAsync(append, cancellationToken).ConfigureAwait(false);
                return record;
            }
            catch (TableTransactionFailedException e) when (e.Status is 409 or 412)
            {
                if (attempt >= MaxAttempts)
                {
                    throw new InvalidOperationException($"The audit trail of '{release.InstanceId}' kept moving while {attempt} appends were tried; nothing was recorded for key '{idempotencyKey}', and a retry records it.", e);
                }

                LogAppendRaced(_logger, release.InstanceId, e.Status, attempt);
            }
        }
    }

    public async Task<ReleaseRecord?> GetReleaseAsync(string instanceId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(instanceId);
        if (ReadablePartition(instanceId) is not { } partition)
        {
            return null;
        }

        await _tables.EnsureCreatedAsync().ConfigureAwait(false);
        return await FindAsync(partition, ReleaseRow, cancellationToken).ConfigureAwait(false) is { } row ? ReadRelease(row) : null;
    }

    /// <summary>
    /// Newest first (by start time, then instance id), in the same pages and tokens as the SQLite ledger. Table storage
    /// orders rows by partition (the release id) only, so the service filters the release rows (audit rows never leave
    /// it) and they are ordered here: a read of every matching release per page, which serves the thousands of releases
    /// a team makes; a time-ordered index table would be the step past that. Throws <see cref="ArgumentException"/>
    /// for a continuation token this ledger did not issue.
    /// </summary>
    public async Task<ReleasePage> ListReleasesAsync(ReleaseFilter filter, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(filter);
        var after = filter.ContinuationToken is null ? null : ReleaseCursor.Parse(filter.ContinuationToken);
        var where = new List<string> { TableClient.CreateQueryFilter($"RowKey eq {ReleaseRow}") };
        if (filter.Repository is { } repository)
        {
            where.Add(TableClient.CreateQueryFilter($"Repository eq {repository.ToLowerInvariant()}"));
        }

        if (filter.Service is { } service)
        {
            where.Add(TableClient.CreateQueryFilter($"ServiceKey eq {ServiceKey(service)}"));
        }

        if (filter.Statuses is { Count: > 0 } statuses)
        {
            where.Add("(" + string.Join(" or ", statuses.Distinct().Select(s => TableClient.CreateQueryFilter($"Status eq {s.ToString()}"))) + ")");
        }

        if (filter.StartedFrom is { } from)
        {
            where.Add(TableClient.CreateQueryFilter($"StartedAtTicks ge {from.UtcTicks}"));
        }

        if (filter.StartedTo is { } to)
        {
            where.Add(TableClient.CreateQueryFilter($"StartedAtTicks lt {to.UtcTicks}"));
        }

        if (after is not null)
        {
            where.Add(TableClient.CreateQueryFilter($"StartedAtTicks le {after.StartedAtTicks}"));
        }

        await _tables.EnsureCreatedAsync().ConfigureAwait(false);
        var releases = new List<ReleaseRecord>();
        await foreach (var row in _tables.Releases.QueryAsync<TableEntity>(string.Join(" and ", where), maxPerPage: 1000, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            var release = ReadRelease(row);
            if (after is null || release.StartedAt.UtcTicks < after.StartedAtTicks || string.CompareOrdinal(release.InstanceId, after.InstanceId) < 0)
            {
                releases.Add(release);
            }
        }

        var ordered = releases
            .OrderByDescending(r => r.StartedAt.UtcTicks)
            .ThenByDescending(r => r.InstanceId, StringComparer.Ordinal)
            .Take(filter.PageSize + 1)
            .ToList();
        return ReleaseCursor.PageOf(ordered, filter.PageSize);
    }

    public async Task<IReadOnlyList<AuditRecord>> GetAuditTrailAsync(string instanceId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(instanceId);
        if (ReadablePartition(instanceId) is not { } partition)
        {
            return [];
        }

        await _tables.EnsureCreatedAsync().ConfigureAwait(false);
        var trail = new List<AuditRecord>();
        await foreach (var row in _tables.Releases.QueryAsync<TableEntity>(TableKeys.RowsStartingWith(partition, AuditPrefix), cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            trail.Add(ReadAudit(row));
        }

        return trail;
    }

    public async Task<IReadOnlyList<ReleaseRecord>> ListDueAsync(DateTimeOffset completedBefore, int max, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(max, 1);
        await _tables.EnsureCreatedAsync().ConfigureAwait(false);
        var due = new List<ReleaseRecord>();
        var filter = TableClient.CreateQueryFilter($"RowKey eq {ReleaseRow} and CompletedAtTicks lt {completedBefore.UtcTicks} and ReviewPublished eq {false}");
        await foreach (var row in _tables.Releases.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            due.Add(ReadRelease(row));
        }

        return due.OrderBy(r => r.CompletedAt!.Value.UtcTicks).ThenBy(r => r.InstanceId, StringComparer.Ordinal).Take(max).ToList();
    }

    public async Task<ReleaseReview> SaveAsync(ReleaseReview review, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(review);
        var partition = TableKeys.Encode(review.InstanceId, "review's instance id");
        var row = new TableEntity(partition, ReviewRow);
        LongText.Write(row, "ReviewJson", JsonSerializer.Serialize(review with { PublishedAt = null }, LedgerJsonContext.Default.ReleaseReview), "review");
        if (review.PublishedAt is { } publishedAt)
        {
            row["PublishedAtTicks"] = publishedAt.UtcTicks;
        }

        await _tables.EnsureCreatedAsync().ConfigureAwait(false);
        for (var attempt = 1; !await TryWithReleaseRowAsync(partition, new TableTransactionAction(TableTransactionActionType.Add, row), review.PublishedAt is not null, cancellationToken).ConfigureAwait(false); attempt++)
        {
            if (attempt >= MaxAttempts)
            {
                throw new InvalidOperationException($"The release row of '{review.InstanceId}' kept changing while {attempt} attempts to save its review were made.");
            }
        }

        return await ReadReviewAsync(partition, cancellationToken).ConfigureAwait(false)
               ?? throw new InvalidOperationException($"The review of '{review.InstanceId}' was saved but cannot be read back.");
    }

    public async Task MarkPublishedAsync(string instanceId, DateTimeOffset publishedAt, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(instanceId);
        if (ReadablePartition(instanceId) is not { } partition)
        {
            return;
        }

        await _tables.EnsureCreatedAsync().ConfigureAwait(false);
        for (var attempt = 1; ; attempt++)
        {
            // Only a review not yet published is marked (the first publication's time is kept).
            if (await FindAsync(partition, ReviewRow, cancellationToken).ConfigureAwait(false) is not { } review || review.GetInt64("PublishedAtTicks") is not null)
            {
                return;
            }

            var mark = new TableEntity(partition, ReviewRow) { ["PublishedAtTicks"] = publishedAt.UtcTicks };
            if (await TryWithReleaseRowAsync(partition, new TableTransactionAction(TableTransactionActionType.UpdateMerge, mark, review.ETag), published: true, cancellationToken).ConfigureAwait(false))
            {
                return;
            }

            if (attempt >= MaxAttempts)
            {
                throw new InvalidOperationException($"The review of '{instanceId}' kept changing while {attempt} attempts to mark it published were made.");
            }
        }
    }

    public async Task<ReleaseReview?> GetAsync(string instanceId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(instanceId);
        if (ReadablePartition(instanceId) is not { } partition)
        {
            return null;
        }

        await _tables.EnsureCreatedAsync().ConfigureAwait(false);
        return await ReadReviewAsync(partition, cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyDictionary<string, long>> GetExternalIdsAsync(string instanceId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(instanceId);
        var ids = new Dictionary<string, long>(StringComparer.Ordinal);
        if (ReadablePartition(instanceId) is not { } partition)
        {
            return ids;
        }

        await _tables.EnsureCreatedAsync().ConfigureAwait(false);
        await foreach (var row in _tables.Releases.QueryAsync<TableEntity>(TableKeys.RowsStartingWith(partition, ExternalPrefix), cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            ids[Text(row, "Name")] = Int64(row, "ExternalId");
        }

        return ids;
    }

    public async Task SaveExternalIdAsync(string instanceId, string name, long id, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(instanceId);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        var partition = TableKeys.Encode(instanceId, nameof(instanceId));
        // Replaced unconditionally, as the port says: the newest id a notifier created under a name is the one to update.
        var row = new TableEntity(partition, ExternalPrefix + TableKeys.Encode(name, nameof(name))) { ["Name"] = name, ["ExternalId"] = id };
        await _tables.EnsureCreatedAsync().ConfigureAwait(false);
        await _tables.Releases.UpsertEntityAsync(row, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// One partition per repository (lower case) in <see cref="LedgerTables.Dora"/>, one row per period whose key sorts
    /// newest first; the insert decides which summary is kept (a conflict: one already is).
    /// </summary>
    public async Task<bool> SaveAsync(DoraMetrics summary, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(summary);
        var repository = summary.Repository.ToLowerInvariant();
        var row = new TableEntity(TableKeys.Encode(repository, "summary's repository"), TableKeys.Sequence(DateTimeOffset.MaxValue.UtcTicks - summary.PeriodStart.UtcTicks))
        {
            ["RepositoryKey"] = repository,
            ["PeriodStartTicks"] = summary.PeriodStart.UtcTicks,
            ["PeriodEndTicks"] = summary.PeriodEnd.UtcTicks,
        };
        LongText.Write(row, "MetricsJson", JsonSerializer.Serialize(summary, LedgerJsonContext.Default.DoraMetrics), "DORA summary");
        await _tables.EnsureCreatedAsync().ConfigureAwait(false);
        try
        {
            await _tables.Dora.AddEntityAsync(row, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
            return false;
        }
    }

    public async Task<IReadOnlyList<DoraMetrics>> ListAsync(string? repository, int max, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(max, 1);
        var partition = repository is null ? null : ReadablePartition(repository.ToLowerInvariant());
        if (repository is not null && partition is null)
        {
            return [];
        }

        await _tables.EnsureCreatedAsync().ConfigureAwait(false);
        var rows = new List<TableEntity>();
        var query = _tables.Dora.QueryAsync<TableEntity>(partition is null ? null : TableClient.CreateQueryFilter($"PartitionKey eq {partition}"), maxPerPage: partition is null ? 1000 : Math.Min(max, 1000), cancellationToken: cancellationToken);
        await foreach (var row in query.ConfigureAwait(false))
        {
            rows.Add(row);
            if (partition is not null && rows.Count == max)
            {
                break; // one repository's rows come newest first
            }
        }

        return rows
            .OrderByDescending(r => Int64(r, "PeriodStartTicks"))
            .ThenBy(r => Text(r, "RepositoryKey"), StringComparer.Ordinal)
            .Take(max)
            .Select(r => JsonSerializer.Deserialize(LongText.Read(r, "MetricsJson"), LedgerJsonContext.Default.DoraMetrics)
                         ?? throw new InvalidDataException("The release ledger holds an empty DORA summary."))
            .ToList();
    }

    public async Task CheckReachableAsync(CancellationToken cancellationToken)
    {
        await _tables.EnsureCreatedAsync().ConfigureAwait(false);
        await foreach (var _ in _tables.Releases.QueryAsync<TableEntity>(maxPerPage: 1, select: ["RowKey"], cancellationToken: cancellationToken).AsPages().ConfigureAwait(false))
        {
            break;
        }
    }

    /// <summary>
    /// Writes a review row (added, or merged under its ETag) and, when it is published, the release row's
    /// <c>ReviewPublished</c> with it in one transaction, so releases due for review are found with one filter. False
    /// when another writer changed either row first (the caller reads again); a review that exists already is kept.
    /// </summary>
    private async Task<bool> TryWithReleaseRowAsync(string partition, TableTransactionAction review, bool published, CancellationToken cancellationToken)
    {
        var actions = new List<TableTransactionAction> { review };
        if (published && await FindAsync(partition, ReleaseRow, cancellationToken).ConfigureAwait(false) is { } release)
        {
            actions.Add(new TableTransactionAction(TableTransactionActionType.UpdateMerge, new TableEntity(partition, ReleaseRow) { ["ReviewPublished"] = true }, release.ETag));
        }

        try
        {
            await _tables.Releases.SubmitTransactionAsync(actions, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (TableTransactionFailedException e) when (e.Status is 409 or 412)
        {
            // A review saved first (by anyone) is the one kept; otherwise a row changed under us, and the caller reads again.
            return review.ActionType == TableTransactionActionType.Add && await FindAsync(partition, ReviewRow, cancellationToken).ConfigureAwait(false) is not null;
        }
    }

    private async Task<TableEntity?> FindAsync(string partition, string row, CancellationToken cancellationToken)
    {
        var found = await _tables.Releases.GetEntityIfExistsAsync<TableEntity>(partition, row, cancellationToken: cancellationToken).ConfigureAwait(false);
        return found.HasValue ? found.Value : null;
    }

    private async Task<AuditRecord> ReadAuditAsync(string partition, long sequence, CancellationToken cancellationToken)
        => await FindAsync(partition, AuditPrefix + TableKeys.Sequence(sequence), cancellationToken).ConfigureAwait(false) is { } row
            ? ReadAudit(row)
            : throw new InvalidDataException($"The release ledger's partition {partition} names audit record {sequence}, which is missing.");

    private async Task<ReleaseReview?> ReadReviewAsync(string partition, CancellationToken cancellationToken)
    {
        if (await FindAsync(partition, ReviewRow, cancellationToken).ConfigureAwait(false) is not { } row)
        {
            return null;
        }

        var review = JsonSerializer.Deserialize(LongText.Read(row, "ReviewJson"), LedgerJsonContext.Default.ReleaseReview)
                     ?? throw new InvalidDataException($"The release ledger holds an empty review in partition {partition}.");
        return review with { PublishedAt = row.GetInt64("PublishedAtTicks") is { } ticks ? Utc(ticks) : null };
    }

    /// <summary>The partition of an id being read, or null when no write could have made it (too long to be a key).</summary>
    private static string? ReadablePartition(string id) => id.Length <= TableKeys.MaxIdLength ? TableKeys.Encode(id, "id") : null;

    /// <summary>What a later record keeps from the first: who and what the release is, and when it merged and started.</summary>
    private static ReleaseRecord Kept(TableEntity current, ReleaseRecord release)
    {
        var first = ReadRelease(current);
        return release with
        {
            InstanceId = first.InstanceId,
            Repository = first.Repository,
            PullRequest = first.PullRequest,
            MergeCommitSha = first.MergeCommitSha,
            MergedAt = first.MergedAt,
            StartedAt = first.StartedAt,
        };
    }

    private static TableEntity ReleaseEntity(string partition, ReleaseRecord r, long auditHead, bool reviewPublished)
    {
        var row = new TableEntity(partition, ReleaseRow)
        {
            ["InstanceId"] = r.InstanceId,
            ["Repository"] = r.Repository.ToLowerInvariant(),
            ["PullRequest"] = r.PullRequest,
            ["MergeCommitSha"] = r.MergeCommitSha,
            ["Service"] = r.Service,
            ["ServiceKey"] = ServiceKey(r.Service),
            ["Version"] = r.Version,
            ["Title"] = r.Title,
            ["Author"] = r.Author,
            ["MergedAtTicks"] = r.MergedAt.UtcTicks,
            ["StartedAtTicks"] = r.StartedAt.UtcTicks,
            ["Status"] = r.Status.ToString(),
            ["Step"] = r.Step,
            ["Summary"] = r.Summary,
            ["UpdatedAtTicks"] = r.UpdatedAt.UtcTicks,
            ["RolledBack"] = r.RolledBack,
            ["AuditHead"] = auditHead,
            ["ReviewPublished"] = reviewPublished,
        };

        // Absent, not null: a replaced row has no value left over, and a filter on an absent property matches nothing.
        if (r.Stage is { } stage)
        {
            row["Stage"] = stage;
        }

        if (r.WeightPercent is { } weight)
        {
            row["WeightPercent"] = weight;
        }

        if (r.CompletedAt is { } completed)
        {
            row["CompletedAtTicks"] = completed.UtcTicks;
        }

        if (r.InstallationId is { } installation)
        {
            row["InstallationId"] = installation;
        }

        return row;
    }

    private static ReleaseRecord ReadRelease(TableEntity row)
    {
        var id = Text(row, "InstanceId");
        var statusText = Text(row, "Status");
        if (!Enum.TryParse<ReleaseStatus>(statusText, ignoreCase: false, out var status))
        {
            throw new InvalidDataException($"The release ledger holds status '{statusText}' for '{id}'; expected one of {string.Join(", ", Enum.GetNames<ReleaseStatus>())}.");
        }

        return new ReleaseRecord(
            InstanceId: id,
            Repository: Text(row, "Repository"),
            PullRequest: row.GetInt32("PullRequest") ?? throw Missing(row, "PullRequest"),
            MergeCommitSha: Text(row, "MergeCommitSha"),
            Service: Text(row, "Service"),
            Version: Text(row, "Version"),
            Title: Text(row, "Title"),
            Author: Text(row, "Author"),
            MergedAt: Utc(Int64(row, "MergedAtTicks")),
            StartedAt: Utc(Int64(row, "StartedAtTicks")),
            Status: status,
            Stage: row.GetString("Stage"),
            Step: row.GetInt32("Step") ?? throw Missing(row, "Step"),
            WeightPercent: row.GetInt32("WeightPercent"),
            Summary: Text(row, "Summary"),
            UpdatedAt: Utc(Int64(row, "UpdatedAtTicks")),
            CompletedAt: row.GetInt64("CompletedAtTicks") is { } completed ? Utc(completed) : null,
            RolledBack: row.GetBoolean("RolledBack") ?? throw Missing(row, "RolledBack"),
            InstallationId: row.GetInt64("InstallationId"));
    }

    private static TableEntity AuditEntity(string partition, AuditRecord record, string idempotencyKey)
    {
        var row = new TableEntity(partition, AuditPrefix + TableKeys.Sequence(record.Sequence))
        {
            ["Sequence"] = record.Sequence,
            ["Subject"] = record.Subject,
            ["AtTicks"] = record.At.UtcTicks,
            ["Actor"] = record.Actor,
            ["Kind"] = record.Kind,
            ["Reason"] = record.Reason,
            ["PreviousHash"] = record.PreviousHash,
            ["Hash"] = record.Hash,
            ["IdempotencyKey"] = idempotencyKey,
        };
        LongText.Write(row, "EvidenceJson", record.EvidenceJson, "audit entry's evidence");
        return row;
    }

    private static AuditRecord ReadAudit(TableEntity row) => new(
        Int64(row, "Sequence"), Text(row, "Subject"), Utc(Int64(row, "AtTicks")), Text(row, "Actor"), Text(row, "Kind"),
        Text(row, "Reason"), LongText.Read(row, "EvidenceJson"), Text(row, "PreviousHash"), Text(row, "Hash"));

    /// <summary>Services match case-insensitively in ASCII, as SQLite's NOCASE does.</summary>
    private static string ServiceKey(string service) => string.Create(service.Length, service, (span, s) =>
    {
        for (var i = 0; i < s.Length; i++)
        {
            span[i] = char.IsAsciiLetterUpper(s[i]) ? (char)(s[i] | 0x20) : s[i];
        }
    });

    private static string Text(TableEntity row, string name) => row.GetString(name) ?? throw Missing(row, name);

    private static long Int64(TableEntity row, string name) => row.GetInt64(name) ?? throw Missing(row, name);

    private static InvalidDataException Missing(TableEntity row, string name)
        => new($"The release ledger's row {row.PartitionKey}/{row.RowKey} has no {name}.");

    private static DateTimeOffset Utc(long ticks) => new(ticks, TimeSpan.Zero);

    [LoggerMessage(EventId = 7500, Level = LogLevel.Debug, Message = "An append to the audit trail of {InstanceId} met another writer's ({Status}); attempt {Attempt} reads the new head and tries again")]
    private static partial void LogAppendRaced(ILogger logger, string instanceId, int status, int attempt);
}
