using ReleaseFunctions.Integrations.Tests.Support;
using System.Text.Json.Nodes;
using ReleaseFunctions.Core.Ports;
using ReleaseFunctions.Integrations.GitHub.Client;
using static ReleaseFunctions.Integrations.Tests.GitHub.GitHubClientTestKit;

namespace ReleaseFunctions.Integrations.Tests.GitHub;

public sealed class GitHubClientTests
{
    [Fact]
    public async Task Every_call_carries_GitHubs_required_headers()
    {
        await using var server = await FakeGitHubServer.StartAsync();
        server.On("POST", "/repos/Contoso/checkout-api/issues/42/comments", _ => FakeResponse.Created("""{"id":7,"body":"hi"}"""));
        using var client = TokenClient(server, Clock(), o => o.UserAgent = "ReleaseFunctions-test");

        Assert.Equal(7, await client.PostCommentAsync(Repo, 42, "hi", null, default));

        var request = Assert.Single(server.Requests);
        Assert.Equal("application/vnd.github+json", request.Header("Accept"));
        Assert.Equal("2022-11-28", request.Header("X-GitHub-Api-Version"));
        // Octokit puts its platform and version after the configured product.
        Assert.StartsWith("ReleaseFunctions-test (", request.Header("User-Agent"));
        Assert.Contains("Octokit.net", request.Header("User-Agent"));
        Assert.Equal("Bearer ghp_test-token", request.Header("Authorization"));
        Assert.StartsWith("application/json", request.Header("Content-Type"));
        Assert.Equal("hi", JsonNode.Parse(request.Body)!["body"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_GitHub_Enterprise_base_address_keeps_its_path_in_every_call_and_message()
    {
        await using var server = await FakeGitHubServer.StartAsync();
        server.On("POST", "/api/v3/repos/Contoso/checkout-api/issues/42/comments", _ => FakeResponse.Created("""{"id":7}"""))
              .On("POST", "/api/v3/repos/Contoso/checkout-api/issues", _ => new FakeResponse(422, """{"message":"Validation Failed"}"""));
        using var client = TokenClient(server, Clock(), o => o.BaseAddress = new Uri(server.BaseAddress, "api/v3"));

        Assert.Equal(7, await client.PostCommentAsync(Repo, 42, "hi", null, default));
        var refused = await Assert.ThrowsAsync<IntegrationException>(() => client.OpenIssueAsync(Repo, "review", "body", [], null, default));

        Assert.Contains("POST /api/v3/repos/Contoso/checkout-api/issues answered 422", refused.Message);
        Assert.Equal(2, server.Requests.Count);
    }

    [Fact]
    public async Task The_status_comment_is_created_once_then_edited_in_place()
    {
        await using var server = await FakeGitHubServer.StartAsync();
        server.On("GET", "/repos/Contoso/checkout-api/issues/42/comments", _ => FakeResponse.Ok("""[{"id":1,"body":"LGTM","performed_via_github_app":null}]"""))
              .On("POST", "/repos/Contoso/checkout-api/issues/42/comments", _ => FakeResponse.Created("""{"id":1001}"""))
              .On("PATCH", "/repos/Contoso/checkout-api/issues/comments/1001", _ => FakeResponse.Ok("""{"id":1001}"""));
        using var client = TokenClient(server, Clock());

        Assert.Equal(1001, await client.UpsertStatusCommentAsync(Status(step: 1), null, default));
        Assert.Equal(1001, await client.UpsertStatusCommentAsync(Status(step: 2), null, default));
        Assert.Equal(1001, await client.UpsertStatusCommentAsync(Status("Promoted", 4, 100, "Nothing; the release is done"), null, default));

        Assert.Single(server.RequestsTo("POST", ".*/comments"));
        var edits = server.RequestsTo("PATCH", "/repos/Contoso/checkout-api/issues/comments/1001");
        Assert.Equal(2, edits.Count);
        Assert.Contains("Promoted", JsonNode.Parse(edits[^1].Body)!["body"]!.GetValue<string>());
        // The id was remembered: the PR's comments were listed only before the first post.
        Assert.Single(server.RequestsTo("GET", ".*/comments"));
    }

    [Fact]
    public async Task A_client_that_does_not_remember_the_comment_finds_it_by_its_marker()
    {
        await using var server = await FakeGitHubServer.StartAsync();
        var marker = ReleaseStatusComment.Marker(Release);
        var otherRelease = ReleaseStatusComment.Marker(new Core.Releases.ReleaseId("Contoso/checkout-api", 42, new string('a', 40)));
        var page1 = new JsonArray(Enumerable.Range(1, 100).Select(i => (JsonNode)new JsonObject { ["id"] = i, ["body"] = i == 50 ? otherRelease : "comment " + i }).ToArray());
        server.On("GET", "/repos/Contoso/checkout-api/issues/42/comments", r => r.QueryString.Contains("page=1&") || r.QueryString.EndsWith("page=1")
                ? FakeResponse.Ok(page1.ToJsonString())
                : FakeResponse.Ok($$"""[{"id":2002,"body":"{{marker}}\n### old status","performed_via_github_app":null}]"""))
              .On("PATCH", "/repos/Contoso/checkout-api/issues/comments/2002", _ => FakeResponse.Ok("""{"id":2002}"""));
        using var client = TokenClient(server, Clock());

        Assert.Equal(2002, await client.UpsertStatusCommentAsync(Status(), null, default));

        Assert.Empty(server.RequestsTo("POST", ".*"));
        var listed = server.RequestsTo("GET", ".*/comments");
        Assert.Equal(2, listed.Count);
        Assert.Contains("per_page=100", listed[0].QueryString);
        Assert.StartsWith(marker, JsonNode.Parse(Assert.Single(server.RequestsTo("PATCH", ".*")).Body)!["body"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_deleted_status_comment_is_posted_again()
    {
        await using var server = await FakeGitHubServer.StartAsync();
        var posts = 0;
        server.On("GET", ".*/issues/42/comments", _ => FakeResponse.Ok("[]"))
              .On("POST", ".*/issues/42/comments", _ => FakeResponse.Created($$"""{"id":{{3000 + Interlocked.Increment(ref posts)}}}"""));
        using var client = TokenClient(server, Clock());

        Assert.Equal(3001, await client.UpsertStatusCommentAsync(Status(), null, default));
        // No PATCH route: the edit of 3001 answers 404 as if someone deleted the comment.
        Assert.Equal(3002, await client.UpsertStatusCommentAsync(Status(), null, default));
        Assert.Single(server.RequestsTo("PATCH", ".*/issues/comments/3001"));
    }

    [Fact]
    public void The_status_comment_shows_step_weight_gates_approvals_and_what_is_next()
    {
        var body = ReleaseStatusComment.Render(Status());
        Assert.StartsWith($"<!-- releasefunctions:status:{Release.InstanceId} -->", body);
        Assert.Contains("| Step | 2 of 4 |", body);
        Assert.Contains("| Traffic on the new version | 25% |", body);
        Assert.Contains("| error_rate | ✅ pass | 0.42 % | &lt; 1 % |", body);
        Assert.Contains("| p99_latency | ❔ inconclusive | no data | &lt;= +10% of baseline |", body);
        Assert.Contains(TestClock.ShiftTimestamps("- @mona approved at 2026-11-23 14:30 UTC: canary looks | fine"), body);
        Assert.Equal(1, body.Split("<!--").Length - 1);
        Assert.Contains("**Next:** Promote to 50% at 14:55 UTC if the gates pass", body);
        Assert.DoesNotContain("<!-- x", ReleaseStatusComment.Render(Status(next: "<!-- x -->")));
    }

    [Fact]
    public async Task A_missing_policy_file_is_a_distinct_answer_and_a_present_one_is_decoded()
    {
        await using var server = await FakeGitHubServer.StartAsync();
        const string yaml = "stages:\n  - name: production\n    strategy: canary\n";
        var base64 = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(yaml));
        var wrapped = string.Join("\n", base64.Chunk(20).Select(c => new string(c)));
        server.On("GET", "/repos/Contoso/checkout-api/contents/.github/release-policy.yml", r => r.QueryString.Contains("ref=abc123")
            ? FakeResponse.Ok($$"""{"type":"file","encoding":"base64","size":{{yaml.Length}},"name":"release-policy.yml","path":".github/release-policy.yml","content":"{{wrapped.Replace("\n", "\\n")}}","sha":"3d21ec53a331a6f037a91c368710b99387d012c1"}""")
            : new FakeResponse(404, """{"message":"Not Found","documentation_url":"https://docs.github.com/rest/repos/contents#get-repository-content","status":"404"}"""));
        using var client = TokenClient(server, Clock());

        var found = Assert.IsType<PolicyFileFound>(await client.GetPolicyFileAsync(Repo, "abc123", null, default));
        Assert.Equal(yaml, found.Text);
        Assert.Equal("3d21ec53a331a6f037a91c368710b99387d012c1", found.BlobSha);

        var missing = await client.GetPolicyFileAsync(Repo, "def456", null, default);
        Assert.Equal(new PolicyFileMissing(".github/release-policy.yml", "def456"), missing);

        // A ref is one query value however it is spelled.
        Assert.IsType<PolicyFileMissing>(await client.GetPolicyFileAsync(Repo, "hotfix+1&x", null, default));
        Assert.EndsWith("?ref=hotfix%2B1%26x", server.Requests[^1].QueryString);
    }

    [Fact]
    public async Task A_check_run_is_created_on_the_merge_commit_and_completed_later()
    {
        await using var server = await FakeGitHubServer.StartAsync();
        server.On("POST", "/repos/Contoso/checkout-api/check-runs", _ => FakeResponse.Created("""{"id":4,"status":"in_progress"}"""))
              .On("PATCH", "/repos/Contoso/checkout-api/check-runs/4", _ => FakeResponse.Ok("""{"id":4,"status":"completed","conclusion":"success"}"""));
        using var client = TokenClient(server, Clock());

        var id = await client.CreateCheckRunAsync(Repo, Release.MergeCommitSha, new CheckRunReport("release", CheckRunStatus.InProgress, null, "Canary at 25%", "Soaking step 2 of 4", externalId: Release.InstanceId), null, default);
        await client.UpdateCheckRunAsync(Repo, id, new CheckRunReport("release", CheckRunStatus.Completed, CheckRunConclusion.TimedOut, "Approval timed out", "No approval within 4 h"), null, default);

        var created = JsonNode.Parse(server.RequestsTo("POST", ".*")[0].Body)!;
        Assert.Equal("release", created["name"]!.GetValue<string>());
        Assert.Equal(Release.MergeCommitSha, created["head_sha"]!.GetValue<string>());
        Assert.Equal("in_progress", created["status"]!.GetValue<string>());
        Assert.Null(created["conclusion"]);
        Assert.Equal("Canary at 25%", created["output"]!["title"]!.GetValue<string>());
        Assert.Equal(Release.InstanceId, created["external_id"]!.GetValue<string>());

        var updated = JsonNode.Parse(server.RequestsTo("PATCH", ".*")[0].Body)!;
        Assert.Equal("completed", updated["status"]!.GetValue<string>());
        Assert.Equal("timed_out", updated["conclusion"]!.GetValue<string>());
        // Octokit writes UTC instants with a 'Z' (ISO 8601 as GitHub documents it); the instant is the fake clock's.
        Assert.Equal(DateTimeOffset.Parse(TestClock.ShiftTimestamps("2026-11-23T14:30:00+00:00"), System.Globalization.CultureInfo.InvariantCulture),
            DateTimeOffset.Parse(updated["completed_at"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture));
        Assert.EndsWith("Z", updated["completed_at"]!.GetValue<string>());
        Assert.Null(updated["head_sha"]);
        Assert.Throws<ArgumentException>(() => new CheckRunReport("release", CheckRunStatus.Completed, null, "t", "s"));
    }

    [Fact]
    public async Task A_deployment_and_its_statuses_are_created_per_environment()
    {
        await using var server = await FakeGitHubServer.StartAsync();
        server.On("POST", "/repos/Contoso/checkout-api/deployments", _ => FakeResponse.Created("""{"id":1188990011,"environment":"production"}"""))
              .On("POST", "/repos/Contoso/checkout-api/deployments/1188990011/statuses", _ => FakeResponse.Created("""{"id":55,"state":"in_progress"}"""));
        using var client = TokenClient(server, Clock());

        var id = await client.CreateDeploymentAsync(Repo, Release.MergeCommitSha, "production", "Canary of PR #42", productionEnvironment: true, null, default);
        Assert.Equal(55, await client.CreateDeploymentStatusAsync(Repo, id, DeploymentState.InProgress, "Canary at 25%", new Uri("https://checkout.contoso.example/"), null, null, default));

        var deployment = JsonNode.Parse(server.RequestsTo("POST", ".*/deployments")[0].Body)!;
        Assert.Equal(Release.MergeCommitSha, deployment["ref"]!.GetValue<string>());
        Assert.Equal("production", deployment["environment"]!.GetValue<string>());
        Assert.False(deployment["auto_merge"]!.GetValue<bool>());
        Assert.Empty(deployment["required_contexts"]!.AsArray());
        Assert.True(deployment["production_environment"]!.GetValue<bool>());
        var status = JsonNode.Parse(server.RequestsTo("POST", ".*/statuses")[0].Body)!;
        Assert.Equal("in_progress", status["state"]!.GetValue<string>());
        Assert.Equal("https://checkout.contoso.example/", status["environment_url"]!.GetValue<string>());
    }

    [Fact]
    public async Task Every_deployment_state_and_check_conclusion_is_sent_as_GitHub_spells_it()
    {
        await using var server = await FakeGitHubServer.StartAsync();
        server.On("POST", ".*/deployments/1/statuses", _ => FakeResponse.Created("""{"id":5}"""))
              .On("PATCH", ".*/check-runs/4", _ => FakeResponse.Ok("""{"id":4}"""));
        using var client = TokenClient(server, Clock());

        foreach (var state in Enum.GetValues<DeploymentState>())
        {
            await client.CreateDeploymentStatusAsync(Repo, 1, state, null, null, null, null, default);
        }

        foreach (var conclusion in Enum.GetValues<CheckRunConclusion>())
        {
            await client.UpdateCheckRunAsync(Repo, 4, new CheckRunReport("release", CheckRunStatus.Completed, conclusion, "t", "s"), null, default);
        }

        Assert.Equal(["queued", "pending", "in_progress", "success", "failure", "error", "inactive"],
            server.RequestsTo("POST", ".*/statuses").Select(r => JsonNode.Parse(r.Body)!["state"]!.GetValue<string>()));
        Assert.Equal(["success", "failure", "neutral", "cancelled", "timed_out", "action_required", "skipped"],
            server.RequestsTo("PATCH", ".*/check-runs/4").Select(r => JsonNode.Parse(r.Body)!["conclusion"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Team_membership_counts_only_when_active()
    {
        await using var server = await FakeGitHubServer.StartAsync();
        server.On("GET", "/orgs/Contoso/teams/release-approvers/memberships/mona", _ => FakeResponse.Ok("""{"url":"x","role":"member","state":"active"}"""))
              .On("GET", "/orgs/Contoso/teams/release-approvers/memberships/newbie", _ => FakeResponse.Ok("""{"url":"x","role":"member","state":"pending"}"""))
              .On("GET", "/repos/Contoso/checkout-api/collaborators/mona/permission", _ => FakeResponse.Ok("""{"permission":"write","role_name":"maintain","user":{"login":"mona"}}"""));
        using var client = TokenClient(server, Clock());

        Assert.True(await client.IsActiveTeamMemberAsync("Contoso", "release-approvers", "mona", null, default));
        Assert.False(await client.IsActiveTeamMemberAsync("Contoso", "release-approvers", "newbie", null, default));
        Assert.False(await client.IsActiveTeamMemberAsync("Contoso", "release-approvers", "stranger", null, default));
        Assert.Equal("maintain", await client.GetRepositoryRoleAsync(Repo, "mona", null, default));
        Assert.Equal("none", await client.GetRepositoryRoleAsync(Repo, "stranger", null, default));
    }

    [Fact]
    public async Task A_protection_rule_is_answered_at_its_callback_and_only_under_the_base_address()
    {
        await using var server = await FakeGitHubServer.StartAsync();
        server.On("POST", "/repos/Contoso/checkout-api/actions/runs/7012345678/deployment_protection_rule", _ => new FakeResponse(204));
        using var client = TokenClient(server, Clock());

        var callback = new Uri(server.BaseAddress, "repos/Contoso/checkout-api/actions/runs/7012345678/deployment_protection_rule");
        await client.ReviewDeploymentProtectionRuleAsync(callback, "production", approve: false, "error rate 4.1% > 1%", null, default);
        var posted = Assert.Single(server.Requests);
        Assert.Equal("Bearer ghp_test-token", posted.Header("Authorization"));
        Assert.StartsWith("application/json", posted.Header("Content-Type"));
        Assert.Equal("application/vnd.github+json", posted.Header("Accept"));
        var review = JsonNode.Parse(posted.Body)!;
        Assert.Equal("production", review["environment_name"]!.GetValue<string>());
        Assert.Equal("rejected", review["state"]!.GetValue<string>());
        Assert.Equal("error rate 4.1% > 1%", review["comment"]!.GetValue<string>());

        var elsewhere = await Assert.ThrowsAsync<IntegrationException>(() =>
            client.ReviewDeploymentProtectionRuleAsync(new Uri("https://evil.example/collect"), "production", true, "ok", null, default));
        Assert.Equal(IntegrationFailureKind.Rejected, elsewhere.Kind);
        Assert.Single(server.Requests);
    }

    [Fact]
    public async Task An_issue_is_opened_with_labels()
    {
        await using var server = await FakeGitHubServer.StartAsync();
        server.On("POST", "/repos/Contoso/checkout-api/issues", _ => FakeResponse.Created("""{"id":99,"number":120,"html_url":"https://github.com/Contoso/checkout-api/issues/120"}"""));
        using var client = TokenClient(server, Clock());

        Assert.Equal(120, await client.OpenIssueAsync(Repo, "Post-incident review: release of PR #42", "Rolled back at step 2.", ["post-incident-review"], null, default));
        var issue = JsonNode.Parse(Assert.Single(server.Requests).Body)!;
        Assert.Equal("post-incident-review", issue["labels"]![0]!.GetValue<string>());
    }

    [Theory]
    [InlineData(401, """{"message":"Bad credentials","documentation_url":"https://docs.github.com/rest"}""", IntegrationFailureKind.Unauthorized, "\"Bad credentials\"")]
    [InlineData(403, """{"message":"Resource not accessible by integration"}""", IntegrationFailureKind.Unauthorized, "\"Resource not accessible by integration\"")]
    [InlineData(404, """{"message":"Not Found"}""", IntegrationFailureKind.NotFound, "404 Not Found: \"Not Found\"")]
    [InlineData(422, """{"message":"Validation Failed","errors":[{"resource":"Issue","code":"custom","field":"body","message":"body is too long"}]}""", IntegrationFailureKind.Rejected, "\"Validation Failed\"")]
    public async Task Refusals_fail_at_once_with_GitHubs_status_and_message(int status, string json, IntegrationFailureKind kind, string quoted)
    {
        await using var server = await FakeGitHubServer.StartAsync();
        server.On("POST", ".*", _ => new FakeResponse(status, json));
        var clock = Clock();
        using var client = TokenClient(server, clock);

        var e = await Assert.ThrowsAsync<IntegrationException>(() => client.PostCommentAsync(Repo, 42, "hi", null, default));
        Assert.Equal(kind, e.Kind);
        Assert.Equal(status, e.StatusCode);
        Assert.Equal("GitHub", e.System);
        Assert.Contains("POST /repos/Contoso/checkout-api/issues/42/comments", e.Message);
        Assert.Contains(quoted, e.Message);
        Assert.Single(server.Requests);
        Assert.Empty(clock.RequestedDelays);
    }

    [Fact]
    public async Task An_answer_not_shaped_as_documented_is_a_malformed_response()
    {
        await using var server = await FakeGitHubServer.StartAsync();
        server.On("POST", ".*", _ => FakeResponse.Created("""{"identifier":"7"}"""));
        using var client = TokenClient(server, Clock());

        var e = await Assert.ThrowsAsync<IntegrationException>(() => client.PostCommentAsync(Repo, 42, "hi", null, default));
        Assert.Equal(IntegrationFailureKind.MalformedResponse, e.Kind);
        Assert.Contains("'id'", e.Message);
    }

    [Fact]
    public async Task An_answer_that_is_not_JSON_is_a_malformed_response()
    {
        await using var server = await FakeGitHubServer.StartAsync();
        server.On("POST", ".*", _ => FakeResponse.Created("""{"id":7,"body":"""));
        using var client = TokenClient(server, Clock());

        var e = await Assert.ThrowsAsync<IntegrationException>(() => client.PostCommentAsync(Repo, 42, "hi", null, default));
        Assert.Equal(IntegrationFailureKind.MalformedResponse, e.Kind);
        Assert.Contains("POST /repos/Contoso/checkout-api/issues/42/comments answered not with the documented JSON", e.Message);
    }

    [Fact]
    public async Task A_policy_path_that_is_a_directory_is_a_malformed_response_naming_it()
    {
        await using var server = await FakeGitHubServer.StartAsync();
        server.On("GET", ".*/contents/.*", _ => FakeResponse.Ok("""[{"type":"file","name":"a.yml","path":"a","sha":"1"},{"type":"file","name":"b.yml","path":"b","sha":"2"}]"""));
        using var client = TokenClient(server, Clock());

        var e = await Assert.ThrowsAsync<IntegrationException>(() => client.GetPolicyFileAsync(Repo, "abc123", null, default));
        Assert.Equal(IntegrationFailureKind.MalformedResponse, e.Kind);
        Assert.Contains(".github/release-policy.yml at 'abc123' in Contoso/checkout-api is a directory of 2 entries", e.Message);
    }

    [Fact]
    public void Bad_options_are_refused_up_front_naming_the_setting()
    {
        var clock = Clock();
        Assert.Contains("exactly one", Assert.Throws<ArgumentException>(() => new GitHubClient(new HttpClient(), new GitHubClientOptions(), clock)).Message);
        Assert.Contains("exactly one", Assert.Throws<ArgumentException>(() => new GitHubClient(new HttpClient(), new GitHubClientOptions { Token = "t", AppId = 1, AppPrivateKeyPem = "x" }, clock)).Message);
        Assert.Contains("AppPrivateKeyPem", Assert.Throws<ArgumentException>(() => new GitHubClient(new HttpClient(), new GitHubClientOptions { AppId = 1 }, clock)).Message);
        Assert.Contains("PEM RSA private key", Assert.Throws<ArgumentException>(() => new GitHubClient(new HttpClient(), new GitHubClientOptions { AppId = 1, AppPrivateKeyPem = "not a key" }, clock)).Message);
        Assert.Contains("MaxRetryAttempts", Assert.Throws<ArgumentException>(() => new GitHubClient(new HttpClient(), new GitHubClientOptions { Token = "t", MaxRetryAttempts = 50 }, clock)).Message);
        Assert.Contains("GitHub:UserAgent", Assert.Throws<ArgumentException>(() => new GitHubClient(new HttpClient(), new GitHubClientOptions { Token = "t", UserAgent = "Release Functions" }, clock)).Message);
    }
}
