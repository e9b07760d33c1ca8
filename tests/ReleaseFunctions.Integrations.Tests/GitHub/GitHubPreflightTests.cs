using System.Text.Json.Nodes;
using ReleaseFunctions.Core.Ports;
using ReleaseFunctions.Core.Preflight;
using ReleaseFunctions.Integrations.Tests.Support;
using static ReleaseFunctions.Integrations.Tests.GitHub.GitHubClientTestKit;

namespace ReleaseFunctions.Integrations.Tests.GitHub;

/// <summary>What pre-flight reads of a merge commit and its repository, against a fake api.github.com.</summary>
public sealed class GitHubPreflightTests
{
    private const string Sha = "9f1c2e3d4b5a69788796a5b4c3d2e1f0a9b8c7d6";
    private const string StatusPath = "/repos/Contoso/checkout-api/commits/" + Sha + "/status";
    private const string CheckRunsPath = "/repos/Contoso/checkout-api/commits/" + Sha + "/check-runs";
    private const string CodeScanningPath = "/repos/Contoso/checkout-api/code-scanning/alerts";
    private const string DependabotPath = "/repos/Contoso/checkout-api/dependabot/alerts";
    private const string NoStatuses = """{"state":"pending","total_count":0,"statuses":[]}""";
    private const string NoCheckRuns = """{"total_count":0,"check_runs":[]}""";

    [Theory]
    [InlineData("pending", CommitCheckState.Pending)]
    [InlineData("success", CommitCheckState.Passed)]
    [InlineData("failure", CommitCheckState.Failed)]
    [InlineData("error", CommitCheckState.Failed)]
    public async Task A_commit_status_stands_as_its_state_says(string state, CommitCheckState expected)
    {
        await using var server = await FakeGitHubServer.StartAsync();
        server.On("GET", StatusPath, _ => FakeResponse.Ok($$"""
                {"state":"{{state}}","sha":"{{Sha}}","total_count":1,
                 "statuses":[{"context":"ci/jenkins","state":"{{state}}","target_url":"https://ci.contoso.example/job/77","description":"Build"}]}
                """))
              .On("GET", CheckRunsPath, _ => FakeResponse.Ok(NoCheckRuns));
        using var client = TokenClient(server, Clock());

        var check = Assert.Single(await client.ListCommitChecksAsync(Repo, Sha, null, default));

        Assert.Equal(new CommitCheck("ci/jenkins", CommitCheckKind.Status, expected, state, "https://ci.contoso.example/job/77"), check);
        var asked = Assert.Single(server.RequestsTo("GET", StatusPath));
        Assert.Equal("100", asked.Query("per_page"));
        Assert.Equal("1", asked.Query("page"));
    }

