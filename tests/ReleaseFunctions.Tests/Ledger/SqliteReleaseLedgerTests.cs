using Microsoft.Data.Sqlite;
using ReleaseFunctions.Core.Audit;
using ReleaseFunctions.Core.Releases;
using ReleaseFunctions.GitHub;
using ReleaseFunctions.Integrations.GitHub.Webhooks;
using ReleaseFunctions.Ledger;
using ReleaseFunctions.Tests.Support;

namespace ReleaseFunctions.Tests.Ledger;

/// <summary>The ledger contract on the SQLite file (the standalone default), and what only a file has: its key file beside it.</summary>
public sealed class SqliteReleaseLedgerTests : ReleaseLedgerContract
{
    private readonly string _folder = Directory.CreateTempSubdirectory("releasefunctions-ledger-").FullName;

    private string FilePath => Path.Combine(_folder, "nested", "releases.db");

    private protected override Task<LedgerInstance> CreateStoreAsync() => Task.FromResult(OpenInstance());

    private protected override LedgerInstance OpenInstance(string? chainKey = null)
    {
        var ledger = new SqliteReleaseLedger(new ReleaseLedgerOptions { Path = FilePath, ChainKey = chainKey });
        return LedgerInstance.Of(ledger, ledger.ChainKeys);
    }

    private protected override IWebhookDeliveryLog OpenDeliveryLog(TimeProvider time) => new SqliteWebhookDeliveryLog(new ReleaseLedgerOptions { Path = FilePath }, time);

    [Fact]
    public async Task Deliveries_waiting_while_the_file_cannot_be_written_all_fail_unrecorded_and_are_recorded_once_it_can()
    {
        var time = new FakeTimeProvider(TestClock.At(2026, 11, 23, 14, 0, 0));
        var options = new ReleaseLedgerOptions { Path = FilePath, BusyTimeout = TimeSpan.FromSeconds(1) };
        var log = new SqliteWebhookDeliveryLog(options, time);
        Assert.True(await log.TryRecordAsync("before", time.GetUtcNow(), default));
        // Another process holds the file's write lock for longer than the busy timeout.
        await using (var other = new SqliteConnection($"Data Source={FilePath};Pooling=False"))
        {
            await other.OpenAsync();
            await using var exclusive = other.CreateCommand();
            exclusive.CommandText = "BEGIN EXCLUSIVE";
            await exclusive.ExecuteNonQueryAsync();

            var waiting = Enumerable.Range(0, 3).Select(i => log.TryRecordAsync($"d-{i}", time.GetUtcNow(), default).AsTask()).ToArray();
            foreach (var delivery in waiting)
            {
                await Assert.ThrowsAsync<SqliteException>(() => delivery);
            }
        }

        foreach (var i in Enumerable.Range(0, 3))
        {
            Assert.True(await log.TryRecordAsync($"d-{i}", time.GetUtcNow(), default)); // not recorded before: new now
        }
    }

    private protected override async Task TamperAsync(string instanceId, long sequence, string reason)
    {
        await using var connection = new SqliteConnection($"Data Source={FilePath}");
        await connection.OpenAsync();
        await using var tamper = connection.CreateCommand();
        tamper.CommandText = "UPDATE audit_records SET reason = $reason WHERE subject = $subject AND sequence = $sequence";
        tamper.Parameters.AddWithValue("$reason", reason);
        tamper.Parameters.AddWithValue("$subject", instanceId);
        tamper.Parameters.AddWithValue("$sequence", sequence);
        Assert.Equal(1, await tamper.ExecuteNonQueryAsync());
    }

    protected override Task DeleteStoreAsync()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task The_chain_key_is_generated_once_beside_the_ledger_file_never_in_it_and_kept_across_restarts()
    {
        var ledger = new SqliteReleaseLedger(new ReleaseLedgerOptions { Path = FilePath });
        var running = LedgerSeed.Release("octo/shop", 7, ReleaseStatus.Running, T0);
        await LedgerSeed.RecordAsync(ledger, running, "k1", at: T0);

        var keyFile = Path.Combine(Path.GetDirectoryName(ledger.FilePath)!, ReleaseLedgerOptions.ChainKeyFileName);
        var keyText = File.ReadAllText(keyFile).Trim();
        Assert.True(keyText.Length >= 32, $"the generated key has {keyText.Length} characters");
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(keyFile));
        }

        SqliteConnection.ClearAllPools();
        Assert.DoesNotContain(keyText, System.Text.Encoding.Latin1.GetString(File.ReadAllBytes(ledger.FilePath)), StringComparison.Ordinal);
        var restarted = new SqliteReleaseLedger(new ReleaseLedgerOptions { Path = ledger.FilePath });
        await LedgerSeed.RecordAsync(restarted, running, "k2", at: T0.AddMinutes(1));
        Assert.True(AuditChain.Verify(await restarted.GetAuditTrailAsync(running.InstanceId, default), restarted.ChainKeys.Key).IsIntact);
        Assert.Equal(keyText, File.ReadAllText(keyFile).Trim());

        // Under another key (a configured one that is not the key the trail was sealed with) the same trail does not verify.
        var configured = new SqliteReleaseLedger(new ReleaseLedgerOptions { Path = ledger.FilePath, ChainKey = "a configured key that is not the generated one" });
        var verification = AuditChain.Verify(await configured.GetAuditTrailAsync(running.InstanceId, default), configured.ChainKeys.Key);
        Assert.False(verification.IsIntact);
        Assert.Contains("sealed with another key", verification.Reason, StringComparison.Ordinal);
    }
}
