using ReleaseFunctions.Integrations.Http;

namespace ReleaseFunctions.Integrations.Deployment;

/// <summary>
/// How the Azure deployment targets reach Azure Resource Manager. Defaults: <c>https://management.azure.com/</c>, its
/// token scope, App Service api-version 2023-12-01, Container Apps api-version 2024-03-01, long-running operations
/// polled every 5 s (or as Retry-After says, up to 1 minute) for at most 10 minutes.
/// </summary>
public sealed record AzureTargetOptions
{
    public Uri ResourceManagerEndpoint { get; init => field = AzureEndpoints.Absolute(value, nameof(ResourceManagerEndpoint)); } = new("https://management.azure.com/");

    public string TokenScope { get; init => field = NonBlank(value, nameof(TokenScope)); } = "https://management.azure.com/.default";

    public string AppServiceApiVersion { get; init => field = NonBlank(value, nameof(AppServiceApiVersion)); } = "2023-12-01";

    public string ContainerAppsApiVersion { get; init => field = NonBlank(value, nameof(ContainerAppsApiVersion)); } = "2024-03-01";

    /// <summary>The wait between polls of a long-running operation that names none (1 s to 1 minute).</summary>
    public TimeSpan OperationPollInterval
    {
        get;
        init => field = value >= TimeSpan.FromSeconds(1) && value <= TimeSpan.FromMinutes(1)
            ? value
            : throw new ArgumentOutOfRangeException(nameof(OperationPollInterval), value, "OperationPollInterval must be from 1 second to 1 minute.");
    } = TimeSpan.FromSeconds(5);

    /// <summary>How long a long-running operation (a slot swap, a traffic update) may take in all (10 s to 1 hour).</summary>
    public TimeSpan OperationTimeout
    {
        get;
        init => field = value >= TimeSpan.FromSeconds(10) && value <= TimeSpan.FromHours(1)
            ? value
            : throw new ArgumentOutOfRangeException(nameof(OperationTimeout), value, "OperationTimeout must be from 10 seconds to 1 hour.");
    } = TimeSpan.FromMinutes(10);

    public HttpResilienceOptions Resilience { get; init; } = new();

    private static string NonBlank(string value, string name)
        => string.IsNullOrWhiteSpace(value) ? throw new ArgumentException($"{name} must not be blank.", name) : value;
}
