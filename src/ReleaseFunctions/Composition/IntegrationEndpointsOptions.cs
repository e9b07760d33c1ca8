namespace ReleaseFunctions.Composition;

/// <summary>
/// Where the outside systems that need an address are: <c>ReleaseFunctions__Prometheus__BaseUrl</c> (e.g.
/// <c>http://prometheus:9090/</c>), <c>ReleaseFunctions__Alertmanager__BaseUrl</c> (e.g. <c>http://alertmanager:9093/</c>,
/// for gates that watch fired alerts), <c>ReleaseFunctions__AzureMonitor__WorkspaceId</c> (the Log Analytics workspace id),
/// and the signed deployment hook, <c>ReleaseFunctions__HttpHook__Url</c> with <c>ReleaseFunctions__HttpHook__Secret</c>
/// (at least 16 characters), and the database migration hook, <c>ReleaseFunctions__Migrations__Url</c> with
/// <c>ReleaseFunctions__Migrations__Secret</c> (or the URL <c>sandbox</c>, no secret: the local sandbox's database), and an App Configuration store's access key for the feature-flag target,
/// <c>ReleaseFunctions__AppConfiguration__ConnectionString</c> (<c>Endpoint=https://{store}.azconfig.io;Id=...;Secret=...</c>;
/// without it the target uses the app's Entra identity). Each adapter is registered only when its settings are present. Default: none.
/// </summary>
public sealed class IntegrationEndpointsOptions
{
    public Uri? PrometheusBaseUrl { get; set; }

    public Uri? AlertmanagerBaseUrl { get; set; }

    public string? LogAnalyticsWorkspaceId { get; set; }

    public Uri? HttpHookUrl { get; set; }

    public string? HttpHookSecret { get; set; }

    public Integrations.Deployment.AppConfigurationAccessKey? AppConfigurationAccessKey { get; set; }

    public Uri? MigrationHookUrl { get; set; }

    public string? MigrationHookSecret { get; set; }

    /// <summary>Whether <c>ReleaseFunctions__Migrations__Url</c> is <c>sandbox</c>: the sandbox's database runs the migrations.</summary>
    public bool MigrationHookOnSandbox { get; set; }
}
