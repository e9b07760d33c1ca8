// The benchmark harness (workloads W1–W7 of ../shared/BENCHMARKS.md).
// Usage: dotnet run -c Release --project bench/ReleaseFunctions.Bench -- <w1|w2|w3|w4|w5|w6|all> [--scale 1.0]
//            [--store sqlite|postgres] [--connection <Npgsql connection string>] [--workers 1|2]
// W1–W5 run the official SDK worker and client on the embedded backend. Each workload writes
// bench/results/<workload>-sqlite.json (or <workload>-postgres-<workers>.json) and the table in
// bench/results/README.md. With PostgreSQL, --workers 2 runs a second process (a backend and a worker, mode
// sdk-worker) on one fresh schema; the first also starts the instances and waits for them.
//
// ... -- sdk [--backends a,b] [--scale 1.0] [--scale-<backend> f] [--connection <Npgsql>] [--run-name x]: W1 and W2 with the official
// SDK worker, side by side in one run, on sdk-embedded-sqlite(-small), sdk-embedded-postgres-1/-2,
// sdk-inprocesstesthost and sdk-azurestorage-azurite (the old engine's figures stay in its recorded results); writes
// each <workload>-<backend>.json and bench/results/sdk-<date>[-x].md/.json with the ratios (Sdk/SdkBench.cs).
// ... -- w7 [--releases 50] [--kills 100] [--app <ReleaseFunctions.dll>]: chaos against the built app (Chaos.cs).
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using ReleaseFunctions.Bench;
using Sdk = ReleaseFunctions.Bench.Sdk;
using System.Diagnostics.Metrics;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;

var which = args.Length > 0 ? args[0].ToLowerInvariant() : "all";
if (which == "sdk-worker")
{
    // The second process of sdk-embedded-postgres-2 (started by mode sdk): a backend and an SDK worker on its schema.
    await Sdk.EmbeddedBackends.RunWorkerAsync(Option("--connection")!, Option("--schema")!);
    return;
}

var scale = args.SkipWhile(a => a != "--scale").Skip(1).Select(a => double.Parse(a, CultureInfo.InvariantCulture)).FirstOrDefault(1.0);
var store = Option("--store") ?? "sqlite";
var connection = Option("--connection");
var workers = int.Parse(Option("--workers") ?? "1", CultureInfo.InvariantCulture);
if (store is not ("sqlite" or "postgres") || (store == "postgres" && string.IsNullOrWhiteSpace(connection)) || workers is not (1 or 2) || (store == "sqlite" && workers != 1))
{
    Console.Error.WriteLine("expected --store sqlite, or --store postgres --connection <Npgsql connection string> [--workers 1|2]");
    return;
}

var storeLabel = store == "sqlite" ? "sqlite" : $"postgres-{workers}";
var results = Path.GetFullPath(Path.Combine(FindRoot(), "bench", "results"));
Directory.CreateDirectory(results);
var command = "dotnet run -c Release --project bench/ReleaseFunctions.Bench -- " + string.Join(' ', args.Select(a => a == connection ? "<connection>" : a));

var workloads = new Dictionary<string, Func<Task<JsonObject>>>
{
    ["w1"] = () => HelloCitiesAsync((int)(10_000 * scale)),
    ["w2"] = () => ReleaseShapedAsync((int)(5_000 * scale)),
    ["w3"] = () => TimersAsync((int)(1_000 * scale)),
    ["w4"] = ReplayAsync,
    ["w5"] = () => WaitingAsync((int)(10_000 * scale)),
    ["w6"] = () => WebhookAck.RunAsync(200, Math.Max(2, (int)(20 * scale))),
};

if (which == "w7")
{
    // W7 (chaos) against the built app: --releases 50 --kills 100 [--seed 7] [--max-up 6] [--app <ReleaseFunctions.dll>]
    // [--app-setting KEY=VALUE ...] [--label app-sqlite]. Not part of "all": it takes minutes of its own.
    var appSettings = args.Select((a, i) => (a, i)).Where(p => p.a == "--app-setting" && p.i + 1 < args.Length)
        .Select(p => args[p.i + 1].Split('=', 2)).ToDictionary(kv => kv[0], kv => kv.Length > 1 ? kv[1] : "");
    var chaos = await Chaos.RunAsync(new Chaos.Options(
        Option("--app") ?? Path.Combine(AppContext.BaseDirectory, "ReleaseFunctions.dll"),
        int.Parse(Option("--releases") ?? "50", CultureInfo.InvariantCulture),
        int.Parse(Option("--kills") ?? "100", CultureInfo.InvariantCulture),
        int.Parse(Option("--seed") ?? "7", CultureInfo.InvariantCulture),
        double.Parse(Option("--max-up") ?? "6", CultureInfo.InvariantCulture),
        appSettings));
    await SaveAsync("w7", Option("--label") ?? "app-sqlite", chaos);
    await WriteTableAsync(results);
    return;
}

