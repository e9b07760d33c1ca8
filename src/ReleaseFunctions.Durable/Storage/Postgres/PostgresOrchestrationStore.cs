using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using ReleaseFunctions.Durable.Serialization;

namespace ReleaseFunctions.Durable.Storage.Postgres;

/// <summary>
/// The shared store: several app instances on one PostgreSQL database take work from the same tables.
/// Work is leased with <c>SELECT … FOR UPDATE SKIP LOCKED</c>, so two processes never take the same item; a lease is a
/// token plus an expiry, and every commit re-checks both inside its own transaction (holding the row lock), so a
/// process whose lease ran out cannot commit. Writes that create work <c>pg_notify</c> a channel per kind of work
/// (the schema is part of its name), and <see cref="SubscribeToWork"/> listens on a dedicated connection.
/// Instants are stored as UTC ticks (bigint), exactly as given.
/// </summary>
internal sealed class PostgresOrchestrationStore : IOrchestrationStore
{
    /// <summary>Versioned migrations, applied in order under an advisory lock; never edit one that has shipped.</summary>
    private static readonly (int Version, string Description, string Sql)[] Migrations =
    [
        (1, "instances, history, inbox and activities", """
            CREATE TABLE instances (
                instance_id text COLLATE "C" NOT NULL PRIMARY KEY,
                name text COLLATE "C" NOT NULL,
                execution_id text NOT NULL,
                runtime_status text NOT NULL,
                input text NULL,
                output text NULL,
                custom_status text NULL,
                failure text NULL,
                created_at bigint NOT NULL,
                last_updated_at bigint NOT NULL,
                completed_at bigint NULL,
                parent_instance_id text NULL,
                parent_task_id integer NULL,
                lock_token text NULL,
                lock_expires_at bigint NULL);
            CREATE INDEX ix_instances_created ON instances (created_at DESC, instance_id DESC);
            CREATE INDEX ix_instances_lock ON instances (lock_expires_at) WHERE lock_expires_at IS NOT NULL;
            CREATE TABLE history (
                instance_id text COLLATE "C" NOT NULL,
                seq integer NOT NULL,
                event text NOT NULL,
                PRIMARY KEY (instance_id, seq));
            CREATE TABLE inbox (
                id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                instance_id text COLLATE "C" NOT NULL,
                kind text NOT NULL,
                message text NOT NULL,
                visible_at bigint NOT NULL);
            CREATE INDEX ix_inbox_visible ON inbox (visible_at, id);
            CREATE INDEX ix_inbox_instance ON inbox (instance_id, id);
            CREATE TABLE activities (
                id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                instance_id text COLLATE "C" NOT NULL,
                execution_id text NOT NULL,
                task_id integer NOT NULL,
                name text NOT NULL,
                input text NULL,
                idempotency_key text NOT NULL,
                visible_at bigint NOT NULL,
                lock_token text NULL,
                lock_expires_at bigint NULL,
                delivery_count integer NOT NULL DEFAULT 0,
                UNIQUE (instance_id, execution_id, task_id));
            CREATE INDEX ix_activities_visible ON activities (visible_at, id);
            CREATE INDEX ix_activities_lock ON activities (lock_expires_at) WHERE lock_expires_at IS NOT NULL;
            """),
        (2, "lease lookups by token and the commit fence", """
            CREATE INDEX ix_instances_lock_token ON instances (lock_token) WHERE lock_token IS NOT NULL;
            CREATE FUNCTION assert_instance_lease(p_instance_id text, p_token text, p_now bigint) RETURNS void
            LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
            BEGIN
                PERFORM 1 FROM instances
                WHERE instance_id = p_instance_id AND lock_token = p_token AND lock_expires_at > p_now
                FOR UPDATE;
                IF NOT FOUND THEN
                    RAISE EXCEPTION 'the lease on instance % is not held', p_instance_id USING ERRCODE = 'RF001';
                END IF;
            END
            $$;
            """),
    ];

    /// <summary>The schema version this app migrates to.</summary>
    internal static int LatestSchemaVersion => Migrations[^1].Version;

    /// <summary>The SQLSTATE <c>assert_instance_lease</c> raises when the lease is not held.</summary>
    private const string LeaseNotHeld = "RF001";

    /// <summary>How often a lease attempt retries when the instance it took had no visible message left (another process consumed it meanwhile).</summary>
    private const int LockAttempts = 3;

