using System.Diagnostics;
using System.Net.Sockets;
using System.Text;

namespace ReleaseFunctions.Bench.Sdk;

/// <summary>
/// Azurite (npm <c>azurite</c>, the storage emulator), installed once into a cache folder with npm and started on
/// three free ports of 127.0.0.1 with in-memory persistence; stopped (killed) with the run. Bench only.
/// </summary>
internal sealed class Azurite : IAsyncDisposable
{
    public const string Version = "3.37.0";

    // The emulator's well-known development account (public, documented by Azurite).
    private const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private readonly Process _process;
    private readonly string _folder;
    private readonly StringBuilder _log;

    private Azurite(Process process, string folder, StringBuilder log, int blob, int queue, int table)
    {
        _process = process;
        _folder = folder;
        _log = log;
        ConnectionString = "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=" + AccountKey
            + $";BlobEndpoint=http://127.0.0.1:{blob}/devstoreaccount1;QueueEndpoint=http://127.0.0.1:{queue}/devstoreaccount1;TableEndpoint=http://127.0.0.1:{table}/devstoreaccount1;";
    }

    public string ConnectionString { get; }

    public static async Task<Azurite> StartAsync()
    {
        var script = await InstallAsync();
        var folder = Directory.CreateTempSubdirectory("rf-bench-azurite-").FullName;
        var (blob, queue, table) = (Ports.Free(), Ports.Free(), Ports.Free());
        var start = new ProcessStartInfo("node")
        {
            WorkingDirectory = folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[]
                 {
                     script, "--blobHost", "127.0.0.1", "--blobPort", $"{blob}", "--queueHost", "127.0.0.1", "--queuePort", $"{queue}",
                     "--tableHost", "127.0.0.1", "--tablePort", $"{table}", "--inMemoryPersistence", "--skipApiVersionCheck", "--disableTelemetry",
                 })
        {
            start.ArgumentList.Add(argument);
        }

        var log = new StringBuilder();
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, e) => { lock (log) { log.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (log) { log.AppendLine(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var azurite = new Azurite(process, folder, log, blob, queue, table);
        var deadline = Stopwatch.StartNew();
        while (!(Listening(blob) && Listening(queue) && Listening(table)))
        {
            if (process.HasExited || deadline.Elapsed > TimeSpan.FromSeconds(60))
            {
                await azurite.DisposeAsync();
                throw new InvalidOperationException($"Azurite did not start on 127.0.0.1:{blob}/{queue}/{table}: {azurite.Log}");
            }

            await Task.Delay(200);
        }

        return azurite;
    }

    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        Directory.Delete(_folder, recursive: true);
    }

    /// <summary>npm install --prefix &lt;cache&gt;/azurite-VERSION azurite@VERSION, unless it is there already.</summary>
    private static async Task<string> InstallAsync()
    {
        var cache = Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } xdg
            ? xdg
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        var prefix = Path.Combine(cache, "releasefunctions-bench", $"azurite-{Version}");
        var script = Path.Combine(prefix, "node_modules", "azurite", "dist", "src", "azurite.js");
        if (File.Exists(script))
        {
            return script;
        }

        Console.WriteLine($"installing azurite@{Version} into {prefix} ...");
        Directory.CreateDirectory(prefix);
        var npm = new ProcessStartInfo("npm") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { "install", "--prefix", prefix, $"azurite@{Version}", "--no-audit", "--no-fund" })
        {
            npm.ArgumentList.Add(argument);
        }

        using var process = Process.Start(npm)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0 || !File.Exists(script))
        {
            throw new InvalidOperationException($"npm install azurite@{Version} failed ({process.ExitCode}): {await output}{await errors}");
        }

        return script;
    }

    private static bool Listening(int port)
    {
        try
        {
            using var client = new TcpClient();
            client.Connect("127.0.0.1", port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}

internal static class Ports
{
    public static int Free()
    {
        using var listener = new TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}
