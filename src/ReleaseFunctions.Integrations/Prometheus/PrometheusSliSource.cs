using System.Globalization;
using System.Text.Json;
using Azure.Core;
using ReleaseFunctions.Core.Ports;
using ReleaseFunctions.Core.Sli;
using ReleaseFunctions.Integrations.Http;

namespace ReleaseFunctions.Integrations.Prometheus;

/// <summary>
/// SLIs from the Prometheus HTTP API (provider "prometheus"). A query is a PromQL template (see <see cref="PromQlTemplate"/>)
/// run as a range query over the window at the query's step, or, when the query's aggregation is "instant", as one
/// instant query at the window's end. Series are split into populations by a metric label (default "population");
/// a single unlabelled series is the population "all". Prometheus reports no units, so series carry the expected unit.
/// </summary>
public sealed class PrometheusSliSource : ISliSource
{
    public const string ProviderName = "prometheus";
    public const string InstantAggregation = "instant";
    public const string AllPopulation = "all";
    private const string SystemName = "Prometheus";

    private readonly PrometheusOptions _options;
    private readonly ResilientHttpClient _http;
    private readonly BearerTokenSource? _tokens;

    public PrometheusSliSource(HttpClient http, PrometheusOptions options, TimeProvider time, TokenCredential? credential = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _http = new ResilientHttpClient(http, options.Resilience, time, SystemName);
        if (options.TokenScope is { } scope)
        {
            _tokens = new BearerTokenSource(credential ?? throw new ArgumentException($"PrometheusOptions.TokenScope is '{scope}', so a TokenCredential is needed.", nameof(credential)), scope, time, SystemName);
        }
    }

    public string Provider => ProviderName;

    public async Task<SliReading> QueryAsync(SliQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        var instant = string.Equals(query.Aggregation, InstantAggregation, StringComparison.OrdinalIgnoreCase);
        var step = query.Step ?? _options.DefaultStep;
        if (step <= TimeSpan.Zero)
        {
            throw Rejected($"the step of query '{query.Query}' must be positive; got {step}.");
        }

        string promQl;
        try
        {
            promQl = PromQlTemplate.Fill(query.Query, query.Parameters, query.Window.Duration, step);
        }
        catch (ArgumentException ex)
        {
            throw Rejected(ex.Message);
        }

        // The window's end is excluded; Prometheus includes the end it is given, so ask up to just before it.
        var lastInstant = query.Window.End.AddMilliseconds(-1);
        var form = instant
            ? new Dictionary<string, string> { ["query"] = promQl, ["time"] = UnixSeconds(lastInstant) }
            : new Dictionary<string, string>
            {
                ["query"] = promQl,
                ["start"] = UnixSeconds(query.Window.Start, roundUp: true),
                ["end"] = UnixSeconds(lastInstant),
                ["step"] = step.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture),
            };
        var path = instant ? "api/v1/query" : "api/v1/query_range";
        var call = new IntegrationCall(instant ? "instant query" : "range query", new Uri(_options.BaseUrl, path).AbsoluteUri,
            "read access to the Prometheus query API (for Azure managed Prometheus: the Monitoring Data Reader role on the workspace)");

        var response = await _http.SendForJsonAsync(
            async ct =>
            {
                // POST with a form body keeps long queries out of URL length limits; the API documents both.
                var request = new HttpRequestMessage(HttpMethod.Post, new Uri(_options.BaseUrl, path)) { Content = new FormUrlEncodedContent(form) };
                return _tokens is null ? request : await _tokens.AuthorizeAsync(request, ct).ConfigureAwait(false);
            },
            call,
            PrometheusJsonContext.Default.PrometheusResponse,
            cancellationToken).ConfigureAwait(false);

        if (response.Status != "success")
        {
            throw response.Status == "error"
                ? Rejected($"the query '{promQl}' failed: {response.ErrorType}: {response.Error}")
                : _http.Malformed(call, $"status is '{response.Status ?? "missing"}', expected 'success' or 'error'");
        }

        if (response.Data is not { } data)
        {
            throw _http.Malformed(call, "'data' is missing");
        }

