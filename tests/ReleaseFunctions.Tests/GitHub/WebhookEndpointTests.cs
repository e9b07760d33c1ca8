using System.Net;
using System.Text.Json;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using ReleaseFunctions.Core.Audit;
using ReleaseFunctions.Core.Ports;
using ReleaseFunctions.Core.Releases;
using ReleaseFunctions.Releases;
using ReleaseFunctions.Tests.Support;
using EventRaisedEvent = ReleaseFunctions.Durable.EventRaisedEvent;

namespace ReleaseFunctions.Tests.GitHub;

public sealed class WebhookEndpointTests
{
    private const string ReleaseInstance = "release-contoso.checkout-api-pr42-9f1c2e3d4b5a";

    [Fact]
    public async Task A_merge_starts_one_release_with_the_merge_as_input()
    {
        using var app = new ReleaseAppFactory();

        var response = await app.DeliverAsync("pull_request", ReleaseAppFactory.Payload("pull_request.closed.merged"), "d-1");

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var answer = await Answer(response);
        Assert.Equal("started", answer.GetProperty("status").GetString());
        Assert.Equal(ReleaseInstance, answer.GetProperty("release").GetString());
        var instance = await app.Engine.GetInstanceAsync(ReleaseInstance, getInputsAndOutputs: true);
        Assert.NotNull(instance);
        Assert.Equal(ReleaseWorkflow.OrchestratorName, instance.Name);
        var input = instance.ReadInputAs<ReleaseRequest>()!;
        Assert.Equal("contoso/checkout-api", input.Repository);
        Assert.Equal(42, input.PullRequest);
        Assert.Equal("9f1c2e3d4b5a69788796a5b4c3d2e1f0a9b8c7d6", input.MergeCommitSha);
        Assert.Equal("checkout-api", input.Service);
        Assert.Equal("octocat", input.Author);
        Assert.Equal(["performance", "canary"], input.Labels);
        Assert.Equal(TestClock.At(2026, 11, 23, 14, 3, 9), input.MergedAt);
    }

    [Fact]
    public async Task A_redelivery_is_a_duplicate_and_a_second_delivery_of_the_same_merge_starts_nothing_new()
    {
        using var app = new ReleaseAppFactory();
        var body = ReleaseAppFactory.Payload("pull_request.closed.merged");
        await app.DeliverAsync("pull_request", body, "d-1");

        var redelivered = await app.DeliverAsync("pull_request", body, "d-1");
        var again = await app.DeliverAsync("pull_request", body, "d-2");

        Assert.Equal(HttpStatusCode.OK, redelivered.StatusCode);
        Assert.Equal("duplicate", (await Answer(redelivered)).GetProperty("status").GetString());
        Assert.Equal(HttpStatusCode.Accepted, again.StatusCode);
        var instances = await app.Engine.ListAsync(new OrchestrationQuery(InstanceIdPrefix: "release-contoso.checkout-api-pr42-"), default);
        Assert.Single(instances);
    }

    [Fact]
    public async Task A_redelivered_merge_whose_release_was_lost_to_a_crash_starts_it()
    {
        using var app = new ReleaseAppFactory();
        // What a SIGKILL between recording the delivery and starting its release leaves: the id, and no release.
        var log = app.Services.GetRequiredService<ReleaseFunctions.Integrations.GitHub.Webhooks.IWebhookDeliveryLog>();
        Assert.True(await log.TryRecordAsync("d-killed", TestClock.At(2026, 11, 23, 14, 3, 10), default));

        var redelivered = await app.DeliverAsync("pull_request", ReleaseAppFactory.Payload("pull_request.closed.merged"), "d-killed");
        var again = await app.DeliverAsync("pull_request", ReleaseAppFactory.Payload("pull_request.closed.merged"), "d-killed");

        Assert.Equal(HttpStatusCode.OK, redelivered.StatusCode);
        var answer = await Answer(redelivered);
        Assert.Equal("duplicate", answer.GetProperty("status").GetString());
        Assert.Contains("started now", answer.GetProperty("reason").GetString());
        Assert.Contains("is there", (await Answer(again)).GetProperty("reason").GetString());
        var instances = await app.Engine.ListAsync(new OrchestrationQuery(InstanceIdPrefix: "release-contoso.checkout-api-pr42-"), default);
        Assert.Equal(ReleaseInstance, Assert.Single(instances).InstanceId);
    }