    [Theory]
    [InlineData("queued", null, CommitCheckState.Pending, "queued")]
    [InlineData("in_progress", null, CommitCheckState.Pending, "in_progress")]
    [InlineData("waiting", null, CommitCheckState.Pending, "waiting")]
    [InlineData("requested", null, CommitCheckState.Pending, "requested")]
    [InlineData("pending", null, CommitCheckState.Pending, "pending")]
    [InlineData("completed", "success", CommitCheckState.Passed, "completed/success")]
    [InlineData("completed", "neutral", CommitCheckState.Passed, "completed/neutral")]
    [InlineData("completed", "skipped", CommitCheckState.Passed, "completed/skipped")]
    [InlineData("completed", "failure", CommitCheckState.Failed, "completed/failure")]
    [InlineData("completed", "cancelled", CommitCheckState.Failed, "completed/cancelled")]
    [InlineData("completed", "timed_out", CommitCheckState.Failed, "completed/timed_out")]
    [InlineData("completed", "action_required", CommitCheckState.Failed, "completed/action_required")]
    [InlineData("completed", "stale", CommitCheckState.Failed, "completed/stale")]
    [InlineData("completed", "startup_failure", CommitCheckState.Failed, "completed/startup_failure")]
    [InlineData("completed", null, CommitCheckState.Failed, "completed")]
    public async Task A_check_run_stands_as_its_status_and_conclusion_say(string status, string? conclusion, CommitCheckState expected, string detail)
    {
        await using var server = await FakeGitHubServer.StartAsync();
        var run = new JsonObject
        {
            ["id"] = 4,
            ["name"] = "build (ubuntu-latest)",
            ["status"] = status,
            ["conclusion"] = conclusion,
            ["html_url"] = "https://github.com/Contoso/checkout-api/runs/4",
        };
        server.On("GET", StatusPath, _ => FakeResponse.Ok(NoStatuses))
              .On("GET", CheckRunsPath, _ => FakeResponse.Ok(new JsonObject { ["total_count"] = 1, ["check_runs"] = new JsonArray(run) }.ToJsonString()));
        using var client = TokenClient(server, Clock());

        var check = Assert.Single(await client.ListCommitChecksAsync(Repo, Sha, null, default));

        Assert.Equal(new CommitCheck("build (ubuntu-latest)", CommitCheckKind.CheckRun, expected, detail, "https://github.com/Contoso/checkout-api/runs/4"), check);
        Assert.Equal("latest", Assert.Single(server.RequestsTo("GET", CheckRunsPath)).Query("filter"));
    }

    [Fact]
    public async Task Check_runs_are_read_across_pages_until_the_total_is_reached()
    {
        await using var server = await FakeGitHubServer.StartAsync();
        server.On("GET", StatusPath, _ => FakeResponse.Ok(NoStatuses))
              .On("GET", CheckRunsPath, r => r.Query("page") switch
              {
                  "1" => FakeResponse.Ok(CheckRunsPage(total: 101, Enumerable.Range(1, 100).Select(i => ("test-" + i, "success")))),
                  "2" => FakeResponse.Ok(CheckRunsPage(total: 101, [("deploy-preview", "failure")])),
                  _ => new FakeResponse(500, """{"message":"no such page in this test"}"""),
              });
        using var client = TokenClient(server, Clock());

        var checks = await client.ListCommitChecksAsync(Repo, Sha, null, default);

        Assert.Equal(101, checks.Count);
        Assert.Equal(100, checks.Count(c => c.State == CommitCheckState.Passed));
        Assert.Equal(new CommitCheck("deploy-preview", CommitCheckKind.CheckRun, CommitCheckState.Failed, "completed/failure"), checks[^1]);
        var pages = server.RequestsTo("GET", CheckRunsPath);
        Assert.Equal(["1", "2"], pages.Select(p => p.Query("page")));
        Assert.All(pages, p => Assert.Equal("100", p.Query("per_page")));
        Assert.All(pages, p => Assert.Equal("latest", p.Query("filter")));
    }

    [Fact]
    public async Task Commit_statuses_are_read_while_a_page_is_full()
    {
        await using var server = await FakeGitHubServer.StartAsync();
        server.On("GET", StatusPath, r => FakeResponse.Ok(r.Query("page") == "1"
                  ? StatusesPage(Enumerable.Range(1, 100).Select(i => ("lint-" + i, "success")))
                  : StatusesPage([("security/snyk", "pending")])))
              .On("GET", CheckRunsPath, _ => FakeResponse.Ok(NoCheckRuns));
        using var client = TokenClient(server, Clock());

        var checks = await client.ListCommitChecksAsync(Repo, Sha, null, default);

        Assert.Equal(101, checks.Count);
        Assert.Equal(new CommitCheck("security/snyk", CommitCheckKind.Status, CommitCheckState.Pending, "pending"), checks[100]);
        Assert.Equal(["1", "2"], server.RequestsTo("GET", StatusPath).Select(p => p.Query("page")));
    }

