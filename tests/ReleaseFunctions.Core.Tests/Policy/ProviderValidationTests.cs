using ReleaseFunctions.Core.Policy;

namespace ReleaseFunctions.Core.Tests.Policy;

/// <summary>A policy that validates can run: providers, their parameters, aggregations and placeholders are checked at parse time.</summary>
public sealed class ProviderValidationTests
{
    private const string Site = "/subscriptions/00000000-0000-0000-0000-000000001111/resourceGroups/shop/providers/Microsoft.Web/sites/shop";

    private static IReadOnlyList<string> Problems(string yaml)
    {
        var result = ReleasePolicyParser.Parse(yaml);
        Assert.False(result.IsValid, "expected problems");
        return result.Problems.Select(p => p.ToString()).ToArray();
    }

    private static string WithTarget(string target) => $$"""
        version: 1
        stages:
          - name: production
            target: {{target}}
            strategy: { direct: {} }
        """;

    private static string WithObjective(string objective) => $$"""
        version: 1
        stages:
          - name: production
            target: { provider: sandbox }
            strategy: { direct: {} }
            gate:
              objectives:
                - name: sli
        {{objective}}
        """;

    [Fact]
    public void An_unknown_target_provider_is_a_problem_at_its_line_and_column() =>
        Assert.Equal(["line 4, column 25: stages[0].target.provider: unknown deployment provider 'nope'; expected one of app-service, container-apps, app-configuration-flag, http-hook, sandbox"],
            Problems(WithTarget("{ provider: nope }")));

    [Fact]
    public void A_target_without_its_required_parameter_names_it_and_what_it_must_look_like()
    {
        var problem = Assert.Single(Problems(WithTarget("{ provider: container-apps, parameters: { app: shop } }")), p => p.Contains("missing"));
        Assert.StartsWith("line 4, column 53: stages[0].target.parameters: missing parameter resource_id; expected resource_id: the container app's Microsoft.App/containerApps resource id", problem);
    }

    [Theory]
    [InlineData("{ provider: app-service, parameters: { resource_id: /subscriptions/x/resourceGroups/y/providers/Microsoft.App/containerApps/z } }", "resource_id: expected the production site's Microsoft.Web/sites resource id")]
    [InlineData("{ provider: container-apps, parameters: { resource_id: /subscriptions/0000/resourceGroups/y/providers/Microsoft.App/containerApps/z } }", "such as /subscriptions/{subscription GUID}/resourceGroups/")]
    [InlineData("{ provider: app-service, parameters: { resource_id: " + Site + ", slot: production } }", "slot: expected the name of the deployment slot holding the candidate (default staging), not production; got 'production'")]
    [InlineData("{ provider: app-service, parameters: { resource_id: " + Site + ", strategy: blue-green } }", "unknown parameter 'strategy' for target provider app-service; expected: resource_id, slot")]
    [InlineData("{ provider: sandbox, parameters: { url: x } }", "unknown parameter 'url' for target provider sandbox; expected: none")]
    public void Target_parameters_are_checked_against_the_provider(string target, string expected) =>
        Assert.Contains(Problems(WithTarget(target)), p => p.Contains(expected));

    [Fact]
    public void An_unknown_sli_provider_is_a_problem() =>
        Assert.Equal(["line 9, column 21: stages[0].gate.objectives[0].provider: unknown SLI provider 'log-analytics'; expected one of azure-monitor-logs, azure-monitor-metrics, prometheus, sandbox"],
            Problems(WithObjective("""
                      provider: log-analytics
                      query: requests
                      pass: "< 1"
            """)));

    [Theory]
    [InlineData("p99", "azure-monitor-metrics cannot aggregate by p99 (percentiles are not metric aggregations); expected one of mean (Average), min (Minimum), max (Maximum), sum (Total)")]
    [InlineData("median", "azure-monitor-metrics cannot aggregate by median (percentiles are not metric aggregations)")]
    public void A_percentile_of_a_platform_metric_is_a_policy_error(string aggregation, string expected) =>
        Assert.Contains(Problems(WithObjective($$"""
                      provider: azure-monitor-metrics
                      query: CpuPercentage
                      aggregation: {{aggregation}}
                      pass: "< 80"
                      parameters: { resource_id: {{Site}} }
            """)), p => p.Contains("stages[0].gate.objectives[0].aggregation: " + expected));

    [Fact]
    public void A_metric_objective_needs_a_resource() =>
        Assert.Contains(Problems(WithObjective("""
                      provider: azure-monitor-metrics
                      query: CpuPercentage
                      pass: "< 80"
            """)), p => p.Contains("stages[0].gate.objectives[0].parameters: missing parameter resource_id (azure-monitor-metrics needs resource_id, or canary_resource_id and baseline_resource_id)"));

    [Fact]
    public void An_unknown_placeholder_and_the_old_dollar_form_are_problems()
    {
        var problems = Problems(WithObjective("""
                      provider: prometheus
                      query: sum(rate(x{service="{service}",slot="{slot}",v=$version}[{__range}]))
                      pass: "< 1"
            """));

        Assert.Equal(2, problems.Count);
        Assert.Contains("line 10, column 18: stages[0].gate.objectives[0].query: unknown placeholder {slot}; a query may use the release facts {service}, {version}, {repository}, {stage}, {step}, {weight} and the objective's parameters (", problems[0]);
        Assert.EndsWith("query: $version is not a placeholder; write {version}", problems[1]);
    }

    [Fact]
    public void An_objective_parameter_fills_a_placeholder_and_may_not_shadow_a_release_fact()
    {
        var valid = ReleasePolicyParser.Parse(WithObjective("""
                      provider: azure-monitor-logs
                      query: requests | where cloud_RoleInstance has '{slot}'
                      pass: "< 1"
                      parameters: { slot: green }
            """));
        Assert.True(valid.IsValid, valid.Describe());
        Assert.Equal("green", valid.Policy!.Stages[0].Gate!.Objectives[0].Parameters["slot"]);

        Assert.Contains(Problems(WithObjective("""
                      provider: azure-monitor-logs
                      query: requests
                      pass: "< 1"
                      parameters: { service: other }
            """)), p => p.Contains("'service' is a release fact every query gets"));
    }

    [Fact]
    public void A_sandbox_sli_must_be_one_the_sandbox_measures() =>
        Assert.Contains(Problems(WithObjective("""
                      provider: sandbox
                      query: p99_latency_ms
                      pass: "< 300"
            """)), p => p.Contains("expected a sandbox SLI: request_rate, error_rate or latency_pNN_ms (e.g. latency_p99_ms) for sandbox; got 'p99_latency_ms'"));

    [Fact]
    public void An_error_budget_from_an_unknown_provider_or_one_that_needs_parameters_is_a_problem()
    {
        const string Stage = """
            version: 1
            stages:
              - name: production
                target: { provider: sandbox }
                strategy: { direct: {} }
            """;
        Assert.Contains(Problems(Stage + "\nerror_budget: { slo: 99.9%, window: 28d, provider: nope, good_events: g, total_events: t }"),
            p => p.Contains("error_budget.provider: unknown SLI provider 'nope'"));
        Assert.Contains(Problems(Stage + "\nerror_budget: { slo: 99.9%, window: 28d, provider: azure-monitor-metrics, good_events: g, total_events: t }"),
            p => p.Contains("azure-monitor-metrics cannot count an error budget"));
    }
}
