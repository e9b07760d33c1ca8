using System.Text.Json;
using ReleaseFunctions.Tests.Support;
using Xunit.Abstractions;

namespace ReleaseFunctions.Tests.EndToEnd;

/// <summary>
/// The app's own restart must not turn a good release into a rollback: the built app as a real process with the
/// sandbox, SIGKILLed mid-soak and started again on the same data folder. The sandbox's traffic measured before the
/// kill is gone; the gate waits out the windows without data and judges the traffic measured since it came back.
/// </summary>
public sealed class AppRestartTests(ITestOutputHelper output)
{
    private static readonly Dictionary<string, string> Settings = new()
    {
        ["ReleaseFunctions__DefaultPolicy__CanarySteps"] = "10,50",
        ["ReleaseFunctions__DefaultPolicy__Soak"] = "6s",
        ["ReleaseFunctions__DefaultPolicy__AnalysisInterval"] = "2s",
        ["ReleaseFunctions__DefaultPolicy__AnalysisCount"] = "2",
        ["ReleaseFunctions__DefaultPolicy__ReviewDelay"] = "1h",
    };

    [Fact]
    public async Task A_restart_mid_soak_does_not_roll_a_healthy_release_back()
    {
        var folder = Directory.CreateTempSubdirectory("releasefunctions-restart-");
        try
        {
            string id;
            await using (var first = await AppProcess.StartAsync("restart-1", folder.FullName, Settings))
            {
                id = await first.MergeAsync("contoso/shop", 201);
                await Eventually.ReturnsAsync(async () =>
                    (await first.GetJsonAsync($"/api/releases/{id}")).GetProperty("release") is { ValueKind: JsonValueKind.Object } release
                    && release.GetProperty("weightPercent") is { ValueKind: JsonValueKind.Number } weight && weight.GetInt32() == 10
                        ? "soaking at 10%" : null, "the first step", seconds: 60);
                await first.KillAsync();
                output.WriteLine(first.Log);
            }

            await using var second = await AppProcess.StartAsync("restart-2", folder.FullName, Settings);
            var done = await second.FinishedAsync(id, seconds: 120);
            output.WriteLine(second.Log);
            var timeline = await second.GetJsonAsync($"/api/releases/{id}/timeline");
            foreach (var entry in timeline.GetProperty("events").EnumerateArray())
            {
                output.WriteLine($"TIMELINE {entry.GetProperty("at")} {entry.GetProperty("kind")}: {entry.GetProperty("reason")}");
            }

            Assert.Equal("Promoted", done.GetProperty("release").GetProperty("status").GetString());
            var kinds = timeline.GetProperty("events").EnumerateArray().Select(e => e.GetProperty("kind").GetString()).ToList();
            Assert.DoesNotContain("rollback-started", kinds);
            Assert.True(timeline.GetProperty("audit").GetProperty("isIntact").GetBoolean());
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }
}