if (which == "sdk")
{
    await SdkModeAsync();
    await WriteTableAsync(results);
    return;
}

// W4 replays in memory and touches no store: it runs with SQLite only.
foreach (var (id, run) in workloads.Where(w => (which == "all" || w.Key == which) && (store == "sqlite" || w.Key != "w4")))
{
    Console.WriteLine($"running {id} ...");
    await SaveAsync(id, storeLabel, await run());
}

await WriteTableAsync(results);
return;

async Task<JsonObject> SaveAsync(string id, string label, JsonObject figures, JsonObject? settings = null)
{
    var record = new JsonObject
    {
        ["workload"] = id,
        ["store"] = label,
        ["commit"] = Shell("git", "rev-parse --short HEAD"),
        ["date"] = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture),
        ["command"] = command,
        ["nproc"] = Environment.ProcessorCount,
        ["cpu"] = CpuModel(),
        ["load_average_1m"] = File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "unknown", // a shared machine's figures need it
        ["dotnet"] = Environment.Version.ToString(),
        ["figures"] = figures,
    };
    if (settings is not null)
    {
        record["settings"] = settings;
    }

    await File.WriteAllTextAsync(Path.Combine(results, $"{id}-{label}.json"), record.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    Console.WriteLine($"{id} {label}: {figures.ToJsonString()}");
    return record;
}

// Mode sdk: W1 and W2 on the official runtime's backends and on this engine (SQLite), side by side in one run.
// --backends a,b,... picks some (default: all of them); --scale-<label> scales one backend's sizes apart.
async Task SdkModeAsync()
{
    // The test host's sidecar logs every work item at Information through the default host builder's console.
    Environment.SetEnvironmentVariable("Logging__LogLevel__Default", "Warning");
    if (Option("--azurestorage-polling") is { } polling)
    {
        Sdk.AzureStorageBackend.PollingInterval = TimeSpan.FromSeconds(double.Parse(polling, CultureInfo.InvariantCulture));
    }

    // Sizes: BENCHMARKS.md's (W1 10,000, W2 5,000) times --scale, or times --scale-<label> for one backend.
    var backends = new List<Sdk.SdkBench.Backend>
    {
        new("sdk-inprocesstesthost", Sdk.InProcessTestHostBackend.StartAsync,
            $"its in-memory service allows {Environment.ProcessorCount} orchestration and {Environment.ProcessorCount} activity work items at a time (one per core) and its sidecar, at that limit, looks again every 500 ms, so the full sizes would take hours here (it is a test host, not built for throughput)"),
        new("sdk-azurestorage-azurite", Sdk.AzureStorageBackend.StartAsync, "the full sizes would take well over 10 minutes each on this machine"),
    };
    Sdk.PostgresServer? server = null;
    async Task<string> PostgresAsync()
    {
        if (connection is not null)
        {
            return connection;
        }

        server ??= await Sdk.PostgresServer.StartAsync(FindRoot());
        return server.ConnectionString;
    }

    backends.InsertRange(0, Sdk.EmbeddedBackends.All(PostgresAsync));
    double Factor(string label) => Option("--scale-" + label) is { } given ? double.Parse(given, CultureInfo.InvariantCulture) : scale;
    int Size(int full, double factor) => Math.Max(10, (int)(full * factor));

    var chosen = Option("--backends")?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet();
    var records = new List<JsonObject>();
    var notes = new List<string>();
    void Scaled(string label, double factor, string? why)
    {
        if (factor < 1)
        {
            notes.Add($"{label} ran {factor.ToString(CultureInfo.InvariantCulture)}× the BENCHMARKS.md sizes ({Size(10_000, factor)} W1, {Size(5_000, factor)} W2 instances){(why is null ? "" : ": " + why)}.");
        }
    }

    foreach (var backend in backends.Where(b => chosen is null || chosen.Contains(b.Label)))
    {
        Console.WriteLine($"running w1, w2 on {backend.Label} ...");
        var factor = Factor(backend.Label);
        Scaled(backend.Label, factor, backend.WhyScaled);
        foreach (var (id, count) in new[] { ("w1", Size(10_000, factor)), ("w2", Size(5_000, factor)) })
        {
            // A fresh backend per workload, as the engine runs have.
            await using var running = await backend.StartAsync();
            var figures = id == "w1"
                ? await Sdk.SdkBench.HelloCitiesAsync(running.Client, count)
                : await Sdk.SdkBench.ReleaseShapedAsync(running.Client, count);
            records.Add(await SaveAsync(id, backend.Label, figures, running.Settings));
        }

    }

    if (server is not null)
    {
        await server.DisposeAsync();
    }

    var load = File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Trim() : "unknown";
    notes.Add($"Load average at the end of the run: {load} (the machine is shared; see each row's 1-minute load at its start).");
    await Sdk.SdkBench.WriteComparisonAsync(results, records, notes, Option("--run-name"));
}

