using System.Diagnostics;
using System.Globalization;
using Microsoft.Data.Sqlite;
using Npgsql;
using ReleaseFunctions.Durable.Serialization;
using ReleaseFunctions.Durable.Tests.Support;
using Xunit.Abstractions;

namespace ReleaseFunctions.Durable.Tests;

/// <summary>
/// Several real app processes (the CrashHost) on one PostgreSQL schema: they share the work, one dies by SIGKILL and
/// the other finishes everything; the database goes away and comes back and the work still completes. Each side
/// effect is applied once per idempotency key, and no history records a decision twice.
/// </summary>
public sealed class ScaleOutTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("rf-scale-").FullName;
    private readonly string _schema = PostgresTestServer.NewSchema();

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
    public async Task Two_processes_share_the_work_and_the_survivor_finishes_it_after_the_other_is_SIGKILLed()
    {
        const int instances = 60;
        var connectionString = await PostgresTestServer.ConnectionStringAsync();
        using var doomed = ChildHost.Start(connectionString, _schema, EffectsDb, instances);
        using var survivor = ChildHost.Start(connectionString, _schema, EffectsDb, instances);

        // Kill mid-way, in the second step: activities, soak timers and episodes of both processes are in flight.
        await doomed.WaitForAsync(p => p.Effects >= instances + instances / 3, TimeSpan.FromSeconds(60));
        doomed.Kill();
        output.WriteLine($"killed one process at {doomed.Last}");

        await survivor.WaitForAsync(p => p.AllComplete, TimeSpan.FromSeconds(90));
        output.WriteLine(await survivor.StopAsync());

        await AssertEveryInstanceCompletedOnceAsync(connectionString, instances);
        var byProcess = EffectsByProcess();
        output.WriteLine("effects by process: " + string.Join(", ", byProcess.Select(kv => $"{kv.Key}={kv.Value}")));
        Assert.True(byProcess.GetValueOrDefault(doomed.ProcessId) > 0, "the killed process applied no side effect");
        Assert.True(byProcess.GetValueOrDefault(survivor.ProcessId) > 0, "the surviving process applied no side effect");
    }

    [Fact]
    public async Task Work_completes_once_after_the_database_is_stopped_and_started_again_mid_run()
    {
        const int instances = 30;
        await using var cluster = await PostgresCluster.StartAsync();
        using var app = ChildHost.Start(cluster.ConnectionString, _schema, EffectsDb, instances);

        await app.WaitForAsync(p => p.Effects >= instances / 2, TimeSpan.FromSeconds(60));
        await cluster.StopAsync();
        output.WriteLine($"database stopped at {app.Last}");
        await app.WaitForErrorAsync(TimeSpan.FromSeconds(20)); // the app noticed the outage
        await Task.Delay(TimeSpan.FromSeconds(2)); // an outage of real seconds (not a durable timer)
        await cluster.RestartAsync();
        output.WriteLine("database started again");

        await app.WaitForAsync(p => p.AllComplete, TimeSpan.FromSeconds(60));
        output.WriteLine(await app.StopAsync());
        await AssertEveryInstanceCompletedOnceAsync(cluster.ConnectionString, instances);
    }

    private async Task AssertEveryInstanceCompletedOnceAsync(string connectionString, int instances)
    {
        await using var db = new NpgsqlConnection(connectionString);
        await db.OpenAsync();
        await using (var completed = new NpgsqlCommand($"SELECT COUNT(*) FROM \"{_schema}\".instances WHERE runtime_status = 'Completed'", db))
        {
            Assert.Equal((long)instances, await completed.ExecuteScalarAsync());
        }

        var histories = new Dictionary<string, List<HistoryEvent>>();
        await using (var cmd = new NpgsqlCommand($"SELECT instance_id, event FROM \"{_schema}\".history ORDER BY instance_id, seq", db))
        await using (var rows = await cmd.ExecuteReaderAsync())
        {
            while (await rows.ReadAsync())
            {
                var id = rows.GetString(0);
                if (!histories.TryGetValue(id, out var events))
                {
                    histories[id] = events = [];
                }

                events.Add(HistorySerializer.Deserialize(rows.GetString(1)));
            }
        }

        Assert.Equal(instances, histories.Count);
        foreach (var (instanceId, events) in histories)
        {
            Assert.True(events.OfType<TaskScheduledEvent>().Select(e => e.TaskId).SequenceEqual([0, 2, 3]), $"{instanceId} scheduled its steps other than once each, in order");
            Assert.Single(events.OfType<TimerCreatedEvent>());
            Assert.Single(events.OfType<ExecutionStartedEvent>());
            Assert.Single(events.OfType<ExecutionCompletedEvent>());
            Assert.Equal(3, events.OfType<TaskCompletedEvent>().Count());
            Assert.True(events.Count(e => e is TimerFiredEvent) == 1, $"{instanceId} saw its timer fire more than once");
        }

        await using var effects = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = EffectsDb, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        effects.Open();
        Assert.Equal(instances * 3, Scalar(effects, "SELECT COUNT(*) FROM effects"));
        Assert.Equal(instances * 3, Scalar(effects, "SELECT COUNT(DISTINCT key) FROM effects"));
        output.WriteLine($"{Scalar(effects, "SELECT COUNT(*) FROM attempts")} activity deliveries for {instances * 3} side effects");
    }

    private Dictionary<int, long> EffectsByProcess()
    {
        using var effects = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = EffectsDb, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        effects.Open();
        using var cmd = effects.CreateCommand();
        cmd.CommandText = "SELECT pid, COUNT(*) FROM effects GROUP BY pid";
        using var rows = cmd.ExecuteReader();
        var counts = new Dictionary<int, long>();
        while (rows.Read())
        {
            counts[rows.GetInt32(0)] = rows.GetInt64(1);
        }

        return counts;
    }

    private static long Scalar(SqliteConnection c, string sql)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        return (long)cmd.ExecuteScalar()!;
    }

    private sealed record Progress(long Completed, long Effects, bool AllComplete);

    /// <summary>One CrashHost process in PostgreSQL mode; its progress lines are read as they come.</summary>
    private sealed class ChildHost : IDisposable
    {
        private readonly Process _process;
        private readonly Task<string> _stderr;
        private readonly Task _reader;
        private volatile Progress _last = new(0, 0, false);
        private volatile bool _sawError;

        private ChildHost(Process process)
        {
            _process = process;
            _stderr = process.StandardError.ReadToEndAsync();
            _reader = Task.Run(ReadAsync);
        }

        public int ProcessId => _process.Id;
        public Progress Last => _last;

        public static ChildHost Start(string connectionString, string schema, string effectsDb, int instances)
        {
            var host = Path.Combine(AppContext.BaseDirectory, "ReleaseFunctions.Durable.CrashHost.dll");
            var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var arg in new[] { host, "postgres", connectionString, schema, effectsDb, instances.ToString(CultureInfo.InvariantCulture) })
            {
                start.ArgumentList.Add(arg);
            }

            return new ChildHost(Process.Start(start)!);
        }

        private async Task ReadAsync()
        {
            while (await _process.StandardOutput.ReadLineAsync() is { } line)
            {
                if (line == "ALL-COMPLETE")
                {
                    _last = _last with { AllComplete = true };
                }
                else if (line.StartsWith("PROGRESS-ERROR ", StringComparison.Ordinal))
                {
                    _sawError = true;
                }
                else if (line.StartsWith("PROGRESS ", StringComparison.Ordinal))
                {
                    var fields = line[9..].Split(' ').Select(f => f.Split('=')).ToDictionary(f => f[0], f => long.Parse(f[1], CultureInfo.InvariantCulture));
                    _last = new Progress(fields["completed"], fields["effects"], false);
                }
            }
        }

        /// <summary>Waits (real time, bounded) until the child reports progress that matches.</summary>
        public async Task WaitForAsync(Func<Progress, bool> condition, TimeSpan limit)
        {
            var deadline = Stopwatch.StartNew();
            while (!condition(_last))
            {
                if (_process.HasExited)
                {
                    // The child may have printed its last lines just before exiting: read them all before judging.
                    await _reader;
                    if (condition(_last))
                    {
                        return;
                    }

                    throw new InvalidOperationException($"The child exited with code {_process.ExitCode} at {_last}; stderr: {await _stderr}");
                }

                if (deadline.Elapsed > limit)
                {
                    Kill();
                    throw new TimeoutException($"The child did not get there within {limit}; last {_last}; stderr: {await _stderr}");
                }

                await Task.Delay(20);
            }
        }

        public async Task WaitForErrorAsync(TimeSpan limit)
        {
            var deadline = Stopwatch.StartNew();
            while (!_sawError)
            {
                if (deadline.Elapsed > limit)
                {
                    throw new TimeoutException($"The child reported no store error within {limit} of the database stopping.");
                }

                await Task.Delay(20);
            }
        }

        /// <summary>SIGKILL on Linux: no shutdown code runs, leases and connections are left as they were.</summary>
        public void Kill()
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }
        }

        /// <summary>Waits for the child to exit after ALL-COMPLETE and returns its standard error (logs).</summary>
        public async Task<string> StopAsync()
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await _process.WaitForExitAsync(timeout.Token);
            await _reader;
            return await _stderr;
        }

        public void Dispose()
        {
            Kill();
            _process.Dispose();
        }
    }
}
