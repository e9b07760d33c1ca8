using System.Text;
using System.Text.Json.Nodes;
using ReleaseFunctions.Core.Releases;
using ReleaseFunctions.Integrations.GitHub.Webhooks;

namespace ReleaseFunctions.Integrations.Tests.GitHub;

public sealed class GitHubWebhookHandlerTests
{
    private const string MergeSha = "9f1c2e3d4b5a69788796a5b4c3d2e1f0a9b8c7d6";

    [Fact]
    public async Task A_merge_into_a_release_branch_starts_a_release()
    {
        var handler = WebhookTestKit.Handler(out _);
        var outcome = await handler.HandleAsync(WebhookTestKit.Request("pull_request", WebhookTestKit.Payload("pull_request.closed.merged"), delivery: "72d3162e-cc78-11e3-81ab-4c9367dc0958"), default);

        var start = Assert.IsType<StartReleaseRequested>(outcome);
        Assert.Equal(202, start.StatusCode);
        Assert.Equal(new ReleaseId("Contoso/checkout-api", 42, MergeSha), start.Release);
        Assert.Equal("contoso/checkout-api", start.Repository);
        Assert.Equal(42, start.PullRequest);
        Assert.Equal(MergeSha, start.MergeCommitSha);
        Assert.Equal("Cache tax rates per region", start.Title);
        Assert.Equal("octocat", start.Author);
        Assert.Equal("main", start.BaseBranch);
        Assert.Equal("4e2b7c1a9d8f6e5d4c3b2a1908f7e6d5c4b3a291", start.HeadSha);
        Assert.Equal(TestClock.At(2026, 11, 23, 14, 3, 9), start.MergedAt);
        Assert.Equal("hubot", start.MergedBy);
        Assert.Equal(["performance", "canary"], start.Labels);
        Assert.Equal(45678901, start.InstallationId);
        Assert.Equal("72d3162e-cc78-11e3-81ab-4c9367dc0958", start.DeliveryId);
    }

    [Theory]
    [InlineData("release/*", "release/2026.11", true)]
    [InlineData("release/*", "release/2026/11", false)]
    [InlineData("release/**", "release/2026/11", true)]
    [InlineData("main", "main-old", false)]
    [InlineData("main", "Main", false)]
    [InlineData(null, "main", true)]
    [InlineData(null, "develop", false)]
    public async Task Release_branches_are_matched_by_glob(string? glob, string baseBranch, bool starts)
    {
        var handler = WebhookTestKit.Handler(out _, releaseBranches: glob is null ? null : [glob]);
        var body = Mutate("pull_request.closed.merged", j => j["pull_request"]!["base"]!["ref"] = baseBranch);
        var outcome = await handler.HandleAsync(WebhookTestKit.Request("pull_request", body), default);
        if (starts)
        {
            Assert.Equal(baseBranch, Assert.IsType<StartReleaseRequested>(outcome).BaseBranch);
        }
        else
        {
            Assert.Contains($"base branch '{baseBranch}' is not a release branch", Assert.IsType<WebhookIgnored>(outcome).Reason);
        }
    }

    [Fact]
    public async Task A_pull_request_closed_without_merging_is_ignored()
    {
        var handler = WebhookTestKit.Handler(out _);
        var body = Mutate("pull_request.closed.merged", j =>
        {
            j["pull_request"]!["merged"] = false;
            j["pull_request"]!["merged_at"] = null;
            j["pull_request"]!["merged_by"] = null;
        });
        var ignored = Assert.IsType<WebhookIgnored>(await handler.HandleAsync(WebhookTestKit.Request("pull_request", body), default));
        Assert.Equal(202, ignored.StatusCode);
        Assert.Contains("closed without being merged", ignored.Reason);
    }

    [Theory]
    [InlineData("opened")]
    [InlineData("synchronize")]
    [InlineData("labeled")]
    public async Task Other_pull_request_actions_are_ignored(string action)
    {
        var handler = WebhookTestKit.Handler(out _);
        var body = Mutate("pull_request.closed.merged", j => j["action"] = action);
        var ignored = Assert.IsType<WebhookIgnored>(await handler.HandleAsync(WebhookTestKit.Request("pull_request", body), default));
        Assert.Contains($"action '{action}'", ignored.Reason);
    }

