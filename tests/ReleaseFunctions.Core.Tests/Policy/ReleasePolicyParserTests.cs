using ReleaseFunctions.Core.Approvals;
using ReleaseFunctions.Core.Freeze;
using ReleaseFunctions.Core.Gates;
using ReleaseFunctions.Core.Notifications;
using ReleaseFunctions.Core.Policy;

namespace ReleaseFunctions.Core.Tests.Policy;

public class ReleasePolicyParserTests
{
    private static string Sample() => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Policy", "samples", "release-policy.yml"));

    private static ReleasePolicy ParseValid(string yaml)
    {
        var result = ReleasePolicyParser.Parse(yaml);
        Assert.True(result.IsValid, result.Describe());
        return result.Policy!;
    }

    private static IReadOnlyList<string> Problems(string yaml)
    {
        var result = ReleasePolicyParser.Parse(yaml);
        Assert.False(result.IsValid);
        Assert.Null(result.Policy);
        return result.Problems.Select(p => p.ToString()).ToArray();
    }

    [Fact]
    public void The_sample_policy_parses_completely()
    {
        var policy = ParseValid(Sample());

        Assert.Equal(["staging", "production-eu", "production-us"], policy.Stages.Select(s => s.Name));

        var staging = policy.Stages[0];
        Assert.Equal("app-service", staging.Target.Provider);
        Assert.EndsWith("/providers/Microsoft.Web/sites/shop-staging", staging.Target.Parameters["resource_id"]);
        var blueGreen = Assert.IsType<BlueGreenStrategy>(staging.Strategy);
        Assert.Equal(TimeSpan.FromMinutes(5), blueGreen.IdleSoak);
        Assert.Equal(TimeSpan.FromMinutes(15), blueGreen.PostSwapSoak);
        Assert.Equal(TimeSpan.FromHours(2), blueGreen.KeepOldSlotFor);
        var smoke = Assert.Single(blueGreen.IdleChecks!.Objectives);
        Assert.Equal("azure-monitor-logs", smoke.Provider);
        Assert.Equal(SliUnit.Ratio, smoke.Unit); // inferred from the '%' threshold
        Assert.True(smoke.MustHaveData);

        var gate = staging.Gate!;
        Assert.Equal(new ScoreThresholds(90, 75), gate.Score);
        Assert.Equal(new AnalysisSettings(TimeSpan.FromMinutes(5), 3, 0, 1, 2), gate.Analysis);
        Assert.Equal(0.05, gate.Significance);
        var errorRate = gate.Objectives[0];
        Assert.Equal(("error_rate", "prometheus", SliAggregation.Mean, 3, true), (errorRate.Name, errorRate.Provider, errorRate.Aggregation, errorRate.Weight, errorRate.Critical));
        Assert.Equal(["< 1%"], errorRate.Pass.Select(c => c.Text));
        Assert.Equal(["< 2%"], errorRate.Warning.Select(c => c.Text));
        var latency = gate.Objectives[1];
        Assert.IsType<AbsoluteCriterion>(latency.Pass[0]);
        Assert.Equal(10, Assert.IsType<RelativeCriterion>(latency.Pass[1]).ChangePercent);
        Assert.Equal(SliUnit.Number, latency.Unit);
        var cpu = gate.Objectives[2];
        Assert.Equal(("azure-monitor-metrics", SliUnit.Percent, ReferencePopulation.PreRelease), (cpu.Provider, cpu.Unit, cpu.CompareTo));

        var eu = policy.Stages[1];
        var canary = Assert.IsType<CanaryStrategy>(eu.Strategy);
        Assert.Equal([(5, TimeSpan.FromMinutes(10)), (25, TimeSpan.FromMinutes(90)), (50, TimeSpan.FromMinutes(30))], canary.Steps.Select(s => (s.WeightPercent, s.Soak)));
        Assert.Equal(gate.Objectives.Select(o => o.Name), eu.Gate!.Objectives.Select(o => o.Name)); // shared through a YAML anchor
        Assert.Equal(2, eu.Approvals.Count);
        Assert.Same(eu.Approvals[0], Assert.Single(eu.ApprovalsBefore(null)));
        Assert.Same(eu.Approvals[1], Assert.Single(eu.ApprovalsBefore(3)));
        Assert.Empty(eu.ApprovalsBefore(2));
        var first = eu.Approvals[0];
        Assert.Equal((1, "production-eu", (int?)null, TimeSpan.FromHours(4), ApprovalTimeoutAction.Reject, false),
            (first.Quorum, first.BeforeStage, first.BeforeStep, first.Timeout, first.OnTimeout, first.AllowSelfApproval));
        Assert.True(first.Users.SetEquals(["alice", "bob"]));
        Assert.True(first.Teams.SetEquals(["contoso/sre"]));
        Assert.Equal((2, (int?)3, ApprovalTimeoutAction.Wait), (eu.Approvals[1].Quorum, eu.Approvals[1].BeforeStep, eu.Approvals[1].OnTimeout));

        Assert.Equal(TimeSpan.FromMinutes(20), Assert.IsType<DirectStrategy>(policy.Stages[2].Strategy).Soak);

        Assert.Equal(["weekend", "nights", "year-end", "us-thanksgiving"], policy.Freeze.Windows.Select(w => w.Name));
        Assert.Contains("hotfix", policy.Freeze.ExemptLabels);
        var nights = Assert.IsType<WeeklyFreezeWindow>(policy.Freeze.Windows[1]);
        Assert.Equal(4, nights.Spans.Count);
        Assert.Equal("Mon 22:00 – Tue 06:00", nights.Spans[0].ToString());
        Assert.Equal("America/New_York", policy.Freeze.Windows[3].TimeZone.Id);
        var yearEnd = Assert.IsType<DateRangeFreezeWindow>(policy.Freeze.Windows[2]);
        Assert.Equal((new DateOnly(2026, 12, 20), new DateOnly(2027, 1, 3)), (yearEnd.FirstDay, yearEnd.LastDay));

        var budget = policy.ErrorBudget!;
        Assert.Equal((99.9, TimeSpan.FromDays(28), 5.0), (budget.SloTargetPercent, budget.Window, budget.MinimumRemainingPercent));
        Assert.Equal(RollbackPolicy.Default, policy.Rollback);
        Assert.Equal(TimeSpan.FromHours(24), policy.ReviewDelay);
    }

