using System.Text.Json;
using Microsoft.Data.Sqlite;
using ReleaseFunctions.Core.Audit;
using ReleaseFunctions.Core.Dora;
using ReleaseFunctions.Core.Ports;
using ReleaseFunctions.Core.Releases;

namespace ReleaseFunctions.Ledger;

/// <summary>
/// The release ledger in a SQLite file: one row per release (its latest state) and the hash-chained audit trail,
/// keyed with the <see cref="ChainKeys"/> kept outside this file.
/// An append and the release's new state are written in one transaction. Appends are idempotent on their key: a
/// second call with a key already recorded returns the record written then and changes nothing. Appends are
/// serialised (<see cref="SqliteWriteGate"/> in this process, <c>BEGIN IMMEDIATE</c> across processes) so each record links to the one
/// before it. Times are stored as UTC ticks, which keeps the hashed times exact and sorts correctly. Post-release
/// reviews are kept with their release, one each (the first saved wins); weekly DORA summaries, one per repository and period;
/// the ids a release has on GitHub (check run, deployments, status comment), one per name.
/// </summary>
internal sealed class SqliteReleaseLedger : IReleaseLedger, IReleaseReviews, IDoraSummaries, IReleaseExternalIds, IReleaseLedgerProbe
{
    private const string Columns = """
        instance_id, repository, pull_request, merge_commit_sha, service, version, title, author, merged_at, started_at,
        status, stage, step, weight_percent, summary, updated_at, completed_at, rolled_back, installation_id
        """;

    private const string AuditColumns = "sequence, subject, at, actor, kind, reason, evidence_json, previous_hash, hash";

    private readonly string _connectionString;
    private readonly InitializeOnce _initialized;

    /// <summary>A ledger whose audit chain key comes from <paramref name="options"/> (the setting, or the key file next to the ledger).</summary>
    public SqliteReleaseLedger(ReleaseLedgerOptions options)
        : this(options, new AuditChainKeySource(options ?? throw new ArgumentNullException(nameof(options))))
    {
    }

