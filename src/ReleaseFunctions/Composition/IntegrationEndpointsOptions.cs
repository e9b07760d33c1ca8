namespace ReleaseFunctions.Composition;

/// <summary>
/// Where the outside systems that need an address are: <c>ReleaseFunctions__Prometheus__BaseUrl</c> (e.g.
/// <c>http://prometheus:9090/</c>), <c>ReleaseFunctions__Alertmanager__BaseUrl</c> (e.g. <c>http://alertmanager:9093/</c>,
/// for gates that watch fired alerts), <c>ReleaseFunctions__AzureMonitor__WorkspaceId</c> (the Log Analytics workspace id),
/// and the signed deployment hook, <c>ReleaseFunctions__HttpHook__Url</c> with <c>ReleaseFunctions__HttpHook__Secret</c>
/// (at least 16 characters). Each adapter is registered only when its settings are present. Default: none.
/// </summary>
public sealed class IntegrationEndpointsOptions
{
    public Uri? PrometheusBaseUrl { get; set; }

    public Uri? AlertmanagerBaseUrl { get; set; }

    public string? LogAnalyticsWorkspaceId { get; set; }

    public Uri? HttpHookUrl { get; set; }

    public string? HttpHookSecret { get; set; }
}
