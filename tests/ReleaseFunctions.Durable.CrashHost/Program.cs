// Usage: CrashHost <engine.db> <effects.db> <instances>
//        CrashHost postgres <connection string> <schema> <effects.db> <instances>
// Starts <instances> release-shaped orchestrations (idempotently: ids crash-0..N-1), runs the engine with the
// system clock, prints progress lines, and exits 0 with "ALL-COMPLETE" once every instance has completed.
// The durability tests kill it with SIGKILL at several points and start it again on the same files; the scale-out
// tests run two of it on one PostgreSQL schema. The effects ledger is a SQLite file; each row records the process id.
using Microsoft.Data.Sqlite;
using Microsoft.DurableTask;
using ReleaseFunctions.Durable.Starting;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Worker;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using ReleaseFunctions.Durable;
using ReleaseFunctions.Durable.Storage;

var postgres = args.Length == 5 && args[0] == "postgres";
if (!postgres && args.Length != 3)
{
    Console.Error.WriteLine("usage: CrashHost <engine.db> <effects.db> <instances> | CrashHost postgres <connection string> <schema> <effects.db> <instances>");
    return 2;
}

var effectsPath = postgres ? args[3] : args[1];
var count = int.Parse(postgres ? args[4] : args[2], System.Globalization.CultureInfo.InvariantCulture);

var builder = Host.CreateApplicationBuilder();
builder.Logging.ClearProviders();
builder.Services.AddSingleton(new EffectLedger(effectsPath));
builder.Services.AddEmbeddedDurableTaskBackend(d =>
{
    if (postgres)
    {
        d.UsePostgres(o =>
        {
            o.ConnectionString = args[1];
            o.Schema = args[2];
            o.ListenerReconnectDelay = TimeSpan.FromMilliseconds(200);
            o.ListenerMaxReconnectDelay = TimeSpan.FromSeconds(1);
        });
    }
    else
    {
        d.UseSqlite(o => o.Path = args[0]);
    }

    d.Options.ActivityLease = TimeSpan.FromSeconds(2);
    d.Options.OrchestrationLease = TimeSpan.FromSeconds(5);
});
builder.Services.AddDurableTaskWorker(w =>
{
    w.AddTasks(r => r.AddOrchestrator<CrashRelease>().AddActivity<ApplyStep>());
    w.UseEmbeddedBackend();
});
builder.Services.AddDurableTaskClient(c => c.UseEmbeddedBackend());
using var host = builder.Build();
await host.StartAsync();
var client = host.Services.GetRequiredService<DurableTaskClient>();
var store = host.Services.GetRequiredService<IOrchestrationStore>();
for (var i = 0; i < count; i++)
{
    // Started once: a restarted process finds the ids it started before and leaves them be.
    await client.StartOnceAsync(nameof(CrashRelease), $"crash-{i}", i);
}

Console.WriteLine("STARTED");
while (true)
{
    int completed;
    try
    {
        completed = (await store.QueryInstancesAsync(new InstanceQuery([ReleaseFunctions.Durable.OrchestrationRuntimeStatus.Completed], PageSize: 1000), CancellationToken.None)).Instances.Count;
    }
    catch (DurableStoreException ex)
    {
        // The database may be down for a while (the outage test); the engine retries on its own, and so does this loop.
        Console.WriteLine($"PROGRESS-ERROR {ex.Message.ReplaceLineEndings(" ")}");
        await Task.Delay(100);
        continue;
    }

    var ledger = host.Services.GetRequiredService<EffectLedger>();
    Console.WriteLine($"PROGRESS completed={completed} effects={ledger.Count()}");
    if (completed == count)
    {
        Console.WriteLine("ALL-COMPLETE");
        break;
    }

    await Task.Delay(100);
}

await host.StopAsync();
return 0;

/// <summary>Three traffic steps with a soak timer between the first and second, like a small canary release.</summary>
public sealed class CrashRelease : TaskOrchestrator<int, string>
{
    public override async Task<string> RunAsync(TaskOrchestrationContext context, int release)
    {
        await context.CallActivityAsync<string>(nameof(ApplyStep), Step.For(context, release, 5));
        await context.CreateTimer(TimeSpan.FromMilliseconds(1500), CancellationToken.None);
        await context.CallActivityAsync<string>(nameof(ApplyStep), Step.For(context, release, 50));
        await context.CallActivityAsync<string>(nameof(ApplyStep), Step.For(context, release, 100));
        return "promoted";
    }
}

/// <param name="IdempotencyKey">Derived by the orchestrator (the SDK's activity context has none): the same on every delivery of the step.</param>
public sealed record Step(int Release, int Weight, string IdempotencyKey)
{
    public static Step For(TaskOrchestrationContext context, int release, int weight) => new(release, weight, $"{context.InstanceId}/weight-{weight}");
}

/// <summary>A side effect applied once per idempotency key, however often the activity is delivered.</summary>
public sealed class ApplyStep(EffectLedger ledger) : TaskActivity<Step, string>
{
    public override async Task<string> RunAsync(TaskActivityContext context, Step step)
    {
        ledger.RecordAttempt(step.IdempotencyKey);
        await Task.Delay(150); // long enough to be killed mid-activity
        ledger.ApplyOnce(step.IdempotencyKey, $"release {step.Release} -> {step.Weight}%");
        return "applied";
    }
}

public sealed class EffectLedger
{
    private readonly string _connectionString;

    public EffectLedger(string path)
    {
        _connectionString = new SqliteConnectionStringBuilder { DataSource = path, DefaultTimeout = 30 }.ToString();
        Execute("PRAGMA journal_mode=WAL; CREATE TABLE IF NOT EXISTS effects (id INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT NOT NULL, what TEXT NOT NULL, pid INTEGER NOT NULL); CREATE TABLE IF NOT EXISTS attempts (id INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT NOT NULL, pid INTEGER NOT NULL);");
    }

    public void RecordAttempt(string key) => Execute("INSERT INTO attempts (key, pid) VALUES ($key, $pid)", ("$key", key), ("$pid", Environment.ProcessId));

    public void ApplyOnce(string key, string what)
        => Execute("INSERT INTO effects (key, what, pid) SELECT $key, $what, $pid WHERE NOT EXISTS (SELECT 1 FROM effects WHERE key = $key)", ("$key", key), ("$what", what), ("$pid", Environment.ProcessId));

    public long Count()
    {
        using var c = new SqliteConnection(_connectionString);
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT COUNT(*) FROM effects";
        return (long)cmd.ExecuteScalar()!;
    }

    private void Execute(string sql, params (string, object)[] parameters)
    {
        using var c = new SqliteConnection(_connectionString);
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            cmd.Parameters.AddWithValue(name, value);
        }

        cmd.ExecuteNonQuery();
    }
}