    [Fact]
    public async Task An_unknown_event_is_acknowledged_and_ignored()
    {
        var handler = WebhookTestKit.Handler(out _);
        var ignored = Assert.IsType<WebhookIgnored>(await handler.HandleAsync(WebhookTestKit.Request("star", """{"action":"created"}"""), default));
        Assert.Equal("star", ignored.Event);
        Assert.Contains("not used", ignored.Reason);
    }

    [Fact]
    public async Task A_command_comment_on_a_pull_request_is_routed()
    {
        var handler = WebhookTestKit.Handler(out _);
        var outcome = await handler.HandleAsync(WebhookTestKit.Request("issue_comment", WebhookTestKit.Payload("issue_comment.created"), delivery: "c-1"), default);

        var command = Assert.IsType<ReleaseCommandReceived>(outcome);
        Assert.Equal("contoso/checkout-api", command.Repository);
        Assert.Equal(42, command.PullRequest);
        Assert.Equal(ReleaseCommandKind.Approve, command.Command.Kind);
        Assert.Equal("mona", command.Command.Actor);
        Assert.Equal(GitHubWebhookHandler.CommandSource, command.Command.Source);
        Assert.Equal("canary error rate is flat", command.Command.Comment);
        Assert.Equal(TestClock.At(2026, 11, 23, 14, 20, 2), command.Command.IssuedAt);
        Assert.Equal(1822334455, command.CommentId);
        Assert.Equal("MEMBER", command.CommenterAssociation);
        Assert.Equal(45678901, command.InstallationId);
        Assert.Equal("c-1", command.DeliveryId);
    }

    [Fact]
    public async Task Comments_without_a_command_on_issues_edited_or_by_bots_are_ignored()
    {
        var handler = WebhookTestKit.Handler(out _);
        var cases = new (Action<JsonNode> Change, string Reason)[]
        {
            (j => j["comment"]!["body"] = "LGTM\n> /approve", "has no release command"),
            (j => j["issue"]!.AsObject().Remove("pull_request"), "is an issue, not a pull request"),
            (j => j["action"] = "edited", "action 'edited'"),
            (j => j["comment"]!["user"]!["type"] = "Bot", "is by the bot"),
        };
        foreach (var (change, reason) in cases)
        {
            var outcome = await handler.HandleAsync(WebhookTestKit.Request("issue_comment", Mutate("issue_comment.created", change)), default);
            Assert.Contains(reason, Assert.IsType<WebhookIgnored>(outcome).Reason);
        }
    }

    [Fact]
    public async Task A_deployment_protection_rule_request_is_routed()
    {
        var handler = WebhookTestKit.Handler(out _);
        var outcome = await handler.HandleAsync(WebhookTestKit.Request("deployment_protection_rule", WebhookTestKit.Payload("deployment_protection_rule.requested"), delivery: "p-1"), default);

        var rule = Assert.IsType<DeploymentProtectionRuleRequested>(outcome);
        Assert.Equal("contoso/checkout-api", rule.Repository);
        Assert.Equal("production", rule.Environment);
        Assert.Equal(new Uri("https://api.github.com/repos/Contoso/checkout-api/actions/runs/7012345678/deployment_protection_rule"), rule.DeploymentCallbackUrl);
        Assert.Equal(1188990011, rule.DeploymentId);
        Assert.Equal(MergeSha, rule.DeploymentSha);
        Assert.Equal("main", rule.DeploymentRef);
        Assert.Equal("push", rule.TriggeringEvent);
        Assert.Equal([42], rule.PullRequests);
        Assert.Equal(45678901, rule.InstallationId);
        Assert.Equal("p-1", rule.DeliveryId);
    }

    [Fact]
    public async Task A_protection_rule_without_a_callback_url_is_rejected_with_what_is_needed()
    {
        var handler = WebhookTestKit.Handler(out _);
        var body = Mutate("deployment_protection_rule.requested", j => j.AsObject().Remove("deployment_callback_url"));
        var rejected = Assert.IsType<WebhookRejected>(await handler.HandleAsync(WebhookTestKit.Request("deployment_protection_rule", body), default));
        Assert.Equal(422, rejected.StatusCode);
        Assert.Contains("deployment_callback_url", rejected.Reason);
    }