    [Fact]
    public async Task Statuses_that_never_end_are_refused_instead_of_read_in_part()
    {
        await using var server = await FakeGitHubServer.StartAsync();
        var full = StatusesPage(Enumerable.Range(1, 100).Select(i => ("lint-" + i, "success")));
        server.On("GET", StatusPath, _ => FakeResponse.Ok(full));
        using var client = TokenClient(server, Clock());

        var e = await Assert.ThrowsAsync<IntegrationException>(() => client.ListCommitChecksAsync(Repo, Sha, null, default));

        Assert.Equal(IntegrationFailureKind.MalformedResponse, e.Kind);
        Assert.Contains($"GET {StatusPath} still had more commit statuses after 10 pages of 100", e.Message);
        Assert.Equal(10, server.RequestsTo("GET", StatusPath).Count);
        Assert.Empty(server.RequestsTo("GET", CheckRunsPath));
    }

    [Fact]
    public async Task Code_scanning_alerts_are_the_open_security_ones_with_their_severity_and_place()
    {
        await using var server = await FakeGitHubServer.StartAsync();
        server.On("GET", CodeScanningPath, _ => FakeResponse.Ok("""
            [
              {"number":12,"state":"open","html_url":"https://github.com/Contoso/checkout-api/security/code-scanning/12",
               "rule":{"id":"cs/sql-injection","severity":"error","security_severity_level":"critical","description":"SQL query built from user-controlled sources"},
               "most_recent_instance":{"ref":"refs/heads/main","location":{"path":"src/Orders/OrderQuery.cs","start_line":40}}},
              {"number":11,"state":"open","html_url":"https://github.com/Contoso/checkout-api/security/code-scanning/11",
               "rule":{"id":"cs/useless-assignment","severity":"warning","security_severity_level":null,"description":"Useless assignment to local variable"},
               "most_recent_instance":{"location":{"path":"src/Cart.cs"}}},
              {"number":9,"state":"open","html_url":"https://github.com/Contoso/checkout-api/security/code-scanning/9",
               "rule":{"id":"cs/weak-crypto","severity":"warning","security_severity_level":"medium"}},
              {"number":7,"state":"open","rule":{"id":"cs/log-forging","description":"Log entries created from user input","security_severity_level":"low"},
               "most_recent_instance":{"location":{"path":"src/Logging.cs"}}}
            ]
            """));
        using var client = TokenClient(server, Clock());

        var alerts = await client.ListOpenCodeScanningAlertsAsync(Repo, null, default);

        Assert.Equal(
            [
                new SecurityAlert(SecurityAlertKind.CodeScanning, 12, SecuritySeverity.Critical, "SQL query built from user-controlled sources in src/Orders/OrderQuery.cs",
                    "https://github.com/Contoso/checkout-api/security/code-scanning/12"),
                new SecurityAlert(SecurityAlertKind.CodeScanning, 9, SecuritySeverity.Medium, "cs/weak-crypto", "https://github.com/Contoso/checkout-api/security/code-scanning/9"),
                new SecurityAlert(SecurityAlertKind.CodeScanning, 7, SecuritySeverity.Low, "Log entries created from user input in src/Logging.cs"),
            ],
            alerts);
        var asked = Assert.Single(server.Requests);
        Assert.Equal("open", asked.Query("state"));
        Assert.Equal("100", asked.Query("per_page"));
    }

    [Fact]
    public async Task Code_scanning_alerts_are_read_page_by_page()
    {
        await using var server = await FakeGitHubServer.StartAsync();
        server.On("GET", CodeScanningPath, r => FakeResponse.Ok(r.Query("page") == "1"
            ? CodeScanningPage(Enumerable.Range(1, 100).Select(i => (200 - i, "high")))
            : CodeScanningPage([(3, "critical")])));
        using var client = TokenClient(server, Clock());

        var alerts = await client.ListOpenCodeScanningAlertsAsync(Repo, null, default);

        Assert.Equal(101, alerts.Count);
        Assert.Equal((3, SecuritySeverity.Critical), (alerts[^1].Number, alerts[^1].Severity));
        Assert.Equal(["1", "2"], server.Requests.Select(r => r.Query("page")));
    }

