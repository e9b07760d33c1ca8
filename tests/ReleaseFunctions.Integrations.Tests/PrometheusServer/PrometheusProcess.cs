using System.Collections.Concurrent;
using System.Diagnostics;

namespace ReleaseFunctions.Integrations.Tests.PrometheusServer;

/// <summary>Where the real Prometheus binary is (Debian's <c>prometheus</c> package; <c>.ci/run</c> installs it).</summary>
public static class PrometheusBinary
{
    public const string Path = "/usr/bin/prometheus";

    public static bool Installed => File.Exists(Path);

    /// <summary>On CI (CI=true) a missing binary is a failure, never a silent skip.</summary>
    public static bool Required => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);
}

/// <summary>A test that needs the real Prometheus binary: skipped on a developer machine without it, failed on CI.</summary>
public sealed class PrometheusFactAttribute : FactAttribute
{
    public PrometheusFactAttribute()
    {
        if (!PrometheusBinary.Installed && !PrometheusBinary.Required)
        {
            Skip = $"{PrometheusBinary.Path} is not installed (apt-get install prometheus); on CI (CI=true) this test fails instead.";
        }
    }
}

/// <summary>
/// A real Prometheus server started for the tests: its own config and storage in a temp directory, listening on
/// 127.0.0.1 on a free port, scraping the test's counters every second. Killed (with its storage deleted) on dispose,
/// also when a test failed.
/// </summary>
public sealed class PrometheusProcess : IAsyncDisposable
{
    private static readonly TimeSpan StartupLimit = TimeSpan.FromSeconds(30);
    private readonly Process _process;
    private readonly DirectoryInfo _directory;
    private readonly ConcurrentQueue<string> _log;

    private PrometheusProcess(Process process, DirectoryInfo directory, ConcurrentQueue<string> log, Uri address)
    {
        _process = process;
        _directory = directory;
        _log = log;
        Address = address;
    }

    /// <summary>The server root, e.g. <c>http://127.0.0.1:41234/</c>.</summary>
    public Uri Address { get; }

    /// <summary>The server's last log lines, for failure messages.</summary>
    public string RecentLog => string.Join(Environment.NewLine, _log);

    public static async Task<PrometheusProcess> StartAsync(string scrapeTarget, HttpClient http)
    {
        var directory = Directory.CreateTempSubdirectory("releasefunctions-prometheus-");
        var config = System.IO.Path.Combine(directory.FullName, "prometheus.yml");
        await File.WriteAllTextAsync(config, $"""
            global:
              scrape_interval: 1s
              scrape_timeout: 900ms
              evaluation_interval: 1s
            scrape_configs:
              - job_name: release-functions-test
                static_configs:
                  - targets: ['{scrapeTarget}']
            """);

        var port = LoopbackPort.Free();
        var start = new ProcessStartInfo(PrometheusBinary.Path)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            ArgumentList =
            {
                $"--config.file={config}",
                $"--storage.tsdb.path={System.IO.Path.Combine(directory.FullName, "data")}",
                $"--web.listen-address=127.0.0.1:{port}",
                "--log.level=warn",
            },
        };
        var log = new ConcurrentQueue<string>();
        var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => Keep(log, e.Data);
        process.ErrorDataReceived += (_, e) => Keep(log, e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new PrometheusProcess(process, directory, log, new Uri($"http://127.0.0.1:{port}/"));
        try
        {
            await server.WaitUntilReadyAsync(http);
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>Polls <c>/-/ready</c> (bounded): the process runs on its own clock, so this is a wait on real I/O.</summary>
    private async Task WaitUntilReadyAsync(HttpClient http)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"prometheus exited with code {_process.ExitCode} before it was ready:{Environment.NewLine}{RecentLog}");
            }

            try
            {
                using var ready = await http.GetAsync(new Uri(Address, "-/ready"));
                if (ready.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            if (deadline.Elapsed > StartupLimit)
            {
                throw new TimeoutException($"prometheus was not ready at {Address} within {StartupLimit.TotalSeconds} s:{Environment.NewLine}{RecentLog}");
            }

            await Task.Delay(100);
        }
    }

    private static void Keep(ConcurrentQueue<string> log, string? line)
    {
        if (line is null)
        {
            return;
        }

        log.Enqueue(line);
        while (log.Count > 40 && log.TryDequeue(out _))
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        await _process.WaitForExitAsync();
        _process.Dispose();
        _directory.Delete(recursive: true);
    }
}