    public SqliteReleaseLedger(ReleaseLedgerOptions options, AuditChainKeySource chainKeys)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(chainKeys);
        ChainKeys = chainKeys;
        ArgumentException.ThrowIfNullOrWhiteSpace(options.Path);
        var path = Path.GetFullPath(options.Path);
        FilePath = path;
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            DefaultTimeout = (int)Math.Ceiling(options.BusyTimeout.TotalSeconds),
            Pooling = true,
        }.ToString();
        _initialized = new InitializeOnce(InitializeAsync);
    }

    /// <summary>The full path of the database file.</summary>
    public string FilePath { get; }

    /// <summary>The key the audit trail is sealed with, and is to be verified with.</summary>
    public AuditChainKeySource ChainKeys { get; }

    public async Task<AuditRecord> RecordAsync(ReleaseRecord release, AuditEntry entry, string idempotencyKey, CancellationToken cancellationToken)
    {
        RecordArguments.Check(release, entry, idempotencyKey);

        var key = ChainKeys.Key;
        return await WriteAsync(connection => AppendAsync(connection, release, entry, idempotencyKey, key, cancellationToken), cancellationToken).ConfigureAwait(false);
    }

    private static async Task<AuditRecord> AppendAsync(
        SqliteConnection connection, ReleaseRecord release, AuditEntry entry, string idempotencyKey, AuditChainKey key, CancellationToken cancellationToken)
    {
        // BEGIN IMMEDIATE: another process appending to the same file waits here, not after reading a stale head.
        await using var transaction = connection.BeginTransaction(deferred: false);

        var existing = await ReadAuditAsync(connection, transaction, "WHERE idempotency_key = $key", p => p.AddWithValue("$key", idempotencyKey), cancellationToken).ConfigureAwait(false);
        if (existing.Count > 0)
        {
            return existing[0];
        }

        var last = await ReadAuditAsync(connection, transaction, "WHERE subject = $subject ORDER BY sequence DESC LIMIT 1",
            p => p.AddWithValue("$subject", entry.Subject), cancellationToken).ConfigureAwait(false);
        var record = AuditChain.Append(last.Count > 0 ? last[0] : null, entry, key);

        await using (var insert = Command(connection, transaction, $"""
            INSERT INTO audit_records ({AuditColumns}, idempotency_key)
            VALUES ($sequence, $subject, $at, $actor, $kind, $reason, $evidence, $previous, $hash, $key)
            """))
        {
            insert.Parameters.AddWithValue("$sequence", record.Sequence);
            insert.Parameters.AddWithValue("$subject", record.Subject);
            insert.Parameters.AddWithValue("$at", record.At.UtcTicks);
            insert.Parameters.AddWithValue("$actor", record.Actor);
            insert.Parameters.AddWithValue("$kind", record.Kind);
            insert.Parameters.AddWithValue("$reason", record.Reason);
            insert.Parameters.AddWithValue("$evidence", record.EvidenceJson);
            insert.Parameters.AddWithValue("$previous", record.PreviousHash);
            insert.Parameters.AddWithValue("$hash", record.Hash);
            insert.Parameters.AddWithValue("$key", idempotencyKey);
            await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await UpsertReleaseAsync(connection, transaction, release, cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return record;
    }

    public async Task<ReleaseRecord?> GetReleaseAsync(string instanceId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(instanceId);
        await _initialized.EnsureAsync().ConfigureAwait(false);
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, null, $"SELECT {Columns} FROM releases WHERE instance_id = $id");
        command.Parameters.AddWithValue("$id", instanceId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? ReadRelease(reader) : null;
    }

    /// <summary>Newest first (by start time, then instance id). Throws <see cref="ArgumentException"/> for a continuation token this ledger did not issue.</summary>
    public async Task<ReleasePage> ListReleasesAsync(ReleaseFilter filter, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(filter);
        var after = filter.ContinuationToken is null ? null : ReleaseCursor.Parse(filter.ContinuationToken);
        await _initialized.EnsureAsync().ConfigureAwait(false);
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, null, "");
        var where = new List<string>();
        if (filter.Repository is { } repository)
        {
            where.Add("repository = $repository");
            command.Parameters.AddWithValue("$repository", repository.ToLowerInvariant());
        }

        if (filter.Service is { } service)
        {
            where.Add("service = $service COLLATE NOCASE");
            command.Parameters.AddWithValue("$service", service);
        }

        if (filter.Statuses is { Count: > 0 } statuses)
        {
            var names = statuses.Distinct().Select((status, i) => (Name: $"$status{i}", Value: status.ToString())).ToArray();
            where.Add($"status IN ({string.Join(", ", names.Select(n => n.Name))})");
            foreach (var (name, value) in names)
            {
                command.Parameters.AddWithValue(name, value);
            }
        }

        if (filter.StartedFrom is { } from)
        {
            where.Add("started_at >= $from");
            command.Parameters.AddWithValue("$from", from.UtcTicks);
        }

        if (filter.StartedTo is { } to)
        {
            where.Add("started_at < $to");
            command.Parameters.AddWithValue("$to", to.UtcTicks);
        }

        if (after is not null)
        {
            where.Add("(started_at < $afterStarted OR (started_at = $afterStarted AND instance_id < $afterId))");
            command.Parameters.AddWithValue("$afterStarted", after.StartedAtTicks);
            command.Parameters.AddWithValue("$afterId", after.InstanceId);
        }

        // One extra row tells whether another page follows.
        command.CommandText = $"SELECT {Columns} FROM releases {(where.Count > 0 ? "WHERE " + string.Join(" AND ", where) : "")} ORDER BY started_at DESC, instance_id DESC LIMIT $limit";
        command.Parameters.AddWithValue("$limit", filter.PageSize + 1);
        var releases = new List<ReleaseRecord>();
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                releases.Add(ReadRelease(reader));
            }
        }

        return ReleaseCursor.PageOf(releases, filter.PageSize);
    }

    public async Task<IReadOnlyList<AuditRecord>> GetAuditTrailAsync(string instanceId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(instanceId);
        await _initialized.EnsureAsync().ConfigureAwait(false);
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        return await ReadAuditAsync(connection, null, "WHERE subject = $subject ORDER BY sequence", p => p.AddWithValue("$subject", instanceId), cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<ReleaseRecord>> ListDueAsync(DateTimeOffset completedBefore, int max, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(max, 1);
        await _initialized.EnsureAsync().ConfigureAwait(false);
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, null, $"""
            SELECT {string.Join(", ", Columns.Split(',').Select(c => "r." + c.Trim()))} FROM releases r
            LEFT JOIN release_reviews v ON v.instance_id = r.instance_id
            WHERE r.completed_at IS NOT NULL AND r.completed_at < $before AND v.published_at IS NULL
            ORDER BY r.completed_at, r.instance_id LIMIT $max
            """);
        command.Parameters.AddWithValue("$before", completedBefore.UtcTicks);
        command.Parameters.AddWithValue("$max", max);
        var due = new List<ReleaseRecord>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            due.Add(ReadRelease(reader));
        }

        return due;
    }

    public async Task<ReleaseReview> SaveAsync(ReleaseReview review, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(review);
        return await WriteAsync(async connection =>
        {
            await using (var insert = Command(connection, null, "INSERT INTO release_reviews (instance_id, review_json, published_at) VALUES ($id, $review, $published) ON CONFLICT (instance_id) DO NOTHING"))
            {
                insert.Parameters.AddWithValue("$id", review.InstanceId);
                insert.Parameters.AddWithValue("$review", JsonSerializer.Serialize(review with { PublishedAt = null }, LedgerJsonContext.Default.ReleaseReview));
                insert.Parameters.AddWithValue("$published", (object?)review.PublishedAt?.UtcTicks ?? DBNull.Value);
                await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            return await ReadReviewAsync(connection, review.InstanceId, cancellationToken).ConfigureAwait(false)
                   ?? throw new InvalidOperationException($"The review of '{review.InstanceId}' was saved but cannot be read back.");
        }, cancellationToken).ConfigureAwait(false);
    }

    public async Task MarkPublishedAsync(string instanceId, DateTimeOffset publishedAt, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(instanceId);
        await WriteAsync(async connection =>
        {
            await using var update = Command(connection, null, "UPDATE release_reviews SET published_at = $at WHERE instance_id = $id AND published_at IS NULL");
            update.Parameters.AddWithValue("$id", instanceId);
            update.Parameters.AddWithValue("$at", publishedAt.UtcTicks);
            return await update.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
    }

    public async Task<ReleaseReview?> GetAsync(string instanceId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(instanceId);
        await _initialized.EnsureAsync().ConfigureAwait(false);
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        return await ReadReviewAsync(connection, instanceId, cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyDictionary<string, long>> GetExternalIdsAsync(string instanceId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(instanceId);
        await _initialized.EnsureAsync().ConfigureAwait(false);
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var select = Command(connection, null, "SELECT name, external_id FROM release_external_ids WHERE instance_id = $id");
        select.Parameters.AddWithValue("$id", instanceId);
        var ids = new Dictionary<string, long>(StringComparer.Ordinal);
        await using var reader = await select.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            ids[reader.GetString(0)] = reader.GetInt64(1);
        }

        return ids;
    }

    public async Task SaveExternalIdAsync(string instanceId, string name, long id, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(instanceId);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        await WriteAsync(async connection =>
        {
            await using var upsert = Command(connection, null, """
                INSERT INTO release_external_ids (instance_id, name, external_id) VALUES ($id, $name, $external)
                ON CONFLICT (instance_id, name) DO UPDATE SET external_id = excluded.external_id
                """);
            upsert.Parameters.AddWithValue("$id", instanceId);
            upsert.Parameters.AddWithValue("$name", name);
            upsert.Parameters.AddWithValue("$external", id);
            return await upsert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
    }

    public async Task<bool> SaveAsync(DoraMetrics summary, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(summary);
        return await WriteAsync(async connection =>
        {
            await using var insert = Command(connection, null, """
                INSERT INTO dora_summaries (repository_key, period_start, period_end, metrics_json) VALUES ($repository, $start, $end, $metrics)
                ON CONFLICT (repository_key, period_start) DO NOTHING
                """);
            insert.Parameters.AddWithValue("$repository", summary.Repository.ToLowerInvariant());
            insert.Parameters.AddWithValue("$start", summary.PeriodStart.UtcTicks);
            insert.Parameters.AddWithValue("$end", summary.PeriodEnd.UtcTicks);
            insert.Parameters.AddWithValue("$metrics", JsonSerializer.Serialize(summary, LedgerJsonContext.Default.DoraMetrics));
            return await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
        }, cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<DoraMetrics>> ListAsync(string? repository, int max, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(max, 1);
        await _initialized.EnsureAsync().ConfigureAwait(false);
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var select = Command(connection, null, $"""
            SELECT metrics_json FROM dora_summaries {(repository is null ? "" : "WHERE repository_key = $repository")}
            ORDER BY period_start DESC, repository_key LIMIT $max
            """);
        select.Parameters.AddWithValue("$repository", repository?.ToLowerInvariant() ?? "");
        select.Parameters.AddWithValue("$max", max);
        var summaries = new List<DoraMetrics>();
        await using var reader = await select.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            summaries.Add(JsonSerializer.Deserialize(reader.GetString(0), LedgerJsonContext.Default.DoraMetrics)
                          ?? throw new InvalidDataException("The release ledger holds an empty DORA summary."));
        }

        return summaries;
    }

    public string Location => FilePath;

    /// <summary>A cheap read that proves the file is reachable and its schema in place.</summary>
    public async Task CheckReachableAsync(CancellationToken cancellationToken)
    {
        await _initialized.EnsureAsync().ConfigureAwait(false);
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, null, "SELECT COUNT(*) FROM (SELECT 1 FROM releases LIMIT 1)");
        await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task InitializeAsync()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(FilePath)!);
        await using var connection = await OpenAsync(CancellationToken.None).ConfigureAwait(false);
        await using var command = Command(connection, null, """
            PRAGMA journal_mode = WAL;
            CREATE TABLE IF NOT EXISTS releases (
                instance_id TEXT NOT NULL PRIMARY KEY,
                repository TEXT NOT NULL,
                pull_request INTEGER NOT NULL,
                merge_commit_sha TEXT NOT NULL,
                service TEXT NOT NULL,
                version TEXT NOT NULL,
                title TEXT NOT NULL,
                author TEXT NOT NULL,
                merged_at INTEGER NOT NULL,
                started_at INTEGER NOT NULL,
                status TEXT NOT NULL,
                stage TEXT NULL,
                step INTEGER NOT NULL,
                weight_percent INTEGER NULL,
                summary TEXT NOT NULL,
                updated_at INTEGER NOT NULL,
                completed_at INTEGER NULL,
                rolled_back INTEGER NOT NULL,
                installation_id INTEGER NULL
            );
            CREATE INDEX IF NOT EXISTS releases_by_start ON releases (started_at DESC, instance_id DESC);
            CREATE INDEX IF NOT EXISTS releases_by_repository ON releases (repository, started_at DESC, instance_id DESC);
            CREATE TABLE IF NOT EXISTS release_reviews (
                instance_id TEXT NOT NULL PRIMARY KEY,
                review_json TEXT NOT NULL,
                published_at INTEGER NULL
            );
            CREATE TABLE IF NOT EXISTS dora_summaries (
                repository_key TEXT NOT NULL,
                period_start INTEGER NOT NULL,
                period_end INTEGER NOT NULL,
                metrics_json TEXT NOT NULL,
                PRIMARY KEY (repository_key, period_start)
            );
            CREATE TABLE IF NOT EXISTS release_external_ids (
                instance_id TEXT NOT NULL,
                name TEXT NOT NULL,
                external_id INTEGER NOT NULL,
                PRIMARY KEY (instance_id, name)
            );
            CREATE TABLE IF NOT EXISTS audit_records (
                subject TEXT NOT NULL,
                sequence INTEGER NOT NULL,
                at INTEGER NOT NULL,
                actor TEXT NOT NULL,
                kind TEXT NOT NULL,
                reason TEXT NOT NULL,
                evidence_json TEXT NOT NULL,
                previous_hash TEXT NOT NULL,
                hash TEXT NOT NULL,
                idempotency_key TEXT NOT NULL UNIQUE,
                PRIMARY KEY (subject, sequence)
            );
            """);
        await command.ExecuteNonQueryAsync().ConfigureAwait(false);
    }

    /// <summary>A write to the file: on an open connection, one writer of this process at a time (<see cref="SqliteWriteGate"/>).</summary>
    private async Task<T> WriteAsync<T>(Func<SqliteConnection, Task<T>> write, CancellationToken cancellationToken)
    {
        await _initialized.EnsureAsync().ConfigureAwait(false);
        return await SqliteWriteGate.WriteAsync(FilePath, async () =>
        {
            await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
            return await write(connection).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
    }

    private async Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        return connection;
    }

    private static SqliteCommand Command(SqliteConnection connection, SqliteTransaction? transaction, string sql)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        return command;
    }

    private static async Task<ReleaseReview?> ReadReviewAsync(SqliteConnection connection, string instanceId, CancellationToken cancellationToken)
    {
        await using var select = Command(connection, null, "SELECT review_json, published_at FROM release_reviews WHERE instance_id = $id");
        select.Parameters.AddWithValue("$id", instanceId);
        await using var reader = await select.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        var review = JsonSerializer.Deserialize(reader.GetString(0), LedgerJsonContext.Default.ReleaseReview)
                     ?? throw new InvalidDataException($"The release ledger holds an empty review for '{instanceId}'.");
        return review with { PublishedAt = reader.IsDBNull(1) ? null : Utc(reader.GetInt64(1)) };
    }

    private static async Task UpsertReleaseAsync(SqliteConnection connection, SqliteTransaction transaction, ReleaseRecord r, CancellationToken cancellationToken)
    {
        await using var upsert = Command(connection, transaction, $"""
            INSERT INTO releases ({Columns})
            VALUES ($id, $repository, $pr, $sha, $service, $version, $title, $author, $merged, $started,
                    $status, $stage, $step, $weight, $summary, $updated, $completed, $rolledBack, $installation)
            ON CONFLICT (instance_id) DO UPDATE SET
                service = excluded.service, version = excluded.version, title = excluded.title, author = excluded.author,
                status = excluded.status, stage = excluded.stage, step = excluded.step, weight_percent = excluded.weight_percent,
                summary = excluded.summary, updated_at = excluded.updated_at, completed_at = excluded.completed_at,
                rolled_back = excluded.rolled_back, installation_id = excluded.installation_id
            """);
        var p = upsert.Parameters;
        p.AddWithValue("$id", r.InstanceId);
        p.AddWithValue("$repository", r.Repository.ToLowerInvariant());
        p.AddWithValue("$pr", r.PullRequest);
        p.AddWithValue("$sha", r.MergeCommitSha);
        p.AddWithValue("$service", r.Service);
        p.AddWithValue("$version", r.Version);
        p.AddWithValue("$title", r.Title);
        p.AddWithValue("$author", r.Author);
        p.AddWithValue("$merged", r.MergedAt.UtcTicks);
        p.AddWithValue("$started", r.StartedAt.UtcTicks);
        p.AddWithValue("$status", r.Status.ToString());
        p.AddWithValue("$stage", (object?)r.Stage ?? DBNull.Value);
        p.AddWithValue("$step", r.Step);
        p.AddWithValue("$weight", (object?)r.WeightPercent ?? DBNull.Value);
        p.AddWithValue("$summary", r.Summary);
        p.AddWithValue("$updated", r.UpdatedAt.UtcTicks);
        p.AddWithValue("$completed", (object?)r.CompletedAt?.UtcTicks ?? DBNull.Value);
        p.AddWithValue("$rolledBack", r.RolledBack ? 1 : 0);
        p.AddWithValue("$installation", (object?)r.InstallationId ?? DBNull.Value);
        await upsert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static async Task<List<AuditRecord>> ReadAuditAsync(
        SqliteConnection connection, SqliteTransaction? transaction, string condition, Action<SqliteParameterCollection> bind, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, transaction, $"SELECT {AuditColumns} FROM audit_records {condition}");
        bind(command.Parameters);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var records = new List<AuditRecord>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            records.Add(new AuditRecord(
                reader.GetInt64(0), reader.GetString(1), Utc(reader.GetInt64(2)), reader.GetString(3), reader.GetString(4),
                reader.GetString(5), reader.GetString(6), reader.GetString(7), reader.GetString(8)));
        }

        return records;
    }

    private static ReleaseRecord ReadRelease(SqliteDataReader reader)
    {
        var statusText = reader.GetString(10);
        if (!Enum.TryParse<ReleaseStatus>(statusText, ignoreCase: false, out var status))
        {
            throw new InvalidDataException($"The release ledger holds status '{statusText}' for '{reader.GetString(0)}'; expected one of {string.Join(", ", Enum.GetNames<ReleaseStatus>())}.");
        }

        return new ReleaseRecord(
            InstanceId: reader.GetString(0),
            Repository: reader.GetString(1),
            PullRequest: reader.GetInt32(2),
            MergeCommitSha: reader.GetString(3),
            Service: reader.GetString(4),
            Version: reader.GetString(5),
            Title: reader.GetString(6),
            Author: reader.GetString(7),
            MergedAt: Utc(reader.GetInt64(8)),
            StartedAt: Utc(reader.GetInt64(9)),
            Status: status,
            Stage: reader.IsDBNull(11) ? null : reader.GetString(11),
            Step: reader.GetInt32(12),
            WeightPercent: reader.IsDBNull(13) ? null : reader.GetInt32(13),
            Summary: reader.GetString(14),
            UpdatedAt: Utc(reader.GetInt64(15)),
            CompletedAt: reader.IsDBNull(16) ? null : Utc(reader.GetInt64(16)),
            RolledBack: reader.GetInt64(17) != 0,
            InstallationId: reader.IsDBNull(18) ? null : reader.GetInt64(18));
    }

    private static DateTimeOffset Utc(long ticks) => new(ticks, TimeSpan.Zero);
}
