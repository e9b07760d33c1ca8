using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using ReleaseFunctions.Core.Audit;
using ReleaseFunctions.Core.Notifications;
using ReleaseFunctions.Core.Ports;
using ReleaseFunctions.Core.Releases;
using ReleaseFunctions.Integrations.Http;
using ReleaseFunctions.Integrations.Notifications;
using ReleaseFunctions.Notifications;
using ReleaseFunctions.Reviews;
using ReleaseFunctions.Tests.Support;
using WireMock.Logging;
using WireMock.ResponseBuilders;
using WireMock.Server;
using WireMock.Settings;
using WireMockRequest = WireMock.RequestBuilders.Request;

namespace ReleaseFunctions.Tests.Releases;

/// <summary>
/// The policy's <c>notifications</c> through the release workflow on the engine, with real HTTP channels on 127.0.0.1:
/// a channel hears the events it asked for and nothing else; a channel that is down (or not configured) is recorded as
/// <c>notification-failed</c> and the release goes on. The senders retry on a clock of their own whose back-off elapses
/// at once; the workflow's clock moves only from timer to timer.
/// </summary>
public sealed class NotificationTests
{
    private static string Policy(string channels) => Policies.Canary(extraPolicy: $"""
        notifications:
          channels:
        {channels}
        """);

    [Fact]
    public async Task A_promoted_release_tells_the_channel_that_asked_of_its_start_and_promotion_and_nothing_else()
    {
        await using var teams = ChannelPeer.Start(202);
        await using var slack = ChannelPeer.Start(200);
        var policy = Policy("""
                - { name: sre-teams, type: teams, events: [started, promoted] }
                - { name: ops-slack, type: slack, events: [gate_failed, rolled_back, rollback_failed] }
            """);
        await using var h = await ReleaseWorkflowHarness.StartAsync(policy, addServices: Channels(("sre_teams", teams), ("ops_slack", slack)));
        var id = await h.StartReleaseAsync(ReleaseWorkflowHarness.Merge());

        await h.RunAsync(id);

        Assert.Equal(ReleaseStatus.Promoted, (await h.OutcomeAsync(id)).Status);
        Assert.Empty(slack.Requests);
        var cards = teams.Requests.Select(r => JsonNode.Parse(r.Body)!["attachments"]![0]!["content"]!).ToArray();
        Assert.Equal(["Release started: shop 0123456789ab", "Promoted: shop 0123456789ab"], cards.Select(c => c["body"]![0]!["text"]!.GetValue<string>()));
        Assert.All(cards, c => Assert.Equal("https://github.com/contoso/shop/pull/42", c["actions"]![0]!["url"]!.GetValue<string>()));
        Assert.All(cards, c => Assert.Equal($"https://releases.contoso.test/#/releases/{id}", c["actions"]![1]!["url"]!.GetValue<string>()));
        Assert.StartsWith("promoted: 0123456789ab is live in production", cards[1]["body"]![1]!["text"]!.GetValue<string>());

        var audit = await h.AuditAsync(id);
        Assert.True(AuditChain.Verify(audit, InMemoryLedger.ChainKey).IsIntact);
        Assert.DoesNotContain(audit, r => r.Kind == "notification-failed");
        var sent = audit.Where(r => r.Kind == "notification-sent").Select(Evidence).ToArray();
        Assert.Equal([("sre-teams", "started"), ("sre-teams", "promoted")], sent.Select(e => (e.GetProperty("channel").GetString(), e.GetProperty("event").GetString())));
        Assert.All(sent, e => Assert.Equal(202, e.GetProperty("statusCode").GetInt32()));
        // Each event is told right after it is recorded.
        Assert.Equal("release-received", audit[audit.ToList().FindIndex(r => r.Kind == "notification-sent") - 1].Kind);
        Assert.Equal("notification-sent", audit[^1].Kind);
        Assert.Equal("promoted", audit[^2].Kind);
        Assert.DoesNotContain(audit, r => r.EvidenceJson.Contains(teams.Url.AbsolutePath, StringComparison.Ordinal));
        Assert.Equal(ReleaseStatus.Promoted, (await h.Ledger.GetReleaseAsync(id, default))!.Status);
    }

