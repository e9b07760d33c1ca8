using System.Net;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using OpenQA.Selenium;
using ReleaseFunctions.Core.Releases;
using ReleaseFunctions.Releases;
using Xunit.Abstractions;
using EventRaisedEvent = ReleaseFunctions.Durable.EventRaisedEvent;

namespace ReleaseFunctions.Tests.Dashboard;

/// <summary>The dashboard in headless Chromium against the real app on Kestrel, with releases driven by a hand-moved clock.</summary>
public sealed class DashboardBrowserTests(Chromium chromium, ITestOutputHelper output) : IClassFixture<Chromium>
{
    [Fact]
    public async Task The_list_shows_a_running_release_and_filters_by_service_and_state()
    {
        using var app = DashboardApp.Launch();
        var id = await app.StartReleaseAsync(DashboardApp.Merge(42, "checkout"));
        await app.StartReleaseAsync(DashboardApp.Merge(43, "payments"));
        // The soak of step 1 ends and its gate measures, so the row has moved past the shift itself.
        await app.AdvanceToNextTimerAsync(id);
        chromium.OpenSignedIn(app.BaseAddress, "#/releases", DashboardApp.OperatorKey);

        // The cells are read inside the wait: the page re-renders every second, and a row found just before that is stale.
        var cells = chromium.Wait(
            d => d.FindElements(By.CssSelector($"tr[data-instance-id='{id}']")).FirstOrDefault()?.FindElements(By.CssSelector("th, td")).Select(c => c.Text).ToArray(),
            "the release's row");
        Assert.Equal(["checkout", "0042456789ab", "contoso/shop", "#42", "production", "1", "10%", "running"], cells[..8]);
        Assert.Equal(2, chromium.All("#releases-table tbody tr").Count);
        Screenshot("releases-list");

        // The second measurement passes the gate and the release moves to 50%: the list follows without a reload.
        await app.AdvanceToNextTimerAsync(id);
        Assert.Equal(50, (await app.Ledger.GetReleaseAsync(id, CancellationToken.None))!.WeightPercent);
        chromium.WaitUntil(_ => chromium.Text($"tr[data-instance-id='{id}'] td[data-label='Weight']") == "50%", "the row at 50%");

        chromium.Driver.FindElement(By.Id("filter-service")).SendKeys("payments" + Keys.Enter);
        chromium.WaitUntil(d => d.Url.Contains("service=payments", StringComparison.Ordinal)
                                && chromium.All("#releases-table tbody tr").Select(r => r.GetAttribute("data-instance-id")).SequenceEqual([DashboardApp.Merge(43, "payments").Id.InstanceId]),
            "only the payments release");
        chromium.Driver.FindElement(By.CssSelector("#filter-status option[value='Promoted']")).Click();
        chromium.WaitUntil(d => chromium.Text(".empty") == "No release matches these filters.", "no promoted payments release");

        chromium.Driver.Manage().Window.Size = new System.Drawing.Size(390, 844);
        chromium.Open(app.BaseAddress, "#/releases");
        chromium.Wait(d => d.FindElements(By.CssSelector($"tr[data-instance-id='{id}']")).FirstOrDefault(), "the release's row on a phone");
        Screenshot("releases-list-phone");
    }

