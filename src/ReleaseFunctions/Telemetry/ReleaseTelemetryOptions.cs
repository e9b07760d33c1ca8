namespace ReleaseFunctions.Telemetry;

/// <summary>
/// Where release telemetry goes, from the standard settings both exporters read. Neither set (the default): nothing is
/// exported and no SDK listens, so the instruments cost next to nothing.
/// </summary>
public sealed class ReleaseTelemetryOptions
{
    /// <summary>The Application Insights setting; its connection string must name an InstrumentationKey.</summary>
    public const string ConnectionStringSetting = "APPLICATIONINSIGHTS_CONNECTION_STRING";

    /// <summary>The OpenTelemetry collector setting; an absolute http(s) URL.</summary>
    public const string OtlpEndpointSetting = "OTEL_EXPORTER_OTLP_ENDPOINT";

    /// <summary>Application Insights connection string; default none (no Application Insights export).</summary>
    public string? ApplicationInsightsConnectionString { get; set; }

    /// <summary>OTLP collector endpoint; default none (no OTLP export).</summary>
    public Uri? OtlpEndpoint { get; set; }

    public bool Exports => ApplicationInsightsConnectionString is not null || OtlpEndpoint is not null;
}