    [Theory]
    [InlineData("merge_commit_sha", "the merge commit's SHA")]
    [InlineData("merged_at", "the merge's ISO 8601 date-time")]
    public async Task A_merge_without_its_commit_or_time_is_422_naming_which(string field, string expected)
    {
        // Both may be null on a pull request that is not merged, so the event types allow null: a merge needs them.
        var handler = WebhookTestKit.Handler(out _);
        var body = Mutate("pull_request.closed.merged", j => j["pull_request"]![field] = null);
        var rejected = Assert.IsType<WebhookRejected>(await handler.HandleAsync(WebhookTestKit.Request("pull_request", body), default));
        Assert.Equal(422, rejected.StatusCode);
        Assert.Equal($"a merged pull_request needs $.pull_request.{field}, which is missing or null; expected {expected}", rejected.Reason);
    }

    [Fact]
    public async Task A_redelivery_is_a_duplicate_and_a_forgotten_one_is_handled_again()
    {
        // The log reads the handler's clock, the one that stamps each delivery's receivedAt.
        InMemoryWebhookDeliveryLog log = null!;
        var handler = WebhookTestKit.Handler(out _, deliveries: clock => log = new InMemoryWebhookDeliveryLog(clock));
        var body = WebhookTestKit.Payload("pull_request.closed.merged");

        var first = Assert.IsType<StartReleaseRequested>(await handler.HandleAsync(WebhookTestKit.Request("pull_request", body, delivery: "d-7"), default));
        var duplicate = Assert.IsType<WebhookDuplicate>(await handler.HandleAsync(WebhookTestKit.Request("pull_request", body, delivery: "d-7"), default));
        Assert.Equal("d-7", duplicate.DeliveryId);
        Assert.Equal(200, duplicate.StatusCode);
        // A merge's redelivery names its release, so the app can make sure it was started (starting is idempotent).
        Assert.Equal(first.Release, duplicate.Release!.Release);
        var comment = WebhookTestKit.Payload("issue_comment.created");
        await handler.HandleAsync(WebhookTestKit.Request("issue_comment", comment, delivery: "d-c"), default);
        Assert.Null(Assert.IsType<WebhookDuplicate>(await handler.HandleAsync(WebhookTestKit.Request("issue_comment", comment, delivery: "d-c"), default)).Release);

        await log.ForgetAsync("d-7", default);
        Assert.IsType<StartReleaseRequested>(await handler.HandleAsync(WebhookTestKit.Request("pull_request", body, delivery: "d-7"), default));
    }

    [Fact]
    public async Task An_unsigned_redelivery_does_not_consume_the_delivery_id()
    {
        var handler = WebhookTestKit.Handler(out _);
        var body = WebhookTestKit.Payload("ping");
        Assert.IsType<WebhookUnauthorized>(await handler.HandleAsync(WebhookTestKit.Request("ping", body, delivery: "d-8", secret: "wrong"), default));
        Assert.IsType<WebhookPong>(await handler.HandleAsync(WebhookTestKit.Request("ping", body, delivery: "d-8"), default));
    }

    [Fact]
    public async Task A_body_over_the_limit_is_refused_with_413_before_anything_else()
    {
        var handler = WebhookTestKit.Handler(out _, maxBodyBytes: 2048);
        var big = "{\"zen\":\"" + new string('z', 2048) + "\"}";
        var rejected = Assert.IsType<WebhookRejected>(await handler.HandleAsync(WebhookTestKit.Request("ping", big, signature: "sha256=bad"), default));
        Assert.Equal(413, rejected.StatusCode);
        Assert.Contains("limit is 2048 bytes", rejected.Reason);
        Assert.Equal(GitHubWebhookOptions.DefaultMaxBodyBytes, new GitHubWebhookOptions().MaxBodyBytes);
    }

    [Theory]
    [InlineData("application/x-www-form-urlencoded", 415)]
    [InlineData("text/plain", 415)]
    [InlineData(null, 415)]
    [InlineData("application/json; charset=utf-8", 200)]
    public async Task Only_json_bodies_are_accepted(string? contentType, int status)
    {
        var handler = WebhookTestKit.Handler(out _);
        var outcome = await handler.HandleAsync(WebhookTestKit.Request("ping", WebhookTestKit.Payload("ping"), contentType: contentType), default);
        Assert.Equal(status, outcome.StatusCode);
        if (outcome is WebhookRejected rejected)
        {
            Assert.Contains("application/json", rejected.Reason);
        }
    }