    [Fact]
    public async Task A_release_whose_rollback_failed_is_listed_at_the_top_whatever_the_filters()
    {
        using var app = DashboardApp.Launch();
        var id = await app.StartReleaseAsync(DashboardApp.Merge(44, "checkout"));
        app.Sli.Canary = (_, _) => 0.3; // the gate fails at the first step...
        app.Target.Fails = shift => shift.Action == Core.Ports.TrafficAction.Rollback ? "the router refuses every change" : null; // ...and traffic cannot go back
        for (var i = 0; i < 40 && (await app.Ledger.GetReleaseAsync(id, CancellationToken.None))!.Status != ReleaseStatus.RollbackFailed; i++)
        {
            await app.AdvanceToNextTimerAsync(id);
        }

        Assert.Equal(ReleaseStatus.RollbackFailed, (await app.Ledger.GetReleaseAsync(id, CancellationToken.None))!.Status);
        await app.StartReleaseAsync(DashboardApp.Merge(45, "payments"));
        chromium.OpenSignedIn(app.BaseAddress, "#/releases?service=payments", DashboardApp.OperatorKey);

        var alarm = chromium.Wait(d => d.FindElements(By.CssSelector("#rollback-failed:not([hidden])")).FirstOrDefault(), "the rollback-failed alarm");
        Assert.Contains("Rollback failed: 1 release(s)", alarm.Text);
        Assert.Contains("last read 10% on the candidate in production", alarm.Text);
        Assert.Equal($"#/releases/{id}", alarm.FindElement(By.TagName("a")).GetAttribute("href")![^($"#/releases/{id}".Length)..]);
        Assert.True(alarm.Location.Y < chromium.Driver.FindElement(By.Id("releases-table")).Location.Y, "the alarm is above the list");
        Screenshot("releases-rollback-failed");
    }

    [Fact]
    public async Task The_timeline_grows_as_the_release_advances_and_the_gate_charts_have_a_point_per_measurement()
    {
        using var app = DashboardApp.Launch();
        var id = await app.StartReleaseAsync(DashboardApp.Merge());
        chromium.OpenSignedIn(app.BaseAddress, $"#/releases/{id}", DashboardApp.OperatorKey);

        var recorded = (await app.AuditAsync(id)).Count;
        chromium.WaitUntil(_ => chromium.All("#timeline > li").Count == recorded, $"{recorded} timeline entries");
        Assert.Equal("running", chromium.Text("#release-state"));
        Assert.Equal("No gate has measured yet.", chromium.Text("#release-gates .empty"));
        Assert.Contains("Step 1\n10%", chromium.Text(".rollout .step.current"), StringComparison.Ordinal);

        // Soak of step 1 ends: first measurement; five minutes on: second measurement, the verdict, and step 2 at 50%.
        await app.AdvanceToNextTimerAsync(id);
        await app.AdvanceToNextTimerAsync(id);
        var trail = await app.AuditAsync(id);
        Assert.True(trail.Count > recorded, "the release recorded more events");
        chromium.WaitUntil(_ => chromium.All("#timeline > li").Count == trail.Count, $"{trail.Count} timeline entries");
        Assert.Equal(trail.Select(r => r.Kind), chromium.All("#timeline > li").Select(li => li.GetAttribute("data-kind")));
        chromium.WaitUntil(_ => chromium.Text(".rollout .step.current").Contains("Step 2\n50%", StringComparison.Ordinal), "step 2 current in the rollout bar");

        var measurements = trail.Count(r => r.Kind == "gate-measurement");
        Assert.Equal(2, measurements);
        var errorRate = chromium.Wait(d => d.FindElements(By.CssSelector("figure[data-gate='production/error_rate']")).FirstOrDefault(), "the error-rate chart");
        Assert.Equal(measurements, errorRate.FindElements(By.CssSelector(".series.observed circle.point")).Count);
        Assert.Single(errorRate.FindElements(By.CssSelector(".series.threshold path.line")));
        var latency = chromium.Driver.FindElement(By.CssSelector("figure[data-gate='production/p99_latency_ms']"));
        Assert.Equal(measurements, latency.FindElements(By.CssSelector(".series.observed circle.point")).Count);
        Assert.Equal(measurements, latency.FindElements(By.CssSelector(".series.reference circle.point")).Count);
        Assert.Equal(2, latency.FindElements(By.CssSelector(".series.threshold path.line")).Count);
        Assert.Contains("Chain verified", chromium.Text("#audit-verification"), StringComparison.Ordinal);
        Screenshot("release-detail");

        // Step 2's gate measures twice more: the charts follow.
        await app.AdvanceToNextTimerAsync(id);
        chromium.WaitUntil(_ => chromium.All("figure[data-gate='production/error_rate'] .series.observed circle.point").Count == 3, "a third point on the error-rate chart");
        Assert.Empty(chromium.ConsoleErrors());
    }

