using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ReleaseFunctions.Tests.Support;

/// <summary>
/// The built app as a real process (the standalone host) on 127.0.0.1 at a free port (ASPNETCORE_URLS), with settings
/// as environment variables. Its output is kept for the test's log. Killing it is
/// SIGKILL on Linux: no shutdown code runs.
/// </summary>
internal sealed class AppProcess : IAsyncDisposable
{
    public const string WebhookSecret = "app-process-webhook-secret";
    public const string OperatorKey = "app-process-operator-key-0123";

    /// <summary>
    /// The clock of the app process: a separate process on the real clock (its timers and its default DORA period are
    /// real time). Whatever a test sends it that holds a time (a merge, a timer invocation) is read from this clock,
    /// never from a fixture date.
    /// </summary>
    public static TimeProvider Clock { get; } = TimeProvider.System;

    private readonly Process _process;
    private readonly StringBuilder _log = new();

    private AppProcess(Process process, HttpClient http, string name)
    {
        _process = process;
        Http = http;
        Name = name;
    }

    public string Name { get; }

    /// <summary>A client of the app, with the operator key as its bearer token.</summary>
    public HttpClient Http { get; }

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

    public static async Task<AppProcess> StartAsync(string name, string workingDirectory, IReadOnlyDictionary<string, string> settings)
    {
        var port = LoopbackPort.Free();
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "ReleaseFunctions.dll"));
        start.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port.ToString(System.Globalization.CultureInfo.InvariantCulture)}";
        start.Environment["ReleaseFunctions__GitHub__WebhookSecrets__0"] = WebhookSecret;
        start.Environment["ReleaseFunctions__Operator__ApiKeys__0"] = $"{name}:{OperatorKey}";
        foreach (var (key, value) in settings)
        {
            start.Environment[key] = value;
        }

        var process = Process.Start(start)!;
        var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(10) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", OperatorKey);
        var app = new AppProcess(process, http, name);
        process.OutputDataReceived += (_, e) => app.Append(e.Data);
        process.ErrorDataReceived += (_, e) => app.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await Eventually.ReturnsAsync(async () => await app.ReadyAsync() ? "ready" : null, $"{name}'s /readyz", seconds: 60);
        return app;
    }

    /// <summary>Sends a signed delivery, as GitHub would.</summary>
    public async Task<HttpResponseMessage> DeliverAsync(string eventName, string body, string secret = WebhookSecret)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/github/webhook") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Add("X-GitHub-Event", eventName);
        request.Headers.Add("X-GitHub-Delivery", Guid.NewGuid().ToString());
        request.Headers.Add("X-Hub-Signature-256", ReleaseAppFactory.Sign(body, secret));
        return await Http.SendAsync(request);
    }

    /// <summary>Delivers a merge and returns the instance id of the release it started.</summary>
    public async Task<string> MergeAsync(string repository, int pullRequest)
    {
        using var accepted = await DeliverAsync("pull_request", Merge(repository, pullRequest));
        var text = await accepted.Content.ReadAsStringAsync();
        Assert.True(accepted.StatusCode == HttpStatusCode.Accepted, $"{Name}: {(int)accepted.StatusCode} {text}");
        return JsonDocument.Parse(text).RootElement.GetProperty("release").GetString()!;
    }

    public async Task<JsonElement> GetJsonAsync(string path)
    {
        using var response = await Http.GetAsync(path);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{Name} GET {path}: {(int)response.StatusCode} {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>Waits (real time, bounded) until the release has finished in any end state; returns its detail.</summary>
    public async Task<JsonElement> FinishedAsync(string id, int seconds = 90)
    {
        var finished = await Eventually.ReturnsAsync(async () =>
        {
            var detail = await GetJsonAsync($"/api/releases/{id}");
            return detail.GetProperty("release") is { ValueKind: JsonValueKind.Object } release
                   && release.GetProperty("status").GetString() is "Promoted" or "RolledBack" or "Failed" or "Aborted" or "RollbackFailed"
                ? (object)detail
                : null;
        }, $"{id} to finish on {Name}", seconds);
        return (JsonElement)finished;
    }

    /// <summary>SIGKILL: the process dies holding whatever leases it had.</summary>
    public async Task KillAsync()
    {
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        if (!_process.HasExited)
        {
            await KillAsync();
        }

        _process.Dispose();
    }

    /// <summary>A <c>pull_request</c> closed-and-merged delivery into main, as GitHub sends it.</summary>
    public static string Merge(string repository, int pullRequest)
    {
        var sha = Convert.ToHexStringLower(System.Security.Cryptography.SHA1.HashData(Encoding.UTF8.GetBytes($"{repository}#{pullRequest}")));
        return MergeDelivery.Json(repository, pullRequest, sha, Clock.GetUtcNow(), $"Change {pullRequest}", $"dev-{pullRequest}", $"feature-{pullRequest}");
    }

    private void Append(string? line)
    {
        lock (_log)
        {
            _log.Append('[').Append(Name).Append("] ").AppendLine(line);
        }
    }

    private async Task<bool> ReadyAsync()
    {
        if (_process.HasExited)
        {
            throw new InvalidOperationException($"{Name} exited with {_process.ExitCode}: {Log}");
        }

        try
        {
            using var response = await Http.GetAsync("/readyz");
            return response.StatusCode == HttpStatusCode.OK;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }

}
