using System.Diagnostics;

namespace ReleaseFunctions.Durable.Tests.Support;

/// <summary>
/// The PostgreSQL server the tests use. With <c>RELEASEFUNCTIONS_TEST_POSTGRES</c> set (as <c>.ci/run</c> does) that
/// server; on CI without it the tests fail rather than skip; on a developer machine without it, a throwaway cluster
/// is started with <c>.ci/postgres.sh</c> (127.0.0.1 only) and stopped when the test process exits.
/// Each test works in its own schema (<see cref="NewSchema"/>), so tests share the database but no data.
/// </summary>
public static class PostgresTestServer
{
    public const string ConnectionVariable = "RELEASEFUNCTIONS_TEST_POSTGRES";

    private static readonly Lazy<Task<string>> Shared = new(StartSharedAsync, LazyThreadSafetyMode.ExecutionAndPublication);

    public static Task<string> ConnectionStringAsync() => Shared.Value;

    /// <summary>A schema name no other test uses.</summary>
    public static string NewSchema() => "t_" + Guid.NewGuid().ToString("N")[..20];

    private static async Task<string> StartSharedAsync()
    {
        var given = Environment.GetEnvironmentVariable(ConnectionVariable);
        if (!string.IsNullOrWhiteSpace(given))
        {
            return given;
        }

        if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException($"{ConnectionVariable} is not set, and CI=true: the PostgreSQL tests need the server .ci/run starts with .ci/postgres.sh.");
        }

        var cluster = await PostgresCluster.StartAsync();
        AppDomain.CurrentDomain.ProcessExit += (_, _) => cluster.StopAndDelete();
        return cluster.ConnectionString;
    }
}

/// <summary>A throwaway cluster of its own, started by <c>.ci/postgres.sh</c>; it stops by itself if this process dies.</summary>
public sealed class PostgresCluster : IAsyncDisposable
{
    private PostgresCluster(string folder, string connectionString)
    {
        Folder = folder;
        ConnectionString = connectionString;
    }

    public string Folder { get; }
    public string ConnectionString { get; }

    public static async Task<PostgresCluster> StartAsync()
    {
        var folder = Directory.CreateTempSubdirectory("rf-pg-").FullName;
        var output = await RunScriptAsync("start", folder, "--stop-with-pid", Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return new PostgresCluster(folder, output.Trim().Split('\n')[^1]);
    }

    /// <summary>Stops the server the way an operator or a failover does: open sessions are cut at once.</summary>
    public Task StopAsync() => RunScriptAsync("stop", Folder);

    /// <summary>Starts the stopped server again on the same port.</summary>
    public Task RestartAsync() => RunScriptAsync("restart", Folder);

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        Delete();
    }

    internal void StopAndDelete()
    {
        RunScriptAsync("stop", Folder).GetAwaiter().GetResult();
        Delete();
    }

    private void Delete()
    {
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private static async Task<string> RunScriptAsync(params string[] args)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Script());
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        await process.WaitForExitAsync(timeout.Token);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($".ci/postgres.sh {string.Join(' ', args)} failed with exit code {process.ExitCode}: {await stderr}");
        }

        return await stdout;
    }

    private static string Script()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, ".ci", "postgres.sh");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException($"No .ci/postgres.sh above {AppContext.BaseDirectory}; the PostgreSQL tests start their server with it.");
    }
}