    [Fact]
    public void The_sample_freeze_windows_behave_as_written()
    {
        var policy = ParseValid(Sample());

        // Tue 2026-11-24 22:30 in Berlin (21:30Z) is in "nights", until Wed 06:00 (05:00Z).
        var status = policy.Freeze.Check(new DateTimeOffset(2026, 11, 24, 21, 30, 0, TimeSpan.Zero), []);

        Assert.Equal("nights", status.Window);
        Assert.Equal(new DateTimeOffset(2026, 11, 25, 5, 0, 0, TimeSpan.Zero), status.AllowedFrom);
    }

    [Fact]
    public void A_minimal_policy_takes_the_documented_defaults()
    {
        var policy = ParseValid("""
            version: 1
            stages:
              - name: production
                target: { provider: sandbox }
                strategy:
                  direct:
            """);

        var stage = Assert.Single(policy.Stages);
        Assert.Empty(stage.Target.Parameters);
        Assert.Equal(TimeSpan.Zero, Assert.IsType<DirectStrategy>(stage.Strategy).Soak);
        Assert.Null(stage.Gate);
        Assert.Empty(policy.Freeze.Windows);
        Assert.Null(policy.ErrorBudget);
        Assert.Equal(RollbackPolicy.Default, policy.Rollback);
        Assert.Equal(ReleasePolicy.DefaultReviewDelay, policy.ReviewDelay);
        Assert.Equal(ConcurrencyMode.Queue, policy.Concurrency);
    }

    [Fact]
    public void Concurrency_is_queue_or_supersede_and_anything_else_is_named()
    {
        const string Stages = """
            stages:
              - name: production
                target: { provider: sandbox }
                strategy: { direct: }
            """;
        Assert.Equal(ConcurrencyMode.Supersede, ParseValid("version: 1\nconcurrency: supersede\n" + Stages).Concurrency);

        var problem = Assert.Single(Problems("version: 1\nconcurrency: replace\n" + Stages));
        Assert.Contains("line 2", problem);
        Assert.Contains("concurrency", problem);
        Assert.Contains("supersede", problem);
    }

    [Fact]
    public void Every_problem_in_a_canary_is_listed_with_line_and_column()
    {
        var problems = Problems("""
            version: 1
            stages:
              - name: staging
                target: { provider: sandbox }
                strategy: { direct: { soak: 5m } }
              - name: production
                target:
                  provider: sandbox
                strategy:
                  canary:
                    steps:
                      - weight: 10
                        soak: 10m
                      - weight: fifty
                        soak: 20 minutes
                      - weight: 5
                        soak: 1h
            """);

        Assert.Equal([
            "line 14, column 21: stages[1].strategy.canary.steps[1].weight: expected an integer from 1 to 100, got 'fifty'",
            "line 15, column 19: stages[1].strategy.canary.steps[1].soak: expected a duration such as 10m, 1h30m, 24h or PT5M, got '20 minutes'",
            "line 16, column 21: stages[1].strategy.canary.steps[2].weight: expected a weight above the previous step's 10 (weights increase), got 5",
        ], problems);
    }

    [Fact]
    public void Missing_and_unknown_keys_are_all_reported()
    {
        var problems = Problems("""
            version: 2
            stages:
              - name: Production
                target:
                  parameters: { site: shop }
                strategy:
                  rolling: { batch: 2 }
                gaet: {}
            reveiw:
              delay: 24h
            """);

        Assert.Equal([
            "line 1, column 10: version: expected an integer from 1 to 1 (the only policy version this app reads), got '2'",
            "line 3, column 11: stages[0].name: expected lower-case letters, digits and '-', starting with a letter, got 'Production'",
            "line 5, column 7: stages[0].target.provider: missing required value; expected a deployment provider such as app-service, container-apps, http-hook or sandbox",
            "line 7, column 7: stages[0].strategy.rolling: unknown key 'rolling'; expected one of: canary, blue_green, direct",
            "line 7, column 7: stages[0].strategy: expected exactly one of: canary, blue_green, direct",
            "line 8, column 5: stages[0].gaet: unknown key 'gaet'; expected one of: name, target, strategy, gate, approvals",
            "line 9, column 1: reveiw: unknown key 'reveiw'; expected one of: version, stages, preflight, migrations, freeze, error_budget, rollback, review, concurrency, notifications, release",
        ], problems);
    }

    [Fact]
    public void A_gate_can_watch_fired_alerts_by_label_matchers()
    {
        var policy = ParseValid("""
            version: 1
            stages:
              - name: production
                target: { provider: sandbox }
                strategy: { direct: {} }
                gate:
                  provider: prometheus
                  alerts:
                    provider: alertmanager
                    matchers: ['service="{service}"', 'severity=~"critical|page"']
                  objectives:
                    - { name: error_rate, query: q, pass: "< 1%" }
            """);

        var alerts = policy.Stages[0].Gate!.Alerts!;
        Assert.Equal("alertmanager", alerts.Provider);
        Assert.Equal(["service=\"{service}\"", "severity=~\"critical|page\""], alerts.Matchers);
        Assert.False(alerts.FailOnPreexisting);
    }

