using Azure;
using Azure.Data.Tables;
using ReleaseFunctions.Integrations.GitHub.Webhooks;
using ReleaseFunctions.Ledger.Tables;

namespace ReleaseFunctions.GitHub;

/// <summary>
/// The webhook delivery ids already handled, in the Tables ledger's <see cref="LedgerTables.Deliveries"/> table (one
/// row per id), so every instance of the app agrees which delivery is a redelivery: of two inserts of one id, on any
/// instances, the service accepts one and answers the other 409. An id counts as handled for
/// <see cref="SqliteWebhookDeliveryLog.Retention"/> after it was received; an expired row is taken over under its ETag
/// (so again only one delivery wins), and expired rows are deleted, at most once an hour, as new ones arrive.
/// </summary>
internal sealed partial class TableWebhookDeliveryLog(LedgerTables tables, TimeProvider time, ILogger<TableWebhookDeliveryLog> logger) : IWebhookDeliveryLog
{
    private static readonly TimeSpan PruneEvery = TimeSpan.FromHours(1);

    /// <summary>Deleted per prune: bounded, so one delivery never waits on a long clean-up.</summary>
    private const int PruneBatch = 100;

    private long _prunedAtTicks;

    public async ValueTask<bool> TryRecordAsync(string deliveryId, DateTimeOffset receivedAt, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(deliveryId);
        var row = new TableEntity(TableKeys.Encode(deliveryId, nameof(deliveryId)), string.Empty) { ["ReceivedAtTicks"] = receivedAt.UtcTicks };
        await tables.EnsureCreatedAsync().ConfigureAwait(false);
        var now = time.GetUtcNow();
        await PruneAsync(now, cancellationToken).ConfigureAwait(false);
        try
        {
            await tables.Deliveries.AddEntityAsync(row, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
            // A duplicate, unless what is kept has expired: then the delivery that replaces it under its ETag is handled.
            var kept = await tables.Deliveries.GetEntityIfExistsAsync<TableEntity>(row.PartitionKey, row.RowKey, cancellationToken: cancellationToken).ConfigureAwait(false);
            if (kept.HasValue && kept.Value!.GetInt64("ReceivedAtTicks") is { } at && at > (now - SqliteWebhookDeliveryLog.Retention).UtcTicks)
            {
                return false;
            }

            try
            {
                if (kept.HasValue)
                {
                    await tables.Deliveries.UpdateEntityAsync(row, kept.Value!.ETag, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    await tables.Deliveries.AddEntityAsync(row, cancellationToken).ConfigureAwait(false); // forgotten meanwhile
                }

                return true;
            }
            catch (RequestFailedException again) when (again.Status is 409 or 412)
            {
                return false;
            }
        }
    }

    public async ValueTask ForgetAsync(string deliveryId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(deliveryId);
        if (deliveryId.Length > TableKeys.MaxIdLength)
        {
            return; // never recorded
        }

        await tables.EnsureCreatedAsync().ConfigureAwait(false);
        await tables.Deliveries.DeleteEntityAsync(TableKeys.Encode(deliveryId, nameof(deliveryId)), string.Empty, ETag.All, cancellationToken).ConfigureAwait(false);
    }

    private async Task PruneAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var last = Interlocked.Read(ref _prunedAtTicks);
        if (now.UtcTicks - last < PruneEvery.Ticks || Interlocked.CompareExchange(ref _prunedAtTicks, now.UtcTicks, last) != last)
        {
            return;
        }

        var expired = TableClient.CreateQueryFilter($"ReceivedAtTicks le {(now - SqliteWebhookDeliveryLog.Retention).UtcTicks}");
        var deleted = 0;
        await foreach (var page in tables.Deliveries.QueryAsync<TableEntity>(expired, maxPerPage: PruneBatch, select: ["PartitionKey", "RowKey"], cancellationToken: cancellationToken).AsPages().ConfigureAwait(false))
        {
            foreach (var row in page.Values)
            {
                try
                {
                    // Under its ETag: a row renewed meanwhile by another instance stays.
                    var response = await tables.Deliveries.DeleteEntityAsync(row.PartitionKey, row.RowKey, row.ETag, cancellationToken).ConfigureAwait(false);
                    deleted += response.IsError ? 0 : 1;
                }
                catch (RequestFailedException e) when (e.Status == 412)
                {
                }
            }

            break;
        }

        LogPruned(logger, deleted);
    }

    [LoggerMessage(EventId = 7510, Level = LogLevel.Debug, Message = "Deleted {Count} expired webhook delivery id(s)")]
    private static partial void LogPruned(ILogger logger, int count);
}
