using System.Text.Json;
using System.Text.Json.Serialization;

namespace ReleaseFunctions.Integrations.AzureMonitor;

/// <summary>The body of <c>POST /v1/workspaces/{id}/query</c>.</summary>
internal sealed record LogsQueryRequest(
    [property: JsonPropertyName("query")] string Query,
    [property: JsonPropertyName("timespan")] string Timespan);

/// <summary>A Log Analytics answer: tables, and an error object when the result is partial (200 with <c>PartialError</c>).</summary>
internal sealed record LogsQueryResponse(
    [property: JsonPropertyName("tables")] IReadOnlyList<LogsTable>? Tables,
    [property: JsonPropertyName("error")] AzureError? Error);

internal sealed record LogsTable(
    [property: JsonPropertyName("name")] string? Name,
    [property: JsonPropertyName("columns")] IReadOnlyList<LogsColumn>? Columns,
    [property: JsonPropertyName("rows")] IReadOnlyList<IReadOnlyList<JsonElement>>? Rows);

internal sealed record LogsColumn(
    [property: JsonPropertyName("name")] string? Name,
    [property: JsonPropertyName("type")] string? Type);

/// <summary>The OneAPI / ARM error object.</summary>
internal sealed record AzureError(
    [property: JsonPropertyName("code")] string? Code,
    [property: JsonPropertyName("message")] string? Message,
    [property: JsonPropertyName("details")] IReadOnlyList<AzureError>? Details);

/// <summary>An Azure Monitor metrics answer (<c>Microsoft.Insights/metrics</c>, api-version 2023-10-01).</summary>
internal sealed record MetricsResponse(
    [property: JsonPropertyName("timespan")] string? Timespan,
    [property: JsonPropertyName("interval")] string? Interval,
    [property: JsonPropertyName("value")] IReadOnlyList<MetricResult>? Value);

internal sealed record MetricResult(
    [property: JsonPropertyName("name")] LocalizableName? Name,
    [property: JsonPropertyName("unit")] string? Unit,
    [property: JsonPropertyName("errorCode")] string? ErrorCode,
    [property: JsonPropertyName("errorMessage")] string? ErrorMessage,
    [property: JsonPropertyName("timeseries")] IReadOnlyList<MetricTimeSeries>? Timeseries);

internal sealed record LocalizableName(
    [property: JsonPropertyName("value")] string? Value,
    [property: JsonPropertyName("localizedValue")] string? LocalizedValue);

internal sealed record MetricTimeSeries(
    [property: JsonPropertyName("data")] IReadOnlyList<MetricValue>? Data);

internal sealed record MetricValue(
    [property: JsonPropertyName("timeStamp")] DateTimeOffset TimeStamp,
    [property: JsonPropertyName("average")] double? Average,
    [property: JsonPropertyName("total")] double? Total,
    [property: JsonPropertyName("maximum")] double? Maximum,
    [property: JsonPropertyName("minimum")] double? Minimum,
    [property: JsonPropertyName("count")] double? Count);

[JsonSerializable(typeof(LogsQueryRequest))]
[JsonSerializable(typeof(LogsQueryResponse))]
[JsonSerializable(typeof(MetricsResponse))]
internal sealed partial class AzureMonitorJsonContext : JsonSerializerContext;
