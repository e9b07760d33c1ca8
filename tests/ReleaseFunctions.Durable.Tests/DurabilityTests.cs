using System.Diagnostics;
using Microsoft.Data.Sqlite;
using Xunit.Abstractions;

namespace ReleaseFunctions.Durable.Tests;

/// <summary>
/// Kills a real child process running the engine with SIGKILL at several points (activities running, instances
/// waiting on timers), restarts it on the same SQLite file, and checks that every instance completes, no
/// orchestration decision is recorded twice, and every side effect keyed by its idempotency key is applied once.
/// </summary>
public sealed class DurabilityTests(ITestOutputHelper output) : IDisposable
{
    private const int Instances = 40;
    private readonly string _folder = Directory.CreateTempSubdirectory("rf-crash-").FullName;

    private string EngineDb => Path.Combine(_folder, "engine.db");
    private string EffectsDb => Path.Combine(_folder, "effects.db");

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_folder, true);
        }
        catch (IOException)
        {
        }
    }

    [Fact]
    public async Task Every_instance_completes_once_after_repeated_SIGKILLs()
    {
        // Kill points by progress: early (starts and first activities in flight), while most wait on their soak
        // timers, and while the later steps' activities run.
        var killPoints = new Func<Progress, bool>[]
        {
            p => p.Effects >= 5,
            p => p.Effects >= Instances,
            p => p.Effects >= Instances + 15,
            p => p.Effects >= 2 * Instances + 10,
        };
        var kills = 0;
        foreach (var killWhen in killPoints)
        {
            var last = await RunChildAsync(killWhen, TimeSpan.FromSeconds(60));
            if (last.AllComplete)
            {
                break;
            }

            kills++;
            output.WriteLine($"killed at completed={last.Completed} effects={last.Effects}");
        }

        var final = await RunChildAsync(_ => false, TimeSpan.FromSeconds(90));
        Assert.True(final.AllComplete, $"the last run ended at completed={final.Completed} effects={final.Effects}");
        Assert.True(kills >= 3, $"only {kills} kills happened before everything completed");

        await using var engine = Open(EngineDb);
        Assert.Equal(Instances, Scalar(engine, "SELECT COUNT(*) FROM instances WHERE runtime_status = 'Completed'"));
        foreach (var (instanceId, events) in Histories(engine))
        {
            var scheduled = events.OfType<TaskScheduledEvent>().Select(e => e.TaskId).ToList();
            Assert.Equal(scheduled.Distinct().Count(), scheduled.Count);
            Assert.Equal([0, 2, 3], scheduled);
            Assert.Single(events.OfType<TimerCreatedEvent>());
            Assert.Single(events.OfType<ExecutionStartedEvent>());
            Assert.Single(events.OfType<ExecutionCompletedEvent>());
            Assert.Equal(3, events.OfType<TaskCompletedEvent>().Count());
            Assert.True(events.Count(e => e is TimerFiredEvent) == 1, $"{instanceId} saw its timer fire more than once");
        }

        await using var effects = Open(EffectsDb);
        Assert.Equal(Instances * 3, Scalar(effects, "SELECT COUNT(*) FROM effects"));
        Assert.Equal(Instances * 3, Scalar(effects, "SELECT COUNT(DISTINCT key) FROM effects"));
        var attempts = Scalar(effects, "SELECT COUNT(*) FROM attempts");
        output.WriteLine($"{kills} kills; {attempts} activity deliveries for {Instances * 3} side effects");
        Assert.True(attempts >= Instances * 3);
    }

    private sealed record Progress(long Completed, long Effects, bool AllComplete);

    private async Task<Progress> RunChildAsync(Func<Progress, bool> killWhen, TimeSpan limit)
    {
        var host = Path.Combine(AppContext.BaseDirectory, "ReleaseFunctions.Durable.CrashHost.dll");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { host, EngineDb, EffectsDb, Instances.ToString(System.Globalization.CultureInfo.InvariantCulture) })
        {
            start.ArgumentList.Add(arg);
        }

        using var child = Process.Start(start)!;
        var stderr = child.StandardError.ReadToEndAsync();
        var last = new Progress(0, 0, false);
        using var timeout = new CancellationTokenSource(limit);
        try
        {
            while (await child.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
            {
                if (line == "ALL-COMPLETE")
                {
                    last = last with { AllComplete = true };
                    break;
                }

                if (line.StartsWith("PROGRESS ", StringComparison.Ordinal))
                {
                    var fields = line[9..].Split(' ').Select(f => f.Split('=')).ToDictionary(f => f[0], f => long.Parse(f[1], System.Globalization.CultureInfo.InvariantCulture));
                    last = new Progress(fields["completed"], fields["effects"], false);
                    if (killWhen(last))
                    {
                        child.Kill(entireProcessTree: true); // SIGKILL on Linux: no shutdown code runs
                        break;
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
            child.Kill(entireProcessTree: true);
            throw new TimeoutException($"The child made no progress to the expected point within {limit}; last {last}; stderr: {await stderr}");
        }

        await child.WaitForExitAsync();
        if (!last.AllComplete && !child.HasExited)
        {
            throw new InvalidOperationException("child still running");
        }

        var errors = await stderr;
        if (!string.IsNullOrWhiteSpace(errors))
        {
            output.WriteLine(errors);
        }

        return last;
    }

    private static SqliteConnection Open(string path)
    {
        var c = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        c.Open();
        return c;
    }

    private static long Scalar(SqliteConnection c, string sql)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        return (long)cmd.ExecuteScalar()!;
    }

    private static IEnumerable<(string InstanceId, List<HistoryEvent> Events)> Histories(SqliteConnection c)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT instance_id, event FROM history ORDER BY instance_id, seq";
        using var rows = cmd.ExecuteReader();
        var all = new Dictionary<string, List<HistoryEvent>>();
        while (rows.Read())
        {
            var id = rows.GetString(0);
            if (!all.TryGetValue(id, out var list))
            {
                all[id] = list = new List<HistoryEvent>();
            }

            list.Add(Serialization.HistorySerializer.Deserialize(rows.GetString(1)));
        }

        return all.Select(kv => (kv.Key, kv.Value));
    }
}