    [Fact]
    public void Alert_watch_problems_name_line_and_column()
    {
        var problems = Problems("""
            version: 1
            stages:
              - name: production
                target: { provider: sandbox }
                strategy: { direct: {} }
                gate:
                  provider: prometheus
                  alerts:
                    provider: alertmanager
                    matchers: ['service="{service}"', 'severity == critical']
                    scope: "{resource_id}"
                    fail_on_preexisting: sometimes
                  objectives:
                    - { name: error_rate, query: q, pass: "< 1%" }
              - name: eu
                target: { provider: sandbox }
                strategy: { direct: {} }
                gate:
                  provider: prometheus
                  alerts: { provider: azuremonitor, scope: "shop-rg", severities: [Sev1, Critical] }
                  objectives:
                    - { name: error_rate, query: q, pass: "< 1%" }
              - name: us
                target: { provider: sandbox }
                strategy: { direct: {} }
                gate:
                  provider: prometheus
                  alerts: { provider: pagerduty, matchers: [] }
                  objectives:
                    - { name: error_rate, query: q, pass: "< 1%" }
            """);

        Assert.Equal([
            "line 10, column 43: stages[0].gate.alerts.matchers[1]: expected a label matcher such as 'service=\"{service}\"' or 'severity=~\"critical|page\"' (label, then =, !=, =~ or !~, then a quoted value), got 'severity == critical'",
            "line 11, column 16: stages[0].gate.alerts.scope: 'scope' is for the provider 'azuremonitor'; this watch's provider is 'alertmanager'",
            "line 12, column 30: stages[0].gate.alerts.fail_on_preexisting: expected true or false, got 'sometimes'",
            "line 20, column 48: stages[1].gate.alerts.scope: expected a resource or resource group id such as '/subscriptions/ID/resourceGroups/NAME' or a parameter such as '{resource_id}', got 'shop-rg'",
            "line 20, column 78: stages[1].gate.alerts.severities[1]: expected one of Sev0, Sev1, Sev2, Sev3, Sev4, got 'Critical'",
            "line 28, column 27: stages[2].gate.alerts.provider: expected the alert provider 'alertmanager' or 'azuremonitor', got 'pagerduty'",
        ], problems.Order());
    }

    [Fact]
    public void A_policy_can_name_its_expand_and_contract_migrations()
    {
        var policy = ParseValid("""
            version: 1
            migrations:
              expand: { migration: 2026-12-orders-add-currency, timeout: 5m }
              contract: { migration: 2026-12-orders-drop-legacy }
            stages:
              - { name: production, target: { provider: sandbox }, strategy: { direct: {} } }
            """);

        var migrations = policy.Migrations!;
        Assert.Equal(("2026-12-orders-add-currency", TimeSpan.FromMinutes(5), Core.Migrations.MigrationPhase.Expand), (migrations.Expand!.Migration, migrations.Expand.Timeout, migrations.Expand.Phase));
        Assert.Equal(("2026-12-orders-drop-legacy", Core.Migrations.MigrationStep.DefaultTimeout, Core.Migrations.MigrationPhase.Contract), (migrations.Contract!.Migration, migrations.Contract.Timeout, migrations.Contract.Phase));
    }

    [Fact]
    public void Migration_problems_name_line_and_column()
    {
        var problems = Problems("""
            version: 1
            migrations:
              expand: { migration: "drop table; --", timeout: 0s }
              contract: { name: x }
            stages:
              - { name: production, target: { provider: sandbox }, strategy: { direct: {} } }
              - name: eu
                target: { provider: sandbox }
                strategy: { direct: {} }
            """);

        Assert.Equal([
            "line 3, column 24: migrations.expand.migration: expected letters, digits, '.', '_' and '-' (at most 128), starting with a letter or digit, got 'drop table; --'",
            "line 3, column 51: migrations.expand.timeout: expected a positive duration such as 10m, 1h30m, 24h or PT5M, got '0s'",
            "line 4, column 13: migrations.contract.migration: missing required value; expected the migration's name as the migration hook knows it, e.g. 2026-12-orders-add-currency",
            "line 4, column 15: migrations.contract.name: unknown key 'name'; expected one of: migration, timeout",
        ], problems.Order());
        Assert.Contains("expected an 'expand' step", string.Join("\n", Problems("""
            version: 1
            migrations: { }
            stages:
              - { name: production, target: { provider: sandbox }, strategy: { direct: {} } }
            """)), StringComparison.Ordinal);
    }

    [Fact]
    public void A_policy_can_name_its_preflight_checks_and_security_alert_severities()
    {
        var policy = ParseValid("""
            version: 1
            preflight:
              checks: [build, "ci/integration"]
              pending_timeout: 45m
              poll_interval: 1m
              code_scanning: high
              dependabot: Critical
              on_security_alerts: fail
            stages:
              - { name: production, target: { provider: sandbox }, strategy: { direct: {} } }
            """);

        var preflight = policy.Preflight!;
        Assert.Equal(["build", "ci/integration"], preflight.RequiredChecks);
        Assert.Equal(TimeSpan.FromMinutes(45), preflight.PendingTimeout);
        Assert.Equal(TimeSpan.FromMinutes(1), preflight.PollInterval);
        Assert.Equal(Core.Preflight.SecuritySeverity.High, preflight.CodeScanningAt);
        Assert.Equal(Core.Preflight.SecuritySeverity.Critical, preflight.DependabotAt);
        Assert.Equal(Core.Preflight.SecurityAlertAction.Fail, preflight.OnSecurityAlerts);

        var defaults = ParseValid("""
            version: 1
            preflight: {}
            stages:
              - { name: production, target: { provider: sandbox }, strategy: { direct: {} } }
            """).Preflight!;
        Assert.Empty(defaults.RequiredChecks);
        Assert.Equal(PreflightDefaults(), (defaults.PendingTimeout, defaults.PollInterval, defaults.CodeScanningAt, defaults.DependabotAt, defaults.OnSecurityAlerts));
        Assert.Null(ParseValid("""
            version: 1
            stages:
              - { name: production, target: { provider: sandbox }, strategy: { direct: {} } }
            """).Preflight);
    }

    private static (TimeSpan, TimeSpan, Core.Preflight.SecuritySeverity?, Core.Preflight.SecuritySeverity?, Core.Preflight.SecurityAlertAction) PreflightDefaults()
        => (TimeSpan.FromMinutes(30), TimeSpan.FromSeconds(30), null, null, Core.Preflight.SecurityAlertAction.RequireOverride);