    [Fact]
    public async Task A_confirmed_command_changes_the_release_state_and_a_cancelled_one_sends_nothing()
    {
        using var app = DashboardApp.Launch();
        var id = await app.StartReleaseAsync(DashboardApp.Merge());
        chromium.OpenSignedIn(app.BaseAddress, $"#/releases/{id}", DashboardApp.OperatorKey);
        chromium.WaitUntil(_ => chromium.Text("#release-state") == "running", "the running state");

        chromium.Driver.FindElement(By.CssSelector("button[data-command='abort']")).Click();
        var dialog = chromium.Wait(d => d.FindElements(By.Id("confirm-command")).FirstOrDefault(e => e.Displayed), "the confirmation dialog");
        Assert.Contains("Abort", dialog.Text, StringComparison.Ordinal);
        chromium.Driver.FindElement(By.Id("confirm-cancel")).Click();
        chromium.WaitUntil(_ => chromium.Text("#command-status") == "Abort cancelled.", "the cancellation");

        chromium.Driver.FindElement(By.CssSelector("button[data-command='pause']")).Click();
        chromium.Wait(d => d.FindElements(By.Id("confirm-command")).FirstOrDefault(e => e.Displayed), "the confirmation dialog");
        chromium.Driver.FindElement(By.Id("confirm-comment")).SendKeys("checking the dashboards");
        Screenshot("release-command-confirm");
        chromium.Driver.FindElement(By.Id("confirm-send")).Click();

        chromium.WaitUntil(_ => chromium.Text("#release-state") == "paused", "the paused state");
        chromium.WaitUntil(_ => chromium.Text("#command-status").StartsWith("Pause sent as alice", StringComparison.Ordinal), "the command's acknowledgement");
        Assert.Equal(ReleaseStatus.Paused, (await app.Ledger.GetReleaseAsync(id, CancellationToken.None))!.Status);
        var commands = (await app.HistoryAsync(id)).OfType<EventRaisedEvent>().Where(e => e.Name == ReleaseEvents.Command).ToArray();
        var pause = Assert.Single(commands);
        Assert.Contains("\"comment\":\"checking the dashboards\"", pause.Input, StringComparison.Ordinal);
        chromium.WaitUntil(_ => chromium.All("#timeline > li[data-kind='paused']").Count == 1, "the paused event in the timeline");
        Screenshot("release-paused");

        chromium.Driver.FindElement(By.CssSelector("button[data-command='resume']")).Click();
        chromium.Wait(d => d.FindElements(By.Id("confirm-send")).FirstOrDefault(e => e.Displayed), "the confirmation dialog").Click();
        chromium.WaitUntil(_ => chromium.Text("#release-state") == "running", "the running state again");
    }

    [Fact]
    public async Task A_rollback_from_the_dashboard_ends_the_release_and_leaves_no_command_to_send()
    {
        using var app = DashboardApp.Launch();
        var id = await app.StartReleaseAsync(DashboardApp.Merge());
        chromium.OpenSignedIn(app.BaseAddress, $"#/releases/{id}", DashboardApp.OperatorKey);
        chromium.WaitUntil(_ => chromium.Text("#release-state") == "running", "the running state");

        chromium.Driver.FindElement(By.CssSelector("button[data-command='rollback']")).Click();
        chromium.Wait(d => d.FindElements(By.Id("confirm-send")).FirstOrDefault(e => e.Displayed && e.Text == "Roll back"), "the rollback confirmation").Click();

        chromium.WaitUntil(_ => chromium.Text("#release-state") == "rolled back", "the rolled-back state");
        Assert.Equal(0, app.Target.Weight);
        chromium.WaitUntil(_ => chromium.All("#timeline > li[data-kind='rolled-back']").Count == 1, "the rolled-back event");
        Assert.All(chromium.All("button[data-command]"), button => Assert.False(button.Enabled));
        Assert.Equal("The release has finished: commands go to running releases only.", chromium.Text("#command-status"));
        Assert.Contains("stopped", chromium.All(".rollout .step")[0].GetAttribute("class"), StringComparison.Ordinal);
        Screenshot("release-rolled-back");
    }