// W1–W5: the SDK worker and client on the embedded backend, on SQLite or on PostgreSQL with one or two processes.
async Task<Sdk.ISdkBackend> StartEngineAsync()
    => store == "postgres"
        ? await Sdk.EmbeddedBackend.StartPostgresAsync(connection!, workers)
        : await Sdk.EmbeddedBackend.StartSqliteAsync();

static async Task<List<OrchestrationMetadata>> StartAndWaitAsync(DurableTaskClient client, string name, int count, Func<int, object?> input)
{
    // Started at once: 32 concurrent starters, as a burst of webhooks would.
    var ids = Enumerable.Range(0, count).Select(i => $"{name}-{i}").ToList();
    await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = 32 },
        async (i, ct) => await client.ScheduleNewOrchestrationInstanceAsync(name, input(i), new StartOrchestrationOptions(ids[i]), ct));

    var done = new List<OrchestrationMetadata>(count);
    foreach (var id in ids)
    {
        done.Add(await client.WaitForInstanceCompletionAsync(id, getInputsAndOutputs: true));
    }

    return done;
}

async Task<JsonObject> HelloCitiesAsync(int count)
{
    await using var backend = await StartEngineAsync();
    return await Sdk.SdkBench.HelloCitiesAsync(backend.Client, count);
}

async Task<JsonObject> ReleaseShapedAsync(int count)
{
    await using var backend = await StartEngineAsync();
    return await Sdk.SdkBench.ReleaseShapedAsync(backend.Client, count);
}

async Task<JsonObject> TimersAsync(int count)
{
    await using var backend = await StartEngineAsync();
    var minute = DateTime.UtcNow.AddSeconds(20);
    var random = new Random(7);
    var done = await StartAndWaitAsync(backend.Client, nameof(Sdk.DueTimer), count, _ => minute.AddMilliseconds(random.Next(0, 60_000)));
    var lateness = done.Select(d => d.SerializedOutput is null ? throw new InvalidOperationException($"{d.InstanceId} finished without its lateness") : d.ReadOutputAs<double>()).Order().ToList();
    return new JsonObject
    {
        ["timers"] = count,
        ["due_within_ms"] = 60_000,
        ["lateness_p50_ms"] = Math.Round(Stats.Percentile(lateness, 50), 1),
        ["lateness_p99_ms"] = Math.Round(Stats.Percentile(lateness, 99), 1),
        ["lateness_max_ms"] = Math.Round(lateness[^1], 1),
        ["goal_p99_ms"] = 250,
    };
}

// W4: the cost of one episode at a history length, end to end on the embedded backend: the work item leased and
// sent to the SDK worker, replayed there, answered and committed (the backend's episode duration, from its meter).
// One instance at a time, so every episode measured is that instance's; allocations are the whole process's.
async Task<JsonObject> ReplayAsync()
{
    var durations = new List<double>();
    using var listener = new MeterListener();
    listener.InstrumentPublished = (instrument, l) =>
    {
        if (instrument.Meter.Name == "ReleaseFunctions.Durable" && instrument.Name == "durable.episode.duration")
        {
            l.EnableMeasurementEvents(instrument);
        }
    };
    listener.SetMeasurementEventCallback<double>((_, value, _, _) =>
    {
        lock (durations)
        {
            durations.Add(value);
        }
    });
    listener.Start();
    var figures = new JsonObject();
    await using var backend = await StartEngineAsync();
    foreach (var target in new[] { 10, 100, 1000 })
    {
        // Each step adds three events (TaskScheduled, then OrchestratorStarted and TaskCompleted when its result comes).
        var steps = Math.Max(1, target / 3);
        lock (durations)
        {
            durations.Clear();
        }

        var allocatedBefore = GC.GetTotalAllocatedBytes();
        var id = await backend.Client.ScheduleNewOrchestrationInstanceAsync(nameof(Sdk.LongSequence), steps);
        await backend.Client.WaitForInstanceCompletionAsync(id);
        var allocated = GC.GetTotalAllocatedBytes() - allocatedBefore;
        List<double> episodes;
        lock (durations)
        {
            episodes = [.. durations];
        }

        // The last tenth of the episodes ran with (nearly) the target's history.
        var last = episodes.Skip(episodes.Count - Math.Max(1, episodes.Count / 10)).ToList();
        figures[$"events_{target}"] = new JsonObject
        {
            ["history_events"] = 2 + (3 * steps),
            ["episodes"] = episodes.Count,
            ["us_per_episode_at_that_length"] = Math.Round(last.Average() * 1000, 1),
            ["kb_allocated_per_episode"] = Math.Round(allocated / 1024.0 / Math.Max(1, episodes.Count), 1),
        };
    }

    return figures;
}