    private readonly PostgresStoreOptions _options;
    private readonly NpgsqlDataSource _dataSource;
    private readonly NpgsqlDataSource _listenSource;
    private readonly string _orchestrationChannel;
    private readonly string _activityChannel;
    private readonly string _where;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly List<Subscription> _subscriptions = [];
    private volatile bool _initialized;

    public PostgresOrchestrationStore(PostgresStoreOptions options, TimeProvider? time = null, ILogger? logger = null)
    {
        options.Validate();
        _options = options;
        _time = time ?? TimeProvider.System;
        _logger = logger ?? NullLogger.Instance;
        var connection = new NpgsqlConnectionStringBuilder(options.ConnectionString)
        {
            SearchPath = options.Schema,
            CommandTimeout = (int)Math.Ceiling(options.CommandTimeout.TotalSeconds),
        };
        _where = $"host {connection.Host}, database {connection.Database ?? "(default)"}, schema {options.Schema}";
        _dataSource = NpgsqlDataSource.Create(connection.ConnectionString);

        // The listener holds one connection for as long as it listens; keepalives find a connection that died quietly.
        var listen = new NpgsqlConnectionStringBuilder(connection.ConnectionString)
        {
            Pooling = false,
            KeepAlive = 10,
            ApplicationName = "releasefunctions-listener:" + options.Schema, // findable in pg_stat_activity
        };
        _listenSource = NpgsqlDataSource.Create(listen.ConnectionString);
        _orchestrationChannel = options.Schema + "_orchestrations";
        _activityChannel = options.Schema + "_activities";
    }

    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        await RunAsync(async (c, tx) =>
        {
            // Two app instances starting at once: the second waits here, then finds the schema current.
            await ExecuteAsync(c, tx, "SELECT pg_advisory_xact_lock(hashtextextended('releasefunctions.store.migrate:' || @schema, 0))", cancellationToken, ("schema", _options.Schema));
            await ExecuteAsync(c, tx, $"""
                CREATE SCHEMA IF NOT EXISTS "{_options.Schema}";
                CREATE TABLE IF NOT EXISTS "{_options.Schema}".schema_migrations (
                    version integer NOT NULL PRIMARY KEY,
                    description text NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now());
                """, cancellationToken);
            var current = (int)(await ScalarAsync(c, tx, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations", cancellationToken))!;
            var latest = Migrations[^1].Version;
            if (current > latest)
            {
                throw new DurableStoreException($"The PostgreSQL store ({_where}) was migrated by a newer version of the app (schema version {current}; this app knows up to {latest}). Run the newer app, or point this one at another schema.");
            }

            foreach (var (version, description, sql) in Migrations.Where(m => m.Version > current))
            {
                await ExecuteAsync(c, tx, sql, cancellationToken);
                await ExecuteAsync(c, tx, "INSERT INTO schema_migrations (version, description) VALUES (@version, @description)", cancellationToken,
                    ("version", version), ("description", description));
            }

            if (current < latest)
            {
                PostgresStoreLog.Migrated(_logger, _options.Schema, current, latest);
            }

            return true;
        }, cancellationToken, requireInitialized: false);
        _initialized = true;
    }

    public IDisposable SubscribeToWork(Action orchestrationWork, Action activityWork)
    {
        var subscription = new Subscription(this);
        lock (_subscriptions)
        {
            _subscriptions.Add(subscription);
        }

        subscription.Start(orchestrationWork, activityWork);
        return subscription;
    }

    /// <summary>
    /// Listens until disposed. After every (re)connection it calls both callbacks once, because notifications sent
    /// while it was not listening are gone; the dispatchers then look at the tables themselves.
    /// </summary>
    private async Task ListenAsync(Action orchestrationWork, Action activityWork, CancellationToken cancellationToken)
    {
        var delay = _options.ListenerReconnectDelay;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = await _listenSource.OpenConnectionAsync(cancellationToken);
                connection.Notification += (_, e) =>
                {
                    if (e.Channel == _orchestrationChannel)
                    {
                        orchestrationWork();
                    }
                    else if (e.Channel == _activityChannel)
                    {
                        activityWork();
                    }
                };
                await using (var listen = new NpgsqlCommand($"LISTEN \"{_orchestrationChannel}\"; LISTEN \"{_activityChannel}\"", connection))
                {
                    await listen.ExecuteNonQueryAsync(cancellationToken);
                }

                PostgresStoreLog.ListenerListening(_logger, _options.Schema);
                delay = _options.ListenerReconnectDelay;
                orchestrationWork();
                activityWork();
                while (true)
                {
                    await connection.WaitAsync(cancellationToken);
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // Whatever broke the connection, listening must go on: the dispatchers' idle wait is only a safety net.
                PostgresStoreLog.ListenerLost(_logger, _options.Schema, delay, ex);
                try
                {
                    await Task.Delay(delay, _time, cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _options.ListenerMaxReconnectDelay.Ticks));
            }
        }
    }