    [Fact]
    public void Preflight_problems_name_line_and_column()
    {
        var problems = Problems("""
            version: 1
            preflight:
              checks: [build, Build, {name: test}]
              pending_timeout: soon
              code_scanning: severe
              on_security_alerts: ignore
              dependabots: high
            stages:
              - { name: production, target: { provider: sandbox }, strategy: { direct: {} } }
            """);

        Assert.Equal([
            "line 3, column 19: preflight.checks[1]: expected each check once; 'Build' is already checks[0]",
            "line 3, column 26: preflight.checks[2]: expected check names (status contexts or check run names), got a mapping",
            "line 4, column 20: preflight.pending_timeout: expected a duration such as 10m, 1h30m, 24h or PT5M, got 'soon'",
            "line 5, column 18: preflight.code_scanning: expected one of: low, medium, high, critical, got 'severe'",
            "line 6, column 23: preflight.on_security_alerts: expected one of: override, fail, got 'ignore'",
            "line 7, column 3: preflight.dependabots: unknown key 'dependabots'; expected one of: checks, pending_timeout, poll_interval, code_scanning, dependabot, on_security_alerts",
        ], problems.Order());
    }

    [Fact]
    public void A_gate_can_judge_the_burn_rate_through_its_soaks()
    {
        var policy = ParseValid("""
            version: 1
            stages:
              - name: production
                target: { provider: sandbox }
                strategy: { direct: { soak: 30m } }
                gate:
                  provider: prometheus
                  watch_interval: 30s
                  burn_rate:
                    objective: Error_Rate
                    slo: 99.5%
                    windows: [ { short: 5m, long: 1h, factor: 14.4 }, { short: 2h, long: 1d, factor: 3 } ]
                  objectives:
                    - { name: error_rate, query: q, unit: ratio, pass: "< 1%" }
              - name: eu
                target: { provider: sandbox }
                strategy: { direct: {} }
                gate:
                  burn_rate: { objective: errors, slo: 99.9% }
                  objectives:
                    - { name: errors, provider: prometheus, query: q, unit: percent, pass: "< 1" }
            """);

        var gate = policy.Stages[0].Gate!;
        Assert.Equal(TimeSpan.FromSeconds(30), gate.WatchInterval);
        Assert.True(gate.WatchesSoaks);
        Assert.Equal("error_rate", gate.BurnRateObjective!.Name);
        Assert.Equal(99.5, gate.BurnRate!.SloTargetPercent);
        Assert.Equal(0.005, gate.BurnRate.AllowedErrorRatio);
        Assert.Equal([(TimeSpan.FromMinutes(5), TimeSpan.FromHours(1), 14.4), (TimeSpan.FromHours(2), TimeSpan.FromDays(1), 3.0)], gate.BurnRate.Windows.Select(w => (w.Short, w.Long, w.Factor)));
        var defaults = policy.Stages[1].Gate!;
        Assert.Equal(TimeSpan.FromMinutes(1), defaults.WatchInterval);
        Assert.Equal(BurnRateRule.PagingWindows, defaults.BurnRate!.Windows);
        Assert.False(policy.Stages[1].Gate is { Alerts: not null });
    }

    [Fact]
    public void Burn_rate_problems_name_line_and_column()
    {
        var problems = Problems("""
            version: 1
            stages:
              - name: production
                target: { provider: sandbox }
                strategy: { direct: {} }
                gate:
                  provider: prometheus
                  watch_interval: 0s
                  burn_rate:
                    objective: latency_p99
                    slo: 100%
                    windows: [ { short: 1h, long: 5m, factor: 14.4 }, { short: 5m, long: 1h, factor: 0 }, { short: 5m, lnog: 1h, factor: 2 } ]
                  objectives:
                    - { name: latency_p99, query: q, pass: "< 300" }
              - name: eu
                target: { provider: sandbox }
                strategy: { direct: {} }
                gate:
                  provider: prometheus
                  burn_rate: { objective: error_rate, slo: 99.9%, windows: [] }
                  objectives:
                    - { name: errors, query: q, pass: "< 1%" }
            """);

        Assert.Equal([
            "line 10, column 20: stages[0].gate.burn_rate.objective: expected an objective that reads an error ratio (unit ratio or percent); 'latency_p99' has unit number",
            "line 11, column 14: stages[0].gate.burn_rate.slo: expected a percentage from 0.001% to below 100% such as 99.9%, got '100%'",
            "line 12, column 108: stages[0].gate.burn_rate.windows[2].lnog: unknown key 'lnog'; expected one of: short, long, factor",
            "line 12, column 39: stages[0].gate.burn_rate.windows[0].long: expected a long window longer than the short one (1h), got 5m",
            "line 12, column 90: stages[0].gate.burn_rate.windows[1].factor: expected a number between 0 and 1000000 (exclusive), got '0'",
            "line 12, column 95: stages[0].gate.burn_rate.windows[2].long: missing required value; expected a duration such as 1h",
            "line 20, column 31: stages[1].gate.burn_rate.objective: expected the name of one of this gate's objectives (errors), got 'error_rate'",
            "line 20, column 64: stages[1].gate.burn_rate.windows: expected at least one window pair, or no 'windows' for the default pairs (14.4x over 5m and 1h, 6x over 30m and 6h)",
            "line 8, column 23: stages[0].gate.watch_interval: expected a positive duration such as 10m, 1h30m, 24h or PT5M, got '0s'",
        ], problems.Order());
    }

    [Fact]
    public void A_gate_can_watch_Azure_Monitor_alerts_on_a_resource()
    {
        var policy = ParseValid("""
            version: 1
            stages:
              - name: production
                target: { provider: sandbox }
                strategy: { direct: {} }
                gate:
                  provider: prometheus
                  alerts: { provider: azuremonitor, scope: "{resource_id}", severities: [sev1, Sev0], fail_on_preexisting: true }
                  objectives:
                    - { name: error_rate, query: q, pass: "< 1%" }
            """);

        var alerts = policy.Stages[0].Gate!.Alerts!;
        Assert.Equal("azuremonitor", alerts.Provider);
        Assert.Equal("{resource_id}", alerts.Scope);
        Assert.Equal(["Sev0", "Sev1"], alerts.Severities);
        Assert.True(alerts.FailOnPreexisting);
        Assert.Empty(alerts.Matchers);
    }

