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
}