    [Fact]
    public async Task The_service_name_comes_from_settings_when_the_repository_is_mapped()
    {
        using var app = new ReleaseAppFactory(new Dictionary<string, string?> { ["ReleaseFunctions:GitHub:Services:0"] = "Contoso/Checkout-API=checkout" });

        await app.DeliverAsync("pull_request", ReleaseAppFactory.Payload("pull_request.closed.merged"));

        var instance = await app.Engine.GetInstanceAsync(ReleaseInstance, getInputsAndOutputs: true);
        Assert.Equal("checkout", instance!.ReadInputAs<ReleaseRequest>()!.Service);
    }

    [Fact]
    public async Task A_wrong_signature_is_refused_with_401_and_starts_nothing()
    {
        using var app = new ReleaseAppFactory();

        var response = await app.DeliverAsync("pull_request", ReleaseAppFactory.Payload("pull_request.closed.merged"), secret: "not the secret");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("unauthorized", (await Answer(response)).GetProperty("status").GetString());
        Assert.Null(await app.Engine.GetInstanceAsync(ReleaseInstance));
    }

    [Fact]
    public async Task Without_a_configured_secret_every_delivery_is_refused_with_the_setting_to_set()
    {
        using var app = new ReleaseAppFactory(new Dictionary<string, string?> { ["ReleaseFunctions:GitHub:WebhookSecrets"] = "" });

        var response = await app.DeliverAsync("ping", ReleaseAppFactory.Payload("ping"));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("ReleaseFunctions__GitHub__WebhookSecrets", (await Answer(response)).GetProperty("reason").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_ping_is_answered_and_a_body_over_the_limit_is_413()
    {
        using var app = new ReleaseAppFactory();

        var ping = await app.DeliverAsync("ping", ReleaseAppFactory.Payload("ping"));
        var huge = await app.DeliverAsync("ping", "{\"zen\":\"" + new string('x', 2 * 1024 * 1024) + "\"}");

        Assert.Equal(HttpStatusCode.OK, ping.StatusCode);
        Assert.Equal("pong", (await Answer(ping)).GetProperty("status").GetString());
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, huge.StatusCode);
        Assert.Contains("limit", (await Answer(huge)).GetProperty("reason").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_malformed_payload_is_a_4xx_with_a_reason()
    {
        using var app = new ReleaseAppFactory();

        var response = await app.DeliverAsync("pull_request", "{\"action\": \"closed\", ");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("rejected", (await Answer(response)).GetProperty("status").GetString());
    }

    public static TheoryData<string, string, HttpStatusCode, string, string> DeliveriesThatStartNothing()
    {
        var merge = ReleaseAppFactory.Payload("pull_request.closed.merged");
        string Mutated(Action<System.Text.Json.Nodes.JsonObject> change)
        {
            var node = System.Text.Json.Nodes.JsonNode.Parse(merge)!.AsObject();
            change(node);
            return node.ToJsonString();
        }

        return new()
        {
            { "pull_request", merge[..(merge.Length / 3)], HttpStatusCode.BadRequest, "rejected", "the body is not valid JSON" },
            { "pull_request", Mutated(j => j["pull_request"]!.AsObject().Remove("merge_commit_sha")), HttpStatusCode.UnprocessableEntity, "rejected", "a merged pull_request needs $.pull_request.merge_commit_sha, which is missing or null" },
            { "pull_request", Mutated(j => j["pull_request"]!["base"]!.AsObject().Remove("ref")), HttpStatusCode.UnprocessableEntity, "rejected", "$.pull_request.base lacks required field(s) 'ref'" },
            { "pull_request", Mutated(j => j["pull_request"]!["merged_by"]!["id"] = "hubot"), HttpStatusCode.UnprocessableEntity, "rejected", "$.pull_request.merged_by.id has the wrong type or is out of range; expected an integer" },
            { "pull_request", Mutated(j => j["action"] = "enqueued_for_a_future_feature"), HttpStatusCode.Accepted, "ignored", "action 'enqueued_for_a_future_feature' does not start a release" },
            { "merge_group", merge, HttpStatusCode.Accepted, "ignored", "event 'merge_group' is not used" },
        };
    }

    [Theory]
    [MemberData(nameof(DeliveriesThatStartNothing))]
    public async Task Broken_incomplete_or_unknown_deliveries_are_answered_with_the_reason_and_start_nothing(string eventName, string body, HttpStatusCode expected, string status, string reason)
    {
        using var app = new ReleaseAppFactory();

        var response = await app.DeliverAsync(eventName, body);

        Assert.Equal(expected, response.StatusCode);
        var answer = await Answer(response);
        Assert.Equal(status, answer.GetProperty("status").GetString());
        Assert.Contains(reason, answer.GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Null(await app.Engine.GetInstanceAsync(ReleaseInstance));
    }

    [Fact]
    public async Task During_a_secret_rotation_deliveries_signed_with_the_old_or_the_new_secret_are_accepted()
    {
        using var app = new ReleaseAppFactory(new Dictionary<string, string?> { ["ReleaseFunctions:GitHub:WebhookSecrets"] = "old-secret,new-secret" });
        var ping = ReleaseAppFactory.Payload("ping");

        Assert.Equal(HttpStatusCode.OK, (await app.DeliverAsync("ping", ping, secret: "old-secret")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await app.DeliverAsync("ping", ping, secret: "new-secret")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.DeliverAsync("ping", ping, secret: ReleaseAppFactory.WebhookSecret)).StatusCode);
    }

    [Fact]
    public async Task A_command_from_a_member_reaches_the_running_release_as_an_event()
    {
        using var app = new ReleaseAppFactory();
        await app.DeliverAsync("pull_request", ReleaseAppFactory.Payload("pull_request.closed.merged"));

        var response = await app.DeliverAsync("issue_comment", ReleaseAppFactory.Payload("issue_comment.created"));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var answer = await Answer(response);
        Assert.Equal("command-sent", answer.GetProperty("status").GetString());
        Assert.Equal(ReleaseInstance, answer.GetProperty("release").GetString());
        var raised = await Eventually.ReturnsAsync(async () =>
            (await app.HistoryAsync(ReleaseInstance)).OfType<EventRaisedEvent>().FirstOrDefault(e => e.Name == ReleaseEvents.Command),
            "the command event in the release's history");
        using var command = JsonDocument.Parse(raised.Input!);
        Assert.Equal("mona", command.RootElement.GetProperty("actor").GetString());
        Assert.Equal("github-comment", command.RootElement.GetProperty("source").GetString());
    }

    [Fact]
    public async Task A_command_from_someone_without_a_say_is_ignored_with_the_reason()
    {
        using var app = new ReleaseAppFactory();
        await app.DeliverAsync("pull_request", ReleaseAppFactory.Payload("pull_request.closed.merged"));
        var body = ReleaseAppFactory.Payload("issue_comment.created").Replace("\"author_association\": \"MEMBER\",\n    \"body\": \"Dashboards", "\"author_association\": \"NONE\",\n    \"body\": \"Dashboards", StringComparison.Ordinal);
        Assert.Contains("\"NONE\"", body, StringComparison.Ordinal);

        var response = await app.DeliverAsync("issue_comment", body);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var answer = await Answer(response);
        Assert.Equal("ignored", answer.GetProperty("status").GetString());
        Assert.Contains("NONE", answer.GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain(await app.HistoryAsync(ReleaseInstance), e => e is EventRaisedEvent { Name: ReleaseEvents.Command });
    }

    [Fact]
    public async Task A_command_on_a_pull_request_without_a_release_is_ignored()
    {
        using var app = new ReleaseAppFactory();

        var response = await app.DeliverAsync("issue_comment", ReleaseAppFactory.Payload("issue_comment.created"));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var answer = await Answer(response);
        Assert.Equal("ignored", answer.GetProperty("status").GetString());
        Assert.Contains("no release", answer.GetProperty("reason").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task When_the_work_cannot_be_handed_over_the_answer_is_429_and_the_redelivery_is_handled_again()
    {
        using var gitHub = await FakeGitHub.StartAsync();
        using var app = new ReleaseAppFactory(
            new Dictionary<string, string?> { ["ReleaseFunctions:GitHub:Token"] = "ghs_test", ["ReleaseFunctions:GitHub:ApiBaseUrl"] = gitHub.BaseAddress.ToString() },
            services => services.AddSingleton<IReleaseLedger>(new UnreachableLedger()));
        var body = ReleaseAppFactory.Payload("deployment_protection_rule.requested").Replace("https://api.github.com/", gitHub.BaseAddress.ToString(), StringComparison.Ordinal);

        var first = await app.DeliverAsync("deployment_protection_rule", body, "p-1");
        var redelivered = await app.DeliverAsync("deployment_protection_rule", body, "p-1");

        Assert.Equal((HttpStatusCode)429, first.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(30), first.Headers.RetryAfter?.Delta);
        Assert.Equal("retry-later", (await Answer(first)).GetProperty("status").GetString());
        Assert.Equal((HttpStatusCode)429, redelivered.StatusCode);
        Assert.Empty(gitHub.Requests);
    }

    [Fact]
    public async Task When_the_delivery_log_cannot_be_written_the_answer_is_429_and_the_redelivery_is_handled_once_it_can()
    {
        using var app = new ReleaseAppFactory();
        // The ledger file (which holds the delivery log) cannot be written: a folder stands where the file belongs.
        // (A read-only file would not do: the tests may run as root, who writes it anyway.)
        var ledgerPath = Path.Combine(app.ContentRoot, "data", "releases.db");
        Directory.CreateDirectory(ledgerPath);
        var body = ReleaseAppFactory.Payload("pull_request.closed.merged");

        var refused = await app.DeliverAsync("pull_request", body, "d-1");

        Assert.Equal((HttpStatusCode)429, refused.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(30), refused.Headers.RetryAfter?.Delta);
        var answer = await Answer(refused);
        Assert.Equal("retry-later", answer.GetProperty("status").GetString());
        Assert.Contains("delivery d-1 could not be recorded", answer.GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Null(await app.Engine.GetInstanceAsync(ReleaseInstance));

        Directory.Delete(ledgerPath);
        var redelivered = await app.DeliverAsync("pull_request", body, "d-1");

        Assert.Equal(HttpStatusCode.Accepted, redelivered.StatusCode);
        Assert.Equal("started", (await Answer(redelivered)).GetProperty("status").GetString());
        Assert.NotNull(await app.Engine.GetInstanceAsync(ReleaseInstance));
    }

    [Fact]
    public async Task When_the_work_fails_and_the_delivery_cannot_be_forgotten_the_answer_is_still_429()
    {
        using var gitHub = await FakeGitHub.StartAsync();
        using var app = new ReleaseAppFactory(
            new Dictionary<string, string?> { ["ReleaseFunctions:GitHub:Token"] = "ghs_test", ["ReleaseFunctions:GitHub:ApiBaseUrl"] = gitHub.BaseAddress.ToString() },
            services =>
            {
                services.AddSingleton<IReleaseLedger>(new UnreachableLedger());
                services.AddSingleton<Integrations.GitHub.Webhooks.IWebhookDeliveryLog>(new UnforgettingDeliveryLog());
            });
        var body = ReleaseAppFactory.Payload("deployment_protection_rule.requested").Replace("https://api.github.com/", gitHub.BaseAddress.ToString(), StringComparison.Ordinal);

        var response = await app.DeliverAsync("deployment_protection_rule", body, "p-1");

        Assert.Equal((HttpStatusCode)429, response.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(30), response.Headers.RetryAfter?.Delta);
        var reason = (await Answer(response)).GetProperty("reason").GetString();
        Assert.Contains("could not be forgotten", reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_deployment_is_approved_without_troubled_releases_and_rejected_after_a_rollback()
    {
        using var gitHub = await FakeGitHub.StartAsync();
        using var app = new ReleaseAppFactory(new Dictionary<string, string?>
        {
            ["ReleaseFunctions:GitHub:Token"] = "ghs_test",
            ["ReleaseFunctions:GitHub:ApiBaseUrl"] = gitHub.BaseAddress.ToString(),
        });
        var body = ReleaseAppFactory.Payload("deployment_protection_rule.requested").Replace("https://api.github.com/", gitHub.BaseAddress.ToString(), StringComparison.Ordinal);

        var approved = await app.DeliverAsync("deployment_protection_rule", body, "p-1");
        await LedgerSeed.RecordAsync(app.Ledger, LedgerSeed.Release("contoso/checkout-api", 41, ReleaseStatus.RolledBack, app.Time.GetUtcNow()), "seed-1");
        var rejected = await app.DeliverAsync("deployment_protection_rule", body, "p-2");

        Assert.Equal(HttpStatusCode.Accepted, approved.StatusCode);
        Assert.Equal("approved", (await Answer(approved)).GetProperty("status").GetString());
        Assert.Equal("rejected-deployment", (await Answer(rejected)).GetProperty("status").GetString());
        Assert.Equal(2, gitHub.Requests.Count);
        Assert.All(gitHub.Requests, r => Assert.EndsWith("/repos/Contoso/checkout-api/actions/runs/7012345678/deployment_protection_rule", r.Path, StringComparison.Ordinal));
        Assert.Contains("\"state\":\"approved\"", gitHub.Requests.First().Body, StringComparison.Ordinal);
        Assert.Contains("\"state\":\"rejected\"", gitHub.Requests.Last().Body, StringComparison.Ordinal);
    }

    private static async Task<JsonElement> Answer(HttpResponseMessage response)
    {
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return document.RootElement.Clone();
    }

    /// <summary>Records deliveries, but its disk fails when one is to be forgotten.</summary>
    private sealed class UnforgettingDeliveryLog : Integrations.GitHub.Webhooks.IWebhookDeliveryLog
    {
        public ValueTask<bool> TryRecordAsync(string deliveryId, DateTimeOffset receivedAt, CancellationToken cancellationToken) => ValueTask.FromResult(true);

        public ValueTask ForgetAsync(string deliveryId, CancellationToken cancellationToken) => throw new IOException("the delivery log's disk is gone");
    }

    private sealed class UnreachableLedger : IReleaseLedger
    {
        public Task<AuditRecord> RecordAsync(ReleaseRecord release, AuditEntry entry, string idempotencyKey, CancellationToken cancellationToken) => throw Unreachable();
        public Task<ReleaseRecord?> GetReleaseAsync(string instanceId, CancellationToken cancellationToken) => throw Unreachable();
        public Task<ReleasePage> ListReleasesAsync(ReleaseFilter filter, CancellationToken cancellationToken) => throw Unreachable();
        public Task<IReadOnlyList<AuditRecord>> GetAuditTrailAsync(string instanceId, CancellationToken cancellationToken) => throw Unreachable();
        private static IOException Unreachable() => new("the ledger's disk is gone");
    }
}