    [Fact]
    public void Gate_problems_are_all_reported()
    {
        var problems = Problems("""
            version: 1
            stages:
              - name: production
                target: { provider: sandbox }
                strategy: { direct: {} }
                gate:
                  significance: 1.5
                  score: { pass: 70, marginal: 80 }
                  analysis: { interval: soon, count: 0 }
                  objectives:
                    - name: error_rate
                      query: q
                      pass: "fifty"
                    - name: latency
                      provider: prometheus
                      query: q
                      unit: number
                      aggregation: p42
                      pass: ["< 5%", "<= +10"]
                      critical: maybe
                    - name: error_rate
                      provider: prometheus
                      query: q
                      pass: "< 1"
            """);

        Assert.Equal([
            "line 7, column 21: stages[0].gate.significance: expected a number between 0 and 1 (exclusive), got '1.5'",
            "line 8, column 36: stages[0].gate.score.marginal: expected a marginal score at most the pass score 70, got 80",
            "line 9, column 29: stages[0].gate.analysis.interval: expected a positive duration such as 10m, 1h30m, 24h or PT5M, got 'soon'",
            "line 9, column 42: stages[0].gate.analysis.count: expected an integer from 1 to 1000, got '0'",
            "line 11, column 11: stages[0].gate.objectives[0].provider: missing required value; expected an SLI provider here or in the gate's 'provider'",
            "line 13, column 17: stages[0].gate.objectives[0].pass: expected a criterion such as '< 1%', '<= 300' or '<= +10%', got 'fifty'",
            "line 18, column 24: stages[0].gate.objectives[1].aggregation: expected one of: mean, median, p90, p95, p99, min, max, sum, last, got 'p42'",
            "line 19, column 18: stages[0].gate.objectives[1].pass[0]: a percentage threshold needs unit 'ratio' or 'percent', but the unit is 'number'; got '< 5%'",
            "line 19, column 26: stages[0].gate.objectives[1].pass[1]: a signed threshold is a relative change and needs a '%' (e.g. '<= +10%'), got '<= +10'",
            "line 20, column 21: stages[0].gate.objectives[1].critical: expected true or false, got 'maybe'",
            "line 21, column 17: stages[0].gate.objectives[2].name: expected a unique objective name; 'error_rate' is already objectives[0]",
        ], problems);
    }

    [Fact]
    public void Duplicate_names_are_reported_where_they_repeat()
    {
        var problems = Problems("""
            version: 1
            stages:
              - name: production
                target: { provider: sandbox }
                strategy: { direct: {} }
                gate:
                  provider: prometheus
                  objectives:
                    - { name: error_rate, query: q, pass: "< 1%" }
                    - { name: Error_Rate, query: q, pass: "< 2%" }
              - name: production
                target: { provider: sandbox }
                strategy: { direct: {} }
            """);

        Assert.Equal([
            "line 10, column 19: stages[0].gate.objectives[1].name: expected a unique objective name; 'Error_Rate' is already objectives[0]",
            "line 11, column 11: stages[1].name: expected a unique stage name; 'production' is already stages[0]",
        ], problems);
    }

    [Fact]
    public void Approval_problems_are_all_reported()
    {
        var problems = Problems("""
            version: 1
            stages:
              - name: production
                target: { provider: sandbox }
                strategy:
                  canary:
                    steps: [{ weight: 10, soak: 5m }, { weight: 50, soak: 5m }]
                approvals:
                  - users: [alice]
                    quorum: 2
                    before_step: 3
                    on_timeout: explode
                    timeout: 0m
                  - teams: [sre]
                  - quorum: 1
            """);

        Assert.Equal([
            "line 10, column 17: stages[0].approvals[0].quorum: expected a quorum of at most 1 (the allowed users, no teams), got 2",
            "line 11, column 22: stages[0].approvals[0].before_step: expected an integer from 1 to 2 (the stage's steps), got '3'",
            "line 12, column 21: stages[0].approvals[0].on_timeout: expected one of: reject, proceed, wait, got 'explode'",
            "line 13, column 18: stages[0].approvals[0].timeout: expected a positive duration such as 10m, 1h30m, 24h or PT5M, got '0m'",
            "line 14, column 17: stages[0].approvals[1].teams[0]: expected a team as 'org/team-slug', got 'sre'",
            "line 15, column 9: stages[0].approvals[2]: expected at least one of 'users' or 'teams'",
        ], problems);
    }

    [Fact]
    public void Freeze_budget_rollback_and_review_problems_are_all_reported()
    {
        var problems = Problems("""
            version: 1
            stages:
              - name: production
                target: { provider: sandbox }
                strategy: { direct: {} }
            freeze:
              time_zone: Europe/Atlantis
              windows:
                - name: weekend
                  weekly: "Friday 16:00 until Monday"
                - name: nights
                  days: [mon, funday]
                  hours: "22:00-25:00"
                - name: holidays
                  dates: "2027-01-03..2026-12-20"
                - name: both
                  dates: "2026-12-24"
                  weekly: "Sat 00:00 - Sun 00:00"
            error_budget:
              slo: 100%
              window: 28 days
              provider: prometheus
              good_events: g
            rollback:
              on_inconclusive: panic
            review:
              delay: -1h
            """);

        Assert.Equal([
            "line 7, column 14: freeze.time_zone: expected an IANA time zone such as 'Europe/Berlin' or 'UTC', got 'Europe/Atlantis'",
            "line 10, column 15: freeze.windows[0].weekly: expected a weekly span such as \"Fri 16:00 - Mon 08:00\" (start included, end excluded), got 'Friday 16:00 until Monday'",
            "line 12, column 19: freeze.windows[1].days[1]: expected a day such as mon, tue, wed, thu, fri, sat, sun, got 'funday'",
            "line 13, column 14: freeze.windows[1].hours: expected hours such as \"22:00-06:00\" or \"00:00-24:00\" (start included, end excluded), got '22:00-25:00'",
            "line 15, column 14: freeze.windows[2].dates: expected the last day on or after the first, got '2027-01-03..2026-12-20'",
            "line 16, column 7: freeze.windows[3]: expected only one of 'weekly', 'days'+'hours' or 'dates' per window",
            "line 20, column 3: error_budget.total_events: missing required value; expected the query counting all events over the window",
            "line 20, column 8: error_budget.slo: expected a percentage from 0.001% to below 100% such as 99.9%, got '100%'",
            "line 21, column 11: error_budget.window: expected a positive duration such as 10m, 1h30m, 24h or PT5M, got '28 days'",
            "line 25, column 20: rollback.on_inconclusive: expected one of: await_decision, rollback, got 'panic'",
            "line 27, column 10: review.delay: expected a positive duration such as 10m, 1h30m, 24h or PT5M, got '-1h'",
        ], problems);
    }

