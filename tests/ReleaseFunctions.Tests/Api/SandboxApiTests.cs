using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using ReleaseFunctions.Core.Migrations;
using ReleaseFunctions.Core.Ports;
using ReleaseFunctions.Tests.Support;

namespace ReleaseFunctions.Tests.Api;

public sealed class SandboxApiTests
{
    [Fact]
    public async Task An_operator_sets_the_candidate_s_behaviour_and_bad_values_are_400s_naming_the_expected_shape()
    {
        using var app = new ReleaseAppFactory(useSandbox: true);
        var client = app.CreateOperatorClient();

        var set = await client.PutAsync("/api/sandbox/candidate", Json("{\"errorRate\": 0.3, \"addedLatencyMs\": 250}"));
        var tooHigh = await client.PutAsync("/api/sandbox/candidate", Json("{\"errorRate\": 2, \"addedLatencyMs\": 0}"));
        var malformed = await client.PutAsync("/api/sandbox/candidate", Json("{\"errorRate\": "));
        var anonymous = await app.CreateClient().PutAsync("/api/sandbox/candidate", Json("{\"errorRate\": 0, \"addedLatencyMs\": 0}"));

        Assert.Equal(HttpStatusCode.OK, set.StatusCode);
        Assert.Contains("\"errorRate\":0.3", await set.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, tooHigh.StatusCode);
        Assert.Contains("An error rate is a share from 0 to 1", await tooHigh.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
    }

    [Fact]
    public async Task With_the_migration_url_sandbox_the_workflow_s_runner_is_the_sandbox_database_and_its_history_is_shown()
    {
        using var app = new ReleaseAppFactory(new Dictionary<string, string?> { ["ReleaseFunctions:Migrations:Url"] = "sandbox" }, useSandbox: true);
        var client = app.CreateOperatorClient();
        var runner = app.Services.GetRequiredService<IMigrationRunner>();

        var set = await client.PutAsync("/api/sandbox/migrations", Json("{\"durationSeconds\": 5, \"fail\": false}"));
        var started = await runner.StartAsync(new MigrationRequest("release-9", "sandbox-service", "1.1.0", MigrationPhase.Expand, "2026-12-orders-add-currency", "release-9:expand"), CancellationToken.None);
        app.Time.Advance(TimeSpan.FromSeconds(5));
        var shown = JsonNode.Parse(await client.GetStringAsync("/api/sandbox/migrations"))!;
        var outOfRange = await client.PutAsync("/api/sandbox/migrations", Json("{\"durationSeconds\": 7200, \"fail\": true}"));
        var malformed = await client.PutAsync("/api/sandbox/migrations", Json("{\"fail\": "));
        var anonymous = await app.CreateClient().GetAsync("/api/sandbox/migrations");

        Assert.Equal(HttpStatusCode.OK, set.StatusCode);
        Assert.Equal(MigrationState.Running, started.State);
        Assert.Equal((5d, false), (shown["behaviour"]!["durationSeconds"]!.GetValue<double>(), shown["behaviour"]!["fail"]!.GetValue<bool>()));
        var migration = Assert.Single(shown["migrations"]!.AsArray())!;
        Assert.Equal(("2026-12-orders-add-currency", "expand", "applied", "release-9"),
            (migration["migration"]!.GetValue<string>(), migration["phase"]!.GetValue<string>(), migration["state"]!.GetValue<string>(), migration["release"]!.GetValue<string>()));
        Assert.Equal(HttpStatusCode.BadRequest, outOfRange.StatusCode);
        Assert.StartsWith("durationSeconds is 7200; expected {\"durationSeconds\": 0 to 3600", JsonNode.Parse(await outOfRange.Content.ReadAsStringAsync())!["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
    }

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");
}
