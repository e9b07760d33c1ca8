// Usage: CrashHost <engine.db> <effects.db> <instances>
//        CrashHost postgres <connection string> <schema> <effects.db> <instances>
// Starts <instances> release-shaped orchestrations (idempotently: ids crash-0..N-1), runs the engine with the
// system clock, prints progress lines, and exits 0 with "ALL-COMPLETE" once every instance has completed.
// The durability tests kill it with SIGKILL at several points and start it again on the same files; the scale-out
// tests run two of it on one PostgreSQL schema. The effects ledger is a SQLite file; each row records the process id.
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using ReleaseFunctions.Durable;

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
builder.Services.AddDurableTask(d =>
{
    d.Registry.AddOrchestrator<CrashRelease>().AddActivity<ApplyStep>();
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

    d.Worker.ActivityLease = TimeSpan.FromSeconds(2);
    d.Worker.OrchestrationLease = TimeSpan.FromSeconds(5);
});
using var host = builder.Build();
await host.StartAsync();
var client = host.Services.GetRequiredService<DurableTaskClient>();
for (var i = 0; i < count; i++)
{
    await client.ScheduleNewOrchestrationInstanceAsync(nameof(CrashRelease), i, new StartOrchestrationOptions($"crash-{i}"));
}

Console.WriteLine("STARTED");
while (true)
{
    int completed;
    try
    {
        completed = (await client.QueryInstancesAsync(new InstanceQuery([OrchestrationRuntimeStatus.Completed], PageSize: 1000))).Instances.Count;
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
        await context.CallActivityAsync<string>(nameof(ApplyStep), new Step(release, 5));
        await context.CreateTimer(TimeSpan.FromMilliseconds(1500));
        await context.CallActivityAsync<string>(nameof(ApplyStep), new Step(release, 50));
        await context.CallActivityAsync<string>(nameof(ApplyStep), new Step(release, 100));
        return "promoted";
    }
}

public sealed record Step(int Release, int Weight);

/// <summary>A side effect applied once per idempotency key, however often the activity is delivered.</summary>
public sealed class ApplyStep(EffectLedger ledger) : TaskActivity<Step, string>
{
    public override async Task<string> RunAsync(TaskActivityContext context, Step step, CancellationToken cancellationToken)
    {
        ledger.RecordAttempt(context.IdempotencyKey);
        await Task.Delay(150, cancellationToken); // long enough to be killed mid-activity
        ledger.ApplyOnce(context.IdempotencyKey, $"release {step.Release} -> {step.Weight}%");
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