    [Fact]
    public void Wrong_node_kinds_say_what_was_expected()
    {
        var problems = Problems("""
            version: 1
            stages:
              name: production
            """);

        Assert.Equal(["line 3, column 3: stages: expected a list of stages, got a mapping"], problems);
    }

    [Theory]
    [InlineData("", "line 1, column 1: (root): the policy file is empty")]
    [InlineData("just text", "line 1, column 1: (root): expected a mapping with keys version, stages")]
    [InlineData("version: 1\nstages: [\n", "(root): the file is not valid YAML")]
    [InlineData("version: 1\nversion: 1\n", "line 2, column 1: (root): the file is not valid YAML: Duplicate key version")]
    [InlineData("version: 1\nstages:\n  - gate:\n      pass: > 10\n", "line 4, column 13: (root): the file is not valid YAML: While scanning a block scalar, did not find expected comment or line break. (a value starting with '>' or '|' must be quoted")]
    public void Broken_files_are_rejected_with_a_position(string yaml, string expected)
        => AssertSingleProblem(yaml, expected);

    [Fact]
    public void Rollback_on_command_is_not_a_setting_since_rollback_on_command_always_works()
        => AssertSingleProblem("""
            version: 1
            stages:
              - name: production
                target: { provider: sandbox }
                strategy: { direct: {} }
            rollback: { on_command: false }
            """, "rollback.on_command: unknown key 'on_command'; expected one of: on_failed_gate, on_approval_timeout, on_inconclusive");

    [Fact]
    public void Oversized_files_are_rejected_before_reading()
        => AssertSingleProblem("version: 1\n#" + new string('x', ReleasePolicyParser.MaxLength), "expected at most 262144");

    private static void AssertSingleProblem(string yaml, string expected)
    {
        var problem = Assert.Single(Problems(yaml));
        Assert.Contains(expected, problem);
        Assert.StartsWith("line ", problem);
    }

    [Fact]
    public void Default_policy_comes_from_settings()
    {
        var policy = ReleasePolicy.CreateDefault(new DefaultPolicyOptions("sandbox", new Dictionary<string, string> { ["service"] = "shop" }, "sandbox", "error_ratio"));

        var stage = Assert.Single(policy.Stages);
        Assert.Equal("production", stage.Name);
        Assert.Equal([10, 50], Assert.IsType<CanaryStrategy>(stage.Strategy).Steps.Select(s => s.WeightPercent));
        var objective = Assert.Single(stage.Gate!.Objectives);
        Assert.True(objective.Critical);
        Assert.Equal("< 1%", objective.Pass[0].Text);
        Assert.Equal(TimeSpan.FromHours(24), policy.ReviewDelay);
    }

    [Fact]
    public void Default_policy_options_are_validated_up_front()
    {
        var error = Assert.Throws<ArgumentException>(() => new DefaultPolicyOptions("sandbox", new Dictionary<string, string>(), "sandbox", "q", canaryWeights: [50, 10]));
        Assert.Contains("Canary weights must increase", error.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new DefaultPolicyOptions("sandbox", new Dictionary<string, string>(), "sandbox", "q", maxErrorRatePercent: 0));
    }

    /// <summary>A one-stage policy whose <c>notifications.channels</c> list (from line 8) is <paramref name="channels"/>.</summary>
    private static string WithChannels(string channels)
        => "version: 1\nstages:\n  - name: production\n    target: { provider: sandbox }\n    strategy: { direct: {} }\nnotifications:\n  channels:\n" + channels;

    [Fact]
    public void Notifications_route_events_to_channels_whose_addresses_are_app_settings()
    {
        var policy = ParseValid(WithChannels("""
                - name: sre-teams
                  type: teams
                  events: [started, waiting_for_approval, gate_failed, rolled_back, rollback_failed, promoted, review_posted]
                - name: ops-slack
                  type: slack
                  events: rollback_failed
                  setting: OPS_SLACK
                - { name: audit-hook, type: webhook, events: [promoted, review_posted] }
            """));

        var channels = policy.Notifications!.Channels;
        Assert.Equal([("sre-teams", NotificationChannelKind.Teams, "sre_teams"), ("ops-slack", NotificationChannelKind.Slack, "OPS_SLACK"), ("audit-hook", NotificationChannelKind.Webhook, "audit_hook")],
            channels.Select(c => (c.Name, c.Kind, c.Setting)));
        Assert.Equal(Enum.GetValues<NotificationEvent>(), channels[0].Events);
        Assert.Equal([NotificationEvent.RollbackFailed], channels[1].Events);
        Assert.Equal(["sre-teams", "audit-hook"], policy.Notifications.ChannelsFor(NotificationEvent.Promoted).Select(c => c.Name));
        Assert.Null(ParseValid(WithChannels("    - { name: x, type: slack, events: [started] }\n").Replace("notifications:\n  channels:\n    - { name: x, type: slack, events: [started] }\n", "")).Notifications);
    }