    [Fact]
    public async Task A_channel_that_is_down_is_recorded_as_notification_failed_and_the_release_is_still_promoted()
    {
        await using var hook = ChannelPeer.Start(503);
        var policy = Policy("""
                - { name: audit-hook, type: webhook, events: [started, promoted] }
                - { name: pager, type: slack, events: [promoted] }
            """);
        await using var h = await ReleaseWorkflowHarness.StartAsync(policy, addServices: Channels(("audit_hook", hook)));
        var id = await h.StartReleaseAsync(ReleaseWorkflowHarness.Merge());

        await h.RunAsync(id);

        Assert.Equal(ReleaseStatus.Promoted, (await h.OutcomeAsync(id)).Status);
        Assert.Equal([(TrafficAction.Shift, 5), (TrafficAction.Shift, 25), (TrafficAction.Shift, 50), (TrafficAction.Promote, 100)], h.Target.Applied);
        Assert.Equal(8, hook.Requests.Count); // 4 attempts for each of the two events
        var audit = await h.AuditAsync(id);
        var failed = audit.Where(r => r.Kind == "notification-failed").ToArray();
        Assert.Equal([("audit-hook", "started"), ("audit-hook", "promoted"), ("pager", "promoted")],
            failed.Select(Evidence).Select(e => (e.GetProperty("channel").GetString(), e.GetProperty("event").GetString())));
        var down = Evidence(failed[1]);
        Assert.Equal((4, 503), (down.GetProperty("attempts").GetInt32(), down.GetProperty("statusCode").GetInt32()));
        Assert.Contains("answered 503", down.GetProperty("error").GetString());
        Assert.Equal(hook.Requests[^1].Headers["X-ReleaseFunctions-Delivery"], down.GetProperty("deliveryId").GetString());
        Assert.Contains("could not be sent to channel audit-hook (webhook) after 4 attempt(s)", failed[1].Reason);
        var unconfigured = Evidence(failed[2]);
        Assert.Equal(0, unconfigured.GetProperty("attempts").GetInt32());
        Assert.Contains("set the app setting ReleaseFunctions__Notifications__Channels__pager__Url", unconfigured.GetProperty("error").GetString());
        Assert.DoesNotContain(audit, r => r.Kind == "notification-sent");
        Assert.DoesNotContain(audit, r => r.EvidenceJson.Contains(HookSecret, StringComparison.Ordinal) || r.EvidenceJson.Contains(hook.Url.AbsolutePath, StringComparison.Ordinal));
        var record = await h.Ledger.GetReleaseAsync(id, default);
        Assert.Equal(ReleaseStatus.Promoted, record!.Status);
        Assert.Equal(audit.Single(r => r.Kind == "promoted").At, record.CompletedAt);
    }

    [Fact]
    public async Task A_failing_gate_tells_the_channel_of_the_failure_and_the_rollback()
    {
        await using var slack = ChannelPeer.Start(200);
        var policy = Policy("""
                - { name: ops-slack, type: slack, events: [gate_failed, rolled_back, promoted] }
            """);
        await using var h = await ReleaseWorkflowHarness.StartAsync(policy, addServices: Channels(("ops_slack", slack)));
        h.Sli.Canary = (_, weight) => weight >= 25 ? 0.042 : 0.001;
        var id = await h.StartReleaseAsync(ReleaseWorkflowHarness.Merge());

        await h.RunAsync(id);

        Assert.Equal(ReleaseStatus.RolledBack, (await h.OutcomeAsync(id)).Status);
        var headers = slack.Requests.Select(r => JsonNode.Parse(r.Body)!["blocks"]![0]!["text"]!["text"]!.GetValue<string>()).ToArray();
        Assert.Equal(["Gate failed: shop 0123456789ab", "Rolled back: shop 0123456789ab"], headers);
        Assert.Contains("error_rate", JsonNode.Parse(slack.Requests[0].Body)!["text"]!.GetValue<string>());
    }

