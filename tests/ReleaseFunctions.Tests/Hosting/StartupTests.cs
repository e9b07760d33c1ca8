using System.Diagnostics;

namespace ReleaseFunctions.Tests.Hosting;

/// <summary>The built app as a real process, standalone and as the Functions worker: how it stops on bad settings.</summary>
public sealed class StartupTests
{
    [Fact]
    public async Task Invalid_settings_stop_the_app_with_their_messages_a_non_zero_exit_code_and_no_stack_trace()
    {
        var (exitCode, output, error) = await RunAppAsync(
            [],
            new Dictionary<string, string>
            {
                ["ReleaseFunctions__Store__Provider"] = "mysql",
                ["ReleaseFunctions__Sandbox__Enabled"] = "maybe",
            });

        Assert.Equal(1, exitCode);
        Assert.Contains("ReleaseFunctions cannot start because of its settings:", error, StringComparison.Ordinal);
        Assert.Contains("  - ReleaseFunctions__Store__Provider is 'mysql'; expected 'sqlite' or 'postgres'.", error, StringComparison.Ordinal);
        Assert.Contains("  - ReleaseFunctions__Sandbox__Enabled is 'maybe'; expected 'true' or 'false'.", error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output + error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Launched_by_the_Functions_host_the_worker_checks_the_same_settings_before_it_connects()
    {
        // The host's launch arguments; nothing listens there, and the settings stop the worker before it would connect.
        var (exitCode, output, error) = await RunAppAsync(
            ["--functions-uri", "http://127.0.0.1:9/", "--functions-worker-id", "w1", "--functions-request-id", "r1", "--functions-grpc-max-message-length", "2147483647"],
            new Dictionary<string, string> { ["ReleaseFunctions__Store__Provider"] = "mysql" });

        Assert.Equal(1, exitCode);
        Assert.Contains("  - ReleaseFunctions__Store__Provider is 'mysql'; expected 'sqlite' or 'postgres'.", error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output + error, StringComparison.Ordinal);
    }

    private static async Task<(int ExitCode, string Output, string Error)> RunAppAsync(string[] arguments, Dictionary<string, string> environment)
    {
        var workingDirectory = Directory.CreateTempSubdirectory("releasefunctions-process-");
        try
        {
            var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
            {
                WorkingDirectory = workingDirectory.FullName,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "ReleaseFunctions.dll"));
            foreach (var argument in arguments)
            {
                start.ArgumentList.Add(argument);
            }

            // Port 0: should the app start after all, it must not collide with anything.
            start.Environment["ASPNETCORE_URLS"] = "http://127.0.0.1:0";
            foreach (var (key, value) in environment)
            {
                start.Environment[key] = value;
            }

            using var process = Process.Start(start)!;
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"The app did not exit within 30 s. Output: {await output} Error: {await error}");
            }

            return (process.ExitCode, await output, await error);
        }
        finally
        {
            workingDirectory.Delete(recursive: true);
        }
    }
}