    [Fact]
    public async Task Dependabot_alerts_follow_the_next_cursor_of_the_Link_header()
    {
        await using var server = await FakeGitHubServer.StartAsync();
        const string cursor = "Y3Vyc29yOnYyOpK5MjAyNi0xMS0yM1QxNDozMDowMFrOAAAAAQ==";
        server.On("GET", DependabotPath, r => r.Query("after") switch
        {
            null => new FakeResponse(200, """
                [{"number":5,"state":"open","html_url":"https://github.com/Contoso/checkout-api/security/dependabot/5",
                  "dependency":{"package":{"ecosystem":"nuget","name":"Newtonsoft.Json"},"manifest_path":"src/Checkout.csproj","scope":"runtime"},
                  "security_advisory":{"ghsa_id":"GHSA-5crp-9r3c-p9vr","summary":"Improper Handling of Exceptional Conditions in Newtonsoft.Json","severity":"high"},
                  "security_vulnerability":{"severity":"high","vulnerable_version_range":"< 13.0.1"}}]
                """, new Dictionary<string, string>
            {
                // GitHub's links name the repository by id and end at the last page without rel="next".
                ["Link"] = $"""<https://api.github.com/repositories/1296269/dependabot/alerts?state=open&per_page=100&after={Uri.EscapeDataString(cursor)}>; rel="next", <https://api.github.com/repositories/1296269/dependabot/alerts?state=open&per_page=100>; rel="first" """.Trim(),
            }),
            var after when after == cursor => FakeResponse.Ok("""
                [{"number":2,"state":"open","html_url":"https://github.com/Contoso/checkout-api/security/dependabot/2",
                  "dependency":{"package":{"ecosystem":"npm","name":"lodash"}},
                  "security_advisory":{"ghsa_id":"GHSA-jf85-cpcp-j695","summary":"Prototype Pollution in lodash"},
                  "security_vulnerability":{"severity":"critical"}}]
                """),
            _ => new FakeResponse(400, """{"message":"unknown cursor"}"""),
        });
        using var client = TokenClient(server, Clock());

        var alerts = await client.ListOpenDependabotAlertsAsync(Repo, null, default);

        Assert.Equal(
            [
                new SecurityAlert(SecurityAlertKind.Dependabot, 5, SecuritySeverity.High, "Improper Handling of Exceptional Conditions in Newtonsoft.Json (nuget/Newtonsoft.Json)",
                    "https://github.com/Contoso/checkout-api/security/dependabot/5"),
                new SecurityAlert(SecurityAlertKind.Dependabot, 2, SecuritySeverity.Critical, "Prototype Pollution in lodash (npm/lodash)",
                    "https://github.com/Contoso/checkout-api/security/dependabot/2"),
            ],
            alerts);
        var pages = server.RequestsTo("GET", DependabotPath);
        Assert.Equal(2, pages.Count);
        Assert.Equal([null, cursor], pages.Select(p => p.Query("after")));
        // The endpoint refuses offset paging.
        Assert.All(pages, p => Assert.Null(p.Query("page")));
        Assert.All(pages, p => Assert.Equal(("open", "100"), (p.Query("state"), p.Query("per_page"))));
    }

    [Theory]
    [InlineData(403, """{"message":"Advanced Security must be enabled for this repository to use code scanning."}""", IntegrationFailureKind.Unauthorized)]
    [InlineData(404, """{"message":"no analysis found"}""", IntegrationFailureKind.NotFound)]
    public async Task Code_scanning_that_cannot_be_read_says_what_to_enable(int status, string json, IntegrationFailureKind kind)
    {
        await using var server = await FakeGitHubServer.StartAsync();
        server.On("GET", CodeScanningPath, _ => new FakeResponse(status, json));
        var clock = Clock();
        using var client = TokenClient(server, clock);

        var e = await Assert.ThrowsAsync<IntegrationException>(() => client.ListOpenCodeScanningAlertsAsync(Repo, null, default));

        Assert.Equal((kind, status, "GitHub"), (e.Kind, e.StatusCode, e.System));
        Assert.StartsWith($"GitHub: code scanning alerts of Contoso/checkout-api could not be read ({status} ", e.Message);
        Assert.Contains(JsonNode.Parse(json)!["message"]!.GetValue<string>(), e.Message);
        Assert.Contains("enable code scanning", e.Message);
        Assert.Contains("'Code scanning alerts: read'", e.Message);
        Assert.Single(server.Requests);
        Assert.Empty(clock.RequestedDelays);
    }

