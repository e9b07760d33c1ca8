using Microsoft.Data.Sqlite;
using ReleaseFunctions.GitHub;
using ReleaseFunctions.Ledger;

namespace ReleaseFunctions.Tests.GitHub;

public sealed class SqliteWebhookDeliveryLogTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("releasefunctions-deliveries-").FullName;
    private readonly FakeTimeProvider _time = new(TestClock.At(2026, 11, 23, 14, 0, 0));

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }

    [Fact]
    public async Task A_delivery_is_recorded_once_survives_a_restart_can_be_forgotten_and_expires_after_the_retention()
    {
        var options = new ReleaseLedgerOptions { Path = Path.Combine(_folder, "releases.db") };
        var log = new SqliteWebhookDeliveryLog(options, _time);
        var now = _time.GetUtcNow();

        Assert.True(await log.TryRecordAsync("d-1", now, default));
        Assert.False(await log.TryRecordAsync("d-1", now, default));
        var restarted = new SqliteWebhookDeliveryLog(options, _time);
        Assert.False(await restarted.TryRecordAsync("d-1", now, default));
        await restarted.ForgetAsync("d-1", default);
        Assert.True(await log.TryRecordAsync("d-1", now, default));

        _time.Advance(SqliteWebhookDeliveryLog.Retention - TimeSpan.FromSeconds(1));
        Assert.False(await log.TryRecordAsync("d-1", _time.GetUtcNow(), default));
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(await log.TryRecordAsync("d-1", _time.GetUtcNow(), default));
    }

    [Fact]
    public async Task Concurrent_deliveries_of_one_id_are_handled_once()
    {
        var log = new SqliteWebhookDeliveryLog(new ReleaseLedgerOptions { Path = Path.Combine(_folder, "releases.db") }, _time);

        var results = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => Task.Run(async () => await log.TryRecordAsync("same", _time.GetUtcNow(), default))));

        Assert.Equal(1, results.Count(recorded => recorded));
    }

    [Fact]
    public async Task A_burst_of_deliveries_is_recorded_together_each_id_once_and_kept_after_a_restart()
    {
        var options = new ReleaseLedgerOptions { Path = Path.Combine(_folder, "releases.db") };
        var log = new SqliteWebhookDeliveryLog(options, _time);
        // 600 deliveries at once (more than one transaction holds), each of 300 ids sent twice.
        var ids = Enumerable.Range(0, 600).Select(i => $"burst-{i % 300}").ToArray();

        var results = await Task.WhenAll(ids.Select(id => Task.Run(async () => (id, recorded: await log.TryRecordAsync(id, _time.GetUtcNow(), default)))));

        Assert.All(results.GroupBy(r => r.id), g => Assert.Equal(1, g.Count(r => r.recorded)));
        var restarted = new SqliteWebhookDeliveryLog(options, _time);
        foreach (var id in ids.Distinct())
        {
            Assert.False(await restarted.TryRecordAsync(id, _time.GetUtcNow(), default));
        }
    }

    [Fact]
    public async Task Deliveries_waiting_while_the_file_cannot_be_written_all_fail_unrecorded_and_are_recorded_once_it_can()
    {
        var options = new ReleaseLedgerOptions { Path = Path.Combine(_folder, "releases.db"), BusyTimeout = TimeSpan.FromSeconds(1) };
        var log = new SqliteWebhookDeliveryLog(options, _time);
        Assert.True(await log.TryRecordAsync("before", _time.GetUtcNow(), default));
        // Another process holds the file's write lock for longer than the busy timeout.
        await using (var other = new SqliteConnection($"Data Source={options.Path};Pooling=False"))
        {
            await other.OpenAsync();
            await using var exclusive = other.CreateCommand();
            exclusive.CommandText = "BEGIN EXCLUSIVE";
            await exclusive.ExecuteNonQueryAsync();

            var waiting = Enumerable.Range(0, 3).Select(i => log.TryRecordAsync($"d-{i}", _time.GetUtcNow(), default).AsTask()).ToArray();
            foreach (var delivery in waiting)
            {
                await Assert.ThrowsAsync<SqliteException>(() => delivery);
            }
        }

        foreach (var i in Enumerable.Range(0, 3))
        {
            Assert.True(await log.TryRecordAsync($"d-{i}", _time.GetUtcNow(), default)); // not recorded before: new now
        }
    }
}