    [Fact]
    public async Task The_post_release_review_goes_as_review_posted_to_the_channels_that_want_it_and_is_recorded_once_per_channel()
    {
        await using var teams = ChannelPeer.Start(202);
        await using var hook = ChannelPeer.Start(503);
        var policies = new FakePolicySource(Policy("""
                - { name: sre-teams, type: teams, events: [review_posted] }
                - { name: audit-hook, type: webhook, events: [review_posted] }
                - { name: ops-slack, type: slack, events: [promoted] }
            """));
        var ledger = new InMemoryLedger();
        var request = ReleaseWorkflowHarness.Merge();
        var completed = ReleaseWorkflowHarness.Start.AddMinutes(40);
        var release = new ReleaseRecord(request.Id.InstanceId, request.Repository, request.PullRequest, request.MergeCommitSha, request.Service, request.Version, request.Title,
            request.Author, request.MergedAt, ReleaseWorkflowHarness.Start, ReleaseStatus.Promoted, "production", 3, 100, "promoted", completed, completed, false, null);
        ledger.Put(release);
        var review = new ReleaseReview(release.InstanceId, completed.AddHours(24), ReleaseStatus.Promoted, "every stage passed",
            [new SliComparison("error_rate", 0.001, 0.0012, "+20% (0.001 → 0.0012)")], new ErrorBudgetBurn(80, 78.5), TimeSpan.FromHours(2), false, []);
        var services = new ServiceCollection();
        Channels(("sre_teams", teams), ("audit_hook", hook))(services);
        await using var provider = services.BuildServiceProvider();
        var publisher = new ChannelReviewPublisher(policies, provider.GetRequiredService<INotificationChannels>(), ledger, new FakeTimeProvider(review.ReviewedAt),
            Microsoft.Extensions.Logging.Abstractions.NullLogger<ChannelReviewPublisher>.Instance);

        await publisher.PublishAsync(release, review, default);
        await publisher.PublishAsync(release, review, default); // the timer publishing again (its mark was lost) records nothing twice

        var card = JsonNode.Parse(teams.Requests[0].Body)!["attachments"]![0]!["content"]!["body"]!;
        Assert.Equal("Post-release review posted: shop 0123456789ab", card[0]!["text"]!.GetValue<string>());
        Assert.Equal("post-release review: Promoted (every stage passed); error_rate +20% (0.001 → 0.0012); error budget 78.5% left (1.5 points spent since the release)", card[1]!["text"]!.GetValue<string>());
        Assert.Equal(2, teams.Requests.Count);
        Assert.All(hook.Requests, r => Assert.Equal($"{release.InstanceId}/review-posted", r.Headers["Idempotency-Key"]));
        var audit = await ledger.GetAuditTrailAsync(release.InstanceId, default);
        Assert.Equal([("notification-sent", "sre-teams"), ("notification-failed", "audit-hook")], audit.Select(r => (r.Kind, Evidence(r).GetProperty("channel").GetString())));
        Assert.All(audit, r => Assert.Equal(("post-release-review", "review_posted"), (r.Actor, Evidence(r).GetProperty("event").GetString())));
        Assert.Contains("after 4 attempt(s)", audit[1].Reason);
    }

