using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;

namespace ReleaseFunctions.Bench.Sdk;

/// <summary>
/// Mode <c>sdk</c>: W1 and W2 with the official SDK worker (Microsoft.DurableTask.Worker 1.28.0) on each backend,
/// in one run, one backend after the other, plus the project's own engine on SQLite for the old-versus-new table.
/// </summary>
internal static class SdkBench
{
    /// <summary>A backend to measure: its label (the results file's store), how to start it, and why it may need smaller sizes.</summary>
    public sealed record Backend(string Label, Func<Task<ISdkBackend>> StartAsync, string? WhyScaled = null);

    public static async Task<JsonObject> HelloCitiesAsync(DurableTaskClient client, int count)
    {
        var (done, seconds, wall) = await StartAndWaitAsync(client, nameof(HelloCities), count, _ => null);
        var workItems = count * (6 + 5); // as for the engine: 6 orchestrator episodes and 5 activity executions per instance
        var latency = StartToEnd(done);
        return new JsonObject
        {
            ["instances"] = count,
            ["seconds"] = Math.Round(seconds, 2),
            ["seconds_until_every_wait_returned"] = Math.Round(wall, 2),
            ["work_items_per_s"] = Math.Round(workItems / seconds),
            ["orchestrations_per_s"] = Math.Round(count / seconds, 1),
            ["start_to_completion_p50_ms"] = Math.Round(Stats.Percentile(latency, 50)),
            ["start_to_completion_p99_ms"] = Math.Round(Stats.Percentile(latency, 99)),
            ["failed"] = done.Count(d => d.RuntimeStatus != OrchestrationRuntimeStatus.Completed),
        };
    }

    public static async Task<JsonObject> ReleaseShapedAsync(DurableTaskClient client, int count)
    {
        var (done, seconds, wall) = await StartAndWaitAsync(client, nameof(ReleaseShaped), count, _ => 200);
        var actions = count * 8; // start, 3 activities scheduled, 3 completed, 1 timer
        return new JsonObject
        {
            ["instances"] = count,
            ["seconds"] = Math.Round(seconds, 2),
            ["seconds_until_every_wait_returned"] = Math.Round(wall, 2),
            ["instances_per_s"] = Math.Round(count / seconds, 1),
            ["actions_per_s"] = Math.Round(actions / seconds),
            ["goal_actions_per_s"] = 2000,
            ["failed"] = done.Count(d => d.RuntimeStatus != OrchestrationRuntimeStatus.Completed),
        };
    }

