using System.Text.RegularExpressions;
using ReleaseFunctions.Core.Gates;
using ReleaseFunctions.Core.Sli;

namespace ReleaseFunctions.Core.Policy;

/// <summary>One parameter a provider reads: its name, whether it must be given, and what its value must look like.</summary>
/// <param name="Expected">What a valid value is, for the message (e.g. "a Microsoft.Web/sites resource id such as ...").</param>
/// <param name="Pattern">A regular expression the whole value must match; null when any text will do.</param>
/// <param name="IsTemplate">The value is itself a query template whose <c>{name}</c> placeholders are filled (a metrics filter).</param>
public sealed record ProviderParameter(string Name, string Expected, string? Pattern = null, bool IsTemplate = false)
{
    public bool Accepts(string value) => Pattern is null || Regex.IsMatch(value, Pattern, RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
}

/// <summary>
/// What the policy may say to one provider, so that a policy that validates can run: the parameters it reads (with the sets
/// of them it needs, one of which must be given in full), whether it takes other parameters (an SLI source does: they are
/// values for the query's placeholders), and for an SLI source its query language, the aggregations it can serve, its
/// built-in placeholders and the queries it knows.
/// </summary>
public sealed record ProviderDescription(
    string Name,
    IReadOnlyList<ProviderParameter> Parameters,
    IReadOnlyList<IReadOnlyList<string>> RequiredOneOf,
    bool TakesOtherParameters = false,
    QueryLanguage? Language = null,
    IReadOnlyDictionary<SliAggregation, string>? Aggregations = null,
    IReadOnlyList<string>? BuiltInPlaceholders = null,
    string? QueryPattern = null,
    string? QueryExpected = null)
{
    public ProviderParameter? Parameter(string name) => Parameters.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.Ordinal));

    /// <summary>Why <paramref name="parameters"/> are not what this provider needs, or null when they are.</summary>
    public string? MissingParameters(IReadOnlyCollection<string> parameters)
    {
        if (RequiredOneOf.Count == 0)
        {
            return null;
        }

        var named = RequiredOneOf.Where(set => set.Any(parameters.Contains)).ToArray();
        var sets = string.Join(", or ", RequiredOneOf.Select(set => string.Join(" and ", set)));
        if (named.Length > 1)
        {
            return $"{Name} takes exactly one of: {sets}; got parameters from more than one";
        }

        var missing = (named.Length == 1 ? named[0] : RequiredOneOf[0]).Where(p => !parameters.Contains(p)).ToArray();
        return missing.Length == 0
            ? null
            : $"missing parameter {string.Join(" and ", missing)}{(RequiredOneOf.Count > 1 ? $" ({Name} needs {sets})" : "")}; expected {string.Join("; ", missing.Select(m => $"{m}: {Parameter(m)?.Expected}"))}";
    }
}

/// <summary>
/// The deployment targets and SLI sources this app has adapters for, and what each needs from a policy. The policy parser
/// checks every target and objective against it, so a policy naming an unknown provider or leaving out what a provider needs
/// is refused with the line and column, instead of validating and then failing at run time. The adapters in
/// ReleaseFunctions.Integrations implement exactly these names and parameters.
/// </summary>
public static class ProviderCatalogue
{
    private const string SiteExample = "/subscriptions/{subscription GUID}/resourceGroups/{group}/providers/Microsoft.Web/sites/{name}";
    private const string ContainerAppExample = "/subscriptions/{subscription GUID}/resourceGroups/{group}/providers/Microsoft.App/containerApps/{name}";
    private const string ResourceExample = "/subscriptions/{id}/resourceGroups/{group}/providers/Microsoft.Web/serverfarms/{name}";
    private const string ArmIdPrefix = "^/subscriptions/[^/?#]+/resourceGroups/[^/?#]+/providers/";

    /// <summary>A deployment target's id: its subscription is a GUID, as ARM (and its SDK, which refuses anything else) has it.</summary>
    private const string TargetIdPrefix = "^/subscriptions/[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}/resourceGroups/[^/?#]+/providers/";

