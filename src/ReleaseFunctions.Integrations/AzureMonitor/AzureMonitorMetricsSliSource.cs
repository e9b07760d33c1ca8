using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using System.Xml;
using Azure.Core;
using ReleaseFunctions.Core.Gates;
using ReleaseFunctions.Core.Policy;
using ReleaseFunctions.Core.Ports;
using ReleaseFunctions.Core.Sli;
using ReleaseFunctions.Integrations.Http;

namespace ReleaseFunctions.Integrations.AzureMonitor;

/// <summary>
/// SLIs from Azure Monitor platform metrics (provider "azure-monitor-metrics") through
/// <c>GET {arm}{resourceId}/providers/Microsoft.Insights/metrics</c>. The query is the metric name. The policy's aggregation
/// maps to the API's (<see cref="ProviderCatalogue.MetricsAggregation"/>: mean = Average, min = Minimum, max = Maximum,
/// sum = Total; the API's own names, Count included, are taken as they are; percentiles are not metric aggregations).
/// Parameters (the objective's <c>parameters</c> in the policy) name the resources: <c>resource_id</c> (the population
/// "all"), or <c>canary_resource_id</c> and <c>baseline_resource_id</c> (for example a staging slot and the production site);
/// an optional <c>metric_namespace</c>; an optional <c>filter</c>, an OData <c>$filter</c> template whose <c>{name}</c>
/// placeholders take other parameters as quoted OData literals (<see cref="QueryTemplate"/>). The unit Azure reports is
/// converted to the expected unit when a conversion is known.
/// </summary>
public sealed partial class AzureMonitorMetricsSliSource : ISliSource
{
    public const string ProviderName = "azure-monitor-metrics";
    private const string SystemName = "Azure Monitor Metrics";
    private static readonly string[] Aggregations = ["Average", "Total", "Maximum", "Minimum", "Count"];
    private static readonly (string Parameter, string Population)[] ResourceParameters =
        [("resource_id", "all"), ("canary_resource_id", "canary"), ("baseline_resource_id", "baseline")];

    private readonly AzureMonitorMetricsOptions _options;
    private readonly ResilientHttpClient _http;
    private readonly BearerTokenSource _tokens;

    public AzureMonitorMetricsSliSource(HttpClient http, AzureMonitorMetricsOptions options, TokenCredential credential, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _http = new ResilientHttpClient(http, options.Resilience, time, SystemName);
        _tokens = new BearerTokenSource(credential, options.TokenScope, time, SystemName);
    }

    public string Provider => ProviderName;

    public async Task<SliReading> QueryAsync(SliQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (string.IsNullOrWhiteSpace(query.Query) || query.Query.Contains(','))
        {
            throw Rejected($"the query of an Azure Monitor metrics SLI is one metric name (e.g. Http5xx); got '{query.Query}'.");
        }

        var aggregation = Aggregation(query.Aggregation);
        var interval = query.Step ?? _options.DefaultInterval;
        var filter = query.Parameters.TryGetValue("filter", out var template) && !string.IsNullOrWhiteSpace(template) ? Filter(template, query.Parameters) : null;
        var resources = ResourceParameters
            .Where(r => query.Parameters.ContainsKey(r.Parameter))
            .Select(r => (Id: ResourceId(query.Parameters[r.Parameter], r.Parameter), r.Population))
            .ToArray();
        if (resources.Length == 0 || (resources.Any(r => r.Population == "all") && resources.Length > 1))
        {
            throw Rejected("name the resource to read with the parameter resource_id, or the two populations with canary_resource_id and baseline_resource_id.");
        }

        var series = new List<SliSeries>();
        foreach (var (resourceId, population) in resources)
        {
            series.Add(await ReadAsync(query, resourceId, population, aggregation, interval, filter, cancellationToken).ConfigureAwait(false));
        }

        return SliReading.Of(query.Query, query.Window, series);
    }

