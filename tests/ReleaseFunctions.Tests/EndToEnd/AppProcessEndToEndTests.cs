using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.DependencyInjection;
using ReleaseFunctions.Functions;
using ReleaseFunctions.Tests.Functions;
using ReleaseFunctions.Tests.Support;
using Xunit.Abstractions;

namespace ReleaseFunctions.Tests.EndToEnd;

/// <summary>
/// The built app as a real process with its embedded defaults (SQLite, the sandbox target and SLI source), run
/// standalone. Signed merge webhooks go in; a healthy candidate is promoted, a misbehaving one rolled back, and the
/// review timer, invoked as the Functions host invokes it (the worker's PostReleaseReview function, on the same
/// ledger), writes both reviews. The app runs on the real clock
/// with a default policy of seconds, so the test polls.
/// </summary>
public sealed class AppProcessEndToEndTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("releasefunctions-e2e-");
    private AppProcess _app = null!;

    private static readonly Dictionary<string, string> Settings = new()
    {
        ["ReleaseFunctions__DefaultPolicy__CanarySteps"] = "10,50",
        ["ReleaseFunctions__DefaultPolicy__Soak"] = "2s",
        ["ReleaseFunctions__DefaultPolicy__AnalysisInterval"] = "2s",
        ["ReleaseFunctions__DefaultPolicy__AnalysisCount"] = "2",
        ["ReleaseFunctions__DefaultPolicy__ReviewDelay"] = "1s",
    };

    public async Task InitializeAsync() => _app = await AppProcess.StartAsync("e2e", _folder.FullName, Settings);

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        output.WriteLine(_app.Log);
        _folder.Delete(recursive: true);
    }

    [Fact]
    public async Task A_healthy_merge_is_promoted_a_bad_one_rolled_back_and_the_review_timer_reviews_both()
    {
        // Refused before anything else: a delivery with a wrong signature starts nothing.
        using (var forged = await _app.DeliverAsync("pull_request", AppProcess.Merge("contoso/shop", 100), secret: "not-the-secret"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, forged.StatusCode);
        }

        var good = await _app.FinishedAsync(await _app.MergeAsync("contoso/shop", 101));
        Assert.Equal("Promoted", good.GetProperty("release").GetProperty("status").GetString());
        Assert.Equal(100, good.GetProperty("release").GetProperty("weightPercent").GetInt32());
        Assert.All(good.GetProperty("gateVerdicts").EnumerateArray(), v => Assert.Contains("passed", v.GetProperty("reason").GetString(), StringComparison.Ordinal));

        using (var misbehave = await _app.Http.PutAsync("/api/sandbox/candidate", Json("""{"errorRate":0.4,"addedLatencyMs":0}""")))
        {
            Assert.Equal(HttpStatusCode.OK, misbehave.StatusCode);
        }

        var bad = await _app.FinishedAsync(await _app.MergeAsync("contoso/shop", 102));
        Assert.Equal("RolledBack", bad.GetProperty("release").GetProperty("status").GetString());
        Assert.Equal(0, bad.GetProperty("release").GetProperty("weightPercent").GetInt32());
        Assert.Contains("error_rate", bad.GetProperty("release").GetProperty("summary").GetString(), StringComparison.Ordinal);
        var timeline = await _app.GetJsonAsync($"/api/releases/{Id(bad)}/timeline");
        Assert.Contains(timeline.GetProperty("events").EnumerateArray(), e => e.GetProperty("kind").GetString() == "rolled-back");
        Assert.True(timeline.GetProperty("audit").GetProperty("isIntact").GetBoolean());

        // The review timer as the Functions host fires it; the reviews' delay (1 s) has passed once both are written.
        var workerSettings = Settings.ToDictionary(s => s.Key.Replace("__", ":", StringComparison.Ordinal), s => (string?)s.Value);
        workerSettings["ReleaseFunctions:Store:LedgerPath"] = Path.Combine(_folder.FullName, "data", "releases.db");
        using var worker = new FunctionsWorkerApp(workerSettings, AppProcess.Clock);
        var reviews = await Eventually.ReturnsAsync(async () =>
        {
            await FireReviewTimerAsync(worker);
            var first = (await _app.GetJsonAsync($"/api/releases/{Id(good)}")).GetProperty("review");
            var second = (await _app.GetJsonAsync($"/api/releases/{Id(bad)}")).GetProperty("review");
            return first.ValueKind == JsonValueKind.Object && second.ValueKind == JsonValueKind.Object ? new[] { first, second } : null;
        }, "both reviews", seconds: 30);
        Assert.Equal("Promoted", reviews[0].GetProperty("outcome").GetString());
        Assert.False(reviews[0].GetProperty("changeFailure").GetBoolean());
        Assert.Equal("RolledBack", reviews[1].GetProperty("outcome").GetString());
        Assert.True(reviews[1].GetProperty("changeFailure").GetBoolean());
        Assert.All(reviews, r => Assert.NotEqual(JsonValueKind.Null, r.GetProperty("publishedAt").ValueKind));

        var dora = await _app.GetJsonAsync("/api/dora?repository=contoso/shop");
        var metrics = Assert.Single(dora.GetProperty("repositories").EnumerateArray());
        Assert.Equal(2, metrics.GetProperty("deployments").GetInt32());
        Assert.Equal(0.5, metrics.GetProperty("changeFailureRate").GetDouble());
    }

    private static async Task FireReviewTimerAsync(FunctionsWorkerApp worker)
    {
        var now = AppProcess.Clock.GetUtcNow();
        using var scope = worker.Services.CreateScope();
        var timer = new TimerInfo
        {
            ScheduleStatus = new ScheduleStatus { Last = now.AddMinutes(-15).UtcDateTime, Next = now.UtcDateTime, LastUpdated = now.AddMinutes(-15).UtcDateTime },
        };
        await worker.Function<TimerFunctions>(scope).PostReleaseReviewAsync(timer, FunctionsWorkerApp.Context(scope).Object);
    }

    private static string Id(JsonElement detail) => detail.GetProperty("instanceId").GetString()!;

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");
}