    [Theory]
    [InlineData("    - { name: sre-teams, type: teams, events: [started, deployed] }\n",
        "line 8, column 57: notifications.channels[0].events[1]: unknown event 'deployed'; expected one of: started, waiting_for_approval, gate_failed, rolled_back, rollback_failed, promoted, review_posted")]
    [InlineData("    - { name: sre-teams, type: teams, events: [started, started] }\n",
        "line 8, column 57: notifications.channels[0].events[1]: expected each event once; 'started' is already events[0]")]
    [InlineData("    - { name: sre-teams, type: email, events: [started] }\n",
        "line 8, column 32: notifications.channels[0].type: expected one of: teams, slack, webhook, got 'email'")]
    [InlineData("    - { name: SRE_Teams, type: teams, events: [started] }\n",
        "line 8, column 15: notifications.channels[0].name: expected lower-case letters, digits and '-', starting with a letter, got 'SRE_Teams'")]
    [InlineData("    - { name: sre-teams, type: teams }\n",
        "line 8, column 7: notifications.channels[0].events: missing required value; expected a list of events: started, waiting_for_approval, gate_failed, rolled_back, rollback_failed, promoted, review_posted")]
    [InlineData("    - { name: sre-teams, type: teams, events: [] }\n",
        "line 8, column 47: notifications.channels[0].events: expected at least one event: started,")]
    [InlineData("    - { name: sre, type: teams, events: [started] }\n    - { name: sre, type: slack, events: [promoted] }\n",
        "line 9, column 15: notifications.channels[1].name: expected a unique channel name; 'sre' is already channels[0]")]
    [InlineData("    - { name: sre-teams, type: teams, events: [started], channel: sre }\n",
        "line 8, column 58: notifications.channels[0].channel: unknown key 'channel'; expected one of: name, type, events, setting")]
    [InlineData("    - name: sre-teams\n      type: teams\n      events: [started]\n      url: https://contoso.webhook.office.com/workflows/abc\n",
        "line 11, column 7: notifications.channels[0].url: 'url' does not belong in the policy: it is in the repository for anyone to read, and a channel's address is a secret; put the URL in the app setting ReleaseFunctions__Notifications__Channels__sre_teams__Url (name the group with 'setting')")]
    [InlineData("    - { name: audit, type: webhook, events: [promoted], setting: AUDIT, secret: hunter2hunter2hunter2 }\n",
        "line 8, column 73: notifications.channels[0].secret: 'secret' does not belong in the policy: it is in the repository for anyone to read, and a channel's address is a secret; put the URL in the app setting ReleaseFunctions__Notifications__Channels__AUDIT__Url, and its signing secret in ReleaseFunctions__Notifications__Channels__AUDIT__Secret")]
    [InlineData("    - { name: ops-slack, type: slack, events: [promoted], setting: \"https://hooks.slack.com/services/T0/B0/x\" }\n",
        "line 8, column 68: notifications.channels[0].setting: expected the name of an app setting group such as OPS_SLACK, not a URL: a webhook URL is a secret and belongs in the app setting ReleaseFunctions__Notifications__Channels__<setting>__Url")]
    [InlineData("    - { name: ops-slack, type: slack, events: [promoted], setting: ops-slack }\n",
        "line 8, column 68: notifications.channels[0].setting: expected letters, digits and '_' (the setting names app settings), got 'ops-slack'")]
    public void Notification_mistakes_are_reported_with_line_column_and_what_was_expected(string channels, string expected)
    {
        var problem = Assert.Single(Problems(WithChannels(channels)));
        Assert.StartsWith(expected, problem);
    }

    [Fact]
    public void Notifications_need_at_least_one_channel()
        => Assert.Equal(["line 7, column 13: notifications.channels: expected at least one channel"],
            Problems(WithChannels("").Replace("  channels:\n", "  channels: []\n")));
}

public class ReleasePolicyParserRobustnessTests
{
    [Fact]
    public void Mangled_policies_never_throw_and_always_explain_themselves()
    {
        var sample = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Policy", "samples", "release-policy.yml"));
        var lines = sample.Split('\n');
        var random = new Random(20261123);
        string[] junk = ["", "~", "fifty", "- x", "{", "]", ":", "&a", "*a", "!!int x", "\"", "  ", "- { weight: 101 }", "? x", "|"];

        for (var i = 0; i < 400; i++)
        {
            var mangled = lines.ToList();
            for (var edits = random.Next(1, 4); edits > 0; edits--)
            {
                var at = random.Next(mangled.Count);
                switch (random.Next(4))
                {
                    case 0: mangled.RemoveAt(at); break;
                    case 1: mangled[at] = mangled[at][..random.Next(mangled[at].Length + 1)]; break;
                    case 2: mangled.Insert(at, new string(' ', random.Next(8)) + junk[random.Next(junk.Length)]); break;
                    default: mangled[at] = mangled[at] + junk[random.Next(junk.Length)]; break;
                }
            }

            var yaml = string.Join('\n', mangled);
            var result = ReleasePolicyParser.Parse(yaml);

            Assert.True(result.IsValid || result.Problems.Count > 0, yaml);
            Assert.All(result.Problems, p => Assert.True(p.Line >= 1 && p.Column >= 1 && p.Message.Length > 0, p.ToString()));
        }
    }
}

public class ReleaseSectionParserTests
{
    private const string Stages = """
        version: 1
        stages:
          - name: production
            target: { provider: sandbox }
            strategy: { direct: {} }

        """;

    private static Core.ReleaseNotes.ReleaseNotesPolicy Parse(string release)
    {
        var result = ReleasePolicyParser.Parse(Stages + release);
        Assert.True(result.IsValid, result.Describe());
        return result.Policy!.ReleaseNotes!;
    }

    private static IReadOnlyList<string> Problems(string release)
    {
        var result = ReleasePolicyParser.Parse(Stages + release);
        Assert.False(result.IsValid);
        return result.Problems.Select(p => p.ToString()).ToArray();
    }

    [Fact]
    public void Without_a_release_section_a_promotion_records_no_version()
        => Assert.Null(ReleasePolicyParser.Parse(Stages).Policy!.ReleaseNotes);

    [Fact]
    public void The_sample_policy_names_its_versions_and_note_groups()
    {
        var sample = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Policy", "samples", "release-policy.yml"));
        var release = ReleasePolicyParser.Parse(sample).Policy!.ReleaseNotes!;

        Assert.Equal(("1.0.0", "v"), (release.Initial.ToString(), release.TagPrefix));
        Assert.Equal(["Features", "Fixes"], release.Groups.Select(g => g.Title));
    }