    private sealed class Subscription(PostgresOrchestrationStore store) : IDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private Task _loop = Task.CompletedTask;

        public void Start(Action orchestrationWork, Action activityWork)
            => _loop = Task.Run(() => store.ListenAsync(orchestrationWork, activityWork, _stop.Token));

        public Task StopAsync()
        {
            if (!_stop.IsCancellationRequested)
            {
                _stop.Cancel();
            }

            return _loop;
        }

        /// <summary>Stops listening; the store's own disposal waits for the connection to close.</summary>
        public void Dispose() => _ = StopAsync();
    }

    public async Task<bool> CreateInstanceAsync(NewInstance instance, CancellationToken cancellationToken)
        => await RunAsync(async (c, tx) =>
        {
            if (!await InsertInstanceAsync(c, tx, instance, cancellationToken))
            {
                return false;
            }

            await NotifyAsync(c, tx, _orchestrationChannel, cancellationToken);
            return true;
        }, cancellationToken);

    private static async Task<bool> InsertInstanceAsync(NpgsqlConnection c, NpgsqlTransaction tx, NewInstance instance, CancellationToken cancellationToken)
    {
        var inserted = await ExecuteAsync(c, tx, """
            INSERT INTO instances (instance_id, name, execution_id, runtime_status, input, created_at, last_updated_at, parent_instance_id, parent_task_id)
            VALUES (@id, @name, @execution, 'Pending', @input, @now, @now, @parent, @parentTask)
            ON CONFLICT (instance_id) DO NOTHING
            """, cancellationToken,
            ("id", instance.InstanceId), ("name", instance.Name), ("execution", instance.ExecutionId), ("input", instance.Input),
            ("now", instance.CreatedAt.UtcTicks), ("parent", instance.ParentInstanceId), ("parentTask", instance.ParentTaskId));
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
        => await RunAsync(async (c, tx) =>
        {
            if (await ScalarAsync(c, tx, "SELECT 1 FROM instances WHERE instance_id = @id", cancellationToken, ("id", instanceId)) is null)
            {
                return false;
            }

            await InsertMessageAsync(c, tx, instanceId, message, visibleAt, cancellationToken);
            await NotifyAsync(c, tx, _orchestrationChannel, cancellationToken);
            return true;
        }, cancellationToken);

    private static Task<int> InsertMessageAsync(NpgsqlConnection c, NpgsqlTransaction tx, string instanceId, HistoryEvent message, DateTimeOffset visibleAt, CancellationToken cancellationToken)
        => ExecuteAsync(c, tx, "INSERT INTO inbox (instance_id, kind, message, visible_at) VALUES (@id, @kind, @message, @visible)", cancellationToken,
            ("id", instanceId), ("kind", message.Kind), ("message", HistorySerializer.Serialize(message)), ("visible", visibleAt.UtcTicks));

    public async Task<OrchestrationWorkItem?> TryLockNextOrchestrationAsync(DateTimeOffset now, TimeSpan leaseDuration, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < LockAttempts; attempt++)
        {
            var (found, item) = await RunAsync(async (c, tx) =>
            {
                // One round trip: SKIP LOCKED passes over an instance another process is leasing right now (not waiting
                // for it), the lease is taken on the row found, and the work item is read by the new lease token.
                var token = Guid.NewGuid().ToString("N");
                await using var batch = new NpgsqlBatch(c, tx)
                {
                    BatchCommands =
                    {
                        BatchCommand($"""
                            UPDATE instances SET lock_token = @token, lock_expires_at = @expires
                            WHERE instance_id = (
                                SELECT i.instance_id FROM inbox m JOIN instances i ON i.instance_id = m.instance_id
                                WHERE m.visible_at <= @now
                                  AND (i.lock_expires_at IS NULL OR i.lock_expires_at <= @now)
                                  AND (i.runtime_status <> 'Suspended' OR m.kind IN ('ExecutionResumed', 'ExecutionTerminated'))
                                  AND (i.runtime_status <> 'Pending' OR m.kind IN ('ExecutionStarted', 'ExecutionTerminated'))
                                ORDER BY m.visible_at, m.id
                                LIMIT 1
                                FOR UPDATE OF i SKIP LOCKED)
                            RETURNING {InstanceColumns(includePayloads: true)}
                            """, ("token", token), ("expires", (now + leaseDuration).UtcTicks), ("now", now.UtcTicks)),
                        BatchCommand("""
                            SELECT id, message FROM inbox
                            WHERE instance_id = (SELECT instance_id FROM instances WHERE lock_token = @token) AND visible_at <= @now
                            ORDER BY id
                            """, ("token", token), ("now", now.UtcTicks)),
                        BatchCommand("SELECT event FROM history WHERE instance_id = (SELECT instance_id FROM instances WHERE lock_token = @token) ORDER BY seq", ("token", token)),
                    },
                };
                await using var rows = await batch.ExecuteReaderAsync(cancellationToken);
                if (!await rows.ReadAsync(cancellationToken))
                {
                    return (false, null);
                }

                var instance = ReadInstance(rows, includePayloads: true);
                await rows.NextResultAsync(cancellationToken);
                var messages = new List<InboxMessage>();
                while (await rows.ReadAsync(cancellationToken))
                {
                    messages.Add(new InboxMessage(rows.GetInt64(0), HistorySerializer.Deserialize(rows.GetString(1))));
                }

                if (messages.Count == 0)
                {
                    // The message we saw was consumed by the previous holder after our snapshot: give the lease back, look again.
                    await rows.CloseAsync();
                    await ExecuteAsync(c, tx, "UPDATE instances SET lock_token = NULL, lock_expires_at = NULL WHERE lock_token = @token", cancellationToken, ("token", token));
                    return (true, (OrchestrationWorkItem?)null);
                }

                await rows.NextResultAsync(cancellationToken);
                var history = new List<HistoryEvent>();
                while (await rows.ReadAsync(cancellationToken))
                {
                    history.Add(HistorySerializer.Deserialize(rows.GetString(0)));
                }

                return (true, new OrchestrationWorkItem(instance, history, messages, token));
            }, cancellationToken);

            if (!found || item is not null)
            {
                return item;
            }
        }

        return null;
    }

    public async Task CommitEpisodeAsync(EpisodeCommit commit, DateTimeOffset now, CancellationToken cancellationToken)
        => await RunAsync(async (c, tx) =>
        {
            // The fence comes first: it locks the row, so nobody takes the lease while this transaction decides, and it
            // fails the whole transaction when the lease expired or was taken.
            var fence = BatchCommand("SELECT assert_instance_lease(@id, @token, @now)", ("id", commit.InstanceId), ("token", commit.LeaseToken), ("now", now.UtcTicks));
            await using var batch = new NpgsqlBatch(c, tx);
            if (commit.Children.Count > 0)
            {
                await using var alone = new NpgsqlBatch(c, tx) { BatchCommands = { fence } };
                await FencedAsync(alone);
            }
            else
            {
                batch.BatchCommands.Add(fence);
            }

            // Children next: each may be refused (its id is taken), which becomes a message to this instance.
            var refusals = new List<OutboundMessage>();
            foreach (var child in commit.Children)
            {
                if (!await InsertInstanceAsync(c, tx, child, cancellationToken))
                {
                    var refused = new SubOrchestrationFailedEvent(child.ParentTaskId ?? -1, new TaskFailureDetails(
                        typeof(InvalidOperationException).FullName!, $"A sub-orchestration instance with the id '{child.InstanceId}' already exists."))
                    {
                        Timestamp = now,
                    };
                    refusals.Add(new OutboundMessage(commit.InstanceId, refused, now));
                }
            }

            // Everything else in one round trip; the transaction makes it all-or-nothing.
            if (commit.ConsumedMessageIds.Count > 0)
            {
                batch.BatchCommands.Add(BatchCommand("DELETE FROM inbox WHERE id = ANY(@ids)", ("ids", commit.ConsumedMessageIds.ToArray())));
            }

            if (commit.ReplaceHistory)
            {
                batch.BatchCommands.Add(BatchCommand("DELETE FROM history WHERE instance_id = @id", ("id", commit.InstanceId)));
            }

            if (commit.NewHistory.Count > 0)
            {
                batch.BatchCommands.Add(BatchCommand("""
                    INSERT INTO history (instance_id, seq, event)
                    SELECT @id, (SELECT COALESCE(MAX(seq) + 1, 0) FROM history WHERE instance_id = @id) + e.ord::integer - 1, e.event
                    FROM unnest(@events) WITH ORDINALITY AS e(event, ord)
                    """,
                    ("id", commit.InstanceId), ("events", commit.NewHistory.Select(HistorySerializer.Serialize).ToArray())));
            }

            var u = commit.Update;
            batch.BatchCommands.Add(BatchCommand("""
                UPDATE instances SET runtime_status = @status, execution_id = @execution, input = @input, output = @output,
                    custom_status = @custom, failure = @failure, last_updated_at = @now, completed_at = @completed,
                    lock_token = NULL, lock_expires_at = NULL
                WHERE instance_id = @id
                """,
                ("status", u.Status.ToString()), ("execution", u.ExecutionId), ("input", u.Input), ("output", u.Output),
                ("custom", u.CustomStatus), ("failure", HistorySerializer.Serialize(u.Failure)), ("now", now.UtcTicks),
                ("completed", u.CompletedAt?.UtcTicks), ("id", commit.InstanceId)));

            if (commit.Activities.Count > 0)
            {
                batch.BatchCommands.Add(BatchCommand("""
                    INSERT INTO activities (instance_id, execution_id, task_id, name, input, idempotency_key, visible_at)
                    SELECT @id, @execution, a.task_id, a.name, a.input, a.idempotency_key, @now
                    FROM unnest(@tasks, @names, @inputs, @keys) AS a(task_id, name, input, idempotency_key)
                    ON CONFLICT (instance_id, execution_id, task_id) DO NOTHING
                    """,
                    ("id", commit.InstanceId), ("execution", u.ExecutionId), ("now", now.UtcTicks),
                    ("tasks", commit.Activities.Select(a => a.TaskId).ToArray()), ("names", commit.Activities.Select(a => a.Name).ToArray()),
                    ("inputs", commit.Activities.Select(a => a.Input).ToArray()), ("keys", commit.Activities.Select(a => a.IdempotencyKey).ToArray())));
                batch.BatchCommands.Add(NotifyCommand(_activityChannel));
            }

            var messages = refusals.Count == 0 ? commit.Messages : [.. refusals, .. commit.Messages];
            if (messages.Count > 0)
            {
                // Messages to instances that no longer exist (purged parents) are dropped, as in every store.
                batch.BatchCommands.Add(BatchCommand("""
                    INSERT INTO inbox (instance_id, kind, message, visible_at)
                    SELECT m.instance_id, m.kind, m.message, m.visible_at
                    FROM unnest(@targets, @kinds, @messages, @visible) WITH ORDINALITY AS m(instance_id, kind, message, visible_at, ord)
                    WHERE EXISTS (SELECT 1 FROM instances i WHERE i.instance_id = m.instance_id)
                    ORDER BY m.ord
                    """,
                    ("targets", messages.Select(m => m.InstanceId).ToArray()), ("kinds", messages.Select(m => m.Message.Kind).ToArray()),
                    ("messages", messages.Select(m => HistorySerializer.Serialize(m.Message)).ToArray()),
                    ("visible", messages.Select(m => m.VisibleAt.UtcTicks).ToArray())));
            }

            // Timers too: other processes learn of the new due time and sleep until it instead of their idle maximum.
            if (messages.Count > 0 || commit.Children.Count > 0)
            {
                batch.BatchCommands.Add(NotifyCommand(_orchestrationChannel));
            }

            await FencedAsync(batch);
            return true;

            async Task FencedAsync(NpgsqlBatch fenced)
            {
                try
                {
                    await fenced.ExecuteNonQueryAsync(cancellationToken);
                }
                catch (PostgresException ex) when (ex.SqlState == LeaseNotHeld)
                {
                    throw new LeaseLostException($"The lease on instance '{commit.InstanceId}' expired or was taken before its episode could commit; the episode will run again.");
                }
            }
        }, cancellationToken);

    public async Task AbandonOrchestrationAsync(string instanceId, string leaseToken, DateTimeOffset retryAt, CancellationToken cancellationToken)
        => await RunAsync(async (c, tx) =>
        {
            var abandoned = await ExecuteAsync(c, tx, "UPDATE instances SET lock_expires_at = @retry WHERE instance_id = @id AND lock_token = @token", cancellationToken,
                ("retry", retryAt.UtcTicks), ("id", instanceId), ("token", leaseToken));
            if (abandoned > 0)
            {
                await NotifyAsync(c, tx, _orchestrationChannel, cancellationToken);
            }

            return abandoned;
        }, cancellationToken);

    public async Task<ActivityWorkItem?> TryLockNextActivityAsync(DateTimeOffset now, TimeSpan leaseDuration, CancellationToken cancellationToken)
    {
        var token = Guid.NewGuid().ToString("N");
        return await RunAsync(async (c, tx) =>
        {
            await using var cmd = Command(c, tx, """
                UPDATE activities SET lock_token = @token, lock_expires_at = @expires, delivery_count = delivery_count + 1
                WHERE id = (SELECT id FROM activities
                            WHERE visible_at <= @now AND (lock_expires_at IS NULL OR lock_expires_at <= @now)
                            ORDER BY visible_at, id
                            LIMIT 1
                            FOR UPDATE SKIP LOCKED)
                RETURNING id, instance_id, execution_id, task_id, name, input, idempotency_key, delivery_count
                """, ("token", token), ("expires", (now + leaseDuration).UtcTicks), ("now", now.UtcTicks));
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
        => await RunAsync(async (c, tx) =>
            await ExecuteAsync(c, tx, "UPDATE activities SET lock_expires_at = @expires WHERE id = @id AND lock_token = @token AND lock_expires_at > @now", cancellationToken,
                ("expires", (now + leaseDuration).UtcTicks), ("id", item.Id), ("token", item.LeaseToken), ("now", now.UtcTicks)) == 1, cancellationToken);

    public async Task CompleteActivityAsync(ActivityWorkItem item, HistoryEvent result, DateTimeOffset now, CancellationToken cancellationToken)
        => await RunAsync(async (c, tx) =>
        {
            var deleted = await ExecuteAsync(c, tx, "DELETE FROM activities WHERE id = @id AND lock_token = @token AND lock_expires_at > @now", cancellationToken,
                ("id", item.Id), ("token", item.LeaseToken), ("now", now.UtcTicks));
            if (deleted == 0)
            {
                throw new LeaseLostException($"The lease on activity '{item.Name}' (#{item.TaskId}) of instance '{item.InstanceId}' was lost; its result is discarded and the work runs again.");
            }

            await InsertMessageAsync(c, tx, item.InstanceId, result, now, cancellationToken);
            await NotifyAsync(c, tx, _orchestrationChannel, cancellationToken);
            return true;
        }, cancellationToken);

    public async Task<DateTimeOffset?> GetNextWakeUpAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var next = await RunAsync((c, tx) => ScalarAsync(c, tx, """
            SELECT LEAST(
                (SELECT MIN(visible_at) FROM inbox WHERE visible_at > @now),
                (SELECT MIN(lock_expires_at) FROM instances WHERE lock_expires_at > @now),
                (SELECT MIN(visible_at) FROM activities WHERE visible_at > @now),
                (SELECT MIN(lock_expires_at) FROM activities WHERE lock_expires_at > @now))
            """, cancellationToken, ("now", now.UtcTicks)), cancellationToken);
        return next is long ticks ? new DateTimeOffset(ticks, TimeSpan.Zero) : null;
    }

    public async Task<InstanceRecord?> GetInstanceAsync(string instanceId, bool includePayloads, CancellationToken cancellationToken)
        => await RunAsync((c, tx) => ReadInstanceAsync(c, tx, instanceId, includePayloads, cancellationToken), cancellationToken);

    public async Task<InstancePage> QueryInstancesAsync(InstanceQuery query, CancellationToken cancellationToken)
    {
        var sql = new StringBuilder($"SELECT {InstanceColumns(query.IncludePayloads)} FROM instances WHERE TRUE");
        var parameters = new List<(string, object?)>();
        if (query.Statuses is { Count: > 0 })
        {
            sql.Append(" AND runtime_status = ANY(@statuses)");
            parameters.Add(("statuses", query.Statuses.Select(s => s.ToString()).ToArray()));
        }

        if (!string.IsNullOrEmpty(query.NamePrefix))
        {
            sql.Append(" AND starts_with(name, @namePrefix)");
            parameters.Add(("namePrefix", query.NamePrefix));
        }

        if (!string.IsNullOrEmpty(query.InstanceIdPrefix))
        {
            sql.Append(" AND starts_with(instance_id, @idPrefix)");
            parameters.Add(("idPrefix", query.InstanceIdPrefix));
        }

        if (query.CreatedFrom is { } from)
        {
            sql.Append(" AND created_at >= @from");
            parameters.Add(("from", from.UtcTicks));
        }

        if (query.CreatedTo is { } to)
        {
            sql.Append(" AND created_at < @to");
            parameters.Add(("to", to.UtcTicks));
        }

        if (ContinuationToken.TryParse(query.ContinuationToken, out var after))
        {
            sql.Append(" AND (created_at, instance_id) < (@afterCreated, @afterId)");
            parameters.Add(("afterCreated", after.CreatedTicks));
            parameters.Add(("afterId", after.InstanceId));
        }

        sql.Append(" ORDER BY created_at DESC, instance_id DESC LIMIT @limit");
        parameters.Add(("limit", query.PageSize + 1));

        var page = await RunAsync(async (c, tx) =>
        {
            await using var cmd = Command(c, tx, sql.ToString(), parameters.ToArray());
            await using var rows = await cmd.ExecuteReaderAsync(cancellationToken);
            var found = new List<InstanceRecord>();
            while (await rows.ReadAsync(cancellationToken))
            {
                found.Add(ReadInstance(rows, query.IncludePayloads));
            }

            return found;
        }, cancellationToken);

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
        => await RunAsync((c, tx) => ReadHistoryAsync(c, tx, instanceId, cancellationToken), cancellationToken);

    public async Task<bool> PurgeInstanceAsync(string instanceId, CancellationToken cancellationToken)
        => await RunAsync(async (c, tx) =>
        {
            var status = (string?)await ScalarAsync(c, tx, "SELECT runtime_status FROM instances WHERE instance_id = @id FOR UPDATE", cancellationToken, ("id", instanceId));
            if (status is null || !Enum.Parse<OrchestrationRuntimeStatus>(status).IsTerminal())
            {
                return false;
            }

            await ExecuteAsync(c, tx, """
                DELETE FROM history WHERE instance_id = @id;
                DELETE FROM inbox WHERE instance_id = @id;
                DELETE FROM activities WHERE instance_id = @id;
                DELETE FROM instances WHERE instance_id = @id;
                """, cancellationToken, ("id", instanceId));
            return true;
        }, cancellationToken);

    public async Task<int> PurgeInstancesAsync(DateTimeOffset from, DateTimeOffset to, IReadOnlyCollection<OrchestrationRuntimeStatus> statuses, CancellationToken cancellationToken)
    {
        var terminal = statuses.Where(s => s.IsTerminal()).ToArray();
        if (terminal.Length == 0)
        {
            terminal = [OrchestrationRuntimeStatus.Completed, OrchestrationRuntimeStatus.Failed, OrchestrationRuntimeStatus.Terminated];
        }

        var purged = 0;
        string? token = null;
        do
        {
            var page = await QueryInstancesAsync(new InstanceQuery(terminal, CreatedFrom: from, CreatedTo: to, PageSize: 1000, ContinuationToken: token), cancellationToken);
            foreach (var instance in page.Instances)
            {
                if (await PurgeInstanceAsync(instance.InstanceId, cancellationToken))
                {
                    purged++;
                }
            }

            token = page.ContinuationToken;
        }
        while (token is not null);

        return purged;
    }

    public async ValueTask DisposeAsync()
    {
        Subscription[] open;
        lock (_subscriptions)
        {
            open = [.. _subscriptions];
            _subscriptions.Clear();
        }

        await Task.WhenAll(open.Select(s => s.StopAsync()));
        await _listenSource.DisposeAsync();
        await _dataSource.DisposeAsync();
    }

    /// <summary>
    /// Runs <paramref name="work"/> in one transaction on a pooled connection. A lost connection or a server error
    /// surfaces as <see cref="DurableStoreException"/>; the transaction is then rolled back by the server, so nothing
    /// half-done is left, and the worker retries after its back-off.
    /// </summary>
    private async Task<T> RunAsync<T>(Func<NpgsqlConnection, NpgsqlTransaction, Task<T>> work, CancellationToken cancellationToken, bool requireInitialized = true)
    {
        if (requireInitialized && !_initialized)
        {
            throw new InvalidOperationException("The PostgreSQL store is not initialised; call InitializeAsync first.");
        }

        try
        {
            await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
            await using var tx = await connection.BeginTransactionAsync(cancellationToken);
            var result = await work(connection, tx);
            await tx.CommitAsync(cancellationToken);
            return result;
        }
        catch (NpgsqlException ex)
        {
            throw Translate(ex);
        }
        catch (TimeoutException ex)
        {
            throw new DurableStoreException($"The PostgreSQL store ({_where}) did not answer in time: {ex.Message}", ex);
        }
    }

    private DurableStoreException Translate(NpgsqlException ex) => ex switch
    {
        PostgresException { SqlState: "42501" } p => new DurableStoreException($"The PostgreSQL store ({_where}) lacks a permission: {p.MessageText}. Grant the app's role the rights to create and use the schema.", ex),
        PostgresException { SqlState: "3D000" } p => new DurableStoreException($"The PostgreSQL store ({_where}) names a database that does not exist: {p.MessageText}. Create it, or fix the connection string.", ex),
        PostgresException { SqlState: "28P01" or "28000" } p => new DurableStoreException($"The PostgreSQL store ({_where}) refused the credentials: {p.MessageText}. Check the user name and password in the connection string.", ex),
        PostgresException p => new DurableStoreException($"The PostgreSQL store ({_where}) failed (SQLSTATE {p.SqlState}: {p.MessageText}).", ex),
        _ => new DurableStoreException($"The PostgreSQL store ({_where}) could not be reached or lost its connection: {ex.Message}", ex),
    };

    private const string NotifySql = "SELECT pg_notify(@channel, '')"; // delivered at commit, once per transaction

    private static Task<int> NotifyAsync(NpgsqlConnection c, NpgsqlTransaction tx, string channel, CancellationToken cancellationToken)
        => ExecuteAsync(c, tx, NotifySql, cancellationToken, ("channel", channel));

    private static NpgsqlBatchCommand NotifyCommand(string channel) => BatchCommand(NotifySql, ("channel", channel));

    private static NpgsqlBatchCommand BatchCommand(string sql, params (string Name, object? Value)[] parameters)
    {
        var command = new NpgsqlBatchCommand(sql);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        return command;
    }

    private const string PayloadColumns = "input, output, custom_status, failure";

    private static string InstanceColumns(bool includePayloads)
        => "instance_id, name, execution_id, runtime_status, created_at, last_updated_at, completed_at, parent_instance_id, parent_task_id, "
           + (includePayloads ? PayloadColumns : "NULL, NULL, custom_status, failure");

    private static async Task<InstanceRecord?> ReadInstanceAsync(NpgsqlConnection c, NpgsqlTransaction tx, string instanceId, bool includePayloads, CancellationToken cancellationToken)
    {
        await using var cmd = Command(c, tx, $"SELECT {InstanceColumns(includePayloads)} FROM instances WHERE instance_id = @id", ("id", instanceId));
        await using var rows = await cmd.ExecuteReaderAsync(cancellationToken);
        return await rows.ReadAsync(cancellationToken) ? ReadInstance(rows, includePayloads) : null;
    }

    private static InstanceRecord ReadInstance(NpgsqlDataReader r, bool includePayloads)
    {
        string? S(int i) => r.IsDBNull(i) ? null : r.GetString(i);
        DateTimeOffset T(int i) => new(r.GetInt64(i), TimeSpan.Zero);
        return new InstanceRecord(
            r.GetString(0), r.GetString(1), r.GetString(2), Enum.Parse<OrchestrationRuntimeStatus>(r.GetString(3)),
            includePayloads ? S(9) : null, includePayloads ? S(10) : null, S(11), HistorySerializer.DeserializeFailure(S(12)),
            T(4), T(5), r.IsDBNull(6) ? null : T(6), S(7), r.IsDBNull(8) ? null : r.GetInt32(8));
    }

    private static async Task<IReadOnlyList<HistoryEvent>> ReadHistoryAsync(NpgsqlConnection c, NpgsqlTransaction tx, string instanceId, CancellationToken cancellationToken)
    {
        var history = new List<HistoryEvent>();
        await using var cmd = Command(c, tx, "SELECT event FROM history WHERE instance_id = @id ORDER BY seq", ("id", instanceId));
        await using var rows = await cmd.ExecuteReaderAsync(cancellationToken);
        while (await rows.ReadAsync(cancellationToken))
        {
            history.Add(HistorySerializer.Deserialize(rows.GetString(0)));
        }

        return history;
    }

    private static NpgsqlCommand Command(NpgsqlConnection c, NpgsqlTransaction tx, string sql, params (string Name, object? Value)[] parameters)
    {
        var cmd = new NpgsqlCommand(sql, c, tx);
        foreach (var (name, value) in parameters)
        {
            cmd.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        return cmd;
    }

    private static async Task<int> ExecuteAsync(NpgsqlConnection c, NpgsqlTransaction tx, string sql, CancellationToken cancellationToken, params (string, object?)[] parameters)
    {
        await using var cmd = Command(c, tx, sql, parameters);
        return await cmd.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task<object?> ScalarAsync(NpgsqlConnection c, NpgsqlTransaction tx, string sql, CancellationToken cancellationToken, params (string, object?)[] parameters)
    {
        await using var cmd = Command(c, tx, sql, parameters);
        var value = await cmd.ExecuteScalarAsync(cancellationToken);
        return value is DBNull ? null : value;
    }
}