    [Fact]
    public async Task Missing_event_or_delivery_headers_are_refused_with_400()
    {
        var handler = WebhookTestKit.Handler(out _);
        var body = Encoding.UTF8.GetBytes(WebhookTestKit.Payload("ping"));
        var signature = WebhookTestKit.Sign(WebhookTestKit.Secret, body);
        var noEvent = new WebhookRequest(new Dictionary<string, string?> { ["X-Hub-Signature-256"] = signature, ["X-GitHub-Delivery"] = "x", ["Content-Type"] = "application/json" }, body);
        var noDelivery = new WebhookRequest(new Dictionary<string, string?> { ["X-Hub-Signature-256"] = signature, ["X-GitHub-Event"] = "ping", ["Content-Type"] = "application/json" }, body);
        Assert.Contains("X-GitHub-Event", Assert.IsType<WebhookRejected>(await handler.HandleAsync(noEvent, default)).Reason);
        Assert.Contains("X-GitHub-Delivery", Assert.IsType<WebhookRejected>(await handler.HandleAsync(noDelivery, default)).Reason);
    }

    [Fact]
    public async Task Broken_json_is_400_and_an_invalid_merge_sha_is_422()
    {
        var handler = WebhookTestKit.Handler(out _);
        var broken = Assert.IsType<WebhookRejected>(await handler.HandleAsync(WebhookTestKit.Request("pull_request", "{\"action\": \"closed\","), default));
        Assert.Equal(400, broken.StatusCode);
        Assert.Contains("not valid JSON", broken.Reason);

        var badSha = Mutate("pull_request.closed.merged", j => j["pull_request"]!["merge_commit_sha"] = "not-a-sha");
        var shaShape = Assert.IsType<WebhookRejected>(await handler.HandleAsync(WebhookTestKit.Request("pull_request", badSha), default));
        Assert.Equal(422, shaShape.StatusCode);
        Assert.Contains("40-hex-digit SHA", shaShape.Reason);
    }

    public static TheoryData<string, string, Action<JsonNode>, string> WrongShapes() => new()
    {
        { "pull_request", "pull_request.closed.merged", j => j["number"] = "forty-two", "$.number has the wrong type or is out of range; expected an integer" },
        { "pull_request", "pull_request.closed.merged", j => j["number"] = 1e30, "$.number has the wrong type or is out of range; expected an integer" },
        { "pull_request", "pull_request.closed.merged", j => j["pull_request"]!.AsObject().Remove("base"), "$.pull_request lacks required field(s) 'base'" },
        { "pull_request", "pull_request.closed.merged", j => j["pull_request"]!["title"] = null, "$.pull_request.title is null; expected a string" },
        { "pull_request", "pull_request.closed.merged", j => j["pull_request"]!["labels"] = 5, "$.pull_request.labels has the wrong type or is out of range; expected an array" },
        { "pull_request", "pull_request.closed.merged", j => j["pull_request"]!["labels"]![1]!["name"] = 5, "$.pull_request.labels[1].name has the wrong type or is out of range; expected a string" },
        { "pull_request", "pull_request.closed.merged", j => j["pull_request"]!["merged_at"] = "yesterday", "$.pull_request.merged_at has the wrong type or is out of range; expected an ISO 8601 date-time" },
        { "pull_request", "pull_request.closed.merged", j => j["pull_request"]!["number"] = -3, "$.pull_request.number is -3; expected an integer between 1 and 2147483647" },
        { "issue_comment", "issue_comment.created", j => j["comment"]!["user"]!.AsObject().Remove("login"), "$.comment.user lacks required field(s) 'login'" },
        { "issue_comment", "issue_comment.created", j => j["comment"]!["id"] = new JsonArray(), "$.comment.id has the wrong type or is out of range; expected an integer" },
        { "deployment_protection_rule", "deployment_protection_rule.requested", j => j["deployment"]!["sha"] = false, "$.deployment.sha has the wrong type or is out of range; expected a string" },
        { "deployment_protection_rule", "deployment_protection_rule.requested", j => j["repository"]!["full_name"] = "no-slash", "A repository is 'owner/name'" },
    };

    [Theory]
    [MemberData(nameof(WrongShapes))]
    public async Task A_payload_of_the_wrong_shape_is_422_naming_the_path_and_what_was_expected(string eventName, string payload, Action<JsonNode> change, string reason)
    {
        var handler = WebhookTestKit.Handler(out _);
        var rejected = Assert.IsType<WebhookRejected>(await handler.HandleAsync(WebhookTestKit.Request(eventName, Mutate(payload, change)), default));
        Assert.Equal(422, rejected.StatusCode);
        Assert.Contains(reason, rejected.Reason);
        Assert.DoesNotContain("ReleaseFunctions.", rejected.Reason);
    }