    [Fact]
    public void An_empty_section_is_every_default()
    {
        var release = Parse("release: {}");

        Assert.Equal(Core.ReleaseNotes.VersionSource.Labels, release.From);
        Assert.Equal(("0.1.0", "v"), (release.Initial.ToString(), release.TagPrefix));
        Assert.Equal(["major", "breaking"], release.MajorLabels);
        Assert.Equal(["minor", "feature"], release.MinorLabels);
        Assert.Equal(["Breaking changes", "Features", "Fixes"], release.Groups.Select(g => g.Title));
        Assert.True(release.Notes && release.Tag && release.GitHubRelease);
    }

    [Fact]
    public void Every_setting_is_read()
    {
        var release = Parse("""
            release:
              version:
                from: labels
                initial: 1.0.0
                prefix: checkout/v
                major_labels: [semver-major]
                minor_labels: [semver-minor, enhancement]
              notes: false
              groups:
                - { title: Features, labels: [enhancement, semver-minor] }
                - title: Fixes
                  labels: bug
              tag: true
              github_release: false
            """);

        Assert.Equal(("1.0.0", "checkout/v"), (release.Initial.ToString(), release.TagPrefix));
        Assert.Equal(["semver-major"], release.MajorLabels);
        Assert.Equal(["semver-minor", "enhancement"], release.MinorLabels);
        Assert.Equal([("Features", "enhancement,semver-minor"), ("Fixes", "bug")], release.Groups.Select(g => (g.Title, string.Join(',', g.Labels))));
        Assert.Equal((false, true, false), (release.Notes, release.Tag, release.GitHubRelease));
    }

    [Theory]
    [InlineData("release: { version: 2.3.0 }")]
    [InlineData("release: { version: v2.3.0 }")]
    [InlineData("release: { version: { value: 2.3.0 } }")]
    [InlineData("release: { version: { from: policy, value: 2.3.0, prefix: \"\" } }")]
    public void A_fixed_version_comes_from_the_policy(string yaml)
    {
        var release = Parse(yaml);

        Assert.Equal(Core.ReleaseNotes.VersionSource.Policy, release.From);
        Assert.Equal("2.3.0", release.FixedVersion!.ToString());
    }

    [Fact]
    public void No_tag_means_no_GitHub_release_unless_asked_which_is_refused()
    {
        var release = Parse("release: { tag: false }");
        Assert.False(release.Tag || release.GitHubRelease);

        Assert.Equal(["line 6, column 40: release.github_release: a GitHub release is made on the release's tag: github_release: true needs tag: true (or leave github_release out)"],
            Problems("release: { tag: false, github_release: true }"));
    }

    [Fact]
    public void Every_problem_of_the_section_is_named_with_its_line_and_column()
    {
        var problems = Problems("""
            release:
              version:
                from: commits
                initial: 1.0
                prefix: "v 1"
                major_labels: [major, Major]
                minor_labels: []
              notes: sometimes
              groups:
                - { title: Features, labels: [feature] }
                - { title: features, labels: [enhancement] }
                - { title: Other changes, labels: [chore] }
                - { title: Docs }
                - { labels: [docs], colour: blue }
              publish: true
            """);

        Assert.Equal([
            "line 8, column 11: release.version.from: expected one of: labels, policy, got 'commits'",
            "line 9, column 14: release.version.initial: expected a semantic version such as 2.3.0 or 2.3.0-rc.1 (major.minor.patch, no leading zeros), got '1.0'",
            "line 10, column 13: release.version.prefix: expected a tag prefix such as v or checkout/v (up to 64 letters, digits, '_' and '-', single '.' or '/' between them, not starting with '-'; \"\" for none), got 'v 1'",
            "line 11, column 27: release.version.major_labels[1]: expected each label once; 'Major' is already major_labels[0]",
            "line 12, column 19: release.version.minor_labels: expected at least one label name",
            "line 13, column 10: release.notes: expected true or false, got 'sometimes'",
            "line 16, column 16: release.groups[1].title: expected a unique group title; 'features' is already groups[0]",
            "line 17, column 16: release.groups[2].title: 'Other changes' is the heading of pull requests no group takes; give this group another title",
            "line 18, column 7: release.groups[3].labels: missing required value; expected the labels that put a pull request under this heading",
            "line 19, column 7: release.groups[4].title: missing required value; expected the group's heading, such as Features",
            "line 19, column 25: release.groups[4].colour: unknown key 'colour'; expected one of: title, labels",
            "line 20, column 3: release.publish: unknown key 'publish'; expected one of: version, notes, groups, tag, github_release",
        ], problems);
    }

    [Fact]
    public void A_fixed_version_needs_a_value_and_takes_no_label_settings()
    {
        Assert.Equal([
            "line 8, column 5: release.version.value: missing required value; expected the version to release with from: policy, such as 2.3.0",
            "line 9, column 5: release.version.minor_labels: 'minor_labels' is read only with from: labels; with from: policy the version is 'value' (remove 'minor_labels', or set from: labels)",
        ], Problems("""
            release:
              version:
                from: policy
                minor_labels: [minor]
            """));

        Assert.Equal(["line 6, column 44: release.version.value: 'value' is the version of from: policy; with from: labels the version is the previous one bumped by the merged pull requests' labels (remove 'value', or set from: policy)"],
            Problems("release: { version: { from: labels, value: 2.3.0 } }"));
        Assert.Equal(["line 6, column 21: release.version: expected a semantic version without build metadata such as 2.3.0 or 2.3.0-rc.1 (metadata after '+' does not order releases), got '2.3.0+build.1'"],
            Problems("release: { version: 2.3.0+build.1 }"));
    }

    [Fact]
    public void A_label_cannot_bump_both_major_and_minor()
        => Assert.Equal(["line 6, column 58: release.version.minor_labels: label 'big' cannot mean both a major and a minor version; name it in one of major_labels and minor_labels"],
            Problems("release: { version: { major_labels: [big], minor_labels: [Big, minor] } }"));
}
