using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Worker;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Embedded = ReleaseFunctions.Durable.EmbeddedBackendServiceCollectionExtensions;

namespace ReleaseFunctions.Bench.Sdk;

/// <summary>
/// The project's embedded Durable Task backend (its SQLite/PostgreSQL store served in-process through the Durable
/// Task backend protocol) with the SDK worker and client on it: SQLite; PostgreSQL with one process; PostgreSQL with
/// two, the second a copy of this program (mode <c>sdk-worker</c>) running a backend and a worker on the same schema.
/// </summary>
internal static class EmbeddedBackends
{
    /// <summary>
    /// The embedded backends. <c>sdk-embedded-sqlite-small</c> is SQLite again, meant to run at Azure Storage's
    /// (smaller) sizes, so that the ratio between the two compares runs of one size.
    /// </summary>
    public static IEnumerable<SdkBench.Backend> All(Func<Task<string>> postgres)
    {
        const string Slower = "the full sizes would take over 10 minutes each on this machine";
        yield return new SdkBench.Backend("sdk-embedded-sqlite", () => EmbeddedBackend.StartSqliteAsync(), Slower);
        yield return new SdkBench.Backend("sdk-embedded-sqlite-small", () => EmbeddedBackend.StartSqliteAsync(), "the sizes Azure Storage ran, for a ratio of runs of one size");
        yield return new SdkBench.Backend("sdk-embedded-postgres-1", async () => await EmbeddedBackend.StartPostgresAsync(await postgres(), processes: 1), Slower);
        yield return new SdkBench.Backend("sdk-embedded-postgres-2", async () => await EmbeddedBackend.StartPostgresAsync(await postgres(), processes: 2), Slower);
    }

    /// <summary>Mode <c>sdk-worker --connection CS --schema S</c>: a backend and a worker on the schema until stdin closes.</summary>
    public static async Task RunWorkerAsync(string connection, string schema)
    {
        using var host = EmbeddedBackend.Build(withClient: false, b => b.UsePostgres(o =>
        {
            o.ConnectionString = connection;
            o.Schema = schema;
        }));
        await host.StartAsync();
        Console.WriteLine("ready");
        await Console.In.ReadToEndAsync(); // the parent closes stdin (or dies) to stop it
        await host.StopAsync();
    }
}

internal sealed class EmbeddedBackend : ISdkBackend
{
    private readonly IHost _host;
    private readonly string? _folder;
    private readonly Process? _second;

    private EmbeddedBackend(IHost host, string? folder, Process? second, JsonObject settings)
    {
        _host = host;
        _folder = folder;
        _second = second;
        Settings = settings;
        Client = host.Services.GetRequiredService<DurableTaskClient>();
    }

    public DurableTaskClient Client { get; }

    public JsonObject Settings { get; }

    /// <summary>The SQLite store's folder (null on PostgreSQL, whose files are not ours to measure).</summary>
    public string? StoreFolder => _folder;

    public static async Task<ISdkBackend> StartSqliteAsync()
    {
        var folder = Directory.CreateTempSubdirectory("rf-bench-embedded-").FullName;
        var host = Build(withClient: true, b => b.UseSqlite(o => o.Path = Path.Combine(folder, "engine.db")));
        await host.StartAsync();
        return new EmbeddedBackend(host, folder, null, Describe(host, "SQLite (a file in a temp folder)", 1));
    }

    public static async Task<ISdkBackend> StartPostgresAsync(string connection, int processes)
    {
        var schema = "bench_" + Guid.NewGuid().ToString("N")[..12];
        var host = Build(withClient: true, b => b.UsePostgres(o =>
        {
            o.ConnectionString = connection;
            o.Schema = schema;
        }));
        await host.StartAsync();
        Process? second = null;
        if (processes == 2)
        {
            var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
            {
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                UseShellExecute = false,
            };
            foreach (var argument in new[] { Path.Combine(AppContext.BaseDirectory, "ReleaseFunctions.Bench.dll"), "sdk-worker", "--connection", connection, "--schema", schema })
            {
                start.ArgumentList.Add(argument);
            }

            start.Environment["Logging__LogLevel__Default"] = "Warning";
            second = Process.Start(start)!;
            var ready = await second.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60));
            if (ready != "ready")
            {
                throw new InvalidOperationException($"the second worker process did not start: '{ready}'");
            }
        }

        return new EmbeddedBackend(host, null, second, Describe(host, "PostgreSQL 15 (a throwaway cluster from .ci/postgres.sh, fsync off, or --connection)", processes));
    }

    internal static IHost Build(bool withClient, Action<ReleaseFunctions.Durable.EmbeddedBackendBuilder> store)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        Embedded.AddEmbeddedDurableTaskBackend(builder.Services, store);
        builder.Services.AddDurableTaskWorker(worker =>
        {
            worker.AddTasks(SdkTasks.Register);
            Embedded.UseEmbeddedBackend(worker);
        });
        if (withClient)
        {
            builder.Services.AddDurableTaskClient(client => Embedded.UseEmbeddedBackend(client));
        }

        return builder.Build();
    }

    private static JsonObject Describe(IHost host, string store, int processes)
    {
        var options = host.Services.GetRequiredService<ReleaseFunctions.Durable.Embedded.EmbeddedBackendOptions>();
        return new JsonObject
        {
            ["store"] = store,
            ["processes"] = processes,
            ["max_concurrent_orchestrations"] = options.MaxConcurrentOrchestrations,
            ["max_concurrent_activities"] = options.MaxConcurrentActivities,
            ["worker"] = "SDK defaults",
        };
    }

    public async ValueTask DisposeAsync()
    {
        if (_second is not null)
        {
            _second.StandardInput.Close();
            if (!_second.WaitForExit(TimeSpan.FromSeconds(15)))
            {
                _second.Kill(entireProcessTree: true);
            }

            _second.Dispose();
        }

        await _host.StopAsync();
        _host.Dispose();
        if (_folder is not null)
        {
            Directory.Delete(_folder, recursive: true);
        }
    }
}

/// <summary>A throwaway PostgreSQL cluster from <c>.ci/postgres.sh</c> (127.0.0.1 only), stopped with the run.</summary>
internal sealed class PostgresServer : IAsyncDisposable
{
    private readonly string _script;
    private readonly string _folder;

    private PostgresServer(string script, string folder, string connectionString)
    {
        _script = script;
        _folder = folder;
        ConnectionString = connectionString;
    }

    public string ConnectionString { get; }

    public static async Task<PostgresServer> StartAsync(string root)
    {
        var script = Path.Combine(root, ".ci", "postgres.sh");
        var folder = Directory.CreateTempSubdirectory("rf-bench-pg-").FullName;
        var output = await RunAsync(script, "start", folder, "--stop-with-pid", Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
        return new PostgresServer(script, folder, output.Trim().Split('\n')[^1]);
    }

    public async ValueTask DisposeAsync()
    {
        await RunAsync(_script, "stop", _folder);
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // the cluster's own cleanup (--stop-with-pid) may be deleting it too
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private static async Task<string> RunAsync(string script, params string[] arguments)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(script);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return process.ExitCode == 0
            ? await output
            : throw new InvalidOperationException($"{script} {string.Join(' ', arguments)} failed ({process.ExitCode}): {await errors}");
    }
}
