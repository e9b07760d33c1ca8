using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ReleaseFunctions.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ReleaseFunctions.Bench;

/// <summary>
/// W7 (chaos): the standalone app as a child process (<c>dotnet ReleaseFunctions.dll</c>, settings as environment
/// variables, one data folder kept across restarts), deploying through a signed HTTP hook and judging with Prometheus,
/// both fakes on 127.0.0.1 in this process. Releases are started through the signed GitHub webhook and kept in flight
/// (each on its own repository); the app is SIGKILLed at random moments, during start-up or while working, and started
/// again, <c>kills</c> times. Then it runs undisturbed until every release has finished, and the harness checks, from
/// the hook's log and the app's API only (no engine internals, so it runs against whatever engine the app has):
/// every merge the webhook acknowledged has exactly one release and it finished (promoted: the canary is healthy); no
/// decision is in a release's audit trail twice; no traffic change reached the hook twice under different keys.
/// </summary>
internal static class Chaos
{
    private const string WebhookSecret = "bench-chaos-webhook-secret-0123";
    private const string HookSecret = "bench-chaos-hook-secret-0123456";
    private const string OperatorKey = "bench-chaos-operator-key-0123";
    private static readonly string[] EndStates = ["Promoted", "RolledBack", "Failed", "Aborted", "RollbackFailed"];

    public sealed record Options(string AppDll, int Releases, int Kills, int Seed, double MaxUpSeconds, IReadOnlyDictionary<string, string> Settings);

