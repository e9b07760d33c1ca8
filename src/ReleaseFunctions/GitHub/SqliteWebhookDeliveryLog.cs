using Microsoft.Data.Sqlite;
using ReleaseFunctions.Integrations.GitHub.Webhooks;
using ReleaseFunctions.Ledger;

namespace ReleaseFunctions.GitHub;

/// <summary>
/// The webhook delivery ids already handled, kept in the release ledger's file (a table of its own), so a redelivery
/// after a restart, or to another instance sharing the file, is still recognised. An id counts as handled for
/// <see cref="Retention"/> after it was received, [receivedAt, receivedAt + Retention); older ids are pruned, at most once a
/// minute, as new ones arrive.
/// </summary>
internal sealed class SqliteWebhookDeliveryLog : IWebhookDeliveryLog
{
    /// <summary>How long a delivery id is remembered: 7 days (GitHub redelivers on request for 3 days).</summary>
    public static readonly TimeSpan Retention = TimeSpan.FromDays(7);

    private static readonly TimeSpan PruneEvery = TimeSpan.FromMinutes(1);

    private readonly string _path;
    private readonly string _connectionString;
    private readonly TimeProvider _time;
    private readonly InitializeOnce _initialized;
    private long _prunedAtTicks;

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
        // The primary key decides: of two deliveries with the same id, exactly one insert adds a row (or renews an
        // expired one). Expired ids are pruned in the same write, at most once a minute.
        var now = _time.GetUtcNow();
        var prune = now - new DateTimeOffset(Interlocked.Read(ref _prunedAtTicks), TimeSpan.Zero) >= PruneEvery;
        if (prune)
        {
            Interlocked.Exchange(ref _prunedAtTicks, now.UtcTicks);
        }

        return await SqliteWriteGate.WriteAsync(_path, async () =>
        {
            await using var connection = new SqliteConnection(_connectionString);
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            await using var insert = connection.CreateCommand();
            insert.CommandText = (prune ? "DELETE FROM webhook_deliveries WHERE received_at <= $expired; " : "")
                + """
                  INSERT INTO webhook_deliveries (delivery_id, received_at) VALUES ($id, $at)
                  ON CONFLICT (delivery_id) DO UPDATE SET received_at = excluded.received_at WHERE webhook_deliveries.received_at <= $expired;
                  SELECT changes();
                  """;
            insert.Parameters.AddWithValue("$expired", (now - Retention).UtcTicks);
            insert.Parameters.AddWithValue("$id", deliveryId);
            insert.Parameters.AddWithValue("$at", receivedAt.UtcTicks);
            await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            insert.Transaction = transaction;
            var added = Convert.ToInt64(await insert.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture) == 1;
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            return added;
        }, cancellationToken).ConfigureAwait(false);
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
        }, cancellationToken).ConfigureAwait(false);
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
}
