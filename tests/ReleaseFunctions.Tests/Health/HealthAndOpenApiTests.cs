using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using ReleaseFunctions.Tests.Support;

namespace ReleaseFunctions.Tests.Health;

public sealed class HealthAndOpenApiTests
{
    [Fact]
    public async Task Liveness_and_readiness_answer_without_a_key_and_readiness_names_its_checks()
    {
        using var app = new ReleaseAppFactory();
        var client = app.CreateClient();

        var live = await client.GetAsync("/healthz");
        var ready = await client.GetAsync("/readyz");

        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        using var report = JsonDocument.Parse(await ready.Content.ReadAsStringAsync());
        Assert.Equal("healthy", report.RootElement.GetProperty("status").GetString());
        var checks = report.RootElement.GetProperty("checks");
        Assert.Equal(["engine-store", "engine-worker", "release-ledger"], checks.EnumerateObject().Select(c => c.Name).Order());
        Assert.Equal("the engine's worker is running", checks.GetProperty("engine-worker").GetProperty("description").GetString());
    }

    [Fact]
    public async Task Readiness_is_503_naming_the_ledger_when_its_file_cannot_be_opened()
    {
        using var app = new ReleaseAppFactory(new Dictionary<string, string?> { ["ReleaseFunctions:Store:LedgerPath"] = "ledger-folder" });
        Directory.CreateDirectory(Path.Combine(app.ContentRoot, "ledger-folder"));

        var ready = await app.CreateClient().GetAsync("/readyz");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        using var report = JsonDocument.Parse(await ready.Content.ReadAsStringAsync());
        Assert.Equal("unhealthy", report.RootElement.GetProperty("checks").GetProperty("release-ledger").GetProperty("status").GetString());
        Assert.Equal("healthy", report.RootElement.GetProperty("checks").GetProperty("engine-store").GetProperty("status").GetString());
    }

    [Fact]
    public async Task With_the_engine_store_unreachable_readiness_says_so_and_the_webhook_asks_for_a_redelivery()
    {
        using var app = new ReleaseAppFactory(new Dictionary<string, string?>
        {
            ["ReleaseFunctions:Store:Provider"] = "postgres",
            ["ReleaseFunctions:Store:PostgresConnectionString"] = "Host=127.0.0.1;Port=1;Database=releasefunctions;Timeout=2",
        });

        var ready = await app.CreateClient().GetAsync("/readyz");
        var merge = await app.DeliverAsync("pull_request", ReleaseAppFactory.Payload("pull_request.closed.merged"), "d-1");
        var redelivered = await app.DeliverAsync("pull_request", ReleaseAppFactory.Payload("pull_request.closed.merged"), "d-1");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        var readiness = await ready.Content.ReadAsStringAsync();
        Assert.Contains("the engine's store does not answer", readiness, StringComparison.Ordinal);
        Assert.Equal((HttpStatusCode)429, merge.StatusCode);
        Assert.Contains("redeliver it after 30 s", await merge.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal((HttpStatusCode)429, redelivered.StatusCode);
    }

    [Fact]
    public async Task With_the_sandbox_a_merge_moves_the_sandbox_router_to_the_first_canary_step()
    {
        using var app = new ReleaseAppFactory(useSandbox: true);
        const string release = "release-contoso.checkout-api-pr42-9f1c2e3d4b5a";

        await app.DeliverAsync("pull_request", ReleaseAppFactory.Payload("pull_request.closed.merged"));

        var shifted = await Eventually.ReturnsAsync(async () =>
            (await app.Ledger.GetAuditTrailAsync(release, default)).FirstOrDefault(r => r.Kind == "traffic-shifted"), "the first traffic shift");
        using var evidence = JsonDocument.Parse(shifted.EvidenceJson);
        Assert.Equal(10, evidence.RootElement.GetProperty("state").GetProperty("candidateWeightPercent").GetInt32());
        var target = app.Services.GetServices<ReleaseFunctions.Core.Ports.IDeploymentTarget>().Single(t => t.Provider == "sandbox");
        Assert.Equal(10, (await target.ReadAsync(new(new("sandbox", new Dictionary<string, string>()), release, "checkout-api", "1.0.0", "production", 1, 10, ReleaseFunctions.Core.Ports.TrafficAction.Shift, "read"), default)).CandidateWeightPercent);
    }

    [Fact]
    public async Task The_OpenAPI_document_lists_the_api_routes()
    {
        using var app = new ReleaseAppFactory();

        var response = await app.CreateClient().GetAsync("/openapi/v1.json");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var paths = document.RootElement.GetProperty("paths").EnumerateObject().Select(p => p.Name).ToArray();
        Assert.Contains("/api/releases", paths);
        Assert.Contains("/api/releases/{id}", paths);
        Assert.Contains("/api/releases/{id}/timeline", paths);
        Assert.Contains("/api/releases/{id}/commands/{command}", paths);
        Assert.Contains("/api/dora", paths);
        Assert.Contains("/api/github/webhook", paths);
        var root = document.RootElement;
        Assert.Equal("bearer", root.GetProperty("components").GetProperty("securitySchemes").GetProperty("operatorKey").GetProperty("scheme").GetString());
        var list = root.GetProperty("paths").GetProperty("/api/releases").GetProperty("get");
        Assert.True(list.GetProperty("security")[0].TryGetProperty("operatorKey", out _));
        Assert.False(root.GetProperty("paths").GetProperty("/api/github/webhook").GetProperty("post").TryGetProperty("security", out _));
    }
}
