using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using ReleaseFunctions.Testing;

namespace ReleaseFunctions.Bench;

/// <summary>
/// W6: signed pull_request deliveries at a fixed rate against the real app on 127.0.0.1, started as a child
/// process with its own data folder. Open loop: each request leaves at its scheduled time whatever the earlier
/// ones did, so a slow answer shows as latency, not as a lower rate.
/// </summary>
internal static class WebhookAck
{
    private const string Secret = "bench-webhook-secret-0123456789";

    public static async Task<JsonObject> RunAsync(int ratePerSecond, int seconds)
    {
        var folder = Directory.CreateTempSubdirectory("rf-bench-app-").FullName;
        var port = FreePort();
        var app = Path.Combine(AppContext.BaseDirectory, "ReleaseFunctions.dll");
        var start = new ProcessStartInfo("dotnet", [app]) { WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}";
        start.Environment["ReleaseFunctions__GitHub__WebhookSecrets__0"] = Secret;
        start.Environment["ReleaseFunctions__Operator__ApiKeys__0"] = "bench-operator-key-0123456789";
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        using var process = Process.Start(start)!;
        _ = process.StandardOutput.ReadToEndAsync();
        _ = process.StandardError.ReadToEndAsync();
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(10) };
        try
        {
            await WaitUntilUpAsync(http);
            var total = ratePerSecond * seconds;
            var latencies = new double[total];
            var statuses = new int[total];
            var clock = Stopwatch.StartNew();
            var sends = new List<Task>(total);
            for (var i = 0; i < total; i++)
            {
                var due = TimeSpan.FromSeconds((double)i / ratePerSecond);
                var wait = due - clock.Elapsed;
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait);
                }

                var n = i;
                sends.Add(Task.Run(async () =>
                {
                    var sent = Stopwatch.GetTimestamp();
                    try
                    {
                        using var response = await http.SendAsync(Delivery(1000 + n));
                        statuses[n] = (int)response.StatusCode;
                    }
                    catch (Exception)
                    {
                        statuses[n] = 0; // no answer in 10 s, or the connection failed
                    }

                    latencies[n] = Stopwatch.GetElapsedTime(sent).TotalMilliseconds;
                }));
            }

            await Task.WhenAll(sends);
            var elapsed = clock.Elapsed.TotalSeconds;
            var sorted = latencies.Order().ToList();
            return new JsonObject
            {
                ["deliveries"] = total,
                ["target_rate_per_s"] = ratePerSecond,
                ["achieved_rate_per_s"] = Math.Round(total / elapsed, 1),
                ["ack_p50_ms"] = Math.Round(Stats.Percentile(sorted, 50), 1),
                ["ack_p99_ms"] = Math.Round(Stats.Percentile(sorted, 99), 1),
                ["ack_max_ms"] = Math.Round(sorted[^1], 1),
                ["accepted_202"] = statuses.Count(s => s == 202),
                ["errors"] = statuses.Count(s => s is 0 or >= 500),
                ["other_status"] = statuses.Count(s => s is not (0 or 202) && s < 500),
                ["github_gives_up_after_ms"] = 10_000,
            };
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            try
            {
                Directory.Delete(folder, true);
            }
            catch (IOException)
            {
            }
        }
    }

    private static HttpRequestMessage Delivery(int pullRequest)
    {
        var sha = Convert.ToHexStringLower(SHA1.HashData(Encoding.UTF8.GetBytes($"bench-{pullRequest}")));
        var body = MergeDelivery.Json("contoso/shop", pullRequest, sha, new DateTimeOffset(2026, 11, 23, 10, 0, 0, TimeSpan.Zero), $"Bench {pullRequest}", "dev", "feature");
        var bytes = Encoding.UTF8.GetBytes(body);
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/github/webhook") { Content = new ByteArrayContent(bytes) };
        request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        request.Headers.Add("X-GitHub-Event", "pull_request");
        request.Headers.Add("X-GitHub-Delivery", Guid.NewGuid().ToString());
        request.Headers.Add("X-Hub-Signature-256", "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(Secret), bytes)));
        return request;
    }

    private static async Task WaitUntilUpAsync(HttpClient http)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(60))
        {
            try
            {
                if ((await http.GetAsync("/healthz")).StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(200);
        }

        throw new TimeoutException("The app did not answer /healthz within 60 s.");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
