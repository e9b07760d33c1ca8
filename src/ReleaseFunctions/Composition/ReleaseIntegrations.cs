using Azure.Core;
using Azure.Identity;
using Microsoft.Extensions.Options;
using ReleaseFunctions.Core.Ports;
using ReleaseFunctions.Integrations.AzureMonitor;
using ReleaseFunctions.Integrations.Deployment;
using ReleaseFunctions.Integrations.Prometheus;

namespace ReleaseFunctions.Composition;

/// <summary>
/// The deployment targets and SLI sources the workflow can use besides the sandbox: Azure App Service slots and
/// Container Apps revisions (ARM, with the app's Azure identity), Azure Monitor metrics and, when configured, Log
/// Analytics and Prometheus. A policy picks one by its provider name.
/// </summary>
internal static class ReleaseIntegrations
{
    public static IServiceCollection AddReleaseTargets(this IServiceCollection services)
    {
        AddAzureIdentity(services);
        services.AddSingleton<IDeploymentTarget>(sp => new AppServiceSlotTarget(Http(), new AzureTargetOptions(), sp.GetRequiredService<TokenCredential>(), sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<IDeploymentTarget>(sp => new ContainerAppsRevisionTarget(Http(), new AzureTargetOptions(), sp.GetRequiredService<TokenCredential>(), sp.GetRequiredService<TimeProvider>()));
        return services;
    }

    /// <param name="monitoring">Read when the app is composed: a source without its address is not registered at all.</param>
    public static IServiceCollection AddSliSources(this IServiceCollection services, MonitoringOptions monitoring)
    {
        AddAzureIdentity(services);
        services.AddSingleton<ISliSource>(sp => new AzureMonitorMetricsSliSource(Http(), new AzureMonitorMetricsOptions(), sp.GetRequiredService<TokenCredential>(), sp.GetRequiredService<TimeProvider>()));
        if (monitoring.LogAnalyticsWorkspaceId is { } workspace)
        {
            services.AddSingleton<ISliSource>(sp => new LogAnalyticsSliSource(Http(), new LogAnalyticsOptions(workspace), sp.GetRequiredService<TokenCredential>(), sp.GetRequiredService<TimeProvider>()));
        }

        if (monitoring.PrometheusBaseUrl is { } prometheus)
        {
            services.AddSingleton<ISliSource>(sp => new PrometheusSliSource(Http(), new PrometheusOptions(prometheus), sp.GetRequiredService<TimeProvider>()));
        }

        return services;
    }

    private static void AddAzureIdentity(IServiceCollection services)
    {
        // Managed identity in Azure, the developer's login locally; nothing is requested until a policy names an Azure provider.
        if (!services.Any(d => d.ServiceType == typeof(TokenCredential)))
        {
            services.AddSingleton<TokenCredential>(_ => new DefaultAzureCredential());
        }
    }

    // One client per adapter, recycling pooled connections so DNS changes are picked up.
    private static HttpClient Http() => new(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) });
}
