using ReleaseFunctions.Integrations.Http;

namespace ReleaseFunctions.Integrations.AzureMonitor;

/// <summary>
/// Where SLI queries in KQL go. Defaults: the public cloud endpoint <c>https://api.loganalytics.io/</c>, its token
/// scope, bins of 1 minute when a query names no step.
/// </summary>
public sealed record LogAnalyticsOptions
{
    public LogAnalyticsOptions(string workspaceId)
    {
        WorkspaceId = Guid.TryParse(workspaceId, out _)
            ? workspaceId
            : throw new ArgumentException($"A Log Analytics workspace id is the workspace's GUID (its 'Workspace ID', not its resource id); got '{workspaceId}'.", nameof(workspaceId));
    }

    public string WorkspaceId { get; }

    /// <summary>The Log Analytics query endpoint; <c>v1/workspaces/{id}/query</c> is resolved against it.</summary>
    public Uri Endpoint { get; init => field = AzureEndpoints.Absolute(value, nameof(Endpoint)); } = new("https://api.loganalytics.io/");

    public string TokenScope { get; init => field = string.IsNullOrWhiteSpace(value) ? throw new ArgumentException("TokenScope must not be blank.", nameof(TokenScope)) : value; } = "https://api.loganalytics.io/.default";

    /// <summary>The value of <c>bin_size</c> when a query names no step (1 s to 1 day).</summary>
    public TimeSpan DefaultBinSize
    {
        get;
        init => field = value >= TimeSpan.FromSeconds(1) && value <= TimeSpan.FromDays(1)
            ? value
            : throw new ArgumentOutOfRangeException(nameof(DefaultBinSize), value, "DefaultBinSize must be from 1 second to 1 day.");
    } = TimeSpan.FromMinutes(1);

    public HttpResilienceOptions Resilience { get; init; } = new();
}

/// <summary>
/// Where platform metrics are read. Defaults: Azure Resource Manager at <c>https://management.azure.com/</c>,
/// api-version 2023-10-01, interval 1 minute when a query names no step, aggregation Average when it names none.
/// </summary>
public sealed record AzureMonitorMetricsOptions
{
    public Uri ResourceManagerEndpoint { get; init => field = AzureEndpoints.Absolute(value, nameof(ResourceManagerEndpoint)); } = new("https://management.azure.com/");

    public string TokenScope { get; init => field = string.IsNullOrWhiteSpace(value) ? throw new ArgumentException("TokenScope must not be blank.", nameof(TokenScope)) : value; } = "https://management.azure.com/.default";

    public string ApiVersion { get; init => field = string.IsNullOrWhiteSpace(value) ? throw new ArgumentException("ApiVersion must not be blank.", nameof(ApiVersion)) : value; } = "2023-10-01";

    /// <summary>The interval (time grain) when a query names no step; Azure Monitor accepts PT1M and longer.</summary>
    public TimeSpan DefaultInterval
    {
        get;
        init => field = value >= TimeSpan.FromMinutes(1) && value <= TimeSpan.FromDays(1)
            ? value
            : throw new ArgumentOutOfRangeException(nameof(DefaultInterval), value, "DefaultInterval must be from 1 minute to 1 day.");
    } = TimeSpan.FromMinutes(1);

    public HttpResilienceOptions Resilience { get; init; } = new();
}

/// <summary>
/// Where Azure Monitor's fired alerts are read (the Alerts Management API of Azure Resource Manager). Defaults:
/// <c>https://management.azure.com/</c>, api-version 2019-05-05-preview, alerts of the last 30 days, at most 10 pages.
/// </summary>
public sealed record AzureMonitorAlertsOptions
{
    public Uri ResourceManagerEndpoint { get; init => field = AzureEndpoints.Absolute(value, nameof(ResourceManagerEndpoint)); } = new("https://management.azure.com/");

    public string TokenScope { get; init => field = string.IsNullOrWhiteSpace(value) ? throw new ArgumentException("TokenScope must not be blank.", nameof(TokenScope)) : value; } = "https://management.azure.com/.default";

    public string ApiVersion { get; init; } = "2019-05-05-preview";

    /// <summary>How many pages of alerts are read at most (1 to 100); more is refused rather than judged on a part.</summary>
    public int MaxPages { get; init => field = value is >= 1 and <= 100 ? value : throw new ArgumentOutOfRangeException(nameof(MaxPages), value, "MaxPages must be from 1 to 100."); } = 10;

    public HttpResilienceOptions Resilience { get; init; } = new();
}