    /// <summary>
    /// Starts <paramref name="count"/> instances at once (32 concurrent starters, as a burst of webhooks would) and
    /// waits for each. The measured time ends at the last instance's completion as the backend recorded it (some
    /// backends answer a wait by polling, which would add up to a polling interval); the time until every wait
    /// returned is reported next to it.
    /// </summary>
    private static async Task<(List<OrchestrationMetadata> Done, double Seconds, double Wall)> StartAndWaitAsync(
        DurableTaskClient client, string name, int count, Func<int, object?> input)
    {
        var run = Guid.NewGuid().ToString("N")[..6];
        var ids = Enumerable.Range(0, count).Select(i => $"{name}-{run}-{i}").ToList();
        var started = DateTimeOffset.UtcNow;
        var watch = Stopwatch.StartNew();
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = 32 },
            async (i, ct) => await client.ScheduleNewOrchestrationInstanceAsync(name, input(i), new StartOrchestrationOptions(ids[i]), ct));

        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(20));
        var done = new OrchestrationMetadata[count];
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = timeout.Token },
            async (i, ct) => done[i] = await client.WaitForInstanceCompletionAsync(ids[i], getInputsAndOutputs: false, ct));
        var wall = watch.Elapsed.TotalSeconds;
        var last = done.Max(d => d.LastUpdatedAt);
        var seconds = last > started ? Math.Min(wall, (last - started).TotalSeconds) : wall;
        return ([.. done], seconds, wall);
    }

    private static List<double> StartToEnd(IEnumerable<OrchestrationMetadata> done)
        => done.Select(d => (d.LastUpdatedAt - d.CreatedAt).TotalMilliseconds).Order().ToList();

    /// <summary>
    /// Writes the dated side-by-side file (markdown and JSON) from this run's records: each backend's W1 and W2, and
    /// the ratios of the embedded backend on SQLite to Azure Storage on Azurite.
    /// </summary>
    public static async Task WriteComparisonAsync(string folder, IReadOnlyList<JsonObject> records, IEnumerable<string> notes, string? runName = null)
    {
        var day = DateTimeOffset.UtcNow.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) + (runName is null ? "" : "-" + runName);
        double? Figure(string workload, string store, string figure)
            => records.FirstOrDefault(r => (string?)r["workload"] == workload && (string?)r["store"] == store)?["figures"]?[figure]?.GetValue<double>();

        var stores = records.Select(r => (string)r["store"]!).Distinct().ToList();
        var first = records[0];
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"# W1 and W2 on the official Durable Task runtime, {day}");
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"Commit {first["commit"]}, `{first["command"]}`, nproc {first["nproc"]}, {first["cpu"]}, .NET {first["dotnet"]}.");
        text.AppendLine("One run, one backend after the other, the same SDK worker (Microsoft.DurableTask.Worker 1.28.0, TaskOrchestrator/TaskActivity classes in bench/ReleaseFunctions.Bench/Sdk) on each; `engine-sqlite` is the project's own engine (ReleaseFunctions.Durable) on SQLite, for the old-versus-new column.");
        text.AppendLine();
        text.AppendLine("| backend | W1 instances | W1 work items/s | W1 orchestrations/s | W1 p50 / p99 ms | W2 instances | W2 actions/s | W2 instances/s | failed | load (1 min) |");
        text.AppendLine("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
        foreach (var store in stores)
        {
            var w1 = records.FirstOrDefault(r => (string?)r["workload"] == "w1" && (string?)r["store"] == store);
            var w2 = records.FirstOrDefault(r => (string?)r["workload"] == "w2" && (string?)r["store"] == store);
            string F(JsonObject? r, string name) => r?["figures"]?[name]?.ToJsonString() ?? "—";
            var failed = (w1?["figures"]?["failed"]?.GetValue<int>() ?? 0) + (w2?["figures"]?["failed"]?.GetValue<int>() ?? 0);
            text.AppendLine(CultureInfo.InvariantCulture,
                $"| {store} | {F(w1, "instances")} | {F(w1, "work_items_per_s")} | {F(w1, "orchestrations_per_s")} | {F(w1, "start_to_completion_p50_ms")} / {F(w1, "start_to_completion_p99_ms")} | {F(w2, "instances")} | {F(w2, "actions_per_s")} | {F(w2, "instances_per_s")} | {failed} | {w1?["load_average_1m"] ?? w2?["load_average_1m"]} |");
        }

        text.AppendLine();
        var ratios = new JsonObject();
        void Ratio(string over, string under)
        {
            foreach (var (workload, figure) in new[] { ("w1", "work_items_per_s"), ("w2", "actions_per_s") })
            {
                if (Figure(workload, over, figure) is { } a && Figure(workload, under, figure) is { } b && b > 0)
                {
                    var ratio = Math.Round(a / b, 1);
                    ratios[$"{workload}_{over}_over_{under}"] = ratio;
                    text.AppendLine(CultureInfo.InvariantCulture, $"- {workload.ToUpperInvariant()} {figure}: {over} / {under} = **{ratio.ToString(CultureInfo.InvariantCulture)}×**");
                }
            }
        }

        Ratio("sdk-embedded-sqlite-small", "sdk-azurestorage-azurite");
        Ratio("sdk-embedded-sqlite", "sdk-azurestorage-azurite");
        Ratio("sdk-embedded-sqlite", "sdk-inprocesstesthost");
        Ratio("sdk-embedded-postgres-1", "sdk-azurestorage-azurite");
        Ratio("sdk-embedded-postgres-2", "sdk-azurestorage-azurite");
        Ratio("sdk-embedded-sqlite", "engine-sqlite");
        Ratio("sdk-inprocesstesthost", "sdk-azurestorage-azurite");
        Ratio("engine-sqlite", "sdk-azurestorage-azurite");
        text.AppendLine();
        text.AppendLine("Goals: embedded SQLite ≥ 10× Azure Storage on Azurite; W1 ≥ 1,400 work items/s on SQLite (Microsoft's published EP2 figure for the Durable Task Scheduler; ≈ 250 on Azure Storage in Azure).");
        text.AppendLine();
        text.AppendLine("How it is measured: instances started at once by 32 concurrent starters; W1 counts 11 work items per instance (6 orchestrator episodes, 5 activities) and W2 8 actions (start, 3 activities scheduled and completed, 1 timer), as the engine runs do. The time ends at the last completion as the backend recorded it (`seconds`); `seconds_until_every_wait_returned` in the JSON adds the client's waiting (Azure Storage answers waits by polling).");
        foreach (var note in notes)
        {
            text.AppendLine();
            text.AppendLine(note);
        }

        await File.WriteAllTextAsync(Path.Combine(folder, $"sdk-{day}.md"), text.ToString());
        var summary = new JsonObject
        {
            ["date"] = first["date"]?.DeepClone(),
            ["commit"] = first["commit"]?.DeepClone(),
            ["command"] = first["command"]?.DeepClone(),
            ["nproc"] = first["nproc"]?.DeepClone(),
            ["cpu"] = first["cpu"]?.DeepClone(),
            ["dotnet"] = first["dotnet"]?.DeepClone(),
            ["ratios"] = ratios,
            ["notes"] = new JsonArray([.. notes.Select(n => (JsonNode?)JsonValue.Create(n))]),
            ["runs"] = new JsonArray([.. records.Select(r => r.DeepClone())]),
        };
        await File.WriteAllTextAsync(Path.Combine(folder, $"sdk-{day}.json"), summary.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
    }
}
