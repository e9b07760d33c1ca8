namespace ReleaseFunctions.Composition;

/// <summary>
/// Where the monitoring systems are, for the SLI sources that need an address: <c>ReleaseFunctions__Prometheus__BaseUrl</c>
/// (e.g. <c>http://prometheus:9090/</c>) and <c>ReleaseFunctions__AzureMonitor__WorkspaceId</c> (the Log Analytics
/// workspace's id). Each source is registered only when its setting is present. Default: neither.
/// </summary>
public sealed class MonitoringOptions
{
    public Uri? PrometheusBaseUrl { get; set; }

    public string? LogAnalyticsWorkspaceId { get; set; }
}