    [Fact]
    public async Task An_approval_from_the_dashboard_lets_a_waiting_release_go_on_and_shows_who_gave_it()
    {
        using var app = DashboardApp.Launch(DashboardApp.ApprovalByAlice);
        var id = await app.StartReleaseAsync(DashboardApp.Merge());
        chromium.OpenSignedIn(app.BaseAddress, $"#/releases/{id}", DashboardApp.OperatorKey);
        chromium.WaitUntil(_ => chromium.Text("#release-state") == "waiting for approval", "the waiting state");
        Assert.Contains("approval-requested", chromium.Text("#release-approvals"), StringComparison.Ordinal);

        chromium.Driver.FindElement(By.CssSelector("button[data-command='approve']")).Click();
        chromium.Wait(d => d.FindElements(By.Id("confirm-send")).FirstOrDefault(e => e.Displayed), "the confirmation dialog").Click();

        chromium.WaitUntil(_ => chromium.Text("#release-state") == "running", "the running state");
        chromium.WaitUntil(_ => chromium.Text("#release-approvals").Contains("approval-given alice", StringComparison.Ordinal), "alice's approval");
        Assert.Equal(10, app.Target.Weight);
        Screenshot("release-approved");
    }

    [Fact]
    public async Task Without_a_key_the_dashboard_says_one_is_needed_and_the_api_refuses_commands_with_401()
    {
        using var app = DashboardApp.Launch();
        var id = await app.StartReleaseAsync(DashboardApp.Merge());
        chromium.Reset(app.BaseAddress);

        chromium.Open(app.BaseAddress, $"#/releases/{id}");
        var problem = chromium.Wait(d => d.FindElements(By.CssSelector(".problem")).FirstOrDefault(e => e.Displayed), "the sign-in prompt");
        Assert.Contains("A sign-in is needed.", problem.Text, StringComparison.Ordinal);
        Assert.Contains("401", problem.Text, StringComparison.Ordinal);
        Assert.DoesNotContain(chromium.All("button[data-command]"), b => b.Displayed);
        Screenshot("release-unauthenticated");

        var status = chromium.Driver.ExecuteAsyncScript(
            "const done = arguments[arguments.length - 1];" +
            "fetch('/api/releases/' + encodeURIComponent(arguments[0]) + '/commands/pause', { method: 'POST' }).then(r => done(r.status), e => done(String(e)));", id);
        Assert.Equal(401L, status);

        using var http = new HttpClient { BaseAddress = app.BaseAddress };
        var direct = await http.PostAsync($"/api/releases/{id}/commands/abort", null);
        Assert.Equal(HttpStatusCode.Unauthorized, direct.StatusCode);
        Assert.Equal("Bearer", direct.Headers.WwwAuthenticate.Single().Scheme);

        chromium.SignIn("not-a-key-of-anyone-at-all");
        chromium.WaitUntil(_ => chromium.Text("#notice").StartsWith("That key was not accepted: 401", StringComparison.Ordinal), "the refusal of a wrong key");
        Assert.Null(chromium.Driver.ExecuteScript("return sessionStorage.getItem('releasefunctions.operatorKey');"));

        Assert.DoesNotContain(await app.HistoryAsync(id), e => e is EventRaisedEvent { Name: ReleaseEvents.Command });
        Assert.Equal(ReleaseStatus.Running, (await app.Ledger.GetReleaseAsync(id, CancellationToken.None))!.Status);
    }