    [Theory]
    [InlineData(403, """{"message":"Dependabot alerts are disabled for this repository."}""", IntegrationFailureKind.Unauthorized)]
    [InlineData(404, """{"message":"Not Found"}""", IntegrationFailureKind.NotFound)]
    public async Task Dependabot_alerts_that_cannot_be_read_say_what_to_enable(int status, string json, IntegrationFailureKind kind)
    {
        await using var server = await FakeGitHubServer.StartAsync();
        server.On("GET", DependabotPath, _ => new FakeResponse(status, json));
        using var client = TokenClient(server, Clock());

        var e = await Assert.ThrowsAsync<IntegrationException>(() => client.ListOpenDependabotAlertsAsync(Repo, null, default));

        Assert.Equal((kind, status), (e.Kind, e.StatusCode));
        Assert.StartsWith($"GitHub: Dependabot alerts of Contoso/checkout-api could not be read ({status} ", e.Message);
        Assert.Contains($"from GET {DependabotPath}", e.Message);
        Assert.Contains("enable Dependabot alerts", e.Message);
        Assert.Contains("'Dependabot alerts: read'", e.Message);
        Assert.Equal(status == 404, e.Message.Contains("not visible to these credentials", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_rate_limited_alert_read_stays_a_rate_limit_not_a_missing_feature()
    {
        await using var server = await FakeGitHubServer.StartAsync();
        var reset = Clock().GetUtcNow().AddHours(2).ToUnixTimeSeconds();
        server.On("GET", CodeScanningPath, _ => new FakeResponse(403, """{"message":"API rate limit exceeded"}""",
            new Dictionary<string, string> { ["X-RateLimit-Remaining"] = "0", ["X-RateLimit-Reset"] = $"{reset}" }));
        using var client = TokenClient(server, Clock());

        var e = await Assert.ThrowsAsync<IntegrationException>(() => client.ListOpenCodeScanningAlertsAsync(Repo, null, default));

        Assert.Equal(IntegrationFailureKind.Throttled, e.Kind);
        Assert.DoesNotContain("enable code scanning", e.Message);
    }

    [Theory]
    [InlineData("status", """{"state":"failure","total_count":1,"statuses":[{"context":"ci/jenkins","target_url":null}]}""", "a status without the documented 'context' and 'state'")]
    [InlineData("status", """{"state":"pending","total_count":0}""", "without the documented 'statuses'")]
    [InlineData("check-runs", """{"total_count":1,"check_runs":[{"id":4,"status":"completed","conclusion":"success"}]}""", "a check run without the documented 'name' and 'status'")]
    [InlineData("check-runs", """{"total_count":1,"check_runs":[{"name":""", "answered not with the documented JSON")]
    public async Task A_checks_answer_not_shaped_as_documented_is_a_malformed_response(string endpoint, string body, string expected)
    {
        await using var server = await FakeGitHubServer.StartAsync();
        server.On("GET", StatusPath, _ => FakeResponse.Ok(endpoint == "status" ? body : NoStatuses))
              .On("GET", CheckRunsPath, _ => FakeResponse.Ok(endpoint == "check-runs" ? body : NoCheckRuns));
        using var client = TokenClient(server, Clock());

        var e = await Assert.ThrowsAsync<IntegrationException>(() => client.ListCommitChecksAsync(Repo, Sha, null, default));

        Assert.Equal(IntegrationFailureKind.MalformedResponse, e.Kind);
        Assert.Contains($"GET /repos/Contoso/checkout-api/commits/{Sha}/{endpoint} answered", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Theory]
    [InlineData("""[{"number":3,"rule":{"id":"cs/xss","security_severity_level":"severe"}}]""", "alert #3 with severity 'severe'; expected low, medium, high or critical")]
    [InlineData("""[{"number":3}]""", "an alert without the documented 'number' and 'rule'")]
    [InlineData("""[{"number":3,"rule":""", "answered not with the documented JSON")]
    public async Task A_code_scanning_answer_not_shaped_as_documented_is_a_malformed_response(string body, string expected)
    {
        await using var server = await FakeGitHubServer.StartAsync();
        server.On("GET", CodeScanningPath, _ => FakeResponse.Ok(body));
        using var client = TokenClient(server, Clock());

        var e = await Assert.ThrowsAsync<IntegrationException>(() => client.ListOpenCodeScanningAlertsAsync(Repo, null, default));

        Assert.Equal(IntegrationFailureKind.MalformedResponse, e.Kind);
        Assert.Contains($"GET {CodeScanningPath} answered", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public async Task A_Dependabot_alert_without_a_severity_is_a_malformed_response()
    {
        await using var server = await FakeGitHubServer.StartAsync();
        server.On("GET", DependabotPath, _ => FakeResponse.Ok("""[{"number":8,"security_advisory":{"summary":"Regular expression denial of service"}}]"""));
        using var client = TokenClient(server, Clock());

        var e = await Assert.ThrowsAsync<IntegrationException>(() => client.ListOpenDependabotAlertsAsync(Repo, null, default));

        Assert.Equal(IntegrationFailureKind.MalformedResponse, e.Kind);
        Assert.Contains($"GET {DependabotPath} answered alert #8 without the documented 'security_advisory.severity'", e.Message);
    }

    [Fact]
    public async Task A_Dependabot_next_link_without_a_cursor_is_a_malformed_response()
    {
        await using var server = await FakeGitHubServer.StartAsync();
        server.On("GET", DependabotPath, _ => new FakeResponse(200, "[]", new Dictionary<string, string>
        {
            ["Link"] = """<https://api.github.com/repositories/1296269/dependabot/alerts?state=open&per_page=100>; rel="next" """.Trim(),
        }));
        using var client = TokenClient(server, Clock());

        var e = await Assert.ThrowsAsync<IntegrationException>(() => client.ListOpenDependabotAlertsAsync(Repo, null, default));

        Assert.Equal(IntegrationFailureKind.MalformedResponse, e.Kind);
        Assert.Contains("without a new 'after' cursor", e.Message);
        Assert.Single(server.Requests);
    }

    private static string StatusesPage(IEnumerable<(string Context, string State)> statuses)
    {
        var listed = statuses.Select(s => (JsonNode)new JsonObject { ["context"] = s.Context, ["state"] = s.State }).ToArray();
        return new JsonObject { ["state"] = "pending", ["sha"] = Sha, ["total_count"] = listed.Length, ["statuses"] = new JsonArray(listed) }.ToJsonString();
    }

    private static string CheckRunsPage(int total, IEnumerable<(string Name, string Conclusion)> runs) => new JsonObject
    {
        ["total_count"] = total,
        ["check_runs"] = new JsonArray(runs.Select(r => (JsonNode)new JsonObject { ["name"] = r.Name, ["status"] = "completed", ["conclusion"] = r.Conclusion }).ToArray()),
    }.ToJsonString();

    private static string CodeScanningPage(IEnumerable<(int Number, string Level)> alerts) => new JsonArray(alerts
        .Select(a => (JsonNode)new JsonObject { ["number"] = a.Number, ["rule"] = new JsonObject { ["id"] = "cs/rule-" + a.Number, ["security_severity_level"] = a.Level } })
        .ToArray()).ToJsonString();
}