    private async Task<SliSeries> ReadAsync(SliQuery query, string resourceId, string population, string aggregation, TimeSpan interval, string? filter, CancellationToken cancellationToken)
    {
        var url = new StringBuilder(_options.ResourceManagerEndpoint.AbsoluteUri.TrimEnd('/'))
            .Append(resourceId).Append("/providers/Microsoft.Insights/metrics")
            .Append("?api-version=").Append(Uri.EscapeDataString(_options.ApiVersion))
            .Append("&timespan=").Append(Uri.EscapeDataString($"{Iso(query.Window.Start)}/{Iso(query.Window.End)}"))
            .Append("&interval=").Append(XmlConvert.ToString(interval))
            .Append("&metricnames=").Append(Uri.EscapeDataString(query.Query))
            .Append("&aggregation=").Append(aggregation);
        if (query.Parameters.TryGetValue("metric_namespace", out var metricNamespace) && !string.IsNullOrWhiteSpace(metricNamespace))
        {
            url.Append("&metricnamespace=").Append(Uri.EscapeDataString(metricNamespace));
        }

        if (filter is not null)
        {
            url.Append("&$filter=").Append(Uri.EscapeDataString(filter));
        }

        var uri = new Uri(url.ToString());
        var call = new IntegrationCall($"read metric {query.Query}", resourceId, $"the Monitoring Reader role on {resourceId}");
        var response = await _http.SendForJsonAsync(
            ct => _tokens.AuthorizeAsync(new HttpRequestMessage(HttpMethod.Get, uri), ct),
            call,
            AzureMonitorJsonContext.Default.MetricsResponse,
            cancellationToken).ConfigureAwait(false);

        var metric = response.Value?.FirstOrDefault(m => string.Equals(m.Name?.Value, query.Query, StringComparison.OrdinalIgnoreCase))
            ?? response.Value?.FirstOrDefault()
            ?? throw _http.Malformed(call, "'value' holds no metric");
        if (metric.ErrorCode is { } code && !string.Equals(code, "Success", StringComparison.OrdinalIgnoreCase))
        {
            throw Rejected($"metric {query.Query} on {resourceId} failed: {code}: {metric.ErrorMessage}");
        }

        var timeseries = metric.Timeseries ?? [];
        if (timeseries.Count > 1)
        {
            throw Rejected($"metric {query.Query} on {resourceId} returned {timeseries.Count} time series; the filter must select one (no dimension split with '*').");
        }

        var unit = string.Equals(metric.Unit, "Unspecified", StringComparison.OrdinalIgnoreCase) ? null : metric.Unit;
        var (factor, seriesUnit) = UnitAlignment.To(unit, query.ExpectedUnit, SystemName, query.Query);
        var samples = new SliSampleCollector(population, query.Window);
        foreach (var point in timeseries.SelectMany(t => t.Data ?? []))
        {
            // A missing aggregation field means no data in that interval: dropped and counted, never read as zero.
            samples.Add(point.TimeStamp, aggregation switch
            {
                "Average" => point.Average,
                "Total" => point.Total,
                "Maximum" => point.Maximum,
                "Minimum" => point.Minimum,
                _ => point.Count,
            });
        }

        return samples.ToSeries(seriesUnit, factor == 1 ? null : v => v * factor);
    }

    private static string ResourceId(string value, string parameter)
        => ArmResourceId().IsMatch(value)
            ? value.TrimEnd('/')
            : throw Rejected($"parameter {parameter} must be an Azure resource id such as /subscriptions/{{id}}/resourceGroups/{{group}}/providers/Microsoft.Web/sites/{{name}}; got '{value}'.");

    /// <summary>The API's aggregation for the policy's (mean, min, max, sum) or the API's own name (Average ... Count); default Average.</summary>
    private static string Aggregation(string? requested)
    {
        if (requested is null)
        {
            return "Average";
        }

        if (Aggregations.FirstOrDefault(a => string.Equals(a, requested, StringComparison.OrdinalIgnoreCase)) is { } api)
        {
            return api;
        }

        return Enum.TryParse<SliAggregation>(requested, ignoreCase: true, out var policy) && ProviderCatalogue.MetricsAggregation(policy) is { } mapped
            ? mapped
            : throw Rejected($"aggregation '{requested}' has no Azure Monitor metrics equivalent (percentiles are not metric aggregations); expected mean, min, max or sum, or one of {string.Join(", ", Aggregations)}.");
    }

    /// <summary>Fills an OData filter template; each <c>{name}</c> becomes a single-quoted literal with quotes doubled.</summary>
    private static string Filter(string template, IReadOnlyDictionary<string, string> parameters)
    {
        try
        {
            return QueryTemplate.Fill(template, parameters.Where(p => p.Key != "filter").ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal), QueryLanguage.OData);
        }
        catch (ArgumentException ex)
        {
            throw Rejected("the metrics filter: " + ex.Message);
        }
    }

    private static string Iso(DateTimeOffset instant) => instant.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);

    private static IntegrationException Rejected(string message) => new(SystemName, IntegrationFailureKind.Rejected, message);

    [GeneratedRegex(@"^/subscriptions/[^/?#]+/resourceGroups/[^/?#]+/providers/[^?#]+$", RegexOptions.IgnoreCase)]
    private static partial Regex ArmResourceId();
}