    [Fact]
    public async Task A_reader_sees_the_release_without_command_buttons_and_an_operator_gets_only_the_operate_ones()
    {
        using var app = DashboardApp.Launch();
        var id = await app.StartReleaseAsync(DashboardApp.Merge());

        chromium.OpenSignedIn(app.BaseAddress, $"#/releases/{id}", DashboardApp.ReaderKey);
        chromium.WaitUntil(_ => chromium.Text("#command-status").Contains("reading only", StringComparison.Ordinal), "the reader's command panel");
        Assert.Equal("Signed in as reader with key …cdef", chromium.Text("#operator-label"));
        Assert.Equal("Release.Read: can read", chromium.Text("#operator-rights"));
        Assert.Empty(chromium.All("button[data-command]"));
        Assert.Contains("10%", chromium.Text("#release-rollout"), StringComparison.Ordinal);
        Screenshot("release-as-reader");

        chromium.Driver.FindElement(By.Id("sign-out")).Click();
        chromium.SignIn(DashboardApp.OncallKey);
        chromium.WaitUntil(_ => chromium.All("button[data-command]").Count > 0, "the operator's command buttons");
        Assert.Equal(["promote", "pause", "resume", "rollback", "abort"], chromium.All("button[data-command]").Select(b => b.GetAttribute("data-command")));
        Assert.Equal("Release.Operate: can read, operate (pause, resume, promote, roll back, abort)", chromium.Text("#operator-rights"));
        Screenshot("release-as-operator");

        // What the page does not offer, the API refuses: a reader's key cannot pause, whatever a script sends.
        var status = chromium.Driver.ExecuteAsyncScript(
            "const done = arguments[arguments.length - 1];" +
            "fetch('/api/releases/' + encodeURIComponent(arguments[0]) + '/commands/pause', { method: 'POST', headers: { Authorization: 'Bearer ' + arguments[1] } }).then(r => done(r.status), e => done(String(e)));",
            id, DashboardApp.ReaderKey);
        Assert.Equal(403L, status);
        Assert.Empty(chromium.ConsoleErrors());
    }

    [Fact]
    public async Task Behind_App_Service_Authentication_a_person_without_a_role_is_told_which_to_ask_for()
    {
        using var app = DashboardApp.Launch(settings: new Dictionary<string, string?>
        {
            ["ReleaseFunctions:Operator:TrustAppServiceAuthentication"] = "true",
            ["WEBSITE_AUTH_ENABLED"] = "True",
        });
        var id = await app.StartReleaseAsync(DashboardApp.Merge());
        chromium.Reset(app.BaseAddress);

        chromium.Open(app.BaseAddress, "#/releases");
        chromium.Wait(d => d.FindElements(By.Id("entra-sign-in")).FirstOrDefault(e => e.Displayed), "the Entra ID sign-in link");
        Assert.Equal("/.auth/login/aad?post_login_redirect_uri=/", new Uri(chromium.Driver.FindElement(By.Id("entra-sign-in")).GetAttribute("href")!).PathAndQuery);

        using (chromium.SendHeader("X-MS-CLIENT-PRINCIPAL", Principal("gina@contoso.com")))
        {
            chromium.Open(app.BaseAddress, "#/releases");
            chromium.Driver.Navigate().Refresh(); // the same address again only changes the hash: load the page anew
            chromium.WaitUntil(_ => chromium.Text("#no-role h1") == "You hold no release role", "the no-role page");
            Assert.Contains("You are signed in as gina@contoso.com", chromium.Text("#no-role"), StringComparison.Ordinal);
            Assert.Contains("Release.Read: see releases", chromium.Text("#no-role"), StringComparison.Ordinal);
            Assert.Equal("Signed in as gina@contoso.com with Microsoft Entra ID", chromium.Text("#operator-label"));
            Screenshot("no-role");
        }

        using (chromium.SendHeader("X-MS-CLIENT-PRINCIPAL", Principal("gina@contoso.com", "Release.Read")))
        {
            chromium.Open(app.BaseAddress, $"#/releases/{id}");
            chromium.Driver.Navigate().Refresh();
            chromium.WaitUntil(_ => chromium.Text("#command-status").Contains("reading only", StringComparison.Ordinal), "the release as a reader");
            Assert.Empty(chromium.All("button[data-command]"));
        }
    }

