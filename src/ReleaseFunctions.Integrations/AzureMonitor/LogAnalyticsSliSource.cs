using System.Globalization;
using System.Text.Json;
using Azure.Core;
using ReleaseFunctions.Core.Ports;
using ReleaseFunctions.Core.Sli;
using ReleaseFunctions.Integrations.Http;

namespace ReleaseFunctions.Integrations.AzureMonitor;

/// <summary>
/// SLIs from Azure Monitor Logs in KQL (provider "azure-monitor-logs"), through the Log Analytics query API
/// (<c>POST {endpoint}/v1/workspaces/{id}/query</c> with <c>{query, timespan}</c>). The query's <c>{name}</c> placeholders
/// are filled as KQL string literals (<see cref="QueryTemplate"/>), and the same parameters are also declared in front of the
/// query as <c>let</c> names by <see cref="KqlParameters"/>. The first result table is read: its first <c>datetime</c> column is the
/// time, the column <c>value</c> (else its first numeric column) the value, an optional string column <c>population</c>
/// names the population (else "all"), and an optional string column <c>unit</c> the unit. A partial result (200 with a
/// <c>PartialError</c>) is no data, with the error as the reason: incomplete evidence must not pass a gate.
/// </summary>
public sealed class LogAnalyticsSliSource : ISliSource
{
    public const string ProviderName = "azure-monitor-logs";
    private const string SystemName = "Azure Monitor Logs";
    private const string PopulationAll = "all";
    private static readonly HashSet<string> NumericTypes = new(StringComparer.OrdinalIgnoreCase) { "real", "long", "int", "decimal", "double" };

    private readonly LogAnalyticsOptions _options;
    private readonly ResilientHttpClient _http;
    private readonly BearerTokenSource _tokens;

    public LogAnalyticsSliSource(HttpClient http, LogAnalyticsOptions options, TokenCredential credential, TimeProvider time)
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
        string kql;
        try
        {
            kql = KqlParameters.Declare(QueryTemplate.Fill(query.Query, query.Parameters, QueryLanguage.Kql), query.Parameters, query.Window, query.Step ?? _options.DefaultBinSize);
        }
        catch (ArgumentException ex)
        {
            throw new IntegrationException(SystemName, IntegrationFailureKind.Rejected, ex.Message, null, ex);
        }

        var uri = new Uri(_options.Endpoint, $"v1/workspaces/{_options.WorkspaceId}/query");
        var call = new IntegrationCall("KQL query", $"workspace {_options.WorkspaceId}",
            $"the Log Analytics Reader role on workspace {_options.WorkspaceId}");
        var body = new LogsQueryRequest(kql, $"{Iso(query.Window.Start)}/{Iso(query.Window.End)}");

        var response = await _http.SendForJsonAsync(
            ct => _tokens.AuthorizeAsync(
                new HttpRequestMessage(HttpMethod.Post, uri) { Content = JsonContent(body) }, ct),
            call,
            AzureMonitorJsonContext.Default.LogsQueryResponse,
            cancellationToken).ConfigureAwait(false);

        if (response.Error is { } error)
        {
            var detail = string.Join("; ", new[] { error.Message }.Concat(error.Details?.Select(d => d.Message) ?? []).Where(m => !string.IsNullOrWhiteSpace(m)));
            return SliReading.NoData(query.Query, query.Window, $"Log Analytics returned a partial result ({error.Code}: {detail}); partial evidence is not used");
        }

        if (response.Tables is not { Count: > 0 } tables)
        {
            throw _http.Malformed(call, "'tables' is missing or empty");
        }

