using ReleaseFunctions.Integrations.Http;

namespace ReleaseFunctions.Integrations.Prometheus;

/// <summary>
/// Where the Prometheus HTTP API is and how to ask it. Defaults: 60 s step, series split by the
/// <c>population</c> label, no authentication (set <see cref="TokenScope"/> for Azure Monitor managed Prometheus,
/// e.g. <c>https://prometheus.monitor.azure.com/.default</c>).
/// </summary>
public sealed record PrometheusOptions
{
    public PrometheusOptions(Uri baseUrl)
    {
        ArgumentNullException.ThrowIfNull(baseUrl);
        if (!baseUrl.IsAbsoluteUri || (baseUrl.Scheme != Uri.UriSchemeHttp && baseUrl.Scheme != Uri.UriSchemeHttps))
        {
            throw new ArgumentException($"The Prometheus base URL must be an absolute http(s) URL such as http://prometheus:9090/; got '{baseUrl}'.", nameof(baseUrl));
        }

        BaseUrl = baseUrl.AbsoluteUri.EndsWith('/') ? baseUrl : new Uri(baseUrl.AbsoluteUri + "/");
    }

    /// <summary>The server root; <c>api/v1/query_range</c> is resolved against it.</summary>
    public Uri BaseUrl { get; }

    /// <summary>The resolution of range queries when the SLI query names none (1 s to 1 hour).</summary>
    public TimeSpan DefaultStep
    {
        get;
        init => field = value >= TimeSpan.FromSeconds(1) && value <= TimeSpan.FromHours(1)
            ? value
            : throw new ArgumentOutOfRangeException(nameof(DefaultStep), value, "DefaultStep must be from 1 second to 1 hour.");
    } = TimeSpan.FromSeconds(60);

    /// <summary>The metric label whose value names a series' population ("canary", "baseline"); a query may override it with the parameter <c>population_label</c>.</summary>
    public string PopulationLabel
    {
        get;
        init => field = !string.IsNullOrWhiteSpace(value)
            ? value
            : throw new ArgumentException("PopulationLabel must name a metric label.", nameof(PopulationLabel));
    } = "population";

    /// <summary>The Entra ID scope of a bearer token to send, or null to send none.</summary>
    public string? TokenScope { get; init; }

    public HttpResilienceOptions Resilience { get; init; } = new();
}