    private static string Principal(string name, params string[] roles)
    {
        var claims = new List<object> { new { typ = "preferred_username", val = name } };
        claims.AddRange(roles.Select(role => new { typ = "roles", val = role }));
        var json = System.Text.Json.JsonSerializer.Serialize(new { auth_typ = "aad", claims, name_typ = "preferred_username", role_typ = "roles" });
        return Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(json));
    }

    [Fact]
    public async Task Signing_out_removes_the_key_and_the_commands()
    {
        using var app = DashboardApp.Launch();
        var id = await app.StartReleaseAsync(DashboardApp.Merge());
        chromium.OpenSignedIn(app.BaseAddress, $"#/releases/{id}", DashboardApp.OperatorKey);
        chromium.Wait(d => d.FindElements(By.CssSelector("button[data-command='pause']")).FirstOrDefault(e => e.Displayed), "the command buttons");
        Assert.Equal(DashboardApp.OperatorKey, chromium.Driver.ExecuteScript("return sessionStorage.getItem('releasefunctions.operatorKey');"));

        chromium.Driver.FindElement(By.Id("sign-out")).Click();

        chromium.WaitUntil(_ => chromium.Text(".problem").Contains("A sign-in is needed.", StringComparison.Ordinal), "the sign-in prompt");
        Assert.Null(chromium.Driver.ExecuteScript("return sessionStorage.getItem('releasefunctions.operatorKey');"));
        Assert.DoesNotContain(chromium.All("button[data-command]"), b => b.Displayed);
    }

    [Fact]
    public async Task The_dora_page_charts_the_four_metrics_per_repository()
    {
        using var app = DashboardApp.Launch();
        // The page asks for periods ending at the browser's next UTC midnight, so the releases completed in the last days;
        // the browser's clock is pinned to the app's.
        var today = app.Clock.GetUtcNow();
        using var pinned = chromium.PinClock(today);
        var seeds = new[]
        {
            ("contoso/shop", 1, ReleaseStatus.Promoted, today.AddDays(-1)),
            ("contoso/shop", 2, ReleaseStatus.RolledBack, today.AddDays(-1)),
            ("contoso/shop", 3, ReleaseStatus.Promoted, today.AddDays(-9)),
            ("contoso/billing", 4, ReleaseStatus.Promoted, today.AddDays(-2)),
        };
        foreach (var (repository, pr, state, startedAt) in seeds)
        {
            await Support.LedgerSeed.RecordAsync(app.Ledger, Support.LedgerSeed.Release(repository, pr, state, startedAt.AddHours(-1)), $"seed-{pr}");
        }

        chromium.OpenSignedIn(app.BaseAddress, "#/dora", DashboardApp.OperatorKey);

        chromium.WaitUntil(_ => chromium.All("#dora-charts figure.chart").Count == 4, "four DORA charts");
        Assert.Equal(
            ["Deployment frequency", "Lead time for changes (median)", "Change failure rate", "Time to restore (median)"],
            chromium.All("#dora-charts figure.chart figcaption").Select(c => c.Text));
        // Twelve weekly periods: a frequency in each (0 where nothing deployed), a lead time only where something was promoted.
        var frequency = chromium.All("#dora-charts figure.chart")[0];
        Assert.Equal(12, frequency.FindElements(By.CssSelector(".series[data-series='contoso/shop'] circle.point")).Count);
        Assert.Equal(12, frequency.FindElements(By.CssSelector(".series[data-series='contoso/billing'] circle.point")).Count);
        var leadTime = chromium.All("#dora-charts figure.chart")[1];
        Assert.Equal(2, leadTime.FindElements(By.CssSelector(".series[data-series='contoso/shop'] circle.point")).Count);
        Assert.Single(leadTime.FindElements(By.CssSelector(".series[data-series='contoso/billing'] circle.point")));
        var rows = chromium.All("#dora-table tbody tr").Select(r => r.Text).ToArray();
        Assert.Equal(2, rows.Length);
        Assert.Contains(rows, r => r.StartsWith("contoso/shop", StringComparison.Ordinal) && r.Contains("3 (1 failed)", StringComparison.Ordinal));
        Screenshot("dora");
        Assert.Empty(chromium.ConsoleErrors());
    }

    [Fact]
    public async Task A_finished_release_shows_its_post_release_review_with_the_sli_comparison()
    {
        using var app = DashboardApp.Launch();
        var release = Support.LedgerSeed.Release("contoso/shop", 12, ReleaseStatus.RolledBack, DashboardApp.Start.AddDays(-2));
        await Support.LedgerSeed.RecordAsync(app.Ledger, release, "seed-12");
        await app.Services.GetRequiredService<ReleaseFunctions.Core.Ports.IReleaseReviews>().SaveAsync(new ReleaseFunctions.Core.Ports.ReleaseReview(
            release.InstanceId, DashboardApp.Start.AddDays(-1), ReleaseStatus.RolledBack, "rolled back: error_rate 4.2% at 25%",
            [new("error_rate", 0.004, 0.003, "better"), new("latency_p99_ms", 180, null, "no data after")],
            new ReleaseFunctions.Core.Ports.ErrorBudgetBurn(80, 74.5), TimeSpan.FromMinutes(35), ChangeFailure: true, ["the gate failed at step 2"]), CancellationToken.None);

        chromium.OpenSignedIn(app.BaseAddress, $"#/releases/{Uri.EscapeDataString(release.InstanceId)}", DashboardApp.OperatorKey);

        chromium.WaitUntil(_ => chromium.All("#review-slis tbody tr").Count == 2, "the review's SLI rows");
        var panel = chromium.All("#release-review")[0].Text;
        Assert.Contains("rolled back: error_rate 4.2% at 25%", panel, StringComparison.Ordinal);
        Assert.Contains("80% left at release, 74.5% now", panel, StringComparison.Ordinal);
        Assert.Contains("the gate failed at step 2", panel, StringComparison.Ordinal);
        Assert.Contains("no data", chromium.All("#review-slis tbody tr")[1].Text, StringComparison.Ordinal);
        Screenshot("release-review");
        Assert.Empty(chromium.ConsoleErrors());
    }

    [Fact]
    public async Task The_dashboard_is_served_at_the_root_with_a_policy_that_allows_only_its_own_files()
    {
        using var app = DashboardApp.Launch();
        using var http = new HttpClient { BaseAddress = app.BaseAddress };

        var page = await http.GetAsync("/");
        var script = await http.GetAsync("/js/main.js");

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        Assert.Contains("<main id=\"main\"", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.StartsWith("default-src 'self'", page.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, script.StatusCode);
        Assert.Equal("text/javascript", script.Content.Headers.ContentType?.MediaType);
        Assert.Equal(new CacheControlHeaderValue { NoCache = true }, script.Headers.CacheControl);
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync("/api/releases")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/no-such-file.js")).StatusCode);
    }

    private void Screenshot(string name)
    {
        var path = chromium.Screenshot(name);
        output.WriteLine($"screenshot: {path}");
        Console.WriteLine($"screenshot: {path}");
    }
}
