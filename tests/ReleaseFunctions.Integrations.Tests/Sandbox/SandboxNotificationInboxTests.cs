using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using ReleaseFunctions.Core.Notifications;
using ReleaseFunctions.Integrations.Http;
using ReleaseFunctions.Integrations.Notifications;
using ReleaseFunctions.Integrations.Sandbox;

namespace ReleaseFunctions.Integrations.Tests.Sandbox;

/// <summary>The sandbox's notification inbox over real HTTP, sent to by the app's own Teams, Slack and signed-webhook senders.</summary>
public sealed class SandboxNotificationInboxTests
{
    private const string ReleaseId = "release-contoso.orders-api-pr7-0123456789ab";
    private static readonly DateTimeOffset Now = TestClock.At(2026, 3, 2, 9, 30, 0);
    private static readonly Uri Dashboard = new("https://releases.contoso.test/");
    private static readonly Uri PullRequest = new("https://github.com/contoso/orders-api/pull/7");
    private static readonly Uri ReleasePage = new($"https://releases.contoso.test/#/releases/{ReleaseId}");
    private static readonly NotificationChannel Teams = new("sre-teams", NotificationChannelKind.Teams, [NotificationEvent.GateFailed]);
    private static readonly NotificationChannel Slack = new("ops-slack", NotificationChannelKind.Slack, [NotificationEvent.GateFailed]);
    private static readonly NotificationChannel Hook = new("audit-hook", NotificationChannelKind.Webhook, [NotificationEvent.GateFailed]);

    private static ReleaseNotification GateFailed(string delivery = $"{ReleaseId}/notify/3", string reason = "gate of production at 25%: error_rate 4.2% is not < 1% & rising") => new(
        NotificationEvent.GateFailed, ReleaseId, "contoso/orders-api", 7, "Orders in any currency", "orders-api", "0123456789ab", "RollingBack", "production", 25,
        reason, "gate", Now.AddSeconds(-5), delivery);

    /// <summary>The real senders, each channel's setting group at the inbox (or at <paramref name="endpoints"/> where given); one attempt, so a refusal is final.</summary>
    private static WebhookNotificationChannels Sender(SandboxNotificationInbox inbox, TimeProvider clock, Dictionary<string, NotificationEndpoint>? endpoints = null)
    {
        var configured = new Dictionary<string, NotificationEndpoint>
        {
            ["sre_teams"] = inbox.EndpointFor("sre_teams"),
            ["ops_slack"] = inbox.EndpointFor("ops_slack"),
            ["audit_hook"] = inbox.EndpointFor("audit_hook"),
        };
        foreach (var (setting, endpoint) in endpoints ?? [])
        {
            configured[setting] = endpoint;
        }

        return new WebhookNotificationChannels(new HttpClient(), new NotificationChannelOptions(configured, Dashboard)
        {
            Resilience = new HttpResilienceOptions { MaxAttempts = 1, UseJitter = false },
        }, clock);
    }

    /// <summary>A signed webhook request made by hand, signed as the inbox's protocol says, for the timestamp given.</summary>
    private static HttpRequestMessage Signed(Uri url, string secret, DateTimeOffset at, string body, string? delivery = null)
    {
        var timestamp = at.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Add(SignedWebhookMessage.TimestampHeader, timestamp);
        request.Headers.Add(SignedWebhookMessage.SignatureHeader, SignedWebhookMessage.Sign(secret, timestamp, body));
        if (delivery is not null)
        {
            request.Headers.Add(SignedWebhookMessage.DeliveryHeader, delivery);
        }

        return request;
    }

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    private static string SlackBody(string text) => new JsonObject { ["text"] = text, ["blocks"] = new JsonArray() }.ToJsonString();