    public static async Task<JsonObject> RunAsync(Options options)
    {
        if (!File.Exists(options.AppDll))
        {
            throw new FileNotFoundException($"W7 needs the built app; expected {options.AppDll} (build it with -c Release, or pass --app <path>/ReleaseFunctions.dll).");
        }

        var random = new Random(options.Seed);
        var folder = Directory.CreateTempSubdirectory("rf-bench-chaos-").FullName;
        var data = Directory.CreateDirectory(Path.Combine(folder, "app")).FullName;
        await using var world = await OutsideWorld.StartAsync();
        var settings = new Dictionary<string, string>
        {
            ["ReleaseFunctions__GitHub__WebhookSecrets__0"] = WebhookSecret,
            ["ReleaseFunctions__Operator__ApiKeys__0"] = $"chaos:{OperatorKey}",
            ["ReleaseFunctions__HttpHook__Url"] = new Uri(world.BaseAddress, "hook").AbsoluteUri,
            ["ReleaseFunctions__HttpHook__Secret"] = HookSecret,
            ["ReleaseFunctions__Prometheus__BaseUrl"] = world.BaseAddress.AbsoluteUri,
            ["ReleaseFunctions__Sli__DefaultProvider"] = "prometheus",
            ["ReleaseFunctions__DefaultPolicy__TargetProvider"] = "http-hook",
            ["ReleaseFunctions__DefaultPolicy__CanarySteps"] = "10,50",
            ["ReleaseFunctions__DefaultPolicy__Soak"] = "3s",
            ["ReleaseFunctions__DefaultPolicy__AnalysisInterval"] = "1s",
            ["ReleaseFunctions__DefaultPolicy__AnalysisCount"] = "2",
            ["ReleaseFunctions__DefaultPolicy__ReviewDelay"] = "1h",
            ["Logging__LogLevel__Default"] = "Warning",
        };
        foreach (var (key, value) in options.Settings)
        {
            settings[key] = value;
        }

        var merges = new List<Merge>();
        var watch = Stopwatch.StartNew();
        var log = Path.Combine(folder, "app.log");
        var app = await ChaosApp.StartAsync(options.AppDll, data, settings, log, waitUntilReady: true);
        var restarts = 0;
        var killsDuringStartup = 0;
        var timeToReady = new List<double>();
        try
        {
            for (var kill = 1; kill <= options.Kills; kill++)
            {
                // One kill in five lands while the app is still starting; the others at a random moment of its work.
                var inStartup = kill > 1 && random.NextDouble() < 0.2;
                var upFor = TimeSpan.FromSeconds(inStartup ? 0.2 + random.NextDouble() * 2 : 0.5 + random.NextDouble() * (options.MaxUpSeconds - 0.5));
                if (!inStartup)
                {
                    timeToReady.Add(await app.WaitUntilReadyAsync());
                }

                // The kill comes on its own clock, whatever the harness is doing: a delivery in flight is cut off and
                // sent again later (same delivery id), as GitHub redelivers.
                using (var working = new CancellationTokenSource())
                {
                    var work = inStartup ? Task.CompletedTask : WorkAsync(app, merges, options.Releases, working.Token);
                    await Task.Delay(upFor);
                    await app.KillAsync();
                    await working.CancelAsync();
                    await work;
                }

                killsDuringStartup += inStartup ? 1 : 0;
                app.Dispose();
                app = await ChaosApp.StartAsync(options.AppDll, data, settings, log, waitUntilReady: false);
                restarts++;
                Console.WriteLine($"  kill {kill}/{options.Kills} ({(inStartup ? "starting" : "working")}, up {upFor.TotalSeconds:0.0} s); {merges.Count} merges, {merges.Count(m => m.Finished)} finished, {world.Applied.Count} traffic changes");
            }

            // Undisturbed: deliver what was never acknowledged, then wait for every release to finish.
            timeToReady.Add(await app.WaitUntilReadyAsync());
            var chaosSeconds = watch.Elapsed.TotalSeconds;
            var drain = Stopwatch.StartNew();
            while (drain.Elapsed < TimeSpan.FromMinutes(5))
            {
                foreach (var merge in merges.Where(m => !m.Acknowledged))
                {
                    await DeliverAsync(app, merge);
                }

                await RefreshAsync(app, merges);
                if (merges.All(m => m.Acknowledged && m.Finished))
                {
                    break;
                }

                await Task.Delay(1000);
            }

            return await CheckAsync(app, merges, world, options, restarts, killsDuringStartup, chaosSeconds, watch.Elapsed.TotalSeconds, timeToReady);
        }
        finally
        {
            await app.KillAsync();
            app.Dispose();
            if (Environment.GetEnvironmentVariable("RELEASEFUNCTIONS_BENCH_KEEP") is null)
            {
                Directory.Delete(folder, recursive: true);
            }
            else
            {
                Console.WriteLine($"  kept {folder} (app.log has the app's output)");
            }
        }
    }

