using Npgsql;
using ReleaseFunctions.Durable.Storage;
using ReleaseFunctions.Durable.Storage.Postgres;
using ReleaseFunctions.Durable.Tests.Support;

namespace ReleaseFunctions.Durable.Tests.Storage;

/// <summary>The shared contract, on a fresh schema per test in the test database.</summary>
public sealed class PostgresStoreContractTests : OrchestrationStoreContract
{
    protected override async Task<IOrchestrationStore> CreateEmptyStoreAsync()
        => new PostgresOrchestrationStore(new PostgresStoreOptions
        {
            ConnectionString = await PostgresTestServer.ConnectionStringAsync(),
            Schema = PostgresTestServer.NewSchema(),
        });
}

/// <summary>What only a store shared by several processes must do: migrate once, hand each item to one taker, wake the others.</summary>
public sealed class PostgresStoreTests : IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = TestClock.At(2026, 11, 23, 9, 0, 0);
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(1);
    private readonly string _schema = PostgresTestServer.NewSchema();
    private readonly List<PostgresOrchestrationStore> _stores = [];
    private string _connectionString = string.Empty;

    public async Task InitializeAsync() => _connectionString = await PostgresTestServer.ConnectionStringAsync();

    public async Task DisposeAsync()
    {
        foreach (var store in _stores)
        {
            await store.DisposeAsync();
        }
    }

    /// <summary>One "app instance": its own store (own connection pool and listener) on the shared schema.</summary>
    private PostgresOrchestrationStore NewProcess()
    {
        var store = new PostgresOrchestrationStore(new PostgresStoreOptions
        {
            ConnectionString = _connectionString,
            Schema = _schema,
            ListenerReconnectDelay = TimeSpan.FromMilliseconds(100),
        });
        _stores.Add(store);
        return store;
    }

    [Fact]
    public async Task App_instances_starting_at_once_migrate_the_schema_once()
    {
        var stores = Enumerable.Range(0, 4).Select(_ => NewProcess()).ToList();

        await Task.WhenAll(stores.Select(s => s.InitializeAsync(default)));

        await using var c = await OpenAsync();
        await using var cmd = new NpgsqlCommand($"SELECT COUNT(*), MAX(version) FROM \"{_schema}\".schema_migrations", c);
        await using var rows = await cmd.ExecuteReaderAsync();
        Assert.True(await rows.ReadAsync());
        var latest = PostgresOrchestrationStore.LatestSchemaVersion;
        Assert.Equal(((long)latest, latest), (rows.GetInt64(0), rows.GetInt32(1)));
    }

    [Fact]
    public async Task A_schema_written_by_an_older_app_is_migrated_forward_keeping_its_instances()
    {
        var first = NewProcess();
        await first.InitializeAsync(default);
        await first.CreateInstanceAsync(new NewInstance("kept", "Release", "e1", null, T0, T0), default);
        await using (var c = await OpenAsync())
        await using (var back = new NpgsqlCommand($"""
            SET search_path = "{_schema}";
            DROP FUNCTION assert_instance_lease(text, text, bigint);
            DROP INDEX ix_instances_lock_token;
            DELETE FROM schema_migrations WHERE version >= 2;
            """, c))
        {
            await back.ExecuteNonQueryAsync(); // the schema as version 1 left it
        }

        var upgraded = NewProcess();
        await upgraded.InitializeAsync(default);
        var item = (await upgraded.TryLockNextOrchestrationAsync(T0, Lease, default))!;
        await upgraded.CommitEpisodeAsync(new EpisodeCommit("kept", item.LeaseToken, item.Messages.Select(m => m.Id).ToList(), false, [],
            new InstanceUpdate(OrchestrationRuntimeStatus.Running, "e1", null, null, null, null, null), [], [], []), T0, default);
        Assert.Equal(OrchestrationRuntimeStatus.Running, (await upgraded.GetInstanceAsync("kept", false, default))!.Status);
        await using var check = await OpenAsync();
        await using var versions = new NpgsqlCommand($"SELECT array_agg(version ORDER BY version) FROM \"{_schema}\".schema_migrations", check);
        Assert.Equal(Enumerable.Range(1, PostgresOrchestrationStore.LatestSchemaVersion).ToArray(), (int[])(await versions.ExecuteScalarAsync())!);
    }

    [Fact]
    public async Task A_schema_migrated_by_a_newer_app_is_refused_with_a_clear_error()
    {
        await NewProcess().InitializeAsync(default);
        await using (var c = await OpenAsync())
        await using (var cmd = new NpgsqlCommand($"INSERT INTO \"{_schema}\".schema_migrations (version, description) VALUES (99, 'from the future')", c))
        {
            await cmd.ExecuteNonQueryAsync();
        }

        var error = await Assert.ThrowsAsync<DurableStoreException>(() => NewProcess().InitializeAsync(default));
        Assert.Contains("newer version of the app", error.Message);
        Assert.Contains("99", error.Message);
    }

    [Fact]
    public async Task Concurrent_takers_in_two_processes_never_lease_the_same_instance_or_activity()
    {
        var (a, b) = (NewProcess(), NewProcess());
        await a.InitializeAsync(default);
        await b.InitializeAsync(default);
        const int count = 40;
        for (var i = 0; i < count; i++)
        {
            await a.CreateInstanceAsync(new NewInstance($"r{i}", "Release", "e1", null, T0, T0), default);
        }

        async Task<List<OrchestrationWorkItem>> TakeAll(IOrchestrationStore store)
        {
            var taken = new List<OrchestrationWorkItem>();
            while (await store.TryLockNextOrchestrationAsync(T0, Lease, default) is { } item)
            {
                taken.Add(item);
            }

            return taken;
        }

        var results = await Task.WhenAll(TakeAll(a), TakeAll(b), TakeAll(a), TakeAll(b));
        var instances = results.SelectMany(r => r).Select(i => i.Instance.InstanceId).ToList();
        Assert.Equal(count, instances.Count);
        Assert.Equal(count, instances.Distinct().Count());

        foreach (var item in results.SelectMany(r => r))
        {
            await a.CommitEpisodeAsync(new EpisodeCommit(item.Instance.InstanceId, item.LeaseToken, item.Messages.Select(m => m.Id).ToList(), false, [],
                new InstanceUpdate(OrchestrationRuntimeStatus.Running, "e1", null, null, null, null, null),
                [new NewActivity(0, "Shift", null, $"{item.Instance.InstanceId}/e1/0")], [], []), T0, default);
        }

        async Task<List<ActivityWorkItem>> TakeActivities(IOrchestrationStore store)
        {
            var taken = new List<ActivityWorkItem>();
            while (await store.TryLockNextActivityAsync(T0, Lease, default) is { } item)
            {
                taken.Add(item);
            }

            return taken;
        }

        var activities = (await Task.WhenAll(TakeActivities(a), TakeActivities(b), TakeActivities(b))).SelectMany(r => r).ToList();
        Assert.Equal(count, activities.Count);
        Assert.Equal(count, activities.Select(x => x.IdempotencyKey).Distinct().Count());
    }

    [Fact]
    public async Task A_process_is_woken_by_work_another_process_writes_and_again_after_its_listener_connection_is_cut()
    {
        var (listener, writer) = (NewProcess(), NewProcess());
        await listener.InitializeAsync(default);
        await writer.InitializeAsync(default);
        var orchestrationWakeUps = 0;
        var activityWakeUps = 0;
        using var subscription = listener.SubscribeToWork(() => Interlocked.Increment(ref orchestrationWakeUps), () => Interlocked.Increment(ref activityWakeUps));
        await EngineHarness.Eventually(() => Task.FromResult(Volatile.Read(ref orchestrationWakeUps) >= 1), "the listener to start (it looks once when it connects)");
        await EngineHarness.Eventually(async () => await ListenerBackendsAsync() == 1, "the LISTEN connection to show in pg_stat_activity");

        var before = Volatile.Read(ref orchestrationWakeUps);
        await writer.CreateInstanceAsync(new NewInstance("woken", "Release", "e1", null, T0, T0), default);
        await EngineHarness.Eventually(() => Task.FromResult(Volatile.Read(ref orchestrationWakeUps) > before), "a wake-up for the new instance");

        var item = (await writer.TryLockNextOrchestrationAsync(T0, Lease, default))!;
        var activitiesBefore = Volatile.Read(ref activityWakeUps);
        await writer.CommitEpisodeAsync(new EpisodeCommit("woken", item.LeaseToken, item.Messages.Select(m => m.Id).ToList(), false, [],
            new InstanceUpdate(OrchestrationRuntimeStatus.Running, "e1", null, null, null, null, null), [new NewActivity(0, "Shift", null, "woken/e1/0")], [], []), T0, default);
        await EngineHarness.Eventually(() => Task.FromResult(Volatile.Read(ref activityWakeUps) > activitiesBefore), "a wake-up for the new activity");

        // Cut the listener's connection from the server side, as a failover or an idle-connection killer would.
        await using (var c = await OpenAsync())
        await using (var kill = new NpgsqlCommand($"SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = @name", c))
        {
            kill.Parameters.AddWithValue("name", ListenerName);
            Assert.Equal(1L, await kill.ExecuteScalarAsync());
        }

        await EngineHarness.Eventually(async () => await ListenerBackendsAsync() == 1, "the listener to reconnect");
        before = Volatile.Read(ref orchestrationWakeUps);
        await writer.SendMessageAsync("woken", new EventRaisedEvent("approved", null), T0, default);
        await EngineHarness.Eventually(() => Task.FromResult(Volatile.Read(ref orchestrationWakeUps) > before), "a wake-up after the reconnection");
    }

    [Fact]
    public async Task An_episode_commit_creates_children_and_refuses_one_whose_id_is_taken_with_a_message_to_the_parent()
    {
        var store = NewProcess();
        await store.InitializeAsync(default);
        await store.CreateInstanceAsync(new NewInstance("taken", "Review", "e0", null, T0, T0), default);
        await store.CreateInstanceAsync(new NewInstance("parent", "Release", "e1", null, T0.AddSeconds(1), T0.AddSeconds(1)), default);
        var taken = (await store.TryLockNextOrchestrationAsync(T0, Lease, default))!;
        Assert.Equal("taken", taken.Instance.InstanceId);
        var parent = (await store.TryLockNextOrchestrationAsync(T0.AddSeconds(1), Lease, default))!;

        await store.CommitEpisodeAsync(new EpisodeCommit("parent", parent.LeaseToken, parent.Messages.Select(m => m.Id).ToList(), false,
            [new OrchestratorStartedEvent { Timestamp = T0 }, parent.Messages[0].Event],
            new InstanceUpdate(OrchestrationRuntimeStatus.Running, "e1", null, null, null, null, null), [], [],
            [new NewInstance("child", "Step", "c1", "1", T0, T0, "parent", 0), new NewInstance("taken", "Step", "c2", "2", T0, T0, "parent", 1)]), T0.AddSeconds(1), default);

        var child = await store.GetInstanceAsync("child", true, default);
        Assert.Equal(("parent", 0, "1"), (child!.ParentInstanceId, child.ParentTaskId, child.Input));
        Assert.Equal("Review", (await store.GetInstanceAsync("taken", false, default))!.Name);
        var next = (await store.TryLockNextOrchestrationAsync(T0.AddSeconds(2), Lease, default))!;
        Assert.Equal("child", next.Instance.InstanceId);
        var refusal = (await store.TryLockNextOrchestrationAsync(T0.AddSeconds(2), Lease, default))!;
        Assert.Equal("parent", refusal.Instance.InstanceId);
        Assert.Equal(2, refusal.History.Count);
        var failed = Assert.IsType<SubOrchestrationFailedEvent>(Assert.Single(refusal.Messages).Event);
        Assert.Equal(1, failed.TaskScheduledId);
    }

    [Fact]
    public void Bad_options_are_refused_up_front_naming_what_was_wrong()
    {
        var empty = Assert.Throws<ArgumentException>(() => new PostgresStoreOptions().Validate());
        Assert.Contains("connection string", empty.Message);

        var schema = Assert.Throws<ArgumentException>(() => new PostgresStoreOptions { ConnectionString = "Host=localhost", Schema = "Release-Functions" }.Validate());
        Assert.Contains("Schema", schema.Message);
        Assert.Contains("Release-Functions", schema.Message);

        var garbled = Assert.Throws<ArgumentException>(() => new PostgresStoreOptions { ConnectionString = "Hots=localhost;;=" }.Validate());
        Assert.Contains("not a valid Npgsql connection string", garbled.Message);

        var timeout = Assert.Throws<ArgumentException>(() => new PostgresStoreOptions { ConnectionString = "Host=localhost", CommandTimeout = TimeSpan.Zero }.Validate());
        Assert.Contains("CommandTimeout", timeout.Message);
    }

    [Fact]
    public async Task An_unreachable_server_surfaces_as_a_store_error_naming_the_server()
    {
        var store = new PostgresOrchestrationStore(new PostgresStoreOptions { ConnectionString = "Host=127.0.0.1;Port=1;Username=nobody;Timeout=2", Schema = _schema });
        _stores.Add(store);

        var error = await Assert.ThrowsAsync<DurableStoreException>(() => store.InitializeAsync(default));
        Assert.Contains("127.0.0.1", error.Message);
        Assert.Contains(_schema, error.Message);
    }

    private string ListenerName => "releasefunctions-listener:" + _schema;

    private async Task<long> ListenerBackendsAsync()
    {
        await using var c = await OpenAsync();
        await using var cmd = new NpgsqlCommand("SELECT COUNT(*) FROM pg_stat_activity WHERE application_name = @name", c);
        cmd.Parameters.AddWithValue("name", ListenerName);
        return (long)(await cmd.ExecuteScalarAsync())!;
    }

    private async Task<NpgsqlConnection> OpenAsync()
    {
        var c = new NpgsqlConnection(_connectionString);
        await c.OpenAsync();
        return c;
    }
}
