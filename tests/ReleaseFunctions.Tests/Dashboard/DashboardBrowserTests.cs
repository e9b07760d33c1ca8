using System.Net;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using OpenQA.Selenium;
using ReleaseFunctions.Core.Gates;
using ReleaseFunctions.Core.Ports;
using ReleaseFunctions.Core.Releases;
using ReleaseFunctions.Core.Sli;
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
        // Below each chart, what the latest measurement rests on: the query, the windows, the numbers and the test.
        var latest = latency.FindElement(By.CssSelector(".measurement-evidence.latest"));
        Assert.StartsWith("p99_latency_ms on prometheus", latest.FindElement(By.CssSelector("dd[data-fact='query']")).Text, StringComparison.Ordinal);
        Assert.Equal("10:00:00–10:15:00 UTC (15 min)", latest.FindElement(By.CssSelector("dd[data-fact='window']")).Text);
        Assert.Equal("10:00:00–10:15:00 UTC (15 min), the canary's", latest.FindElement(By.CssSelector("dd[data-fact='reference-window']")).Text);
        Assert.Equal("190 (canary, 10 sample(s))", latest.FindElement(By.CssSelector("dd[data-fact='observed']")).Text);
        // The fake source gives the baseline the canary's samples: every value ties, so the rank test cannot tell them apart.
        Assert.Equal("threshold: p99 <= 300; relative: p99 <= 209 (baseline 190 +10%); Mann–Whitney U two-sided vs baseline: p=1 >= α 0.05 (shift +0)",
            latest.FindElement(By.CssSelector("dd[data-fact='test']")).Text);
        Assert.Equal(["<= 300 300 ✔ held", "<= +10% 209 ✔ held"], latest.FindElements(By.CssSelector("dd[data-fact='checks'] tbody tr")).Select(r => r.Text));
        Assert.Equal(measurements, latency.FindElements(By.CssSelector(".measurements > ol > li")).Count);
        // The timeline says the same of each measurement, without JSON.
        var entry = chromium.All("#timeline > li[data-kind='gate-measurement']")[^1];
        Assert.Contains("test: threshold: mean < 0.01", entry.FindElement(By.CssSelector("li[data-objective='error_rate']")).Text, StringComparison.Ordinal);
        Assert.Contains("p=1 >= α 0.05", entry.FindElement(By.CssSelector("li[data-objective='p99_latency_ms']")).Text, StringComparison.Ordinal);
        var verdict = chromium.All("#timeline > li[data-kind='gate-verdict']").Single();
        Assert.Contains("Pass · production step 1 · 2 measurement(s): 2 passed, 0 marginal, 0 failed, 0 inconclusive, 0 error(s)", verdict.Text, StringComparison.Ordinal);
        Assert.Contains("test: threshold: mean < 0.01", verdict.Text, StringComparison.Ordinal);
        Assert.Contains("Chain verified", chromium.Text("#audit-verification"), StringComparison.Ordinal);
        Screenshot("release-detail");

        // Step 2's gate measures twice more: the charts follow.
        await app.AdvanceToNextTimerAsync(id);
        chromium.WaitUntil(_ => chromium.All("figure[data-gate='production/error_rate'] .series.observed circle.point").Count == 3, "a third point on the error-rate chart");
        Assert.Empty(chromium.ConsoleErrors());
    }

    [Fact]
    public async Task A_measurements_evidence_shows_the_query_with_its_parameters_the_windows_and_the_rank_test_and_a_tripped_soak_watch_its_burn_rates()
    {
        using var app = DashboardApp.Launch();
        var start = DashboardApp.Start;
        var release = Support.LedgerSeed.Release("contoso/shop", 77, ReleaseStatus.RolledBack, start, service: "checkout");
        // The evidence as the workflow records it: a verdict of the real evaluator, serialized as the trail does.
        var json = new System.Text.Json.JsonSerializerOptions(System.Text.Json.JsonSerializerDefaults.Web) { Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() } };
        var gate = new GateDefinition([new SliObjective(
            "p99_latency_ms", "prometheus", "histogram_quantile(0.99, sum by (le, population) (rate(http_request_duration_seconds_bucket{service={service}}[{__range}])))",
            SliAggregation.P99, SliUnit.Number, [SliCriterion.TryParse("<= +10%", out _)!], [])]);
        var parameters = new Dictionary<string, string> { ["service"] = "checkout", ["version"] = "0077456789ab", ["stage"] = "production", ["step"] = "1", ["weight"] = "10" };
        var firing = new FiredAlert("CheckoutLatencyHigh", start.AddMinutes(8), new Dictionary<string, string> { ["severity"] = "page", ["service"] = "checkout" }, "p99 above 250 ms", "https://alerts.example/checkout");
        GateVerdict Measure(SliWindow window, double shift) => GateEvaluator.Evaluate(gate, new Dictionary<string, SliReading>
        {
            ["p99_latency_ms"] = SliReading.Of(gate.Objectives[0].Query, window, [
                new SliSeries(SliPopulations.Canary, Enumerable.Range(0, 12).Select(i => new SliSample(window.Start.AddSeconds(20 * i), 200 + i + shift)).ToArray()),
                new SliSeries(SliPopulations.Baseline, Enumerable.Range(0, 12).Select(i => new SliSample(window.Start.AddSeconds(20 * i), 200 + i)).ToArray())]),
        }, parameters);
        var calm = Measure(new SliWindow(start, start.AddMinutes(5)), 0);
        // Each measurement of a step reads from the step's start to its own time, as the workflow does.
        var slow = Measure(new SliWindow(start, start.AddMinutes(10)), 40) with { FiringAlerts = [firing] };
        string Measurement(GateVerdict verdict, SliWindow window) => System.Text.Json.JsonSerializer.Serialize(
            new { stage = "production", step = 1, scope = "Stage", weight = 10, window = new { since = window.Start, end = window.End }, verdict, error = (string?)null }, json);
        await Support.LedgerSeed.RecordAsync(app.Ledger, release, "m1", "gate-measurement", Measurement(calm, calm.Objectives[0].Window!.Value), start.AddMinutes(5));
        await Support.LedgerSeed.RecordAsync(app.Ledger, release, "watch", "soak-watch", $$"""
            {"stage":"production","step":1,"weight":10,"window":{"since":"{{start:O}}","end":"{{start.AddMinutes(7):O}}"},
             "alerts":{"firing":[],"preexisting":[{"name":"DiskAlmostFull","startsAt":"{{start.AddHours(-3):O}}","labels":{"severity":"warning"},"summary":null,"url":null}]},
             "burnRate":{"sloTargetPercent":99.9,"query":"error_rate","tripped":true,"reason":"burn rate 21.6x over 5m and 15.2x over 7m, at or above 14.4x",
               "windows":[
                 {"short":"00:05:00","long":"01:00:00","factor":14.4,"shortBurnRate":21.6,"longBurnRate":15.2,"shortErrorRatio":0.0216,"longErrorRatio":0.0152,
                  "shortWindow":{"start":"{{start.AddMinutes(2):O}}","end":"{{start.AddMinutes(7):O}}"},"longWindow":{"start":"{{start:O}}","end":"{{start.AddMinutes(7):O}}"},"tripped":true},
                 {"short":"00:30:00","long":"06:00:00","factor":6,"shortBurnRate":15.2,"longBurnRate":null,"shortErrorRatio":0.0152,"longErrorRatio":null,
                  "shortWindow":{"start":"{{start:O}}","end":"{{start.AddMinutes(7):O}}"},"longWindow":null,"tripped":false}]},
             "error":null}
            """, start.AddMinutes(7));
        await Support.LedgerSeed.RecordAsync(app.Ledger, release, "m2", "gate-measurement", Measurement(slow, slow.Objectives[0].Window!.Value), start.AddMinutes(10));
        await Support.LedgerSeed.RecordAsync(app.Ledger, release, "verdict", "gate-verdict", System.Text.Json.JsonSerializer.Serialize(new
        {
            stage = "production", step = 1, scope = "Stage", since = start,
            result = new AnalysisRunResult(AnalysisStatus.Fail, 2, 1, 0, 1, 0, 0, $"measurement 2 failed at once: {slow.Reason}"),
        }, json), start.AddMinutes(10));

        chromium.OpenSignedIn(app.BaseAddress, $"#/releases/{Uri.EscapeDataString(release.InstanceId)}", DashboardApp.OperatorKey);

        var chart = chromium.Wait(d => d.FindElements(By.CssSelector("figure[data-gate='production/p99_latency_ms']")).FirstOrDefault(), "the latency chart");
        var latest = chart.FindElement(By.CssSelector(".measurement-evidence.latest"));
        Assert.Equal(
            "histogram_quantile(0.99, sum by (le, population) (rate(http_request_duration_seconds_bucket{service={service}}[{__range}]))) on prometheus\n"
            + "service=checkout\nstage=production\nstep=1\nversion=0077456789ab\nweight=10",
            latest.FindElement(By.CssSelector("dd[data-fact='query']")).Text);
        Assert.Equal("10:00:00–10:10:00 UTC (10 min)", latest.FindElement(By.CssSelector("dd[data-fact='window']")).Text);
        Assert.Equal("250.9 (canary, 12 sample(s))", latest.FindElement(By.CssSelector("dd[data-fact='observed']")).Text);
        Assert.Equal("210.9 (baseline, 12 sample(s))", latest.FindElement(By.CssSelector("dd[data-fact='reference']")).Text);
        var test = slow.Objectives[0].Test!;
        Assert.Contains("Mann–Whitney U two-sided vs baseline: p<0.0001 < α 0.05 (shift +40)", test, StringComparison.Ordinal);
        Assert.Equal(test, latest.FindElement(By.CssSelector("dd[data-fact='test']")).Text);
        Assert.Equal("<= +10% 232 ✘ broken", latest.FindElement(By.CssSelector("dd[data-fact='checks'] tbody tr")).Text);
        Assert.Contains("CheckoutLatencyHigh since", latest.FindElement(By.CssSelector("dd[data-fact='alerts'] .alerts.firing")).Text, StringComparison.Ordinal);
        Assert.Equal("https://alerts.example/checkout", latest.FindElement(By.CssSelector("dd[data-fact='alerts'] a")).GetAttribute("href"));
        // Each measurement's own evidence, the newest first; the first one's rank test found nothing.
        var every = chart.FindElements(By.CssSelector(".measurements > ol > li"));
        Assert.Equal(2, every.Count);
        Assert.Contains("p=1 >= α 0.05", every[1].GetAttribute("textContent"), StringComparison.Ordinal);
        Assert.Contains("10:00:00–10:05:00 UTC (5 min)", every[1].GetAttribute("textContent"), StringComparison.Ordinal);
        // The tripped watch is a mark on the stage's charts.
        Assert.Single(chart.FindElements(By.CssSelector("svg .mark.soak-watch")));

        var watch = chromium.All("#timeline > li[data-kind='soak-watch']").Single();
        Assert.Contains("Burn rate tripped · SLO 99.9% (error budget 0.1%) · query error_rate", watch.Text, StringComparison.Ordinal);
        Assert.Equal(
            [
                ["5 min / 1 h", "14.4x", "21.6x (2.16% errors)\n10:02:00–10:07:00 UTC (5 min)", "15.2x (1.52% errors)\n10:00:00–10:07:00 UTC (7 min)", "✘ yes"],
                ["30 min / 6 h", "6x", "15.2x (1.52% errors)\n10:00:00–10:07:00 UTC (7 min)", "no data", "no"],
            ],
            watch.FindElements(By.CssSelector("table.burn-rates tbody tr")).Select(r => r.FindElements(By.CssSelector("th, td")).Select(c => c.Text).ToArray()));
        Assert.Contains("Already firing before the release (evidence only, 1):\nDiskAlmostFull since", watch.Text, StringComparison.Ordinal);
        var measured = chromium.All("#timeline > li[data-kind='gate-measurement']")[1];
        Assert.Contains("service=checkout", measured.Text, StringComparison.Ordinal);
        Assert.Contains($"test: {test}", measured.Text, StringComparison.Ordinal);
        Assert.Contains("Firing since the release moved traffic (1):\nCheckoutLatencyHigh", measured.Text, StringComparison.Ordinal);
        var verdict = chromium.All("#timeline > li[data-kind='gate-verdict']").Single();
        Assert.Contains("Fail · production step 1 · 2 measurement(s): 1 passed, 0 marginal, 1 failed", verdict.Text, StringComparison.Ordinal);
        Assert.Contains($"test: {test}", verdict.Text, StringComparison.Ordinal);
        Screenshot("release-gate-evidence");
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