    /// <summary>Until cancelled: acknowledges pending merges and tops the releases in flight up to <paramref name="target"/>.</summary>
    private static async Task WorkAsync(ChaosApp app, List<Merge> merges, int target, CancellationToken cancellationToken)
    {
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                foreach (var merge in merges.Where(m => !m.Acknowledged).ToList())
                {
                    await DeliverAsync(app, merge, cancellationToken);
                }

                await RefreshAsync(app, merges, cancellationToken);
                while (merges.Count(m => !m.Finished) < target && !cancellationToken.IsCancellationRequested)
                {
                    var merge = new Merge(merges.Count + 1);
                    merges.Add(merge);
                    if (!await DeliverAsync(app, merge, cancellationToken))
                    {
                        break;
                    }
                }

                await Task.Delay(200, cancellationToken);
            }
        }
        catch (OperationCanceledException)
        {
            // killed
        }
    }

    /// <summary>Sends the merge's delivery (the same delivery id every time, as GitHub's redelivery); true once acknowledged.</summary>
    private static async Task<bool> DeliverAsync(ChaosApp app, Merge merge, CancellationToken cancellationToken = default)
    {
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/github/webhook") { Content = new StringContent(merge.Body, Encoding.UTF8, "application/json") };
            request.Headers.Add("X-GitHub-Event", "pull_request");
            request.Headers.Add("X-GitHub-Delivery", merge.DeliveryId);
            request.Headers.Add("X-Hub-Signature-256", "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(WebhookSecret), Encoding.UTF8.GetBytes(merge.Body))));
            using var response = await app.Http.SendAsync(request, cancellationToken);
            merge.Attempts++;
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                merge.LastAnswer = $"{(int)response.StatusCode} {text}";
                return false;
            }

            merge.Acknowledged = true;
            merge.Status ??= (int)response.StatusCode;
            if (JsonNode.Parse(text) is JsonObject answer && answer["release"] is JsonValue release && release.TryGetValue<string>(out var id))
            {
                merge.ReleaseId ??= id;
            }

            return true;
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or JsonException)
        {
            merge.Attempts++;
            merge.LastAnswer = ex.GetType().Name;
            return false;
        }
    }

    /// <summary>Reads each unfinished release's state from the app's API (found by its repository when its id is unknown).</summary>
    private static async Task RefreshAsync(ChaosApp app, List<Merge> merges, CancellationToken cancellationToken = default)
    {
        foreach (var merge in merges.Where(m => m.Acknowledged && !m.Finished).ToList())
        {
            try
            {
                if (merge.ReleaseId is null)
                {
                    var ids = await ReleasesOfAsync(app, merge.Repository, cancellationToken);
                    merge.ReleaseId = ids.FirstOrDefault();
                    if (merge.ReleaseId is null)
                    {
                        continue;
                    }
                }

                using var response = await app.Http.GetAsync($"/api/releases/{merge.ReleaseId}", cancellationToken);
                if (response.IsSuccessStatusCode
                    && JsonNode.Parse(await response.Content.ReadAsStringAsync(cancellationToken))?["release"]?["status"]?.GetValue<string>() is { } status)
                {
                    merge.FinalStatus = status;
                    merge.Finished = EndStates.Contains(status);
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or JsonException)
            {
                return; // the app is down; next time
            }
        }
    }

    private static async Task<List<string>> ReleasesOfAsync(ChaosApp app, string repository, CancellationToken cancellationToken = default)
    {
        using var response = await app.Http.GetAsync($"/api/releases?repository={Uri.EscapeDataString(repository)}&pageSize=500", cancellationToken);
        response.EnsureSuccessStatusCode();
        var list = JsonNode.Parse(await response.Content.ReadAsStringAsync(cancellationToken))?["releases"]?.AsArray() ?? [];
        return list.Select(r => r?["instanceId"]?.GetValue<string>()).OfType<string>().ToList();
    }

    private static async Task<JsonObject> CheckAsync(
        ChaosApp app, List<Merge> merges, OutsideWorld world, Options options, int restarts, int killsDuringStartup, double chaosSeconds, double totalSeconds, List<double> timeToReady)
    {
        var lost = new List<string>();
        var duplicatedReleases = 0;
        var decisionsDoubled = 0;
        var doubledDetails = new List<string>();
        var auditBroken = 0;
        var statuses = new Dictionary<string, int>();
        foreach (var merge in merges)
        {
            var ids = merge.Acknowledged ? await ReleasesOfAsync(app, merge.Repository) : [];
            if (ids.Count > 1)
            {
                duplicatedReleases += ids.Count - 1;
            }

            if (!merge.Acknowledged || ids.Count == 0)
            {
                lost.Add($"{merge.Repository}: {(merge.Acknowledged ? "acknowledged, no release" : $"never acknowledged ({merge.Attempts} tries, last {merge.LastAnswer})")}");
                continue;
            }

            foreach (var id in ids)
            {
                using var detailResponse = await app.Http.GetAsync($"/api/releases/{id}");
                var status = JsonNode.Parse(await detailResponse.Content.ReadAsStringAsync())?["release"]?["status"]?.GetValue<string>() ?? "(no ledger record)";
                statuses[status] = statuses.GetValueOrDefault(status) + 1;
                if (!EndStates.Contains(status))
                {
                    lost.Add($"{merge.Repository}: release {id} still {status}");
                }

                using var timelineResponse = await app.Http.GetAsync($"/api/releases/{id}/timeline");
                var timeline = JsonNode.Parse(await timelineResponse.Content.ReadAsStringAsync())!;
                if (timeline["audit"]?["isIntact"]?.GetValue<bool>() != true)
                {
                    auditBroken++;
                }

                // A decision is one audit entry per (kind, stage, step, scope, action, round); the same one twice is a decision doubled.
                var decisions = (timeline["events"]?.AsArray() ?? [])
                    .Select(e => e!)
                    .Where(e => (string?)e["kind"] is "release-received" or "gate-verdict" or "traffic-shifted" or "stage-promoted" or "promoted" or "rollback-started" or "rolled-back")
                    .GroupBy(e => $"{e["kind"]} {e["evidence"]?["stage"]} {e["evidence"]?["step"]} {e["evidence"]?["scope"]} {e["evidence"]?["action"]} {e["evidence"]?["round"]}");
                foreach (var group in decisions.Where(g => g.Count() > 1))
                {
                    decisionsDoubled += group.Count() - 1;
                    doubledDetails.Add($"{id}: {group.Key.Trim()} ×{group.Count()}");
                }
            }
        }

        // A traffic change is the (service, action, weight) the hook applied; under a second key it was applied twice.
        var appliedTwice = world.Applied.Values
            .GroupBy(a => (a.Service, a.Action, a.Weight))
            .Where(g => g.Count() > 1)
            .ToList();
        var promotedWithoutFullTraffic = merges.Count(m => m.FinalStatus == "Promoted" && world.Weights.GetValueOrDefault(m.Service) != 100);
        var readiness = timeToReady.Order().ToList();
        var figures = new JsonObject
        {
            ["releases_in_flight"] = options.Releases,
            ["kills"] = options.Kills,
            ["kills_during_startup"] = killsDuringStartup,
            ["restarts"] = restarts,
            ["merges_delivered"] = merges.Count,
            ["webhook_redeliveries"] = merges.Sum(m => Math.Max(0, m.Attempts - 1)),
            ["releases_finished"] = statuses.Where(s => EndStates.Contains(s.Key)).Sum(s => s.Value),
            ["release_statuses"] = new JsonObject(statuses.Select(s => KeyValuePair.Create(s.Key, (JsonNode?)s.Value))),
            ["releases_lost"] = lost.Count,
            ["releases_duplicated"] = duplicatedReleases,
            ["decisions_doubled"] = decisionsDoubled,
            ["traffic_changes_applied_twice"] = appliedTwice.Sum(g => g.Count() - 1),
            ["traffic_changes_applied"] = world.Applied.Count,
            ["hook_calls_repeated_under_a_known_key"] = world.Repeats,
            ["hook_calls_badly_signed"] = world.BadSignatures,
            ["promoted_without_100_percent_at_the_hook"] = promotedWithoutFullTraffic,
            ["audit_trails_broken"] = auditBroken,
            ["restart_to_ready_p50_s"] = Math.Round(Stats.Percentile(readiness, 50), 2),
            ["restart_to_ready_max_s"] = readiness.Count > 0 ? Math.Round(readiness[^1], 2) : null,
            ["chaos_seconds"] = Math.Round(chaosSeconds, 1),
            ["total_seconds"] = Math.Round(totalSeconds, 1),
            ["seed"] = options.Seed,
            ["goal"] = "0 releases lost, 0 decisions doubled, 0 traffic changes applied twice",
        };
        if (lost.Count > 0)
        {
            figures["lost"] = new JsonArray([.. lost.Take(20).Select(l => (JsonNode?)l)]);
        }

        if (doubledDetails.Count > 0)
        {
            figures["doubled"] = new JsonArray([.. doubledDetails.Take(20).Select(l => (JsonNode?)l)]);
        }

        if (appliedTwice.Count > 0)
        {
            figures["applied_twice"] = new JsonArray([.. appliedTwice.Take(20).Select(g => (JsonNode?)$"{g.Key.Service} {g.Key.Action} {g.Key.Weight}% ×{g.Count()}")]);
        }

        return figures;
    }

    /// <summary>One merge: its own repository and service, a fixed delivery id and body (a redelivery is the same bytes).</summary>
    private sealed class Merge(int number)
    {
        public string Repository { get; } = $"contoso/chaos{number}";

        public string Service => Repository.Split('/')[1];

        public string DeliveryId { get; } = Guid.NewGuid().ToString();

        public string Body { get; } = MergeBody($"contoso/chaos{number}", 1000 + number);

        public bool Acknowledged { get; set; }

        public int? Status { get; set; }

        public int Attempts { get; set; }

        public string? LastAnswer { get; set; }

        public string? ReleaseId { get; set; }

        public string? FinalStatus { get; set; }

        public bool Finished { get; set; }
    }

    /// <summary>A <c>pull_request</c> closed-and-merged delivery into main, as GitHub sends it.</summary>
    private static string MergeBody(string repository, int pullRequest)
    {
        var sha = Convert.ToHexStringLower(SHA1.HashData(Encoding.UTF8.GetBytes($"{repository}#{pullRequest}")));
        return MergeDelivery.Json(repository, pullRequest, sha, DateTimeOffset.UtcNow, $"Change {pullRequest}", $"dev-{pullRequest}", $"feature-{pullRequest}");
    }

    /// <summary>The app process: started as the Functions host starts a custom handler (on the port it is given).</summary>
    private sealed class ChaosApp : IDisposable
    {
        private readonly Process _process;
        private readonly Stopwatch _started = Stopwatch.StartNew();

        private ChaosApp(Process process, HttpClient http)
        {
            _process = process;
            Http = http;
        }

        public HttpClient Http { get; }

        public static async Task<ChaosApp> StartAsync(string appDll, string data, IReadOnlyDictionary<string, string> settings, string log, bool waitUntilReady)
        {
            var port = FreePort();
            var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
            {
                WorkingDirectory = data,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            start.ArgumentList.Add(appDll);
            start.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}"; // the standalone host, on 127.0.0.1 only
            foreach (var (key, value) in settings)
            {
                start.Environment[key] = value;
            }

            var process = Process.Start(start)!;
            var writer = TextWriter.Synchronized(new StreamWriter(log, append: true) { AutoFlush = true });
            writer.WriteLine($"---- start {DateTimeOffset.UtcNow:O} pid {process.Id} port {port}");
            process.OutputDataReceived += (_, e) => { if (e.Data is not null) { writer.WriteLine(e.Data); } };
            process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { writer.WriteLine(e.Data); } };
            process.Exited += (_, _) => writer.Dispose();
            process.EnableRaisingEvents = true;
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(10) };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", OperatorKey);
            var app = new ChaosApp(process, http);
            if (waitUntilReady)
            {
                await app.WaitUntilReadyAsync();
            }

            return app;
        }

        /// <summary>Waits (bounded) for /readyz; returns the seconds since the process was started.</summary>
        public async Task<double> WaitUntilReadyAsync()
        {
            var deadline = Stopwatch.StartNew();
            while (deadline.Elapsed < TimeSpan.FromSeconds(120))
            {
                if (_process.HasExited)
                {
                    throw new InvalidOperationException($"the app exited with {_process.ExitCode} while starting (see app.log; set RELEASEFUNCTIONS_BENCH_KEEP=1 to keep it)");
                }

                try
                {
                    using var response = await Http.GetAsync("/readyz");
                    if (response.StatusCode == HttpStatusCode.OK)
                    {
                        return _started.Elapsed.TotalSeconds;
                    }
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
                {
                    // not listening yet
                }

                await Task.Delay(100);
            }

            throw new TimeoutException("the app was not ready within 120 s");
        }

        /// <summary>SIGKILL: no shutdown code runs.</summary>
        public async Task KillAsync()
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }

            await _process.WaitForExitAsync();
        }

        public void Dispose()
        {
            Http.Dispose();
            _process.Dispose();
        }

        private static int FreePort()
        {
            using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }
    }

    /// <summary>
    /// The deployment hook (checks the signature, keeps each service's weight; a call is a decision, applied once per
    /// idempotency key, and its log is what W7 checks) and Prometheus (a healthy canary and baseline).
    /// </summary>
    private sealed class OutsideWorld : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private int _repeats;
        private int _badSignatures;

        private OutsideWorld(WebApplication app) => _app = app;

        public Uri BaseAddress { get; private set; } = null!;

        public ConcurrentDictionary<string, (string Service, string Action, int Weight)> Applied { get; } = new();

        public ConcurrentDictionary<string, int> Weights { get; } = new();

        public int Repeats => _repeats;

        public int BadSignatures => _badSignatures;

        public static async Task<OutsideWorld> StartAsync()
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            var app = builder.Build();
            app.Urls.Add("http://127.0.0.1:0");
            var world = new OutsideWorld(app);
            app.MapPost("/hook", world.HookAsync);
            app.MapPost("/api/v1/query_range", QueryRangeAsync);
            await app.StartAsync();
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            world.BaseAddress = new Uri(address.TrimEnd('/') + "/");
            return world;
        }

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }

        private async Task<IResult> HookAsync(HttpRequest request)
        {
            using var buffer = new MemoryStream();
            await request.Body.CopyToAsync(buffer);
            var body = buffer.ToArray();
            var expected = "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(HookSecret), body));
            if (!CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(request.Headers["X-ReleaseFunctions-Signature-256"].ToString())))
            {
                Interlocked.Increment(ref _badSignatures);
                return Results.Json(new { error = "bad signature" }, statusCode: 401);
            }

            using var json = JsonDocument.Parse(body);
            var root = json.RootElement;
            var service = root.GetProperty("service").GetString()!;
            var action = root.GetProperty("action").GetString()!;
            if (!string.Equals(action, "read", StringComparison.OrdinalIgnoreCase))
            {
                var key = request.Headers["Idempotency-Key"].ToString();
                var weight = string.Equals(action, "rollback", StringComparison.OrdinalIgnoreCase) ? 0 : root.GetProperty("weight").GetInt32();
                if (Applied.TryAdd(key, (service, action, weight)))
                {
                    Weights[service] = weight;
                }
                else
                {
                    Interlocked.Increment(ref _repeats);
                }
            }

            return Results.Json(new { weight = Weights.GetValueOrDefault(service), liveSlot = "production" });
        }

        /// <summary>A healthy canary and baseline: 0.1% errors, 120 ms p99, a sample per step across the window.</summary>
        private static async Task<IResult> QueryRangeAsync(HttpRequest request)
        {
            var form = await request.ReadFormAsync();
            var query = form["query"].ToString();
            var start = double.Parse(form["start"].ToString(), CultureInfo.InvariantCulture);
            var end = double.Parse(form["end"].ToString(), CultureInfo.InvariantCulture);
            var step = double.Parse(form["step"].ToString(), CultureInfo.InvariantCulture);
            var value = query.Contains("latency", StringComparison.Ordinal) ? "120" : "0.001";
            var values = new List<object[]>();
            for (var t = start; t <= end; t += step)
            {
                values.Add([t, value]);
            }

            object Series(string population) => new { metric = new { population }, values };
            return Results.Json(new { status = "success", data = new { resultType = "matrix", result = new[] { Series("canary"), Series("baseline") } } });
        }
    }
}
