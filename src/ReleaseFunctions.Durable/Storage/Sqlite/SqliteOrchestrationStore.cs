using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Threading.Channels;
using Microsoft.Data.Sqlite;
using ReleaseFunctions.Durable.Serialization;

namespace ReleaseFunctions.Durable.Storage.Sqlite;

/// <summary>
/// The embedded store: one SQLite file in WAL mode, owned by one process at a time (a lock file next to it).
/// Because no other process can hold leases on the file, leases left by a process that died are released at start.
/// Writes are serialised in-process on one connection; reads use pooled connections.
/// </summary>
internal sealed class SqliteOrchestrationStore : IOrchestrationStore
{
    private const int SchemaVersion = 1;

    private readonly string _path;
    private readonly string _connectionString;
    private readonly Channel<WriteRequest> _writes = Channel.CreateUnbounded<WriteRequest>(new UnboundedChannelOptions { SingleReader = true });

    /// <summary>Clients' writes (start, raise, purge), committed in transactions of their own (see <see cref="RunWriterAsync"/>).</summary>
    private readonly ConcurrentQueue<WriteRequest> _clientWrites = new();
    private Task? _writerLoop;
    private readonly SemaphoreSlim _initGate = new(1, 1);
    private SqliteConnection? _writer;
    private FileStream? _ownerLock;