    [Fact]
    public async Task Each_kind_of_channel_is_answered_as_its_service_answers_and_kept_with_its_headline_text_links_and_event()
    {
        var clock = new FakeTimeProvider(Now);
        await using var inbox = await SandboxNotificationInbox.StartAsync(clock, CancellationToken.None);

        var deliveries = await Sender(inbox, clock).SendAsync([Teams, Slack, Hook], GateFailed(), CancellationToken.None);

        Assert.Equal([("sre-teams", true, 1, (int?)202, (string?)null), ("ops-slack", true, 1, 200, null), ("audit-hook", true, 1, 200, null)],
            deliveries.Select(d => (d.Channel, d.Delivered, d.Attempts, d.StatusCode, d.Error)));
        var received = inbox.Received();
        Assert.Equal(3, received.Count);
        Assert.Equal([3L, 2L, 1L], received.Select(n => n.Sequence));
        Assert.All(received, n => Assert.Equal(Now, n.ReceivedAt));

        var teams = Assert.Single(inbox.Received("sre_teams"));
        Assert.Equal(("sre_teams", "teams", "gate_failed", "Gate failed: orders-api 0123456789ab", (string?)null), (teams.Channel, teams.Kind, teams.Event, teams.Headline, teams.Delivery));
        Assert.Equal("gate of production at 25%: error_rate 4.2% is not < 1% & rising", teams.Text);
        Assert.Equal([PullRequest, ReleasePage], teams.Links);

        // Slack's text arrives escaped (&lt; &amp;) and is kept as people read it.
        var slack = Assert.Single(inbox.Received("ops_slack"));
        Assert.Equal(("slack", "gate_failed", "Gate failed: orders-api 0123456789ab", (string?)null), (slack.Kind, slack.Event, slack.Headline, slack.Delivery));
        Assert.Equal("gate of production at 25%: error_rate 4.2% is not < 1% & rising", slack.Text);
        Assert.Equal([PullRequest, ReleasePage], slack.Links);

        var hook = Assert.Single(inbox.Received("audit_hook"));
        Assert.Equal(("webhook", "gate_failed", "Gate failed: orders-api 0123456789ab", $"{ReleaseId}/notify/3"), (hook.Kind, hook.Event, hook.Headline, hook.Delivery));
        Assert.Equal("gate of production at 25%: error_rate 4.2% is not < 1% & rising", hook.Text);
        Assert.Equal([PullRequest, ReleasePage], hook.Links);
    }

    [Fact]
    public async Task The_secret_is_random_per_start_and_each_setting_has_its_own_path()
    {
        var clock = new FakeTimeProvider(Now);
        await using var first = await SandboxNotificationInbox.StartAsync(clock, CancellationToken.None);
        await using var second = await SandboxNotificationInbox.StartAsync(clock, CancellationToken.None);

        Assert.Matches("^[0-9a-f]{64}$", first.Secret);
        Assert.NotEqual(first.Secret, second.Secret);
        var endpoint = first.EndpointFor("sre_teams");
        Assert.Equal((new Uri(first.Address, "channels/sre_teams"), first.Secret), (endpoint.Url, endpoint.Secret));
        Assert.Equal(("127.0.0.1", "/channels/sre_teams"), (endpoint.Url.Host, endpoint.Url.AbsolutePath));
    }

    [Fact]
    public async Task A_signed_webhook_under_another_secret_is_refused_and_the_delivery_fails_with_nothing_kept()
    {
        var clock = new FakeTimeProvider(Now);
        await using var inbox = await SandboxNotificationInbox.StartAsync(clock, CancellationToken.None);
        var forged = new Dictionary<string, NotificationEndpoint> { ["audit_hook"] = new(inbox.EndpointFor("audit_hook").Url, "not-the-inbox-secret-0123456789") };

        var delivery = Assert.Single(await Sender(inbox, clock, forged).SendAsync([Hook], GateFailed(), CancellationToken.None));

        Assert.Equal((false, 1, (int?)401), (delivery.Delivered, delivery.Attempts, delivery.StatusCode));
        Assert.Contains("answered 401", delivery.Error);
        Assert.DoesNotContain("not-the-inbox-secret", delivery.Error);
        Assert.Empty(inbox.Received());
    }

    [Fact]
    public async Task A_signed_webhook_with_a_timestamp_ten_minutes_off_is_refused_and_one_of_now_is_kept()
    {
        var clock = new FakeTimeProvider(Now);
        await using var inbox = await SandboxNotificationInbox.StartAsync(clock, CancellationToken.None);
        using var client = new HttpClient();
        var url = inbox.EndpointFor("audit_hook").Url;
        var body = """{"event":"promoted","title":"Promoted","service":"orders-api","version":"0.1.0","reason":"all stages passed","pullRequestUrl":"https://github.com/contoso/orders-api/pull/7"}""";

        using var stale = await client.SendAsync(Signed(url, inbox.Secret, Now.AddMinutes(-10), body, "d-1"));
        using var future = await client.SendAsync(Signed(url, inbox.Secret, Now.AddMinutes(10), body, "d-2"));
        var unsigned = new HttpRequestMessage(HttpMethod.Post, url) { Content = Json(body) };
        unsigned.Headers.Add(SignedWebhookMessage.SignatureHeader, "sha256=00");
        using var noTimestamp = await client.SendAsync(unsigned);
        using var fresh = await client.SendAsync(Signed(url, inbox.Secret, Now.AddMinutes(-4), body, "d-3"));

        Assert.Equal([HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized, HttpStatusCode.OK],
            new[] { stale, future, noTimestamp, fresh }.Select(r => r.StatusCode));
        Assert.StartsWith("application/problem+json", stale.Content.Headers.ContentType!.ToString());
        var problem = JsonNode.Parse(await stale.Content.ReadAsStringAsync())!;
        Assert.Equal(401, problem["status"]!.GetValue<int>());
        Assert.Contains("X-ReleaseFunctions-Timestamp", problem["detail"]!.GetValue<string>());
        Assert.Contains("is not within 5 minutes", problem["detail"]!.GetValue<string>());
        Assert.Contains("The request has no X-ReleaseFunctions-Timestamp header", await noTimestamp.Content.ReadAsStringAsync());
        var kept = Assert.Single(inbox.Received());
        Assert.Equal(("webhook", "promoted", "Promoted: orders-api 0.1.0", "all stages passed", "d-3"), (kept.Kind, kept.Event, kept.Headline, kept.Text, kept.Delivery));
        Assert.Equal([PullRequest], kept.Links);
    }

