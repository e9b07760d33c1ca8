using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.DependencyInjection;
using Moq;
using ReleaseFunctions.Core.Releases;
using ReleaseFunctions.Functions;
using ReleaseFunctions.Tests.Support;

namespace ReleaseFunctions.Tests.Functions;

/// <summary>
/// Each HTTP function called as the worker calls it (a mocked FunctionContext, the request of the ASP.NET Core
/// integration, a DI scope per invocation) on the worker's real services: the answers are the standalone endpoints'.
/// </summary>
public sealed class HttpFunctionTests : IDisposable
{
    private readonly FunctionsWorkerApp _app = new();

    public void Dispose() => _app.Dispose();

    [Fact]
    public async Task Healthz_answers_200_without_checking_anything()
    {
        var (status, body, headers) = await InvokeAsync<HostFunctions>((f, r, c) => f.HealthzAsync(r, c), "GET", "/healthz", operatorKey: null);

        Assert.Equal(200, status);
        using var json = JsonDocument.Parse(body);
        Assert.Equal("healthy", json.RootElement.GetProperty("status").GetString());
        Assert.Empty(json.RootElement.GetProperty("checks").EnumerateObject());
        Assert.Contains("no-store", headers.CacheControl.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Readyz_checks_the_ledger_and_leaves_the_durable_backend_to_the_host()
    {
        var (status, body, _) = await InvokeAsync<HostFunctions>((f, r, c) => f.ReadyzAsync(r, c), "GET", "/readyz", operatorKey: null);

        Assert.Equal(200, status);
        using var json = JsonDocument.Parse(body);
        Assert.Equal(["release-ledger"], json.RootElement.GetProperty("checks").EnumerateObject().Select(c => c.Name));
    }

    [Fact]
    public async Task OpenApiDocument_serves_the_document()
    {
        var (status, body, headers) = await InvokeAsync<HostFunctions>((f, r, c) => f.OpenApiDocumentAsync(r, c), "GET", "/openapi/v1.json", operatorKey: null);

        Assert.Equal(200, status);
        Assert.StartsWith("application/json", headers.ContentType.ToString(), StringComparison.Ordinal);
        using var json = JsonDocument.Parse(body);
        Assert.True(json.RootElement.GetProperty("paths").TryGetProperty("/api/releases", out _));
    }

    [Theory]
    [InlineData("", "text/html", "<main id=\"main\"")]
    [InlineData("js/main.js", "text/javascript", "import")]
    public async Task Dashboard_serves_its_files_with_the_standalone_headers(string path, string contentType, string content)
    {
        var (status, body, headers) = await InvokeAsync<HostFunctions>((f, r, c) => Task.FromResult(f.Dashboard(r, path, c)), "GET", "/" + path, operatorKey: null);

        Assert.Equal(200, status);
        Assert.StartsWith(contentType, headers.ContentType.ToString(), StringComparison.Ordinal);
        Assert.Contains(content, body, StringComparison.Ordinal);
        Assert.StartsWith("default-src 'self'", headers.ContentSecurityPolicy.ToString(), StringComparison.Ordinal);
        Assert.Equal("no-cache", headers.CacheControl.ToString());
    }

    [Theory]
    [InlineData("no-such-file.js")]
    [InlineData("../appsettings.json")]
    [InlineData("js")]
    public async Task Dashboard_answers_404_for_what_is_not_one_of_its_files(string path)
    {
        var (status, _, _) = await InvokeAsync<HostFunctions>((f, r, c) => Task.FromResult(f.Dashboard(r, path, c)), "GET", "/" + path, operatorKey: null);

        Assert.Equal(404, status);
    }

    [Fact]
    public async Task ListReleases_needs_an_operator_key_and_names_a_bad_parameter()
    {
        await LedgerSeed.RecordAsync(_app.Ledger, LedgerSeed.Release("octo/shop", 7, ReleaseStatus.Promoted, ReleaseAppFactory.Start.AddDays(-1)), "seed");

        var (unauthorized, problem, headers) = await InvokeAsync<OperatorFunctions>((f, r, c) => f.ListReleasesAsync(r, c), "GET", "/api/releases", operatorKey: null);
        var (wrongKey, _, _) = await InvokeAsync<OperatorFunctions>((f, r, c) => f.ListReleasesAsync(r, c), "GET", "/api/releases", operatorKey: "not-a-key");
        var (badStatus, badBody, _) = await InvokeAsync<OperatorFunctions>((f, r, c) => f.ListReleasesAsync(r, c), "GET", "/api/releases", "?status=shipped");
        var (okStatus, list, _) = await InvokeAsync<OperatorFunctions>((f, r, c) => f.ListReleasesAsync(r, c), "GET", "/api/releases", "?repository=octo/shop&status=promoted");

        Assert.Equal(401, unauthorized);
        Assert.Equal("Bearer", headers.WWWAuthenticate.ToString());
        Assert.Contains("no API key was presented", problem, StringComparison.Ordinal);
        Assert.Equal(401, wrongKey);
        Assert.Equal(400, badStatus);
        Assert.Equal("status", Json(badBody).GetProperty("parameter").GetString());
        Assert.Equal(200, okStatus);
        var release = Assert.Single(Json(list).GetProperty("releases").EnumerateArray());
        Assert.Equal(7, release.GetProperty("pullRequest").GetInt32());
    }

    [Fact]
    public async Task GetDoraMetrics_and_ListDoraSummaries_answer_the_standalone_way()
    {
        var (badStatus, badBody, _) = await InvokeAsync<OperatorFunctions>((f, r, c) => f.GetDoraMetricsAsync(r, c), "GET", "/api/dora", "?from=yesterday");
        var (metricsStatus, metricsBody, _) = await InvokeAsync<OperatorFunctions>((f, r, c) => f.GetDoraMetricsAsync(r, c), "GET", "/api/dora", "?from=2026-11-01&to=2026-11-20");
        var (limitStatus, limitBody, _) = await InvokeAsync<OperatorFunctions>((f, r, c) => f.ListDoraSummariesAsync(r, c), "GET", "/api/dora/summaries", "?limit=0");
        var (summariesStatus, summariesBody, _) = await InvokeAsync<OperatorFunctions>((f, r, c) => f.ListDoraSummariesAsync(r, c), "GET", "/api/dora/summaries");
        var (anonymous, _, _) = await InvokeAsync<OperatorFunctions>((f, r, c) => f.ListDoraSummariesAsync(r, c), "GET", "/api/dora/summaries", operatorKey: null);

        Assert.Equal(400, badStatus);
        Assert.Equal("from", Json(badBody).GetProperty("parameter").GetString());
        Assert.Equal(200, metricsStatus);
        Assert.Equal(TestClock.At("2026-11-20T00:00:00Z"), Json(metricsBody).GetProperty("to").GetDateTimeOffset());
        Assert.Equal(400, limitStatus);
        Assert.Equal("limit", Json(limitBody).GetProperty("parameter").GetString());
        Assert.Equal(200, summariesStatus);
        Assert.Empty(Json(summariesBody).GetProperty("summaries").EnumerateArray());
        Assert.Equal(401, anonymous);
    }

    [Fact]
    public async Task The_operator_functions_check_roles_as_the_standalone_endpoints_do()
    {
        var (me, meBody, _) = await InvokeAsync<OperatorFunctions>((f, r, c) => f.GetSignedInOperatorAsync(r, c), "GET", "/api/me", operatorKey: FunctionsWorkerApp.ReaderKey);
        var (list, _, _) = await InvokeAsync<OperatorFunctions>((f, r, c) => f.ListReleasesAsync(r, c), "GET", "/api/releases", operatorKey: FunctionsWorkerApp.ReaderKey);
        var (sandbox, sandboxBody, _) = await InvokeAsync<OperatorFunctions>((f, r, c) => f.SetSandboxCandidateBehaviourAsync(r, c), "PUT", "/api/sandbox/candidate",
            body: """{"errorRate": 0.5, "addedLatencyMs": 0}""", operatorKey: FunctionsWorkerApp.ReaderKey);
        var (anonymous, _, _) = await InvokeAsync<OperatorFunctions>((f, r, c) => f.GetSignedInOperatorAsync(r, c), "GET", "/api/me", operatorKey: null);

        Assert.Equal(200, me);
        Assert.Equal("reader", Json(meBody).GetProperty("name").GetString());
        Assert.Equal(["Release.Read"], Json(meBody).GetProperty("roles").EnumerateArray().Select(r => r.GetString()));
        Assert.Equal(200, list);
        Assert.Equal(403, sandbox);
        Assert.Equal("Release.Operate", Json(sandboxBody).GetProperty("requiredRole").GetString());
        Assert.Equal(401, anonymous);
    }

    [Fact]
    public async Task SetSandboxCandidateBehaviour_checks_the_body_before_the_sandbox()
    {
        var (badStatus, badBody, _) = await InvokeAsync<OperatorFunctions>((f, r, c) => f.SetSandboxCandidateBehaviourAsync(r, c), "PUT", "/api/sandbox/candidate",
            body: "{\"errorRate\": 3, \"addedLatencyMs\": 0}");
        // The sandbox starts with the host, which is not started here.
        var (goodStatus, goodBody, _) = await InvokeAsync<OperatorFunctions>((f, r, c) => f.SetSandboxCandidateBehaviourAsync(r, c), "PUT", "/api/sandbox/candidate",
            body: "{\"errorRate\": 0.3, \"addedLatencyMs\": 250}");

        Assert.Equal(400, badStatus);
        Assert.Contains("expected {\"errorRate\": 0 to 1", Json(badBody).GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(503, goodStatus);
        Assert.Contains("the sandbox is not running", Json(goodBody).GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_sandbox_s_migration_and_notification_functions_check_roles_and_bodies_as_the_standalone_endpoints_do()
    {
        var (readerSets, readerSetsBody, _) = await InvokeAsync<OperatorFunctions>((f, r, c) => f.SetSandboxMigrationBehaviourAsync(r, c), "PUT", "/api/sandbox/migrations",
            body: """{"durationSeconds": 5, "fail": true}""", operatorKey: FunctionsWorkerApp.ReaderKey);
        var (bad, badBody, _) = await InvokeAsync<OperatorFunctions>((f, r, c) => f.SetSandboxMigrationBehaviourAsync(r, c), "PUT", "/api/sandbox/migrations",
            body: """{"durationSeconds": -1, "fail": true}""");
        // The sandbox starts with the host, which is not started here.
        var (migrations, migrationsBody, _) = await InvokeAsync<OperatorFunctions>((f, r, c) => f.GetSandboxMigrationsAsync(r, c), "GET", "/api/sandbox/migrations", operatorKey: FunctionsWorkerApp.ReaderKey);
        var (notifications, _, _) = await InvokeAsync<OperatorFunctions>((f, r, c) => f.GetSandboxNotificationsAsync(r, c), "GET", "/api/sandbox/notifications", "?channel=sre_teams", operatorKey: FunctionsWorkerApp.ReaderKey);
        var (anonymous, _, _) = await InvokeAsync<OperatorFunctions>((f, r, c) => f.GetSandboxNotificationsAsync(r, c), "GET", "/api/sandbox/notifications", operatorKey: null);

        Assert.Equal(403, readerSets);
        Assert.Equal("Release.Operate", Json(readerSetsBody).GetProperty("requiredRole").GetString());
        Assert.Equal(400, bad);
        Assert.StartsWith("durationSeconds is -1; expected", Json(badBody).GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal((503, 503), (migrations, notifications));
        Assert.Contains("the sandbox is not running", Json(migrationsBody).GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(401, anonymous);
    }

    private static JsonElement Json(string body)
    {
        using var document = JsonDocument.Parse(body);
        return document.RootElement.Clone();
    }

    /// <summary>One invocation, in its own DI scope as the worker gives each invocation (handlers are cached per scope).</summary>
    private async Task<(int Status, string Body, IHeaderDictionary Headers)> InvokeAsync<T>(
        Func<T, HttpRequest, FunctionContext, Task<IActionResult>> function, string method, string path, string? query = null, string? body = null,
        string? operatorKey = FunctionsWorkerApp.OperatorKey)
        where T : class
    {
        using var scope = _app.Services.CreateScope();
        var request = FunctionsWorkerApp.Request(scope, method, path, query, body, operatorKey);
        var context = FunctionsWorkerApp.Context(scope);
        var result = await function(_app.Function<T>(scope), request, context.Object);
        return await FunctionsWorkerApp.ExecuteAsync(result, request);
    }
}