    [Fact]
    public async Task Notification_settings_are_read_and_unreadable_ones_stop_the_app_naming_each_key_without_repeating_a_secret()
    {
        using (var good = new ReleaseAppFactory(new Dictionary<string, string?>
        {
            ["ReleaseFunctions:Notifications:Channels:sre_teams:Url"] = "https://contoso.webhook.office.test/workflows/secret-token",
            ["ReleaseFunctions:Notifications:Channels:audit_hook:Url"] = "https://hooks.contoso.test/releases",
            ["ReleaseFunctions:Notifications:Channels:audit_hook:Secret"] = HookSecret,
            ["ReleaseFunctions:Dashboard:PublicUrl"] = "https://releases.contoso.test/",
            ["ReleaseFunctions:GitHub:ApiBaseUrl"] = "https://ghe.contoso.test/api/v3",
        }))
        {
            var options = good.Services.GetRequiredService<IOptions<ReleaseNotificationOptions>>().Value;
            Assert.Equal(["audit_hook", "sre_teams"], options.Channels.Keys.Order(StringComparer.Ordinal));
            Assert.Equal(HookSecret, options.Channels["AUDIT_HOOK"].Secret);
            Assert.Equal("https://ghe.contoso.test/", options.GitHubWebUrl.AbsoluteUri);
            Assert.IsType<WebhookNotificationChannels>(good.Services.GetRequiredService<INotificationChannels>());
        }

        using var bad = new ReleaseAppFactory(new Dictionary<string, string?>
        {
            ["ReleaseFunctions:Notifications:Channels:sre_teams:Url"] = "contoso.webhook.office.test/secret-token",
            ["ReleaseFunctions:Notifications:Channels:audit_hook:Url"] = "https://hooks.contoso.test/releases",
            ["ReleaseFunctions:Notifications:Channels:audit_hook:Secret"] = "short-secret",
            ["ReleaseFunctions:Notifications:Channels:ops_slack:Uri"] = "https://hooks.slack.test/services/x",
            ["ReleaseFunctions:Dashboard:PublicUrl"] = "releases.contoso.test",
        });

        var error = Assert.ThrowsAny<Exception>(() => bad.Services.GetRequiredService<IStartupValidator>().Validate());

        var messages = Messages(error);
        Assert.Contains("ReleaseFunctions__Notifications__Channels__sre_teams__Url is not an absolute http(s) URL; expected the webhook URL that Teams (Workflows), Slack or the receiver gave for the channel (the value is not repeated: it is a secret).", messages);
        Assert.Contains("ReleaseFunctions__Notifications__Channels__audit_hook__Secret has 12 characters; expected a random secret of at least 16 to sign the channel's messages.", messages);
        Assert.Contains("ReleaseFunctions__Notifications__Channels__ops_slack__Uri is not a channel setting; expected ReleaseFunctions__Notifications__Channels__ops_slack__Url and, for a signed webhook, ReleaseFunctions__Notifications__Channels__ops_slack__Secret.", messages);
        Assert.Contains("ReleaseFunctions__Dashboard__PublicUrl is 'releases.contoso.test'; expected the absolute http(s) address people open the dashboard at, such as 'https://releases.contoso.com/' (no '#').", messages);
        Assert.DoesNotContain(messages, m => m.Contains("secret-token", StringComparison.Ordinal) || m.Contains("short-secret", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("https://api.github.com", "https://github.com/")]
    [InlineData("https://ghe.contoso.test/api/v3/", "https://ghe.contoso.test/")]
    [InlineData("http://127.0.0.1:8123/", "http://127.0.0.1:8123/")]
    [InlineData("not a url", "https://github.com/")]
    public void Pull_request_links_go_to_GitHubs_web_address_for_its_API_address(string api, string web)
        => Assert.Equal(web, NotificationSettingsSetup.GitHubWeb(api).AbsoluteUri);

    private const string HookSecret = "a-shared-secret-for-the-audit-hook";

    /// <summary>The real senders, pointed at the peers, on a clock of their own whose back-off elapses at once.</summary>
    private static Action<IServiceCollection> Channels(params (string Setting, ChannelPeer Peer)[] peers) => services =>
    {
        var endpoints = peers.ToDictionary(p => p.Setting, p => new NotificationEndpoint(p.Peer.Url, p.Setting == "audit_hook" ? HookSecret : null));
        var options = new NotificationChannelOptions(endpoints, new Uri("https://releases.contoso.test/")) { Resilience = new HttpResilienceOptions { UseJitter = false } };
        var clock = new TestTimeProvider(ReleaseWorkflowHarness.Start) { AutoAdvanceUpTo = TimeSpan.FromSeconds(10) };
        services.AddSingleton<INotificationChannels>(new WebhookNotificationChannels(new HttpClient(), options, clock));
    };

    private static JsonElement Evidence(AuditRecord record) => JsonDocument.Parse(record.EvidenceJson).RootElement;

    private static IReadOnlyList<string> Messages(Exception exception) => exception switch
    {
        OptionsValidationException validation => validation.Failures.ToList(),
        AggregateException aggregate => aggregate.InnerExceptions.SelectMany(Messages).ToList(),
        _ => exception.InnerException is { } inner ? Messages(inner) : [exception.Message],
    };

    /// <summary>A channel's receiving end: a WireMock server on 127.0.0.1 answering every POST with one status, recording each.</summary>
    private sealed class ChannelPeer : IAsyncDisposable
    {
        private readonly WireMockServer _server;
        private readonly ConcurrentQueue<(string Body, IReadOnlyDictionary<string, string> Headers)> _requests = new();

        private ChannelPeer(int status)
        {
            var port = LoopbackPort.Free();
            _server = WireMockServer.Start(new WireMockServerSettings { Urls = [$"http://127.0.0.1:{port}"], Logger = new WireMockNullLogger() });
            Url = new Uri($"http://127.0.0.1:{port}/hooks/secret-path-7f3a");
            _server.Given(WireMockRequest.Create().UsingPost()).RespondWith(Response.Create().WithCallback(request =>
            {
                var headers = (request.Headers ?? new Dictionary<string, WireMock.Types.WireMockList<string>>()).ToDictionary(h => h.Key, h => string.Join(",", h.Value), StringComparer.OrdinalIgnoreCase);
                _requests.Enqueue((request.Body ?? string.Empty, headers));
                return new WireMock.ResponseMessage { StatusCode = status };
            }));
        }

        public Uri Url { get; }

        public IReadOnlyList<(string Body, IReadOnlyDictionary<string, string> Headers)> Requests => _requests.ToArray();

        public static ChannelPeer Start(int status) => new(status);

        public ValueTask DisposeAsync()
        {
            _server.Stop();
            _server.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
