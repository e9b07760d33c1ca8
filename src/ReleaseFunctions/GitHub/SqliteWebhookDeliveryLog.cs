using System.Collections.Concurrent;
using Microsoft.Data.Sqlite;
using ReleaseFunctions.Integrations.GitHub.Webhooks;
using ReleaseFunctions.Ledger;

namespace ReleaseFunctions.GitHub;

/// <summary>
/// The webhook delivery ids already handled, kept in the release ledger's file (a table of its own), so a redelivery
/// after a restart, or to another instance sharing the file, is still recognised. An id counts as handled for
/// <see cref="Retention"/> after it was received, [receivedAt, receivedAt + Retention); older ids are pruned, at most once a
/// minute, as new ones arrive. A delivery is acknowledged once its id is recorded, so its writes are
/// <see cref="WritePriority.Intake"/> (ahead of the ledger writes of the releases in flight) and grouped: see
/// <see cref="RecordPendingAsync"/>.
/// </summary>
internal sealed class SqliteWebhookDeliveryLog : IWebhookDeliveryLog
{
    /// <summary>How long a delivery id is remembered: 7 days (GitHub redelivers on request for 3 days).</summary>
    public static readonly TimeSpan Retention = TimeSpan.FromDays(7);

    private static readonly TimeSpan PruneEvery = TimeSpan.FromMinutes(1);

    /// <summary>At most this many deliveries in one transaction (a burst is recorded in several).</summary>
    private const int MaxPerTransaction = 256;

    private readonly string _path;
    private readonly string _connectionString;
    private readonly TimeProvider _time;
    private readonly InitializeOnce _initialized;
    private readonly ConcurrentQueue<PendingDelivery> _pending = new();
    private int _recording;
    private long _prunedAtTicks; // only the recorder reads and writes it

    public SqliteWebhookDeliveryLog(ReleaseLedgerOptions options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        var path = Path.GetFullPath(options.Path);
        _path = path;
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            DefaultTimeout = (int)Math.Ceiling(options.BusyTimeout.TotalSeconds),
        }.ToString();
        _time = time;
        _initialized = new InitializeOnce(() => InitializeAsync(path));
    }

    public async ValueTask<bool> TryRecordAsync(string deliveryId, DateTimeOffset receivedAt, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(deliveryId);
        await _initialized.EnsureAsync().ConfigureAwait(false);
        var pending = new PendingDelivery(deliveryId, receivedAt);
        _pending.Enqueue(pending);
        if (Interlocked.CompareExchange(ref _recording, 1, 0) == 0)
        {
            _ = Task.Run(RecordPendingAsync, CancellationToken.None);
        }

        // The caller's token only stops its wait: once queued, the id is recorded with the others either way.
        return await pending.Recorded.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Group commit: one recorder at a time takes every delivery waiting and records them in one transaction, so 200
    /// deliveries a second cost a few commits, not 200 (each commit waits for the disk). Of two deliveries with the same
    /// id, in one batch or not, exactly one insert adds a row (or renews an expired one): the primary key decides.
    /// </summary>
    private async Task RecordPendingAsync()
    {
        while (true)
        {
            var batch = new List<PendingDelivery>();
            while (batch.Count < MaxPerTransaction && _pending.TryDequeue(out var next))
            {
                batch.Add(next);
            }

            if (batch.Count == 0)
            {
                Volatile.Write(ref _recording, 0);
                // A delivery queued after the look above and before the flag was cleared found the recorder still running.
                if (_pending.IsEmpty || Interlocked.CompareExchange(ref _recording, 1, 0) != 0)
                {
                    return;
                }

                continue;
            }

            try
            {
                var added = await RecordAsync(batch).ConfigureAwait(false);
                for (var i = 0; i < batch.Count; i++)
                {
                    batch[i].Recorded.TrySetResult(added[i]);
                }
            }
            catch (Exception ex)
            {
                foreach (var delivery in batch)
                {
                    delivery.Recorded.TrySetException(ex);
                }
            }
        }
    }

    private async Task<bool[]> RecordAsync(List<PendingDelivery> batch)
    {
        // Expired ids are pruned in the same write, at most once a minute.
        var now = _time.GetUtcNow();
        var prune = now - new DateTimeOffset(_prunedAtTicks, TimeSpan.Zero) >= PruneEvery;
        return await SqliteWriteGate.WriteAsync(_path, async () =>
        {
            await using var connection = new SqliteConnection(_connectionString);
            await connection.OpenAsync().ConfigureAwait(false);
            await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync().ConfigureAwait(false);
            if (prune)
            {
                await using var delete = connection.CreateCommand();
                delete.Transaction = transaction;
                delete.CommandText = "DELETE FROM webhook_deliveries WHERE received_at <= $expired";
                delete.Parameters.AddWithValue("$expired", (now - Retention).UtcTicks);
                await delete.ExecuteNonQueryAsync().ConfigureAwait(false);
            }

            await using var insert = connection.CreateCommand();
            insert.Transaction = transaction;
            insert.CommandText = """
                INSERT INTO webhook_deliveries (delivery_id, received_at) VALUES ($id, $at)
                ON CONFLICT (delivery_id) DO UPDATE SET received_at = excluded.received_at WHERE webhook_deliveries.received_at <= $expired;
                SELECT changes();
                """;
            insert.Parameters.AddWithValue("$expired", (now - Retention).UtcTicks);
            var id = insert.Parameters.AddWithValue("$id", "");
            var at = insert.Parameters.AddWithValue("$at", 0L);
            var added = new bool[batch.Count];
            for (var i = 0; i < batch.Count; i++)
            {
                id.Value = batch[i].DeliveryId;
                at.Value = batch[i].ReceivedAt.UtcTicks;
                added[i] = Convert.ToInt64(await insert.ExecuteScalarAsync().ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture) == 1;
            }

            await transaction.CommitAsync().ConfigureAwait(false);
            if (prune)
            {
                _prunedAtTicks = now.UtcTicks;
            }

            return added;
        }, CancellationToken.None, WritePriority.Intake).ConfigureAwait(false);
    }

    public async ValueTask ForgetAsync(string deliveryId, CancellationToken cancellationToken)
    {
        await _initialized.EnsureAsync().ConfigureAwait(false);
        await SqliteWriteGate.WriteAsync(_path, async () =>
        {
            await using var connection = new SqliteConnection(_connectionString);
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            await using var command = connection.CreateCommand();
            command.CommandText = "DELETE FROM webhook_deliveries WHERE delivery_id = $id";
            command.Parameters.AddWithValue("$id", deliveryId);
            return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }, cancellationToken, WritePriority.Intake).ConfigureAwait(false);
    }

    private async Task InitializeAsync(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await using var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync().ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = """
            CREATE TABLE IF NOT EXISTS webhook_deliveries (delivery_id TEXT NOT NULL PRIMARY KEY, received_at INTEGER NOT NULL);
            CREATE INDEX IF NOT EXISTS webhook_deliveries_by_age ON webhook_deliveries (received_at);
            """;
        await command.ExecuteNonQueryAsync().ConfigureAwait(false);
    }

    private sealed class PendingDelivery(string deliveryId, DateTimeOffset receivedAt)
    {
        public string DeliveryId { get; } = deliveryId;
        public DateTimeOffset ReceivedAt { get; } = receivedAt;
        public TaskCompletionSource<bool> Recorded { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