        return Read(tables[0], query, call);
    }

    private SliReading Read(LogsTable table, SliQuery query, IntegrationCall call)
    {
        var columns = table.Columns ?? throw _http.Malformed(call, $"table '{table.Name}' has no 'columns'");
        var rows = table.Rows ?? throw _http.Malformed(call, $"table '{table.Name}' has no 'rows'");
        var time = IndexOf(columns, c => string.Equals(c.Type, "datetime", StringComparison.OrdinalIgnoreCase));
        var population = IndexOf(columns, c => string.Equals(c.Name, "population", StringComparison.OrdinalIgnoreCase));
        var unit = IndexOf(columns, c => string.Equals(c.Name, "unit", StringComparison.OrdinalIgnoreCase));
        var value = IndexOf(columns, c => string.Equals(c.Name, "value", StringComparison.OrdinalIgnoreCase));
        if (value < 0)
        {
            value = IndexOf(columns, c => c.Type is { } type && NumericTypes.Contains(type));
        }

        if (time < 0 || value < 0)
        {
            throw new IntegrationException(SystemName, IntegrationFailureKind.Rejected,
                $"the query must return a datetime column and a numeric column (named 'value' or the first numeric one); it returned {string.Join(", ", columns.Select(c => $"{c.Name}:{c.Type}"))}.");
        }

        var collectors = new Dictionary<string, (SliSampleCollector Samples, HashSet<string> Units)>(StringComparer.OrdinalIgnoreCase);
        foreach (var row in rows)
        {
            if (row.Count != columns.Count)
            {
                throw _http.Malformed(call, $"a row has {row.Count} cells for {columns.Count} columns");
            }

            var name = population >= 0 && row[population].ValueKind == JsonValueKind.String && !string.IsNullOrWhiteSpace(row[population].GetString())
                ? row[population].GetString()!
                : PopulationAll;
            if (!collectors.TryGetValue(name, out var entry))
            {
                entry = (new SliSampleCollector(name, query.Window), new HashSet<string>(StringComparer.OrdinalIgnoreCase));
                collectors[name] = entry;
            }

            if (unit >= 0 && row[unit].ValueKind == JsonValueKind.String && row[unit].GetString() is { Length: > 0 } rowUnit)
            {
                entry.Units.Add(rowUnit);
            }

            entry.Samples.Add(Timestamp(row[time], call), Number(row[value], call));
        }

        var series = new List<SliSeries>();
        foreach (var (name, (samples, units)) in collectors)
        {
            if (units.Count > 1)
            {
                throw new IntegrationException(SystemName, IntegrationFailureKind.Rejected,
                    $"population '{name}' of '{query.Query}' mixes units {string.Join(", ", units)}; return one unit per population.");
            }

            var (factor, seriesUnit) = UnitAlignment.To(units.SingleOrDefault(), query.ExpectedUnit, SystemName, query.Query);
            series.Add(samples.ToSeries(seriesUnit, factor == 1 ? null : v => v * factor));
        }

        return series.Count == 0
            ? SliReading.NoData(query.Query, query.Window, $"the KQL query returned no rows for {query.Window}")
            : SliReading.Of(query.Query, query.Window, series);
    }

    private static int IndexOf(IReadOnlyList<LogsColumn> columns, Func<LogsColumn, bool> match)
    {
        for (var i = 0; i < columns.Count; i++)
        {
            if (match(columns[i]))
            {
                return i;
            }
        }

        return -1;
    }

    private DateTimeOffset Timestamp(JsonElement cell, IntegrationCall call)
        => cell.ValueKind == JsonValueKind.String
           && DateTimeOffset.TryParse(cell.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var instant)
            ? instant
            : throw _http.Malformed(call, $"the time cell {cell.GetRawText()} is not an ISO 8601 instant");

    /// <summary>KQL writes real NaN and infinities as strings; an empty cell is null.</summary>
    private double? Number(JsonElement cell, IntegrationCall call) => cell.ValueKind switch
    {
        JsonValueKind.Number => cell.GetDouble(),
        JsonValueKind.Null => null,
        JsonValueKind.String => cell.GetString() switch
        {
            "NaN" => double.NaN,
            "Infinity" or "+Infinity" => double.PositiveInfinity,
            "-Infinity" => double.NegativeInfinity,
            var text when double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed) => parsed,
            var text => throw _http.Malformed(call, $"the value cell \"{text}\" is not a number"),
        },
        _ => throw _http.Malformed(call, $"the value cell {cell.GetRawText()} is not a number"),
    };

    private static string Iso(DateTimeOffset instant) => instant.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffffffZ", CultureInfo.InvariantCulture);

    private static HttpContent JsonContent(LogsQueryRequest body)
        => new StringContent(JsonSerializer.Serialize(body, AzureMonitorJsonContext.Default.LogsQueryRequest), System.Text.Encoding.UTF8, "application/json");
}