    [Fact]
    public async Task A_truncated_delivery_is_400_naming_where_the_JSON_ends()
    {
        var handler = WebhookTestKit.Handler(out _);
        var body = WebhookTestKit.Payload("pull_request.closed.merged");
        var rejected = Assert.IsType<WebhookRejected>(await handler.HandleAsync(WebhookTestKit.Request("pull_request", body[..(body.Length / 2)]), default));
        Assert.Equal(400, rejected.StatusCode);
        Assert.Contains("the body is not valid JSON", rejected.Reason);
        Assert.Contains("LineNumber", rejected.Reason);
    }

    public static TheoryData<string, string, Action<JsonNode>, string> IncompleteDeliveries() => new()
    {
        // Required by Octokit.Webhooks' event types, anywhere in the payload: the path is the object that lacks it.
        { "pull_request", "pull_request.closed.merged", j => j["pull_request"]!["head"]!["user"]!.AsObject().Remove("login"), "$.pull_request.head.user lacks required field(s) 'login'" },
        { "pull_request", "pull_request.closed.merged", j => j["repository"]!.AsObject().Remove("full_name"), "$.repository lacks required field(s) 'full_name'" },
        { "pull_request", "pull_request.closed.merged", j => j.AsObject().Remove("pull_request"), "the payload lacks required field(s) 'pull_request'" },
        { "pull_request", "pull_request.closed.merged", j => j.AsObject().Remove("action"), "the payload lacks required field(s) 'action'" },
        { "pull_request", "pull_request.closed.merged", j => j.AsObject().Remove("repository"), "$.repository is missing or null; expected an object" },
        { "issue_comment", "issue_comment.created", j => j["comment"]!.AsObject().Remove("created_at"), "$.comment lacks required field(s) 'created_at'" },
        { "deployment_protection_rule", "deployment_protection_rule.requested", j => j["pull_requests"]![0]!.AsObject().Remove("base"), "$.pull_requests[0] lacks required field(s) 'base'" },
        // Present but null: Octokit.Webhooks lets it through, the handler refuses what it reads.
        { "issue_comment", "issue_comment.created", j => j["issue"] = null, "$.issue is null; expected an object" },
        { "pull_request", "pull_request.closed.merged", j => j["pull_request"] = null, "$.pull_request is null; expected an object" },
        { "pull_request", "pull_request.closed.merged", j => j["pull_request"]!["base"]!["ref"] = null, "$.pull_request.base.ref is null; expected a string" },
        { "pull_request", "pull_request.closed.merged", j => j["pull_request"]!["labels"]![0] = null, "$.pull_request.labels[0] is null; expected an object" },
        // Of another JSON type.
        { "pull_request", "pull_request.closed.merged", j => j["action"] = 7, "$.action has the wrong type or is out of range; expected a string" },
        { "pull_request", "pull_request.closed.merged", j => j["pull_request"]!["merged"] = "yes", "$.pull_request.merged has the wrong type or is out of range; expected true or false or null" },
        { "pull_request", "pull_request.closed.merged", j => j["pull_request"]!["head"] = "tax-cache", "$.pull_request.head has the wrong type or is out of range; expected an object" },
        { "pull_request", "pull_request.closed.merged", j => j["pull_request"]!["user"]!["type"] = 1, "$.pull_request.user.type has the wrong type or is out of range; expected a string" },
        { "issue_comment", "issue_comment.created", j => j["comment"]!["created_at"] = "last tuesday", "$.comment.created_at has the wrong type or is out of range; expected an ISO 8601 date-time" },
        { "issue_comment", "issue_comment.created", j => j["comment"]!["created_at"] = true, "$.comment.created_at has the wrong type or is out of range; expected an ISO 8601 date-time" },
        { "pull_request", "pull_request.closed.merged", j => j["repository"]!["pushed_at"] = 1e300, "$.repository.pushed_at has the wrong type or is out of range; expected an ISO 8601 date-time" },
        { "ping", "ping", j => j["hook"]!["events"] = "pull_request", "$.hook.events has the wrong type or is out of range; expected an array" },
    };

