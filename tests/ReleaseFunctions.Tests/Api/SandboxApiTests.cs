using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using ReleaseFunctions.Core.Migrations;
using ReleaseFunctions.Core.Notifications;
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

    [Fact]
    public async Task A_channel_whose_url_is_sandbox_is_delivered_to_the_sandbox_s_inbox_and_shown()
    {
        using var app = new ReleaseAppFactory(new Dictionary<string, string?>
        {
            ["ReleaseFunctions:Notifications:Channels:sre_teams:Url"] = "sandbox",
            ["ReleaseFunctions:Notifications:Channels:audit_hook:Url"] = "Sandbox",
            ["ReleaseFunctions:Dashboard:PublicUrl"] = "http://127.0.0.1:5000/",
        }, useSandbox: true);
        var client = app.CreateOperatorClient();
        var channels = app.Services.GetRequiredService<INotificationChannels>();
        var notification = new ReleaseNotification(NotificationEvent.RolledBack, "release-7", "contoso/orders-api", 7, "Orders in any currency", "orders-api", "0.1.0",
            "RolledBack", "production", 0, "gate failed at 10%: error_rate 30% is not < 1% (critical); traffic read back at 0%", "workflow", app.Time.GetUtcNow(), "release-7/notify/3");

        var deliveries = await channels.SendAsync([new NotificationChannel("sre-teams", NotificationChannelKind.Teams, [NotificationEvent.RolledBack]),
            new NotificationChannel("audit-hook", NotificationChannelKind.Webhook, [NotificationEvent.RolledBack])], notification, CancellationToken.None);
        var all = JsonNode.Parse(await client.GetStringAsync("/api/sandbox/notifications"))!.AsArray();
        var teams = JsonNode.Parse(await client.GetStringAsync("/api/sandbox/notifications?channel=sre_teams"))!.AsArray();

        Assert.All(deliveries, d => Assert.True(d.Delivered, d.Error));
        Assert.Equal(2, all.Count);
        var message = Assert.Single(teams)!;
        Assert.Equal(("teams", "Rolled back: orders-api 0.1.0"), (message["kind"]!.GetValue<string>(), message["headline"]!.GetValue<string>()));
        Assert.Contains("http://127.0.0.1:5000/#/releases/release-7", message["links"]!.AsArray().Select(l => l!.GetValue<string>()));
    }

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");
}
