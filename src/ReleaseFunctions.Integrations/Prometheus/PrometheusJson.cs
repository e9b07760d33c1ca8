using System.Text.Json;
using System.Text.Json.Serialization;

namespace ReleaseFunctions.Integrations.Prometheus;

/// <summary>The envelope of every Prometheus HTTP API answer (<c>/api/v1/query</c>, <c>/api/v1/query_range</c>).</summary>
internal sealed record PrometheusResponse(
    [property: JsonPropertyName("status")] string? Status,
    [property: JsonPropertyName("data")] PrometheusData? Data,
    [property: JsonPropertyName("errorType")] string? ErrorType,
    [property: JsonPropertyName("error")] string? Error,
    [property: JsonPropertyName("warnings")] IReadOnlyList<string>? Warnings);

/// <summary><c>result</c> depends on <c>resultType</c> (matrix, vector, scalar, string), so it is read by hand.</summary>
internal sealed record PrometheusData(
    [property: JsonPropertyName("resultType")] string? ResultType,
    [property: JsonPropertyName("result")] JsonElement Result);

[JsonSerializable(typeof(PrometheusResponse))]
internal sealed partial class PrometheusJsonContext : JsonSerializerContext;
