using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ReleaseFunctions.Tests.Support;
using Xunit.Abstractions;

namespace ReleaseFunctions.Tests.EndToEnd;

/// <summary>
/// The built app as a real process on 127.0.0.1, run the way the Functions host runs it (a custom handler on the port
/// it is given) with its embedded defaults: SQLite, the sandbox target and SLI source. Signed merge webhooks go in; a
/// healthy candidate is promoted, a misbehaving one rolled back, and the review timer, invoked as the host invokes it,
/// writes both reviews. The app runs on the real clock with a default policy of seconds, so the test polls.
/// </summary>
public sealed class AppProcessEndToEndTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string Secret = "end-to-end-webhook-secret";
    private const string OperatorKey = "end-to-end-operator-key-0123";
    private static readonly string[] FinalStatuses = ["Promoted", "RolledBack", "Failed", "Aborted"];

    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("releasefunctions-e2e-");
    private readonly StringBuilder _log = new();
    private Process? _app;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        var port = FreePort();
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            WorkingDirectory = _folder.FullName,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "ReleaseFunctions.dll"));
        start.Environment["FUNCTIONS_CUSTOMHANDLER_PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.Environment["ReleaseFunctions__GitHub__WebhookSecrets__0"] = Secret;
        start.Environment["ReleaseFunctions__Operator__ApiKeys__0"] = $"e2e:{OperatorKey}";
        start.Environment["ReleaseFunctions__DefaultPolicy__CanarySteps"] = "10,50";
        start.Environment["ReleaseFunctions__DefaultPolicy__Soak"] = "2s";
        start.Environment["ReleaseFunctions__DefaultPolicy__AnalysisInterval"] = "2s";
        start.Environment["ReleaseFunctions__DefaultPolicy__AnalysisCount"] = "2";
        start.Environment["ReleaseFunctions__DefaultPolicy__ReviewDelay"] = "1s";
        _app = Process.Start(start)!;
        _app.OutputDataReceived += (_, e) => { lock (_log) { _log.AppendLine(e.Data); } };
        _app.ErrorDataReceived += (_, e) => { lock (_log) { _log.AppendLine(e.Data); } };
        _app.BeginOutputReadLine();
        _app.BeginErrorReadLine();
        _http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(10) };
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", OperatorKey);
        await Eventually.ReturnsAsync(async () => await ReadyAsync() ? "ready" : null, "the app's /readyz", seconds: 60);
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        if (_app is { HasExited: false })
        {
            _app.Kill(entireProcessTree: true);
            await _app.WaitForExitAsync();
        }

        _app?.Dispose();
        output.WriteLine(_log.ToString());
        _folder.Delete(recursive: true);
    }

    [Fact]
    public async Task A_healthy_merge_is_promoted_a_bad_one_rolled_back_and_the_review_timer_reviews_both()
    {
        // Refused before anything else: a delivery with a wrong signature starts nothing.
        using (var forged = await DeliverAsync(Merge(100), secret: "not-the-secret"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, forged.StatusCode);
        }

        var good = await MergeAndFinishAsync(101);
        Assert.Equal("Promoted", good.GetProperty("release").GetProperty("status").GetString());
        Assert.Equal(100, good.GetProperty("release").GetProperty("weightPercent").GetInt32());
        Assert.All(good.GetProperty("gateVerdicts").EnumerateArray(), v => Assert.Contains("passed", v.GetProperty("reason").GetString(), StringComparison.Ordinal));

        using (var misbehave = await _http.PutAsync("/api/sandbox/candidate", Json("""{"errorRate":0.4,"addedLatencyMs":0}""")))
        {
            Assert.Equal(HttpStatusCode.OK, misbehave.StatusCode);
        }

        var bad = await MergeAndFinishAsync(102);
        Assert.Equal("RolledBack", bad.GetProperty("release").GetProperty("status").GetString());
        Assert.Equal(0, bad.GetProperty("release").GetProperty("weightPercent").GetInt32());
        Assert.Contains("error_rate", bad.GetProperty("release").GetProperty("summary").GetString(), StringComparison.Ordinal);
        var timeline = await GetJsonAsync($"/api/releases/{Id(bad)}/timeline");
        Assert.Contains(timeline.GetProperty("events").EnumerateArray(), e => e.GetProperty("kind").GetString() == "rolled-back");
        Assert.True(timeline.GetProperty("audit").GetProperty("isIntact").GetBoolean());

        // The review timer as the Functions host fires it; the reviews' delay (1 s) has passed once both are written.
        var reviews = await Eventually.ReturnsAsync(async () =>
        {
            await FireReviewTimerAsync();
            var first = (await GetJsonAsync($"/api/releases/{Id(good)}")).GetProperty("review");
            var second = (await GetJsonAsync($"/api/releases/{Id(bad)}")).GetProperty("review");
            return first.ValueKind == JsonValueKind.Object && second.ValueKind == JsonValueKind.Object ? new[] { first, second } : null;
        }, "both reviews", seconds: 30);
        Assert.Equal("Promoted", reviews[0].GetProperty("outcome").GetString());
        Assert.False(reviews[0].GetProperty("changeFailure").GetBoolean());
        Assert.Equal("RolledBack", reviews[1].GetProperty("outcome").GetString());
        Assert.True(reviews[1].GetProperty("changeFailure").GetBoolean());
        Assert.All(reviews, r => Assert.NotEqual(JsonValueKind.Null, r.GetProperty("publishedAt").ValueKind));

        var dora = await GetJsonAsync("/api/dora?repository=contoso/shop");
        var metrics = Assert.Single(dora.GetProperty("repositories").EnumerateArray());
        Assert.Equal(2, metrics.GetProperty("deployments").GetInt32());
        Assert.Equal(0.5, metrics.GetProperty("changeFailureRate").GetDouble());
    }

    private async Task<JsonElement> MergeAndFinishAsync(int pullRequest)
    {
        using var accepted = await DeliverAsync(Merge(pullRequest));
        var answer = JsonDocument.Parse(await accepted.Content.ReadAsStringAsync()).RootElement;
        Assert.True(accepted.StatusCode == HttpStatusCode.Accepted, answer.ToString());
        var id = answer.GetProperty("release").GetString()!;
        return await Eventually.ReturnsAsync(async () =>
        {
            var detail = await GetJsonAsync($"/api/releases/{id}");
            return detail.GetProperty("release") is { ValueKind: JsonValueKind.Object } release && FinalStatuses.Contains(release.GetProperty("status").GetString())
                ? (object)detail
                : null;
        }, $"release of #{pullRequest} to finish", seconds: 90) is JsonElement finished ? finished : default;
    }

    private async Task FireReviewTimerAsync()
    {
        var now = DateTimeOffset.UtcNow;
        var invocation = new JsonObject
        {
            ["Data"] = new JsonObject
            {
                ["timer"] = new JsonObject
                {
                    ["ScheduleStatus"] = new JsonObject { ["Last"] = now.AddMinutes(-15), ["Next"] = now, ["LastUpdated"] = now.AddMinutes(-15) },
                    ["IsPastDue"] = false,
                },
            },
            ["Metadata"] = new JsonObject { ["sys"] = new JsonObject { ["MethodName"] = "PostReleaseReview", ["UtcNow"] = now } },
        };
        using var response = await _http.PostAsync("/PostReleaseReview", Json(invocation.ToJsonString()));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        Assert.Equal(JsonValueKind.Array, JsonDocument.Parse(body).RootElement.GetProperty("Logs").ValueKind);
    }

    private async Task<HttpResponseMessage> DeliverAsync(string body, string secret = Secret)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/github/webhook") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Add("X-GitHub-Event", "pull_request");
        request.Headers.Add("X-GitHub-Delivery", Guid.NewGuid().ToString());
        request.Headers.Add("X-Hub-Signature-256", ReleaseAppFactory.Sign(body, secret));
        return await _http.SendAsync(request);
    }

    /// <summary>A <c>pull_request</c> closed-and-merged delivery into main, as GitHub sends it.</summary>
    private static string Merge(int pullRequest)
    {
        var sha = Convert.ToHexStringLower(System.Security.Cryptography.SHA1.HashData(Encoding.UTF8.GetBytes($"e2e-{pullRequest}")));
        var user = new JsonObject { ["login"] = $"dev-{pullRequest}", ["id"] = pullRequest, ["type"] = "User" };
        return new JsonObject
        {
            ["action"] = "closed",
            ["number"] = pullRequest,
            ["pull_request"] = new JsonObject
            {
                ["number"] = pullRequest, ["title"] = $"Change {pullRequest}", ["state"] = "closed", ["merged"] = true,
                ["merged_at"] = DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture),
                ["merge_commit_sha"] = sha, ["user"] = user,
                ["merged_by"] = new JsonObject { ["login"] = "merger", ["id"] = 2, ["type"] = "User" },
                ["head"] = new JsonObject { ["ref"] = $"feature-{pullRequest}", ["sha"] = sha },
                ["base"] = new JsonObject { ["ref"] = "main", ["sha"] = sha },
                ["labels"] = new JsonArray(),
            },
            ["repository"] = new JsonObject
            {
                ["id"] = 1, ["name"] = "shop", ["full_name"] = "contoso/shop",
                ["owner"] = new JsonObject { ["login"] = "contoso", ["id"] = 3, ["type"] = "Organization" },
            },
            ["sender"] = new JsonObject { ["login"] = "merger", ["id"] = 2, ["type"] = "User" },
        }.ToJsonString();
    }

    private async Task<JsonElement> GetJsonAsync(string path)
    {
        using var response = await _http.GetAsync(path);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"GET {path}: {(int)response.StatusCode} {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    private async Task<bool> ReadyAsync()
    {
        if (_app!.HasExited)
        {
            throw new InvalidOperationException($"The app exited with {_app.ExitCode}: {_log}");
        }

        try
        {
            using var response = await _http.GetAsync("/readyz");
            return response.StatusCode == HttpStatusCode.OK;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }

    private static string Id(JsonElement detail) => detail.GetProperty("instanceId").GetString()!;

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
