using System.Diagnostics;

namespace ReleaseFunctions.Tests.Hosting;

/// <summary>The built app as a real process: how it stops on bad settings, and its publish mode.</summary>
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
                ["FUNCTIONS_CUSTOMHANDLER_PORT"] = "70000",
            });

        Assert.Equal(1, exitCode);
        Assert.Contains("ReleaseFunctions cannot start because of its settings:", error, StringComparison.Ordinal);
        Assert.Contains("  - ReleaseFunctions__Store__Provider is 'mysql'; expected 'sqlite' or 'postgres'.", error, StringComparison.Ordinal);
        Assert.Contains("  - ReleaseFunctions__Sandbox__Enabled is 'maybe'; expected 'true' or 'false'.", error, StringComparison.Ordinal);
        Assert.Contains("  - FUNCTIONS_CUSTOMHANDLER_PORT is '70000'; expected the TCP port (1-65535)", error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output + error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Emit_functions_without_a_directory_explains_the_usage()
    {
        var (exitCode, _, error) = await RunAppAsync(["--emit-functions"], []);

        Assert.Equal(2, exitCode);
        Assert.Contains("--emit-functions needs a directory; expected '--emit-functions <publish folder>'.", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Emit_functions_writes_into_the_directory_without_starting_the_server()
    {
        var directory = Directory.CreateTempSubdirectory("releasefunctions-emit-process-");
        try
        {
            // Settings are not validated in this mode: publish runs without the app's secrets.
            var (exitCode, output, error) = await RunAppAsync(
                ["--emit-functions", directory.FullName],
                new Dictionary<string, string> { ["ReleaseFunctions__Store__Provider"] = "mysql" });

            Assert.True(exitCode == 0, error);
            Assert.Contains($"function.json file(s) to {directory.FullName}.", output, StringComparison.Ordinal);
            Assert.DoesNotContain("Now listening", output, StringComparison.Ordinal);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
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