    [Fact]
    public async Task A_delivery_sent_again_is_answered_200_again_and_kept_once()
    {
        var clock = new FakeTimeProvider(Now);
        await using var inbox = await SandboxNotificationInbox.StartAsync(clock, CancellationToken.None);
        var sender = Sender(inbox, clock);

        var first = Assert.Single(await sender.SendAsync([Hook], GateFailed(), CancellationToken.None));
        clock.Advance(TimeSpan.FromSeconds(30));
        var again = Assert.Single(await sender.SendAsync([Hook], GateFailed(), CancellationToken.None));
        var other = Assert.Single(await sender.SendAsync([Hook], GateFailed($"{ReleaseId}/notify/4"), CancellationToken.None));

        Assert.Equal([(true, (int?)200), (true, 200), (true, 200)], new[] { first, again, other }.Select(d => (d.Delivered, d.StatusCode)));
        Assert.Equal([($"{ReleaseId}/notify/4", 2L, Now.AddSeconds(30)), ($"{ReleaseId}/notify/3", 1L, Now)],
            inbox.Received().Select(n => (n.Delivery!, n.Sequence, n.ReceivedAt)));
    }

    [Fact]
    public async Task What_is_not_a_channel_message_is_a_problem_naming_what_was_expected()
    {
        var clock = new FakeTimeProvider(Now);
        await using var inbox = await SandboxNotificationInbox.StartAsync(clock, CancellationToken.None);
        using var client = new HttpClient();
        var channel = inbox.EndpointFor("sre_teams").Url;

        using var notJson = await client.PostAsync(channel, Json("{ not json"));
        using var unknown = await client.PostAsync(channel, Json("""{"hello":"world"}"""));
        using var cardless = await client.PostAsync(channel, Json("""{"type":"message","attachments":[{"contentType":"text/plain"}]}"""));
        using var get = await client.GetAsync(channel);
        using var elsewhere = await client.PostAsync(new Uri(inbox.Address, "hooks/x"), Json(SlackBody("hello")));
        using var noSetting = await client.PostAsync(new Uri(inbox.Address, "channels/"), Json(SlackBody("hello")));

        Assert.Equal([HttpStatusCode.BadRequest, HttpStatusCode.BadRequest, HttpStatusCode.BadRequest, HttpStatusCode.MethodNotAllowed, HttpStatusCode.NotFound, HttpStatusCode.NotFound],
            new[] { notJson, unknown, cardless, get, elsewhere, noSetting }.Select(r => r.StatusCode));
        Assert.StartsWith("application/problem+json", notJson.Content.Headers.ContentType!.ToString());
        Assert.Contains("The body is not valid JSON", await notJson.Content.ReadAsStringAsync());
        Assert.Contains("expected a Teams Workflows message", await unknown.Content.ReadAsStringAsync());
        Assert.Contains("a Slack message", await cardless.Content.ReadAsStringAsync());
        Assert.Equal("POST", get.Content.Headers.Allow.Single());
        Assert.Contains("expected POST /channels/{setting}", await elsewhere.Content.ReadAsStringAsync());
        Assert.Empty(inbox.Received());
    }