async Task<JsonObject> WaitingAsync(int count)
{
    await using var backend = await StartEngineAsync();
    var client = backend.Client;
    for (var i = 0; i < count; i++)
    {
        await client.ScheduleNewOrchestrationInstanceAsync(nameof(Sdk.Waiting), i, new StartOrchestrationOptions($"wait-{i}"));
    }

    // All started and waiting: every instance has left Pending.
    while (await AnyPendingAsync())
    {
        await Task.Delay(200);
    }

    async Task<bool> AnyPendingAsync()
    {
        await foreach (var _ in client.GetAllInstancesAsync(new OrchestrationQuery { Statuses = [OrchestrationRuntimeStatus.Pending], PageSize = 1 }))
        {
            return true;
        }

        return false;
    }

    GC.Collect();
    GC.WaitForPendingFinalizers();
    GC.Collect();
    var rss = Stats.ResidentBytes();
    // The heap after the last full collection (GC.GetTotalMemory read negative here under the regions GC).
    var managed = GC.GetGCMemoryInfo(GCKind.FullBlocking).HeapSizeBytes;
    var dbBytes = (backend as Sdk.EmbeddedBackend)?.StoreFolder is { } folder ? Directory.EnumerateFiles(folder).Sum(f => new FileInfo(f).Length) : 0;
    return new JsonObject
    {
        ["waiting_instances"] = count,
        ["resident_mb"] = Math.Round(rss / 1048576.0, 1),
        ["managed_heap_mb"] = Math.Round(managed / 1048576.0, 1),
        ["store_mb"] = store == "sqlite" ? Math.Round(dbBytes / 1048576.0, 1) : null, // PostgreSQL's files are not ours to measure
        ["goal_resident_mb"] = 300,
    };
}

static async Task WriteTableAsync(string folder)
{
    var lines = new List<string>
    {
        "# Benchmark results",
        "",
        "Written by `bench/ReleaseFunctions.Bench` (workloads in ../shared/BENCHMARKS.md). Each JSON file holds the commit, date, command, `nproc`, CPU model and .NET version of its run.",
        "Compare figures of one run with each other, not with another machine's.",
        "",
        "| workload | store | commit | date | nproc | figures |",
        "| --- | --- | --- | --- | --- | --- |",
    };
    foreach (var file in Directory.EnumerateFiles(folder, "*.json").Order())
    {
        var node = JsonNode.Parse(await File.ReadAllTextAsync(file))!;
        if (node["workload"] is null)
        {
            continue; // a run's summary (sdk-<date>.json), not one workload's record
        }

        lines.Add($"| {node["workload"]} | {node["store"]} | {node["commit"]} | {node["date"]?.ToString()[..10]} | {node["nproc"]} | `{node["figures"]!.ToJsonString()}` |");
    }

    lines.Add("");
    lines.Add("CPU: " + CpuModel() + "; .NET " + Environment.Version);
    await File.WriteAllLinesAsync(Path.Combine(folder, "README.md"), lines);
}

string? Option(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();

static string FindRoot()
{
    var dir = new DirectoryInfo(AppContext.BaseDirectory);
    while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "ReleaseFunctions.sln")))
    {
        dir = dir.Parent;
    }

    return dir?.FullName ?? Directory.GetCurrentDirectory();
}

static string CpuModel()
    => File.Exists("/proc/cpuinfo")
        ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown"
        : "unknown";

static string Shell(string file, string arguments)
{
    try
    {
        using var p = Process.Start(new ProcessStartInfo(file, arguments) { RedirectStandardOutput = true, UseShellExecute = false })!;
        var text = p.StandardOutput.ReadToEnd().Trim();
        p.WaitForExit();
        return text;
    }
    catch (System.ComponentModel.Win32Exception)
    {
        return "unknown";
    }
}
