using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using ReleaseFunctions.Core.Notifications;
using ReleaseFunctions.Integrations.Http;
using ReleaseFunctions.Integrations.Notifications;
using ReleaseFunctions.Integrations.Tests.Support;

namespace ReleaseFunctions.Integrations.Tests.Notifications;

/// <summary>
/// Teams Workflows, Slack and signed webhooks against fake peers on 127.0.0.1: what each is sent, how a signature is
/// checked, and retries on a fake clock whose back-off elapses at once (waits are recorded, never slept).
/// </summary>
public sealed class NotificationChannelTests : IAsyncLifetime
{
    private const string Secret = "a-shared-secret-for-the-audit-hook";
    private const string ReleaseId = "release-contoso.shop-pr42-0123456789ab";
    private static readonly DateTimeOffset Now = TestClock.At(2026, 11, 23, 18, 0, 0);
    private static readonly Uri Dashboard = new("https://releases.contoso.test/");
    private readonly HttpClient _client = new();
    private FakeHttpServer _server = null!;

    public async Task InitializeAsync() => _server = await FakeHttpServer.StartAsync(shiftFixtureDates: false);

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _client.Dispose();
    }

    private static readonly NotificationChannel Teams = new("sre-teams", NotificationChannelKind.Teams, [NotificationEvent.GateFailed]);
    private static readonly NotificationChannel Slack = new("ops-slack", NotificationChannelKind.Slack, [NotificationEvent.GateFailed]);
    private static readonly NotificationChannel Hook = new("audit-hook", NotificationChannelKind.Webhook, [NotificationEvent.GateFailed], "AUDIT_HOOK");

    private static ReleaseNotification GateFailed(string reason = "gate of production at 25%: error_rate 4.2% is not < 1% (critical)") => new(
        NotificationEvent.GateFailed, ReleaseId, "contoso/shop", 42, "Faster checkout", "shop", "0123456789ab", "RollingBack", "production", 25,
        reason, "gate", Now.AddMinutes(-1), $"{ReleaseId}/notify/7");

    private (WebhookNotificationChannels Channels, TestTimeProvider Clock) Channels(Uri? dashboard = null, string? secret = Secret, params (string Setting, string Path)[] endpoints)
    {
        var clock = new TestTimeProvider(Now) { AutoAdvanceUpTo = TimeSpan.FromSeconds(10) };
        var configured = (endpoints.Length == 0 ? [("sre_teams", "teams/flow-7f3a"), ("ops_slack", "services/T000/B000/XXXX"), ("AUDIT_HOOK", "hooks/releases")] : endpoints)
            .ToDictionary(e => e.Item1, e => new NotificationEndpoint(new Uri(_server.BaseAddress, e.Item2), e.Item1 == "AUDIT_HOOK" ? secret : null));
        var options = new NotificationChannelOptions(configured, dashboard ?? Dashboard) { Resilience = new HttpResilienceOptions { UseJitter = false } };
        return (new WebhookNotificationChannels(_client, options, clock), clock);
    }

    /// <summary>The waits between attempts (each attempt also arms its 30 s timeout on the clock).</summary>
    private static TimeSpan[] BackOff(TestTimeProvider clock) => clock.RequestedDelays.Where(d => d != new HttpResilienceOptions().AttemptTimeout).ToArray();

    /// <summary>What a receiver does: recompute the HMAC of "{timestamp}.{body}" and compare in constant time.</summary>
    private static bool Verifies(RecordedRequest request, string secret = Secret)
        => ReceivedSignature.Verifies(request, secret, $"{request.Header("X-ReleaseFunctions-Timestamp") ?? ""}.{request.Body}");

    [Fact]
    public async Task Teams_gets_an_adaptive_card_with_the_reason_the_facts_and_links_to_the_pull_request_and_the_release_page()
    {
        _server.Respond(_ => new FakeResponse(202, ""));
        var (channels, _) = Channels();

        var delivery = Assert.Single(await channels.SendAsync([Teams], GateFailed(), default));

        Assert.Equal(("sre-teams", true, 1, (int?)202, (string?)null), (delivery.Channel, delivery.Delivered, delivery.Attempts, delivery.StatusCode, delivery.Error));
        var request = Assert.Single(_server.Requests);
        Assert.Equal(("POST", "/teams/flow-7f3a"), (request.Method, request.Path));
        Assert.StartsWith("application/json", request.Header("Content-Type"));
        var message = JsonNode.Parse(request.Body)!;
        Assert.Equal("message", message["type"]!.GetValue<string>());
        var attachment = Assert.Single(message["attachments"]!.AsArray())!;
        Assert.Equal("application/vnd.microsoft.card.adaptive", attachment["contentType"]!.GetValue<string>());
        var card = attachment["content"]!;
        Assert.Equal(("AdaptiveCard", "1.4"), (card["type"]!.GetValue<string>(), card["version"]!.GetValue<string>()));
        var body = card["body"]!.AsArray();
        Assert.Equal("Gate failed: shop 0123456789ab", body[0]!["text"]!.GetValue<string>());
        Assert.Equal("Attention", body[0]!["color"]!.GetValue<string>());
        Assert.Equal("gate of production at 25%: error_rate 4.2% is not < 1% (critical)", body[1]!["text"]!.GetValue<string>());
        var facts = body[2]!["facts"]!.AsArray().ToDictionary(f => f!["title"]!.GetValue<string>(), f => f!["value"]!.GetValue<string>());
        Assert.Equal("contoso/shop", facts["Repository"]);
        Assert.Equal("#42 Faster checkout", facts["Pull request"]);
        Assert.Equal("production at 25%", facts["Stage"]);
        Assert.Equal("RollingBack", facts["Status"]);
        var actions = card["actions"]!.AsArray().Select(a => (a!["type"]!.GetValue<string>(), a["title"]!.GetValue<string>(), a["url"]!.GetValue<string>())).ToArray();
        Assert.Equal([("Action.OpenUrl", "Pull request #42", "https://github.com/contoso/shop/pull/42"),
                      ("Action.OpenUrl", "Release page", $"https://releases.contoso.test/#/releases/{ReleaseId}")], actions);
    }

    [Fact]
    public async Task Slack_gets_text_and_blocks_with_escaped_text_and_link_buttons()
    {
        _server.Respond(_ => new FakeResponse(200, "ok", new Dictionary<string, string> { ["Content-Type"] = "text/plain" }));
        var (channels, _) = Channels();

        var delivery = Assert.Single(await channels.SendAsync([Slack], GateFailed("latency_p99_ms 620 is not < 500 & <critical>"), default));

        Assert.True(delivery.Delivered, delivery.Error);
        var request = Assert.Single(_server.Requests);
        Assert.Equal("/services/T000/B000/XXXX", request.Path);
        var payload = JsonNode.Parse(request.Body)!;
        Assert.Equal("Gate failed: shop 0123456789ab (contoso/shop #42): latency_p99_ms 620 is not &lt; 500 &amp; &lt;critical&gt;", payload["text"]!.GetValue<string>());
        var blocks = payload["blocks"]!.AsArray();
        Assert.Equal(["header", "section", "section", "actions"], blocks.Select(b => b!["type"]!.GetValue<string>()));
        Assert.Equal("Gate failed: shop 0123456789ab", blocks[0]!["text"]!["text"]!.GetValue<string>());
        Assert.Equal("latency_p99_ms 620 is not &lt; 500 &amp; &lt;critical&gt;", blocks[1]!["text"]!["text"]!.GetValue<string>());
        var fields = blocks[2]!["fields"]!.AsArray().Select(f => f!["text"]!.GetValue<string>()).ToArray();
        Assert.Contains("*Pull request*\n<https://github.com/contoso/shop/pull/42|#42 Faster checkout>", fields);
        Assert.Contains("*Stage*\nproduction at 25%", fields);
        var buttons = blocks[3]!["elements"]!.AsArray().Select(b => (b!["text"]!["text"]!.GetValue<string>(), b["url"]!.GetValue<string>())).ToArray();
        Assert.Equal([("Pull request #42", "https://github.com/contoso/shop/pull/42"), ("Release page", $"https://releases.contoso.test/#/releases/{ReleaseId}")], buttons);
    }

    [Fact]
    public async Task A_signed_webhook_carries_the_facts_the_delivery_id_and_a_signature_over_its_timestamp_and_body()
    {
        _server.Respond(r => Verifies(r) ? new FakeResponse(204) : new FakeResponse(401, "bad signature"));
        var (channels, _) = Channels();

        var delivery = Assert.Single(await channels.SendAsync([Hook], GateFailed(), default));

        Assert.Equal((true, 1, (int?)204), (delivery.Delivered, delivery.Attempts, delivery.StatusCode));
        var request = Assert.Single(_server.Requests);
        Assert.Equal("/hooks/releases", request.Path);
        Assert.Equal("gate_failed", request.Header("X-ReleaseFunctions-Event"));
        Assert.Equal($"{ReleaseId}/notify/7", request.Header("X-ReleaseFunctions-Delivery"));
        Assert.Equal($"{ReleaseId}/notify/7", request.Header("Idempotency-Key"));
        Assert.Equal(Now.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture), request.Header("X-ReleaseFunctions-Timestamp"));
        var body = JsonNode.Parse(request.Body)!;
        Assert.Equal($"{ReleaseId}/notify/7", body["id"]!.GetValue<string>());
        Assert.Equal(("gate_failed", ReleaseId, "shop", "0123456789ab"), (body["event"]!.GetValue<string>(), body["release"]!.GetValue<string>(), body["service"]!.GetValue<string>(), body["version"]!.GetValue<string>()));
        Assert.Equal(("contoso/shop", 42, "https://github.com/contoso/shop/pull/42"), (body["repository"]!.GetValue<string>(), body["pullRequest"]!.GetValue<int>(), body["pullRequestUrl"]!.GetValue<string>()));
        Assert.Equal($"https://releases.contoso.test/#/releases/{ReleaseId}", body["releaseUrl"]!.GetValue<string>());
        Assert.Equal(("production", 25, "RollingBack", "gate"), (body["stage"]!.GetValue<string>(), body["weight"]!.GetValue<int>(), body["status"]!.GetValue<string>(), body["actor"]!.GetValue<string>()));
        Assert.StartsWith("gate of production at 25%", body["reason"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_receiver_that_refuses_the_signature_is_a_failure_naming_what_to_check_and_is_not_retried()
    {
        _server.Respond(r => Verifies(r) ? new FakeResponse(204) : new FakeResponse(401, "bad signature"));
        var (channels, clock) = Channels(secret: "another-secret-of-some-length");

        var delivery = Assert.Single(await channels.SendAsync([Hook], GateFailed(), default));

        Assert.Equal((false, 1, (int?)401), (delivery.Delivered, delivery.Attempts, delivery.StatusCode));
        Assert.Contains("channel audit-hook (signed webhook) answered 401", delivery.Error);
        Assert.Contains("check the shared secret on both sides", delivery.Error);
        Assert.DoesNotContain("another-secret", delivery.Error);
        Assert.Empty(BackOff(clock));
    }

    [Fact]
    public async Task A_channel_answering_503_is_retried_with_exponential_back_off_on_the_clock_and_each_attempt_is_signed_afresh()
    {
        _server.RespondInOrder(new FakeResponse(503, "busy"), new FakeResponse(503, "busy"), new FakeResponse(200, "{}"));
        var (channels, clock) = Channels();

        var delivery = Assert.Single(await channels.SendAsync([Hook], GateFailed(), default));

        Assert.Equal((true, 3, (int?)200), (delivery.Delivered, delivery.Attempts, delivery.StatusCode));
        Assert.Equal([TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2)], BackOff(clock));
        Assert.Equal(3, _server.Requests.Count);
        Assert.All(_server.Requests, r => Assert.True(Verifies(r)));
        Assert.All(_server.Requests, r => Assert.Equal($"{ReleaseId}/notify/7", r.Header("Idempotency-Key")));
        // Each attempt is signed when it is sent: the timestamps follow the back-off.
        Assert.Equal([0L, 1L, 3L], _server.Requests.Select(r => long.Parse(r.Header("X-ReleaseFunctions-Timestamp")!, CultureInfo.InvariantCulture) - Now.ToUnixTimeSeconds()));
    }

    [Fact]
    public async Task A_429_waits_what_Retry_After_says()
    {
        _server.RespondInOrder(new FakeResponse(429, "rate_limited", new Dictionary<string, string> { ["Retry-After"] = "7" }), new FakeResponse(200, "ok"));
        var (channels, clock) = Channels();

        var delivery = Assert.Single(await channels.SendAsync([Slack], GateFailed(), default));

        Assert.Equal((true, 2), (delivery.Delivered, delivery.Attempts));
        Assert.Equal([TimeSpan.FromSeconds(7)], BackOff(clock));
        Assert.Equal(Now.AddSeconds(7), clock.GetUtcNow());
    }

    [Fact]
    public async Task A_channel_down_for_good_is_a_failed_result_after_every_attempt_without_its_url()
    {
        _server.Respond(_ => new FakeResponse(503, "no_service"));
        var (channels, clock) = Channels();

        var delivery = Assert.Single(await channels.SendAsync([Slack], GateFailed(), default));

        Assert.False(delivery.Delivered);
        Assert.Equal((4, (int?)503), (delivery.Attempts, delivery.StatusCode));
        Assert.Equal([TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(4)], BackOff(clock));
        Assert.StartsWith("Slack: send gate_failed of release release-contoso.shop-pr42-0123456789ab on channel ops-slack (Slack incoming webhook) answered 503", delivery.Error);
        Assert.Contains("after 4 attempts", delivery.Error);
        Assert.Contains("no_service", delivery.Error);
        Assert.DoesNotContain("T000/B000/XXXX", delivery.Error);
    }

    [Fact]
    public async Task A_channel_that_cannot_be_reached_fails_as_unavailable()
    {
        var nobody = new NotificationChannelOptions(
            new Dictionary<string, NotificationEndpoint> { ["sre_teams"] = new(new Uri($"http://127.0.0.1:{LoopbackPort.Free()}/workflows/secret-token")) })
        { Resilience = new HttpResilienceOptions { UseJitter = false, MaxAttempts = 2 } };
        var clock = new TestTimeProvider(Now) { AutoAdvanceUpTo = TimeSpan.FromSeconds(10) };

        var delivery = Assert.Single(await new WebhookNotificationChannels(_client, nobody, clock).SendAsync([Teams], GateFailed(), default));

        Assert.Equal((false, 2, (int?)null), (delivery.Delivered, delivery.Attempts, delivery.StatusCode));
        Assert.Contains("could not reach the service", delivery.Error);
        Assert.DoesNotContain("secret-token", delivery.Error);
    }

    [Fact]
    public async Task One_channel_down_does_not_stop_the_others_and_results_come_in_the_policys_order()
    {
        _server.On("POST", "/services/.*", _ => new FakeResponse(500, "boom"));
        _server.Respond(_ => new FakeResponse(202, ""));
        var (channels, _) = Channels();

        var deliveries = await channels.SendAsync([Slack, Teams, Hook], GateFailed(), default);

        Assert.Equal([("ops-slack", false), ("sre-teams", true), ("audit-hook", true)], deliveries.Select(d => (d.Channel, d.Delivered)));
        Assert.All(deliveries, d => Assert.Equal($"{ReleaseId}/notify/7", d.DeliveryId));
    }

    [Fact]
    public async Task A_channel_without_settings_fails_at_once_naming_the_setting_to_set()
    {
        var (channels, _) = Channels(secret: null);
        var unknown = new NotificationChannel("pager-hook", NotificationChannelKind.Webhook, [NotificationEvent.GateFailed]);

        var deliveries = await channels.SendAsync([unknown, Hook], GateFailed(), default);

        Assert.Equal((false, 0), (deliveries[0].Delivered, deliveries[0].Attempts));
        Assert.Equal("channel pager-hook is not configured: set the app setting ReleaseFunctions__Notifications__Channels__pager_hook__Url to its signed webhook URL", deliveries[0].Error);
        Assert.Equal((false, 0), (deliveries[1].Delivered, deliveries[1].Attempts));
        Assert.StartsWith("channel audit-hook is a signed webhook but ReleaseFunctions__Notifications__Channels__AUDIT_HOOK__Secret is not set", deliveries[1].Error);
        Assert.Empty(_server.Requests);
    }

    [Fact]
    public void Links_go_to_the_pull_request_on_the_configured_GitHub_and_to_no_release_page_without_a_dashboard_address()
    {
        var links = new NotificationChannelOptions(new Dictionary<string, NotificationEndpoint>(), null, new Uri("https://ghe.contoso.test/")).LinksFor(GateFailed());

        Assert.Equal("https://ghe.contoso.test/contoso/shop/pull/42", links.PullRequest.AbsoluteUri);
        Assert.Null(links.ReleasePage);
    }

    [Fact]
    public void Endpoints_refuse_a_short_secret_and_never_show_their_url()
    {
        Assert.Contains("16 characters", Assert.Throws<ArgumentException>(() => new NotificationEndpoint(new Uri("https://hooks.example/x"), "short")).Message);
        var endpoint = new NotificationEndpoint(new Uri("https://hooks.example/secret-token"), Secret);
        Assert.DoesNotContain("secret-token", endpoint.ToString());
        Assert.DoesNotContain(Secret, endpoint.ToString());
    }

    [Fact]
    public void The_signature_is_the_hex_hmac_sha256_of_timestamp_dot_body()
    {
        // HMAC-SHA256("key", "The quick brown fox jumps over the lazy dog"), a published test vector: what is signed is "{timestamp}.{body}".
        Assert.Equal("sha256=f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8", HmacOf("key", "The quick brown fox jumps over the lazy dog"));
        Assert.Equal(HmacOf("key", "1795456800.{\"event\":\"promoted\"}"), SignedWebhookMessage.Sign("key", "1795456800", "{\"event\":\"promoted\"}"));
    }

    private static string HmacOf(string key, string text) => "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(key), Encoding.UTF8.GetBytes(text)));
}