    [Fact]
    public async Task Slack_is_answered_ok_in_plain_text_and_teams_with_an_empty_202()
    {
        var clock = new FakeTimeProvider(Now);
        await using var inbox = await SandboxNotificationInbox.StartAsync(clock, CancellationToken.None);
        using var client = new HttpClient();

        using var slack = await client.PostAsync(inbox.EndpointFor("ops_slack").Url, Json(SlackBody("Promoted: orders-api 0.1.0\nsecond line")));
        using var teams = await client.PostAsync(inbox.EndpointFor("sre_teams").Url,
            Json(TeamsWorkflowMessage.Card(GateFailed(), new NotificationLinks(PullRequest, null)).ToJsonString()));

        Assert.Equal((HttpStatusCode.OK, "ok"), (slack.StatusCode, await slack.Content.ReadAsStringAsync()));
        Assert.Equal("text/plain", slack.Content.Headers.ContentType!.MediaType);
        Assert.Equal((HttpStatusCode.Accepted, ""), (teams.StatusCode, await teams.Content.ReadAsStringAsync()));
        // Without a header block, Slack's headline is its text's first line, and the rest its text.
        var text = Assert.Single(inbox.Received("ops_slack"));
        Assert.Equal(("Promoted: orders-api 0.1.0", "promoted", "second line"), (text.Headline, text.Event, text.Text));
        Assert.Equal([PullRequest], Assert.Single(inbox.Received("sre_teams")).Links);
    }

    [Fact]
    public async Task The_inbox_keeps_the_newest_up_to_its_capacity_and_filters_by_channel_ignoring_case()
    {
        var clock = new FakeTimeProvider(Now);
        await using var inbox = await SandboxNotificationInbox.StartAsync(clock, CancellationToken.None, capacity: 3);
        using var client = new HttpClient();

        foreach (var (setting, n) in new[] { ("sre_teams", 1), ("ops_slack", 2), ("sre_teams", 3), ("ops_slack", 4), ("SRE_TEAMS", 5) })
        {
            using var response = await client.PostAsync(inbox.EndpointFor(setting).Url, Json(SlackBody($"message {n}")));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            clock.Advance(TimeSpan.FromMinutes(1));
        }

        Assert.Equal([(5L, "SRE_TEAMS", "message 5"), (4L, "ops_slack", "message 4"), (3L, "sre_teams", "message 3")],
            inbox.Received().Select(n => (n.Sequence, n.Channel, n.Headline)));
        Assert.Equal(["message 5", "message 3"], inbox.Received("Sre_Teams").Select(n => n.Headline));
        Assert.Equal(["message 4"], inbox.Received("ops_slack").Select(n => n.Headline));
        Assert.Empty(inbox.Received("audit_hook"));
        Assert.Equal(Now.AddMinutes(4), inbox.Received()[0].ReceivedAt);
    }

    [Fact]
    public async Task The_sandbox_environment_routes_sandbox_channels_to_its_inbox()
    {
        var clock = new FakeTimeProvider(Now);
        await using var sandbox = await SandboxEnvironment.StartAsync(new SandboxOptions { LoadRatePerSecond = 0, RandomSeed = 5 }, clock);
        var sender = new WebhookNotificationChannels(new HttpClient(), new NotificationChannelOptions(new Dictionary<string, NotificationEndpoint>(), Dashboard)
        {
            SandboxChannels = new HashSet<string>(["sre_teams", "audit_hook"], StringComparer.OrdinalIgnoreCase),
            Sandbox = sandbox.NotificationEndpointFor,
            Resilience = new HttpResilienceOptions { MaxAttempts = 1 },
        }, clock);

        var deliveries = await sender.SendAsync([Teams, Hook], GateFailed(), CancellationToken.None);

        Assert.Equal([(true, (int?)202), (true, 200)], deliveries.Select(d => (d.Delivered, d.StatusCode)));
        Assert.Equal(["audit_hook", "sre_teams"], sandbox.ReceivedNotifications().Select(n => n.Channel).Order());
        Assert.Equal("webhook", Assert.Single(sandbox.ReceivedNotifications("AUDIT_HOOK")).Kind);
    }

    [Fact]
    public async Task A_sandbox_channel_without_the_sandbox_is_a_failed_delivery_saying_so()
    {
        var sender = new WebhookNotificationChannels(new HttpClient(), new NotificationChannelOptions(new Dictionary<string, NotificationEndpoint>())
        {
            SandboxChannels = new HashSet<string>(["sre_teams"]),
        }, new FakeTimeProvider(Now));

        var delivery = Assert.Single(await sender.SendAsync([Teams], GateFailed(), CancellationToken.None));

        Assert.Equal((false, 0), (delivery.Delivered, delivery.Attempts));
        Assert.Equal("channel sre-teams is the sandbox's inbox (ReleaseFunctions__Notifications__Channels__sre_teams__Url is 'sandbox'), not reachable now: Sandbox: the sandbox does not run in this app", delivery.Error);
    }
}