    public static IReadOnlyList<ProviderDescription> Targets { get; } =
    [
        new("app-service",
            [
                new("resource_id", $"the production site's Microsoft.Web/sites resource id such as {SiteExample}", TargetIdPrefix + "Microsoft\\.Web/sites/[^/?#]+/?$"),
                new("slot", "the name of the deployment slot holding the candidate (default staging), not production", "^(?!production$)[A-Za-z0-9][A-Za-z0-9-]*$"),
            ],
            [["resource_id"]]),
        new("container-apps",
            [
                new("resource_id", $"the container app's Microsoft.App/containerApps resource id such as {ContainerAppExample}", TargetIdPrefix + "Microsoft\\.App/containerApps/[^/?#]+/?$"),
                new("candidate_revision", "the candidate revision's name (default: the app's latest revision)"),
                new("stable_revision", "the stable revision's name (default: the other revision with the most traffic)"),
            ],
            [["resource_id"]]),
        // A feature flag rolled out instead of traffic: the Microsoft.Targeting filter's default percentage is the weight.
        new("app-configuration-flag",
            [
                new("endpoint", "the App Configuration store's endpoint as its Overview shows it, https://{store}.azconfig.io (or .azconfig.azure.cn, .azconfig.azure.us), or sandbox for the local sandbox's store",
                    @"^(https://[A-Za-z0-9][A-Za-z0-9-]*\.azconfig\.(io|azure\.cn|azure\.us)/?|sandbox)$"),
                new("flag", "the feature flag's name as the Feature manager lists it (letters, digits, '.', '_', '-', ':'), such as new-checkout", "^[A-Za-z0-9._:-]+$"),
                new("label", "the flag's label (default: the flag without a label), without '*', ',', '\\' or '%'", @"^[^*,\\%]+$"),
                new("on_rollback", "what a rollback does: zero (the default rollout percentage goes to 0; the users and groups the flag names keep it) or disable (the flag goes off for everyone)", "^(zero|disable)$"),
            ],
            [["endpoint", "flag"]]),
        new("http-hook", [], []),
        new("sandbox", [], []),
    ];

    public static IReadOnlyList<ProviderDescription> SliSources { get; } =
    [
        new("azure-monitor-logs", [], [], TakesOtherParameters: true, Language: QueryLanguage.Kql, Aggregations: AllAggregations()),
        new("azure-monitor-metrics",
            [
                new("resource_id", $"the Azure resource id whose metric is read, such as {ResourceExample}", ArmIdPrefix + "[^?#]+$"),
                new("canary_resource_id", "the resource id of the canary population (with baseline_resource_id)", ArmIdPrefix + "[^?#]+$"),
                new("baseline_resource_id", "the resource id of the baseline population (with canary_resource_id)", ArmIdPrefix + "[^?#]+$"),
                new("metric_namespace", "the metric namespace, such as Microsoft.Web/serverFarms"),
                new("filter", "an OData $filter on the metric's dimensions, such as \"Instance eq {slot}\"", IsTemplate: true),
            ],
            [["resource_id"], ["canary_resource_id", "baseline_resource_id"]],
            TakesOtherParameters: true,
            Language: QueryLanguage.OData,
            Aggregations: new Dictionary<SliAggregation, string>
            {
                [SliAggregation.Mean] = "Average",
                [SliAggregation.Min] = "Minimum",
                [SliAggregation.Max] = "Maximum",
                [SliAggregation.Sum] = "Total",
            },
            QueryPattern: "^[^,]+$",
            QueryExpected: "one metric name, such as CpuPercentage"),
        new("prometheus", [], [], TakesOtherParameters: true, Language: QueryLanguage.PromQl, Aggregations: AllAggregations(), BuiltInPlaceholders: ["__range", "__step"]),
        new("sandbox", [], [], Aggregations: AllAggregations(),
            QueryPattern: @"^(request_rate|error_rate|latency_p\d{1,2}(\.\d+)?_ms)$",
            QueryExpected: "a sandbox SLI: request_rate, error_rate or latency_pNN_ms (e.g. latency_p99_ms)"),
    ];

    public static ProviderDescription? Target(string name) => Targets.FirstOrDefault(t => string.Equals(t.Name, name, StringComparison.OrdinalIgnoreCase));

    public static ProviderDescription? SliSource(string name) => SliSources.FirstOrDefault(s => string.Equals(s.Name, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>The Azure Monitor metrics REST API aggregation for a policy aggregation, or null when the API has none.</summary>
    public static string? MetricsAggregation(SliAggregation aggregation)
        => SliSource("azure-monitor-metrics")!.Aggregations!.TryGetValue(aggregation, out var name) ? name : null;

    private static Dictionary<SliAggregation, string> AllAggregations() => Enum.GetValues<SliAggregation>().ToDictionary(a => a, a => a.ToString().ToLowerInvariant());
}