    public SqliteOrchestrationStore(SqliteStoreOptions options)
    {
        options.Validate();
        _path = Path.GetFullPath(options.Path);
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = _path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            DefaultTimeout = Math.Max(1, (int)options.BusyTimeout.TotalSeconds),
        }.ToString();
    }

    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        await _initGate.WaitAsync(cancellationToken);
        try
        {
            if (_writer is null)
            {
                await OpenAsync(cancellationToken);
            }
        }
        finally
        {
            _initGate.Release();
        }
    }

    private async Task OpenAsync(CancellationToken cancellationToken)
    {

        Directory.CreateDirectory(Path.GetDirectoryName(_path)!);
        _ownerLock = TakeOwnership();
        try
        {
            var writer = new SqliteConnection(_connectionString);
            await writer.OpenAsync(cancellationToken);
            await ExecuteAsync(writer, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA temp_store=MEMORY;", cancellationToken);
            var check = (string?)await ScalarAsync(writer, "PRAGMA quick_check;", cancellationToken);
            if (!string.Equals(check, "ok", StringComparison.OrdinalIgnoreCase))
            {
                throw new DurableStoreException($"The store file '{_path}' is corrupt (SQLite quick_check: {check}). Restore it from a backup or move it away to start empty.");
            }

            await MigrateAsync(writer, cancellationToken);

            // This process owns the file, so any lease in it belongs to a process that is gone.
            await ExecuteAsync(writer, "UPDATE instances SET lock_token = NULL, lock_expires_at = NULL WHERE lock_token IS NOT NULL; UPDATE activities SET lock_token = NULL, lock_expires_at = NULL WHERE lock_token IS NOT NULL;", cancellationToken);
            _writer = writer;
            _writerLoop = Task.Run(() => RunWriterAsync(writer));
        }
        catch (SqliteException ex)
        {
            _ownerLock.Dispose();
            _ownerLock = null;
            throw Translate(ex);
        }
        catch
        {
            _ownerLock.Dispose();
            _ownerLock = null;
            throw;
        }
    }

    /// <summary>One process owns the file, and it signals its own writes, so there is nothing to listen to.</summary>
    public IDisposable SubscribeToWork(Action orchestrationWork, Action activityWork) => NoSubscription.Instance;

    private sealed class NoSubscription : IDisposable
    {
        public static readonly NoSubscription Instance = new();

        public void Dispose()
        {
        }
    }

    private FileStream TakeOwnership()
    {
        var lockPath = _path + ".lock";
        try
        {
            return new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.None);
        }
        catch (IOException ex)
        {
            throw new DurableStoreException($"The store file '{_path}' is in use by another process (its lock file '{lockPath}' is held). Stop the other process, or use the PostgreSQL store to share work between processes.", ex);
        }
    }

    private DurableStoreException Translate(SqliteException ex) => ex.SqliteErrorCode switch
    {
        26 => new DurableStoreException($"The file '{_path}' is not a SQLite database (SQLite: {ex.Message}). Point the store at another path or move the file away.", ex),
        11 => new DurableStoreException($"The store file '{_path}' is corrupt (SQLite: {ex.Message}). Restore it from a backup or move it away to start empty.", ex),
        5 or 6 => new DurableStoreException($"The store file '{_path}' is locked by another process (SQLite: {ex.Message}).", ex),
        _ => new DurableStoreException($"The store file '{_path}' could not be used (SQLite error {ex.SqliteErrorCode}: {ex.Message}).", ex),
    };

    private static async Task MigrateAsync(SqliteConnection connection, CancellationToken cancellationToken)
    {
        var version = Convert.ToInt32(await ScalarAsync(connection, "PRAGMA user_version;", cancellationToken), CultureInfo.InvariantCulture);
        if (version > SchemaVersion)
        {
            throw new DurableStoreException($"The store was written by a newer version of the app (schema {version}; this app knows up to {SchemaVersion}).");
        }

        if (version == SchemaVersion)
        {
            return;
        }

        await using var tx = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        await ExecuteAsync(connection, """
            CREATE TABLE IF NOT EXISTS instances (
                instance_id TEXT NOT NULL PRIMARY KEY,
                name TEXT NOT NULL,
                execution_id TEXT NOT NULL,
                runtime_status TEXT NOT NULL,
                input TEXT NULL,
                output TEXT NULL,
                custom_status TEXT NULL,
                failure TEXT NULL,
                created_at INTEGER NOT NULL,
                last_updated_at INTEGER NOT NULL,
                completed_at INTEGER NULL,
                parent_instance_id TEXT NULL,
                parent_task_id INTEGER NULL,
                lock_token TEXT NULL,
                lock_expires_at INTEGER NULL);
            CREATE INDEX IF NOT EXISTS ix_instances_created ON instances (created_at DESC, instance_id DESC);
            CREATE INDEX IF NOT EXISTS ix_instances_lock ON instances (lock_expires_at) WHERE lock_expires_at IS NOT NULL;
            CREATE TABLE IF NOT EXISTS history (
                instance_id TEXT NOT NULL,
                seq INTEGER NOT NULL,
                event TEXT NOT NULL,
                PRIMARY KEY (instance_id, seq)) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS inbox (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                instance_id TEXT NOT NULL,
                kind TEXT NOT NULL,
                message TEXT NOT NULL,
                visible_at INTEGER NOT NULL);
            CREATE INDEX IF NOT EXISTS ix_inbox_visible ON inbox (visible_at);
            CREATE INDEX IF NOT EXISTS ix_inbox_instance ON inbox (instance_id, id);
            CREATE TABLE IF NOT EXISTS activities (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                instance_id TEXT NOT NULL,
                execution_id TEXT NOT NULL,
                task_id INTEGER NOT NULL,
                name TEXT NOT NULL,
                input TEXT NULL,
                idempotency_key TEXT NOT NULL,
                visible_at INTEGER NOT NULL,
                lock_token TEXT NULL,
                lock_expires_at INTEGER NULL,
                delivery_count INTEGER NOT NULL DEFAULT 0,
                UNIQUE (instance_id, execution_id, task_id));
            CREATE INDEX IF NOT EXISTS ix_activities_visible ON activities (visible_at);
            """, cancellationToken, tx);
        await ExecuteAsync(connection, $"PRAGMA user_version = {SchemaVersion};", cancellationToken, tx);
        await tx.CommitAsync(cancellationToken);
    }

    public async Task<bool> CreateInstanceAsync(NewInstance instance, CancellationToken cancellationToken)
        => await WriteAsync(async (c, tx) => await InsertInstanceAsync(c, tx, instance, cancellationToken), cancellationToken, fromClient: true);

    private static async Task<bool> InsertInstanceAsync(SqliteConnection c, SqliteTransaction tx, NewInstance instance, CancellationToken cancellationToken)
    {
        var inserted = await ExecuteAsync(c, """
            INSERT INTO instances (instance_id, name, execution_id, runtime_status, input, created_at, last_updated_at, parent_instance_id, parent_task_id)
            VALUES ($id, $name, $execution, 'Pending', $input, $now, $now, $parent, $parentTask)
            ON CONFLICT (instance_id) DO NOTHING;
            """, cancellationToken, tx,
            ("$id", instance.InstanceId), ("$name", instance.Name), ("$execution", instance.ExecutionId), ("$input", instance.Input),
            ("$now", instance.CreatedAt.UtcTicks), ("$parent", instance.ParentInstanceId), ("$parentTask", instance.ParentTaskId));
        if (inserted == 0)
        {
            return false;
        }

        var started = new ExecutionStartedEvent(instance.Name, instance.ExecutionId, instance.Input, instance.ParentInstanceId, instance.ParentTaskId)
        {
            Timestamp = instance.CreatedAt,
        };
        await InsertMessageAsync(c, tx, instance.InstanceId, started, instance.StartAt, cancellationToken);
        return true;
    }

    public async Task<bool> SendMessageAsync(string instanceId, HistoryEvent message, DateTimeOffset visibleAt, CancellationToken cancellationToken)
        => await WriteAsync(async (c, tx) =>
        {
            var exists = await ScalarAsync(c, "SELECT 1 FROM instances WHERE instance_id = $id", cancellationToken, tx, ("$id", instanceId));
            if (exists is null)
            {
                return false;
            }

            await InsertMessageAsync(c, tx, instanceId, message, visibleAt, cancellationToken);
            return true;
        }, cancellationToken, fromClient: true);

    private static Task<int> InsertMessageAsync(SqliteConnection c, SqliteTransaction tx, string instanceId, HistoryEvent message, DateTimeOffset visibleAt, CancellationToken cancellationToken)
        => ExecuteAsync(c, "INSERT INTO inbox (instance_id, kind, message, visible_at) VALUES ($id, $kind, $message, $visible)", cancellationToken, tx,
            ("$id", instanceId), ("$kind", message.Kind), ("$message", HistorySerializer.Serialize(message)), ("$visible", visibleAt.UtcTicks));

    public async Task<OrchestrationWorkItem?> TryLockNextOrchestrationAsync(DateTimeOffset now, TimeSpan leaseDuration, CancellationToken cancellationToken)
    {
        var token = Guid.NewGuid().ToString("N");
        return await WriteAsync(async (c, tx) =>
        {
            var instanceId = (string?)await ScalarAsync(c, """
                SELECT m.instance_id FROM inbox m JOIN instances i ON i.instance_id = m.instance_id
                WHERE m.visible_at <= $now
                  AND (i.lock_expires_at IS NULL OR i.lock_expires_at <= $now)
                  AND (i.runtime_status <> 'Suspended' OR m.kind IN ('ExecutionResumed', 'ExecutionTerminated'))
                  AND (i.runtime_status <> 'Pending' OR m.kind IN ('ExecutionStarted', 'ExecutionTerminated'))
                ORDER BY m.visible_at, m.id
                LIMIT 1
                """, cancellationToken, tx, ("$now", now.UtcTicks));
            if (instanceId is null)
            {
                return null;
            }

            await ExecuteAsync(c, "UPDATE instances SET lock_token = $token, lock_expires_at = $expires WHERE instance_id = $id", cancellationToken, tx,
                ("$token", token), ("$expires", (now + leaseDuration).UtcTicks), ("$id", instanceId));

            // Read in the same transaction: the lease is ours from here, and the writer connection is already open.
            var instance = await ReadInstanceAsync(c, instanceId, includePayloads: true, cancellationToken, tx)
                           ?? throw new DurableStoreException($"Instance '{instanceId}' vanished while leased.");
            var history = await ReadHistoryAsync(c, instanceId, cancellationToken, tx);
            var messages = new List<InboxMessage>();
            await using (var cmd = Command(c, "SELECT id, message FROM inbox WHERE instance_id = $id AND visible_at <= $now ORDER BY id", tx, ("$id", instanceId), ("$now", now.UtcTicks)))
            await using (var rows = await cmd.ExecuteReaderAsync(cancellationToken))
            {
                while (await rows.ReadAsync(cancellationToken))
                {
                    messages.Add(new InboxMessage(rows.GetInt64(0), HistorySerializer.Deserialize(rows.GetString(1))));
                }
            }

            return new OrchestrationWorkItem(instance, history, messages, token);
        }, cancellationToken);
    }

    public async Task CommitEpisodeAsync(EpisodeCommit commit, DateTimeOffset now, CancellationToken cancellationToken)
        => await WriteAsync<bool>(async (c, tx) =>
        {
            var held = await ScalarAsync(c, "SELECT 1 FROM instances WHERE instance_id = $id AND lock_token = $token AND lock_expires_at > $now", cancellationToken, tx,
                ("$id", commit.InstanceId), ("$token", commit.LeaseToken), ("$now", now.UtcTicks));
            if (held is null)
            {
                throw new LeaseLostException($"The lease on instance '{commit.InstanceId}' expired or was taken before its episode could commit; the episode will run again.");
            }

            await using (var delete = Command(c, "DELETE FROM inbox WHERE id = $mid", tx, ("$mid", 0L)))
            {
                foreach (var id in commit.ConsumedMessageIds)
                {
                    delete.Parameters["$mid"].Value = id;
                    await delete.ExecuteNonQueryAsync(cancellationToken);
                }
            }

            long seq = 0;
            if (commit.ReplaceHistory)
            {
                await ExecuteAsync(c, "DELETE FROM history WHERE instance_id = $id", cancellationToken, tx, ("$id", commit.InstanceId));
            }
            else
            {
                seq = Convert.ToInt64(await ScalarAsync(c, "SELECT COALESCE(MAX(seq) + 1, 0) FROM history WHERE instance_id = $id", cancellationToken, tx, ("$id", commit.InstanceId)), CultureInfo.InvariantCulture);
            }

            await using (var insert = Command(c, "INSERT INTO history (instance_id, seq, event) VALUES ($id, $seq, $event)", tx, ("$id", commit.InstanceId), ("$seq", 0L), ("$event", string.Empty)))
            {
                foreach (var e in commit.NewHistory)
                {
                    insert.Parameters["$seq"].Value = seq++;
                    insert.Parameters["$event"].Value = HistorySerializer.Serialize(e);
                    await insert.ExecuteNonQueryAsync(cancellationToken);
                }
            }

            var u = commit.Update;
            await ExecuteAsync(c, """
                UPDATE instances SET runtime_status = $status, execution_id = $execution, input = $input, output = $output,
                    custom_status = $custom, failure = $failure, last_updated_at = $now, completed_at = $completed,
                    lock_token = NULL, lock_expires_at = NULL
                WHERE instance_id = $id
                """, cancellationToken, tx,
                ("$status", u.Status.ToString()), ("$execution", u.ExecutionId), ("$input", u.Input), ("$output", u.Output),
                ("$custom", u.CustomStatus), ("$failure", HistorySerializer.Serialize(u.Failure)), ("$now", now.UtcTicks),
                ("$completed", u.CompletedAt?.UtcTicks), ("$id", commit.InstanceId));

            await using (var activity = Command(c, """
                INSERT INTO activities (instance_id, execution_id, task_id, name, input, idempotency_key, visible_at)
                VALUES ($id, $execution, $task, $name, $input, $key, $now)
                ON CONFLICT (instance_id, execution_id, task_id) DO NOTHING
                """, tx, ("$id", commit.InstanceId), ("$execution", u.ExecutionId), ("$task", 0), ("$name", string.Empty), ("$input", null), ("$key", string.Empty), ("$now", now.UtcTicks)))
            {
                foreach (var a in commit.Activities)
                {
                    activity.Parameters["$task"].Value = a.TaskId;
                    activity.Parameters["$name"].Value = a.Name;
                    activity.Parameters["$input"].Value = (object?)a.Input ?? DBNull.Value;
                    activity.Parameters["$key"].Value = a.IdempotencyKey;
                    await activity.ExecuteNonQueryAsync(cancellationToken);
                }
            }

            foreach (var child in commit.Children)
            {
                if (!await InsertInstanceAsync(c, tx, child, cancellationToken))
                {
                    var refused = new SubOrchestrationFailedEvent(child.ParentTaskId ?? -1, new TaskFailureDetails(
                        typeof(InvalidOperationException).FullName!, $"A sub-orchestration instance with the id '{child.InstanceId}' already exists."))
                    {
                        Timestamp = now,
                    };
                    await InsertMessageAsync(c, tx, commit.InstanceId, refused, now, cancellationToken);
                }
            }

            foreach (var m in commit.Messages)
            {
                var exists = m.InstanceId == commit.InstanceId
                             || await ScalarAsync(c, "SELECT 1 FROM instances WHERE instance_id = $id", cancellationToken, tx, ("$id", m.InstanceId)) is not null;
                if (exists)
                {
                    await InsertMessageAsync(c, tx, m.InstanceId, m.Message, m.VisibleAt, cancellationToken);
                }
            }

            return true;
        }, cancellationToken);

    public async Task AbandonOrchestrationAsync(string instanceId, string leaseToken, DateTimeOffset retryAt, CancellationToken cancellationToken)
        => await WriteAsync(async (c, tx) =>
            await ExecuteAsync(c, "UPDATE instances SET lock_expires_at = $retry WHERE instance_id = $id AND lock_token = $token", cancellationToken, tx,
                ("$retry", retryAt.UtcTicks), ("$id", instanceId), ("$token", leaseToken)), cancellationToken);

    public async Task<ActivityWorkItem?> TryLockNextActivityAsync(DateTimeOffset now, TimeSpan leaseDuration, CancellationToken cancellationToken)
    {
        var token = Guid.NewGuid().ToString("N");
        return await WriteAsync(async (c, tx) =>
        {
            await using var cmd = Command(c, """
                UPDATE activities SET lock_token = $token, lock_expires_at = $expires, delivery_count = delivery_count + 1
                WHERE id = (SELECT id FROM activities
                            WHERE visible_at <= $now AND (lock_expires_at IS NULL OR lock_expires_at <= $now)
                            ORDER BY visible_at, id LIMIT 1)
                RETURNING id, instance_id, execution_id, task_id, name, input, idempotency_key, delivery_count
                """, tx, ("$token", token), ("$expires", (now + leaseDuration).UtcTicks), ("$now", now.UtcTicks));
            await using var rows = await cmd.ExecuteReaderAsync(cancellationToken);
            if (!await rows.ReadAsync(cancellationToken))
            {
                return null;
            }

            return new ActivityWorkItem(rows.GetInt64(0), rows.GetString(1), rows.GetString(2), rows.GetInt32(3), rows.GetString(4),
                rows.IsDBNull(5) ? null : rows.GetString(5), rows.GetString(6), rows.GetInt32(7), token);
        }, cancellationToken);
    }

    public async Task<bool> RenewActivityLeaseAsync(ActivityWorkItem item, DateTimeOffset now, TimeSpan leaseDuration, CancellationToken cancellationToken)
        => await WriteAsync(async (c, tx) =>
            await ExecuteAsync(c, "UPDATE activities SET lock_expires_at = $expires WHERE id = $id AND lock_token = $token", cancellationToken, tx,
                ("$expires", (now + leaseDuration).UtcTicks), ("$id", item.Id), ("$token", item.LeaseToken)) == 1, cancellationToken);

    public async Task CompleteActivityAsync(ActivityWorkItem item, HistoryEvent result, DateTimeOffset now, CancellationToken cancellationToken)
        => await WriteAsync(async (c, tx) =>
        {
            var deleted = await ExecuteAsync(c, "DELETE FROM activities WHERE id = $id AND lock_token = $token", cancellationToken, tx,
                ("$id", item.Id), ("$token", item.LeaseToken));
            if (deleted == 0)
            {
                throw new LeaseLostException($"The lease on activity '{item.Name}' (#{item.TaskId}) of instance '{item.InstanceId}' was lost; its result is discarded and the work runs again.");
            }

            await InsertMessageAsync(c, tx, item.InstanceId, result, now, cancellationToken);
            return true;
        }, cancellationToken);

    public async Task<DateTimeOffset?> GetNextWakeUpAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var c = await OpenReaderAsync(cancellationToken);
        var next = await ScalarAsync(c, """
            SELECT MIN(t) FROM (
                SELECT MIN(visible_at) AS t FROM inbox WHERE visible_at > $now
                UNION ALL SELECT MIN(lock_expires_at) FROM instances WHERE lock_expires_at > $now
                UNION ALL SELECT MIN(visible_at) FROM activities WHERE visible_at > $now
                UNION ALL SELECT MIN(lock_expires_at) FROM activities WHERE lock_expires_at > $now)
            """, cancellationToken, null, ("$now", now.UtcTicks));
        return next is null or DBNull ? null : new DateTimeOffset(Convert.ToInt64(next, CultureInfo.InvariantCulture), TimeSpan.Zero);
    }

    public async Task<InstanceRecord?> GetInstanceAsync(string instanceId, bool includePayloads, CancellationToken cancellationToken)
    {
        await using var c = await OpenReaderAsync(cancellationToken);
        return await ReadInstanceAsync(c, instanceId, includePayloads, cancellationToken);
    }

    public async Task<InstancePage> QueryInstancesAsync(InstanceQuery query, CancellationToken cancellationToken)
    {
        var sql = new StringBuilder($"SELECT {InstanceColumns(query.IncludePayloads)} FROM instances WHERE 1 = 1");
        var parameters = new List<(string, object?)>();
        if (query.Statuses is { Count: > 0 })
        {
            var names = query.Statuses.Select((s, i) => ($"$s{i}", (object?)s.ToString())).ToList();
            sql.Append($" AND runtime_status IN ({string.Join(", ", names.Select(n => n.Item1))})");
            parameters.AddRange(names);
        }

        if (!string.IsNullOrEmpty(query.NamePrefix))
        {
            sql.Append(" AND substr(name, 1, length($namePrefix)) = $namePrefix");
            parameters.Add(("$namePrefix", query.NamePrefix));
        }

        if (!string.IsNullOrEmpty(query.InstanceIdPrefix))
        {
            sql.Append(" AND substr(instance_id, 1, length($idPrefix)) = $idPrefix");
            parameters.Add(("$idPrefix", query.InstanceIdPrefix));
        }

        if (query.CreatedFrom is { } from)
        {
            sql.Append(" AND created_at >= $from");
            parameters.Add(("$from", from.UtcTicks));
        }

        if (query.CreatedTo is { } to)
        {
            sql.Append(" AND created_at < $to");
            parameters.Add(("$to", to.UtcTicks));
        }

        if (ContinuationToken.TryParse(query.ContinuationToken, out var after))
        {
            sql.Append(" AND (created_at < $afterCreated OR (created_at = $afterCreated AND instance_id < $afterId))");
            parameters.Add(("$afterCreated", after.CreatedTicks));
            parameters.Add(("$afterId", after.InstanceId));
        }

        sql.Append(" ORDER BY created_at DESC, instance_id DESC LIMIT $limit");
        parameters.Add(("$limit", query.PageSize + 1));

        await using var c = await OpenReaderAsync(cancellationToken);
        await using var cmd = Command(c, sql.ToString(), null, parameters.ToArray());
        await using var rows = await cmd.ExecuteReaderAsync(cancellationToken);
        var page = new List<InstanceRecord>();
        while (await rows.ReadAsync(cancellationToken))
        {
            page.Add(ReadInstance(rows, query.IncludePayloads));
        }

        string? next = null;
        if (page.Count > query.PageSize)
        {
            page.RemoveAt(page.Count - 1);
            var last = page[^1];
            next = new ContinuationToken(last.CreatedAt.UtcTicks, last.InstanceId).ToString();
        }

        return new InstancePage(page, next);
    }

    public async Task<IReadOnlyList<HistoryEvent>> GetHistoryAsync(string instanceId, CancellationToken cancellationToken)
    {
        await using var c = await OpenReaderAsync(cancellationToken);
        return await ReadHistoryAsync(c, instanceId, cancellationToken);
    }

    public async Task<bool> PurgeInstanceAsync(string instanceId, CancellationToken cancellationToken)
        => await WriteAsync(async (c, tx) => await PurgeAsync(c, tx, instanceId, cancellationToken), cancellationToken, fromClient: true);

    public async Task<int> PurgeInstancesAsync(DateTimeOffset from, DateTimeOffset to, IReadOnlyCollection<OrchestrationRuntimeStatus> statuses, CancellationToken cancellationToken)
    {
        var terminal = statuses.Where(s => s.IsTerminal()).ToArray();
        var page = await QueryInstancesAsync(new InstanceQuery(terminal.Length == 0 ? [OrchestrationRuntimeStatus.Completed, OrchestrationRuntimeStatus.Failed, OrchestrationRuntimeStatus.Terminated] : terminal, CreatedFrom: from, CreatedTo: to, PageSize: 1000), cancellationToken);
        var purged = 0;
        while (true)
        {
            foreach (var instance in page.Instances)
            {
                if (await PurgeInstanceAsync(instance.InstanceId, cancellationToken))
                {
                    purged++;
                }
            }

            if (page.ContinuationToken is null)
            {
                return purged;
            }

            page = await QueryInstancesAsync(new InstanceQuery(terminal, CreatedFrom: from, CreatedTo: to, PageSize: 1000, ContinuationToken: page.ContinuationToken), cancellationToken);
        }
    }

    private static async Task<bool> PurgeAsync(SqliteConnection c, SqliteTransaction tx, string instanceId, CancellationToken cancellationToken)
    {
        var status = (string?)await ScalarAsync(c, "SELECT runtime_status FROM instances WHERE instance_id = $id", cancellationToken, tx, ("$id", instanceId));
        if (status is null || !Enum.Parse<OrchestrationRuntimeStatus>(status).IsTerminal())
        {
            return false;
        }

        await ExecuteAsync(c, """
            DELETE FROM history WHERE instance_id = $id;
            DELETE FROM inbox WHERE instance_id = $id;
            DELETE FROM activities WHERE instance_id = $id;
            DELETE FROM instances WHERE instance_id = $id;
            """, cancellationToken, tx, ("$id", instanceId));
        return true;
    }

    public async ValueTask DisposeAsync()
    {
        _writes.Writer.TryComplete();
        if (_writerLoop is not null)
        {
            await _writerLoop;
            _writerLoop = null;
        }

        if (_writer is not null)
        {
            await _writer.DisposeAsync();
            _writer = null;
        }

        SqliteConnection.ClearPool(new SqliteConnection(_connectionString));
        _ownerLock?.Dispose();
        _ownerLock = null;
    }

    /// <summary>
    /// Queues a write for the writer. A client's write (<paramref name="fromClient"/>: a start, a raised event, a purge)
    /// waits in the clients' queue, whose writes commit together in turns with the workers': whoever waits on it (a
    /// webhook being acknowledged) waits for a commit or two, not for a busy engine's backlog.
    /// </summary>
    private Task<T> WriteAsync<T>(Func<SqliteConnection, SqliteTransaction, Task<T>> work, CancellationToken cancellationToken, bool fromClient = false)
    {
        if (_writer is null)
        {
            throw new InvalidOperationException("The SQLite store is not initialised; call InitializeAsync first.");
        }

        var request = new WriteRequest<T>(work, cancellationToken);
        if (fromClient)
        {
            _clientWrites.Enqueue(request);
        }

        // For a client's write, a wake-up that the writer skips (it finds the write in the client queue first).
        if (!_writes.Writer.TryWrite(fromClient ? WakeUp.Instance : request))
        {
            throw new ObjectDisposedException(nameof(SqliteOrchestrationStore), "The SQLite store has been disposed.");
        }

        return request.Task;
    }

    /// <summary>
    /// Group commit: the writer takes every write that is waiting and runs them in one transaction, each inside
    /// its own savepoint so one that fails is undone alone. A commit costs the same for one write or fifty, so
    /// concurrent dispatchers share it. Callers hear back only after the transaction is durable.
    /// </summary>
    private async Task RunWriterAsync(SqliteConnection writer)
    {
        var batch = new List<WriteRequest>(MaxWritesPerTransaction);
        var lastWasClients = false;
        // A client's wake-up may be taken in a workers' turn, so clients' writes waiting are work enough to go on.
        while (!_clientWrites.IsEmpty || await _writes.Reader.WaitToReadAsync())
        {
            // Clients' writes commit in a transaction of their own, so a client waits for its own commit only; the
            // workers' writes get every other transaction, so a stream of clients never starves them.
            batch.Clear();
            var clientsTurn = !lastWasClients;
            Take(batch, clientsTurn);
            if (batch.Count == 0)
            {
                clientsTurn = !clientsTurn;
                Take(batch, clientsTurn);
            }

            lastWasClients = clientsTurn && batch.Count > 0;
            if (batch.Count == 0)
            {
                continue;
            }

            try
            {
                await using var tx = (SqliteTransaction)await writer.BeginTransactionAsync();
                for (var i = 0; i < batch.Count; i++)
                {
                    var savepoint = "w" + i.ToString(CultureInfo.InvariantCulture);
                    tx.Save(savepoint);
                    if (await batch[i].RunAsync(writer, tx))
                    {
                        tx.Release(savepoint);
                    }
                    else
                    {
                        tx.Rollback(savepoint);
                        tx.Release(savepoint);
                    }
                }

                await tx.CommitAsync();
                foreach (var request in batch)
                {
                    request.Publish(null);
                }
            }
            catch (Exception ex)
            {
                var failure = ex is SqliteException sqlite ? Translate(sqlite) : ex;
                foreach (var request in batch)
                {
                    request.Publish(failure);
                }
            }
        }
    }

    private const int MaxWritesPerTransaction = 64;

    /// <summary>Fills <paramref name="batch"/> from the clients' queue or the workers' channel, leaving out writes whose callers gave up.</summary>
    private void Take(List<WriteRequest> batch, bool fromClients)
    {
        while (batch.Count < MaxWritesPerTransaction && (fromClients ? _clientWrites.TryDequeue(out var next) : _writes.Reader.TryRead(out next)))
        {
            if (!next.IsCancelled)
            {
                batch.Add(next);
            }
        }
    }

    /// <summary>Stands in the write channel for a client's write, which waits in the client queue.</summary>
    private sealed class WakeUp : WriteRequest
    {
        public static readonly WakeUp Instance = new();

        public override bool IsCancelled => true; // never run

        public override Task<bool> RunAsync(SqliteConnection connection, SqliteTransaction tx) => throw new InvalidOperationException("A wake-up is not a write.");

        public override void Publish(Exception? transactionFailure)
        {
        }
    }

    private abstract class WriteRequest
    {
        public abstract bool IsCancelled { get; }

        /// <summary>Runs the work; false when it threw (its savepoint is then rolled back).</summary>
        public abstract Task<bool> RunAsync(SqliteConnection connection, SqliteTransaction tx);

        /// <summary>Tells the caller the outcome once the transaction has committed (or failed as a whole).</summary>
        public abstract void Publish(Exception? transactionFailure);
    }

    private sealed class WriteRequest<T>(Func<SqliteConnection, SqliteTransaction, Task<T>> work, CancellationToken cancellationToken) : WriteRequest
    {
        private readonly TaskCompletionSource<T> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private T? _result;
        private Exception? _error;

        public Task<T> Task => _completion.Task;

        public override bool IsCancelled
        {
            get
            {
                if (!cancellationToken.IsCancellationRequested)
                {
                    return false;
                }

                _completion.TrySetCanceled(cancellationToken);
                return true;
            }
        }

        public override async Task<bool> RunAsync(SqliteConnection connection, SqliteTransaction tx)
        {
            try
            {
                _result = await work(connection, tx);
                return true;
            }
            catch (Exception ex)
            {
                _error = ex;
                return false;
            }
        }

        public override void Publish(Exception? transactionFailure)
        {
            if (transactionFailure is not null)
            {
                _completion.TrySetException(transactionFailure);
            }
            else if (_error is not null)
            {
                _completion.TrySetException(_error);
            }
            else
            {
                _completion.TrySetResult(_result!);
            }
        }
    }

    private async Task<SqliteConnection> OpenReaderAsync(CancellationToken cancellationToken)
    {
        if (_writer is null)
        {
            throw new InvalidOperationException("The SQLite store is not initialised; call InitializeAsync first.");
        }

        var c = new SqliteConnection(_connectionString);
        try
        {
            await c.OpenAsync(cancellationToken);
            return c;
        }
        catch (SqliteException ex)
        {
            await c.DisposeAsync();
            throw Translate(ex);
        }
    }

    private const string PayloadColumns = "input, output, custom_status, failure";

    private static string InstanceColumns(bool includePayloads)
        => "instance_id, name, execution_id, runtime_status, created_at, last_updated_at, completed_at, parent_instance_id, parent_task_id, "
           + (includePayloads ? PayloadColumns : "NULL, NULL, custom_status, failure");

    private static async Task<InstanceRecord?> ReadInstanceAsync(SqliteConnection c, string instanceId, bool includePayloads, CancellationToken cancellationToken, SqliteTransaction? tx = null)
    {
        await using var cmd = Command(c, $"SELECT {InstanceColumns(includePayloads)} FROM instances WHERE instance_id = $id", tx, ("$id", instanceId));
        await using var rows = await cmd.ExecuteReaderAsync(cancellationToken);
        return await rows.ReadAsync(cancellationToken) ? ReadInstance(rows, includePayloads) : null;
    }

    private static InstanceRecord ReadInstance(SqliteDataReader r, bool includePayloads)
    {
        string? S(int i) => r.IsDBNull(i) ? null : r.GetString(i);
        DateTimeOffset T(int i) => new(r.GetInt64(i), TimeSpan.Zero);
        return new InstanceRecord(
            r.GetString(0), r.GetString(1), r.GetString(2), Enum.Parse<OrchestrationRuntimeStatus>(r.GetString(3)),
            includePayloads ? S(9) : null, includePayloads ? S(10) : null, S(11), HistorySerializer.DeserializeFailure(S(12)),
            T(4), T(5), r.IsDBNull(6) ? null : T(6), S(7), r.IsDBNull(8) ? null : r.GetInt32(8));
    }

    private static async Task<IReadOnlyList<HistoryEvent>> ReadHistoryAsync(SqliteConnection c, string instanceId, CancellationToken cancellationToken, SqliteTransaction? tx = null)
    {
        var history = new List<HistoryEvent>();
        await using var cmd = Command(c, "SELECT event FROM history WHERE instance_id = $id ORDER BY seq", tx, ("$id", instanceId));
        await using var rows = await cmd.ExecuteReaderAsync(cancellationToken);
        while (await rows.ReadAsync(cancellationToken))
        {
            history.Add(HistorySerializer.Deserialize(rows.GetString(0)));
        }

        return history;
    }

    private static SqliteCommand Command(SqliteConnection c, string sql, SqliteTransaction? tx, params (string Name, object? Value)[] parameters)
    {
        var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        cmd.Transaction = tx;
        foreach (var (name, value) in parameters)
        {
            cmd.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        return cmd;
    }

    private static async Task<int> ExecuteAsync(SqliteConnection c, string sql, CancellationToken cancellationToken, SqliteTransaction? tx = null, params (string, object?)[] parameters)
    {
        await using var cmd = Command(c, sql, tx, parameters);
        return await cmd.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task<object?> ScalarAsync(SqliteConnection c, string sql, CancellationToken cancellationToken, SqliteTransaction? tx = null, params (string, object?)[] parameters)
    {
        await using var cmd = Command(c, sql, tx, parameters);
        var value = await cmd.ExecuteScalarAsync(cancellationToken);
        return value is DBNull ? null : value;
    }
}