        var populationLabel = query.Parameters.TryGetValue("population_label", out var label) && !string.IsNullOrWhiteSpace(label) ? label : _options.PopulationLabel;
        var series = ReadSeries(data, call, query.Window, populationLabel, query.ExpectedUnit);
        return series.Count == 0
            ? SliReading.NoData(query.Query, query.Window, $"Prometheus returned no series for '{promQl}' in {query.Window}")
            : SliReading.Of(query.Query, query.Window, series);
    }

    private List<SliSeries> ReadSeries(PrometheusData data, IntegrationCall call, SliWindow window, string populationLabel, string? unit)
    {
        var result = data.Result;
        switch (data.ResultType)
        {
            case "scalar":
                var scalar = new SliSampleCollector(AllPopulation, window);
                AddSample(scalar, result, call);
                return [scalar.ToSeries(unit)];
            case "matrix" or "vector":
                if (result.ValueKind != JsonValueKind.Array)
                {
                    throw _http.Malformed(call, $"a {data.ResultType} result must be an array, got {result.ValueKind}");
                }

                var collectors = new List<SliSampleCollector>();
                foreach (var item in result.EnumerateArray())
                {
                    var population = Population(item, populationLabel);
                    if (collectors.Any(c => c.Population == population))
                    {
                        throw Rejected($"the query returned several series for population '{population}'; aggregate it to one series per '{populationLabel}' label, e.g. sum by ({populationLabel}) (...).");
                    }

                    var collector = new SliSampleCollector(population, window);
                    collectors.Add(collector);
                    if (data.ResultType == "vector")
                    {
                        AddSample(collector, Property(item, "value", call), call);
                    }
                    else
                    {
                        var values = Property(item, "values", call);
                        if (values.ValueKind != JsonValueKind.Array)
                        {
                            throw _http.Malformed(call, "'values' of a matrix series must be an array");
                        }

                        foreach (var pair in values.EnumerateArray())
                        {
                            AddSample(collector, pair, call);
                        }
                    }
                }

                return collectors.Select(c => c.ToSeries(unit)).ToList();
            default:
                throw _http.Malformed(call, $"resultType '{data.ResultType ?? "missing"}' is not a number series (expected matrix, vector or scalar)");
        }
    }

    private string Population(JsonElement series, string populationLabel)
        => series.TryGetProperty("metric", out var metric) && metric.ValueKind == JsonValueKind.Object
           && metric.TryGetProperty(populationLabel, out var value) && value.ValueKind == JsonValueKind.String
           && !string.IsNullOrWhiteSpace(value.GetString())
            ? value.GetString()!
            : AllPopulation;

    private JsonElement Property(JsonElement item, string name, IntegrationCall call)
        => item.ValueKind == JsonValueKind.Object && item.TryGetProperty(name, out var value)
            ? value
            : throw _http.Malformed(call, $"a series has no '{name}'");

    /// <summary>A sample is <c>[unix seconds, "value"]</c>; the value is a string so NaN and ±Inf can be written.</summary>
    private void AddSample(SliSampleCollector collector, JsonElement pair, IntegrationCall call)
    {
        if (pair.ValueKind != JsonValueKind.Array || pair.GetArrayLength() != 2
            || pair[0].ValueKind != JsonValueKind.Number || pair[1].ValueKind != JsonValueKind.String)
        {
            throw _http.Malformed(call, $"a sample must be [unix seconds, \"value\"], got {pair.GetRawText()}");
        }

        var text = pair[1].GetString()!;
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
        {
            value = text switch
            {
                "NaN" => double.NaN,
                "+Inf" or "Inf" => double.PositiveInfinity,
                "-Inf" => double.NegativeInfinity,
                _ => throw _http.Malformed(call, $"the sample value \"{text}\" is not a number"),
            };
        }

        var timestamp = DateTimeOffset.FromUnixTimeMilliseconds((long)Math.Round(pair[0].GetDouble() * 1000));
        collector.Add(timestamp, value);
    }

    /// <summary>
    /// Unix seconds to the millisecond. A window's start is rounded up: Prometheus puts the first sample exactly at the
    /// start it is given, and one rounded down would fall just before the window and be dropped as outside it.
    /// </summary>
    private static string UnixSeconds(DateTimeOffset instant, bool roundUp = false)
    {
        var milliseconds = instant.ToUnixTimeMilliseconds();
        if (roundUp && instant.UtcTicks % TimeSpan.TicksPerMillisecond != 0)
        {
            milliseconds++;
        }

        return (milliseconds / 1000m).ToString("0.###", CultureInfo.InvariantCulture);
    }

    private static IntegrationException Rejected(string message) => new(SystemName, IntegrationFailureKind.Rejected, message);
}
