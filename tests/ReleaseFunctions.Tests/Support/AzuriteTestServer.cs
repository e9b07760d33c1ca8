using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace ReleaseFunctions.Tests.Support;

/// <summary>
/// The Table service the Tables ledger's tests use: one Azurite process (npm <c>azurite</c> <see cref="Version"/>, its
/// table service only) for the test run, on a free port of 127.0.0.1, with a temporary <c>--location</c>. It is
/// killed when the test process exits, and stops by itself within a second if the test process dies (a watchdog
/// shell waits on this process's id). Azurite is found at <c>RELEASEFUNCTIONS_TEST_AZURITE</c> (as <c>.ci/run</c>
/// sets it), on the PATH, or where <c>.ci/run</c> installs it; when it is missing the tests fail, naming how to
/// install it. Each test works in tables of its own (<see cref="NewTableName"/>).
/// </summary>
public static class AzuriteTestServer
{
    public const string Version = "3.37.0";
    public const string ExecutableVariable = "RELEASEFUNCTIONS_TEST_AZURITE";

    // The emulator's well-known development account (public, documented by Azurite).
    private const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private static readonly Lazy<Task<string>> Shared = new(StartAsync, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>The connection string of the shared Azurite (started at first use).</summary>
    public static Task<string> ConnectionStringAsync() => Shared.Value;

    /// <summary>A table name no other test uses (letters and digits).</summary>
    public static string NewTableName() => "t" + Guid.NewGuid().ToString("N")[..20];

    /// <summary>Where <c>.ci/run</c> installs Azurite when it is missing (<c>npm install --prefix</c>).</summary>
    public static string CachePrefix => Path.Combine(
        Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } xdg ? xdg : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache"),
        "releasefunctions", $"azurite-{Version}");

    private static async Task<string> StartAsync()
    {
        var executable = Find() ?? throw new InvalidOperationException(
            $"Azurite (npm azurite {Version}) is not installed, and the Tables ledger's tests need it: run .ci/run (it installs it into {CachePrefix}), " +
            $"or 'npm install -g azurite@{Version}', or set {ExecutableVariable} to its azurite-table executable.");
        var location = Directory.CreateTempSubdirectory("rf-azurite-").FullName;
        var port = LoopbackPort.Free();
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        // The watchdog: Azurite in the background, killed when this test process is gone (or when the shell is killed).
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add("""
            parent=$1; shift
            "$@" & child=$!
            trap 'kill "$child" 2>/dev/null' EXIT TERM INT
            while kill -0 "$parent" 2>/dev/null && kill -0 "$child" 2>/dev/null; do sleep 1; done
            """);
        start.ArgumentList.Add("azurite-watchdog");
        foreach (var argument in new[]
                 {
                     Environment.ProcessId.ToString(CultureInfo.InvariantCulture), executable,
                     "--tableHost", "127.0.0.1", "--tablePort", port.ToString(CultureInfo.InvariantCulture),
                     "--location", location, "--disableTelemetry", "--skipApiVersionCheck",
                 })
        {
            start.ArgumentList.Add(argument);
        }

        var log = new StringBuilder();
        var listening = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var process = Process.Start(start)!;
        void Read(object _, DataReceivedEventArgs e)
        {
            lock (log)
            {
                log.AppendLine(e.Data);
            }

            if (e.Data?.Contains("successfully", StringComparison.OrdinalIgnoreCase) == true)
            {
                listening.TrySetResult();
            }
        }

        process.OutputDataReceived += Read;
        process.ErrorDataReceived += Read;
        process.EnableRaisingEvents = true;
        process.Exited += (_, _) => listening.TrySetException(new InvalidOperationException($"Azurite ({executable}) exited with {process.ExitCode} before listening on 127.0.0.1:{port}: {Text(log)}"));
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Stop(process, location);
        try
        {
            await listening.Task.WaitAsync(TimeSpan.FromSeconds(60));
        }
        catch (TimeoutException)
        {
            Stop(process, location);
            throw new InvalidOperationException($"Azurite ({executable}) did not listen on 127.0.0.1:{port} within 60 s: {Text(log)}");
        }

        return $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={AccountKey};TableEndpoint=http://127.0.0.1:{port}/devstoreaccount1;";
    }

    private static string? Find()
    {
        if (Environment.GetEnvironmentVariable(ExecutableVariable) is { Length: > 0 } given)
        {
            return File.Exists(given) ? given : throw new InvalidOperationException($"{ExecutableVariable} is '{given}', which is not a file; expected the azurite-table executable (npm azurite {Version}).");
        }

        var cached = Path.Combine(CachePrefix, "node_modules", ".bin", "azurite-table");
        var path = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(folder => Path.Combine(folder, "azurite-table"))
            .FirstOrDefault(File.Exists);
        return path ?? (File.Exists(cached) ? cached : null);
    }

    private static void Stop(Process process, string location)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(10_000);
            }

            Directory.Delete(location, recursive: true);
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or UnauthorizedAccessException)
        {
            // Gone already, or its folder is still held: the temp folder is left behind, nothing else.
        }
    }

    private static string Text(StringBuilder log)
    {
        lock (log)
        {
            return log.ToString();
        }
    }

}
