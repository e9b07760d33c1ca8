using ReleaseFunctions.Durable.Storage;
using ReleaseFunctions.Durable.Storage.Sqlite;

namespace ReleaseFunctions.Durable.Tests.Storage;

public sealed class SqliteStoreContractTests : OrchestrationStoreContract
{
    protected override Task<IOrchestrationStore> CreateEmptyStoreAsync()
    {
        var folder = Directory.CreateTempSubdirectory("rf-store-").FullName;
        return Task.FromResult<IOrchestrationStore>(new SqliteOrchestrationStore(new SqliteStoreOptions { Path = Path.Combine(folder, "store.db") }));
    }
}

public sealed class SqliteStoreFileTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("rf-store-").FullName;

    private string DbPath => Path.Combine(_folder, "store.db");

    public void Dispose()
    {
        try
        {
            Directory.Delete(_folder, true);
        }
        catch (IOException)
        {
        }
    }

    [Fact]
    public async Task A_file_that_is_not_a_database_is_refused_with_a_clear_error_and_left_untouched()
    {
        var garbage = "this is a text file, not a database, and it must survive"u8.ToArray().Concat(new byte[4096]).ToArray();
        await File.WriteAllBytesAsync(DbPath, garbage);
        await using var store = new SqliteOrchestrationStore(new SqliteStoreOptions { Path = DbPath });

        var error = await Assert.ThrowsAsync<DurableStoreException>(() => store.InitializeAsync(default));

        Assert.Contains(DbPath, error.Message);
        Assert.Contains("not a SQLite database", error.Message);
        Assert.Equal(garbage, await File.ReadAllBytesAsync(DbPath));
    }

    [Fact]
    public async Task A_damaged_database_is_reported_as_corrupt()
    {
        await using (var store = new SqliteOrchestrationStore(new SqliteStoreOptions { Path = DbPath }))
        {
            await store.InitializeAsync(default);
            for (var i = 0; i < 200; i++)
            {
                await store.CreateInstanceAsync(new NewInstance($"i{i}", "Release", "e", new string('x', 500), DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch), default);
            }
        }

        var bytes = await File.ReadAllBytesAsync(DbPath);
        for (var i = 4096 + 100; i < bytes.Length; i += 997)
        {
            bytes[i] ^= 0x5A; // scramble b-tree pages but keep the header
        }

        await File.WriteAllBytesAsync(DbPath, bytes);
        await using var damaged = new SqliteOrchestrationStore(new SqliteStoreOptions { Path = DbPath });

        var error = await Assert.ThrowsAsync<DurableStoreException>(() => damaged.InitializeAsync(default));
        Assert.Contains("corrupt", error.Message);
        Assert.Contains(DbPath, error.Message);
    }

    [Fact]
    public async Task A_file_in_use_by_another_store_is_refused_and_the_owner_keeps_working()
    {
        await using var owner = new SqliteOrchestrationStore(new SqliteStoreOptions { Path = DbPath });
        await owner.InitializeAsync(default);
        await owner.CreateInstanceAsync(new NewInstance("kept", "Release", "e", null, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch), default);

        await using var intruder = new SqliteOrchestrationStore(new SqliteStoreOptions { Path = DbPath });
        var error = await Assert.ThrowsAsync<DurableStoreException>(() => intruder.InitializeAsync(default));

        Assert.Contains("in use by another process", error.Message);
        Assert.NotNull(await owner.GetInstanceAsync("kept", false, default));
    }

    [Fact]
    public async Task Leases_left_by_a_process_that_died_are_released_when_the_file_is_opened_again()
    {
        await using (var first = new SqliteOrchestrationStore(new SqliteStoreOptions { Path = DbPath }))
        {
            await first.InitializeAsync(default);
            await first.CreateInstanceAsync(new NewInstance("a", "Release", "e", null, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch), default);
            Assert.NotNull(await first.TryLockNextOrchestrationAsync(DateTimeOffset.UnixEpoch, TimeSpan.FromHours(1), default));
        }

        await using var second = new SqliteOrchestrationStore(new SqliteStoreOptions { Path = DbPath });
        await second.InitializeAsync(default);
        Assert.NotNull(await second.TryLockNextOrchestrationAsync(DateTimeOffset.UnixEpoch, TimeSpan.FromHours(1), default));
    }
}