    [Theory]
    [MemberData(nameof(IncompleteDeliveries))]
    public async Task An_incomplete_delivery_is_422_naming_the_path_and_what_was_expected(string eventName, string payload, Action<JsonNode> change, string reason)
    {
        var handler = WebhookTestKit.Handler(out _);
        var rejected = Assert.IsType<WebhookRejected>(await handler.HandleAsync(WebhookTestKit.Request(eventName, Mutate(payload, change)), default));
        Assert.Equal(422, rejected.StatusCode);
        Assert.Contains($"the {eventName} payload does not have the shape GitHub documents: ", rejected.Reason);
        Assert.Contains(reason, rejected.Reason);
        Assert.DoesNotContain("Octokit.", rejected.Reason);
    }

    [Theory]
    [InlineData("pull_request", "pull_request.closed.merged", "frobnicated", "does not start a release")]
    [InlineData("issue_comment", "issue_comment.created", "frobnicated", "only newly 'created' comments")]
    [InlineData("deployment_protection_rule", "deployment_protection_rule.requested", "frobnicated", "only 'requested'")]
    public async Task An_action_the_app_does_not_know_is_ignored_naming_it_not_refused(string eventName, string payload, string action, string reason)
    {
        // GitHub adds actions over time, and Octokit.Webhooks refuses one it has no type for: it is ignored before the payload is read.
        var handler = WebhookTestKit.Handler(out _);
        var body = Mutate(payload, j =>
        {
            j["action"] = action;
            j.AsObject().Remove("repository");
        });
        var ignored = Assert.IsType<WebhookIgnored>(await handler.HandleAsync(WebhookTestKit.Request(eventName, body), default));
        Assert.Equal(202, ignored.StatusCode);
        Assert.Contains($"action '{action}'", ignored.Reason);
        Assert.Contains(reason, ignored.Reason);
    }

    [Fact]
    public async Task An_event_the_app_does_not_use_is_ignored_unread_even_when_Octokit_has_no_type_for_it()
    {
        var handler = WebhookTestKit.Handler(out _);
        var ignored = Assert.IsType<WebhookIgnored>(await handler.HandleAsync(WebhookTestKit.Request("code_of_conduct_review", "[1, 2"), default));
        Assert.Equal("code_of_conduct_review", ignored.Event);
        Assert.Contains("handled: pull_request, issue_comment, deployment_protection_rule, ping", ignored.Reason);
    }

    [Fact]
    public async Task Invalid_UTF8_inside_a_string_is_refused_not_thrown()
    {
        var handler = WebhookTestKit.Handler(out _);
        var body = Encoding.UTF8.GetBytes(WebhookTestKit.Payload("pull_request.closed.merged").Replace("\"closed\"", "\"clo#ed\""));
        body[Array.IndexOf(body, (byte)'#')] = 0xFF;
        var rejected = Assert.IsType<WebhookRejected>(await handler.HandleAsync(WebhookTestKit.Request("pull_request", body), default));
        Assert.Contains(rejected.StatusCode, new[] { 400, 422 });
    }

    [Theory]
    [InlineData("[]", "$ has the wrong type or is out of range; expected an object")]
    [InlineData("null", "the body is JSON null; expected an object")]
    public async Task A_body_that_is_not_an_object_is_422(string body, string reason)
    {
        var handler = WebhookTestKit.Handler(out _);
        var rejected = Assert.IsType<WebhookRejected>(await handler.HandleAsync(WebhookTestKit.Request("pull_request", body), default));
        Assert.Equal(422, rejected.StatusCode);
        Assert.Contains(reason, rejected.Reason);
    }

    [Fact]
    public void Bad_options_are_refused_up_front_naming_the_setting()
    {
        var clock = new FakeTimeProvider(WebhookTestKit.Start);
        var log = new InMemoryWebhookDeliveryLog(clock);
        Assert.Contains("Secrets", Assert.Throws<ArgumentException>(() => new GitHubWebhookHandler(new GitHubWebhookOptions(), log, clock)).Message);
        Assert.Contains("ReleaseBranches[1]", Assert.Throws<ArgumentException>(() => new GitHubWebhookHandler(new GitHubWebhookOptions { Secrets = ["s"], ReleaseBranches = ["main", " "] }, log, clock)).Message);
        Assert.Contains("MaxBodyBytes", Assert.Throws<ArgumentException>(() => new GitHubWebhookHandler(new GitHubWebhookOptions { Secrets = ["s"], MaxBodyBytes = 10 }, log, clock)).Message);
    }

    internal static string Mutate(string payload, Action<JsonNode> change)
    {
        var node = JsonNode.Parse(WebhookTestKit.Payload(payload))!;
        change(node);
        return node.ToJsonString();
    }
}
