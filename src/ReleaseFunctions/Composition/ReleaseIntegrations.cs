using Azure.Core;
using Azure.Identity;
using Microsoft.Extensions.Options;
using ReleaseFunctions.Core.Ports;
using ReleaseFunctions.Integrations.AzureMonitor;
using ReleaseFunctions.Integrations.Deployment;
using ReleaseFunctions.Integrations.Alertmanager;
using ReleaseFunctions.Integrations.Migrations;
using ReleaseFunctions.Integrations.Prometheus;

namespace ReleaseFunctions.Composition;

/// <summary>
/// The deployment targets and SLI sources the workflow can use besides the sandbox: Azure App Service slots and
/// Container Apps revisions (ARM, with the app's Azure identity), App Configuration feature flags (the store's access key
/// from settings, else the app's Azure identity; the sandbox's store with the sandbox), a signed HTTP hook and the migration hook when
/// configured (the sandbox's database for the migration URL "sandbox"), Azure Monitor metrics and, when configured, Log
/// Analytics and Prometheus. A policy picks one by its provider name.
/// </summary>
internal static class ReleaseIntegrations
{
    /// <param name="endpoints">Read when the app is composed: the hook target exists only when its URL and secret are set.</param>
    public static IServiceCollection AddReleaseTargets(this IServiceCollection services, IntegrationEndpointsOptions endpoints)
    {
        AddAzureIdentity(services);
        services.AddSingleton<IDeploymentTarget>(sp => new AppServiceSlotTarget(Http(), new AzureTargetOptions(), sp.GetRequiredService<TokenCredential>(), sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<IDeploymentTarget>(sp => new ContainerAppsRevisionTarget(Http(), new AzureTargetOptions(), sp.GetRequiredService<TokenCredential>(), sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<IDeploymentTarget>(sp => new AppConfigurationFeatureFlagTarget(Http(), new AppConfigurationTargetOptions
        {
            AccessKeys = endpoints.AppConfigurationAccessKey is { } key ? [key] : [],
            // Endpoint "sandbox": the running sandbox's store, whose port and key change at every start.
            Sandbox = sp.GetService<SandboxRuntime>() is { } sandbox ? () => sandbox.Environment.FeatureFlagStoreKey : null,
        }, sp.GetRequiredService<TokenCredential>(), sp.GetRequiredService<TimeProvider>()));
        if (endpoints is { HttpHookUrl: { } hook, HttpHookSecret: { } secret })
        {
            services.AddSingleton<IDeploymentTarget>(sp => new HttpHookTarget(Http(), new HttpHookOptions(hook, secret), sp.GetRequiredService<TimeProvider>()));
        }

        if (endpoints is { MigrationHookUrl: { } migrations, MigrationHookSecret: { } migrationSecret })
        {
            services.AddSingleton<IMigrationRunner>(sp => new MigrationHook(Http(), new HttpHookOptions(migrations, migrationSecret), sp.GetRequiredService<TimeProvider>()));
        }
        else if (endpoints.MigrationHookOnSandbox)
        {
            // With the sandbox off this is a start-up problem (AppSettingsSetup); the runner still resolves, to say so.
            services.AddSingleton<IMigrationRunner>(sp => new SandboxMigrationRunner(sp.GetService<SandboxRuntime>()));
        }

        return services;
    }

    /// <param name="endpoints">Read when the app is composed: a source without its address is not registered at all.</param>
    public static IServiceCollection AddSliSources(this IServiceCollection services, IntegrationEndpointsOptions endpoints)
    {
        AddAzureIdentity(services);
        services.AddSingleton<ISliSource>(sp => new AzureMonitorMetricsSliSource(Http(), new AzureMonitorMetricsOptions(), sp.GetRequiredService<TokenCredential>(), sp.GetRequiredService<TimeProvider>()));
        if (endpoints.LogAnalyticsWorkspaceId is { } workspace)
        {
            services.AddSingleton<ISliSource>(sp => new LogAnalyticsSliSource(Http(), new LogAnalyticsOptions(workspace), sp.GetRequiredService<TokenCredential>(), sp.GetRequiredService<TimeProvider>()));
        }

        if (endpoints.PrometheusBaseUrl is { } prometheus)
        {
            services.AddSingleton<ISliSource>(sp => new PrometheusSliSource(Http(), new PrometheusOptions(prometheus), sp.GetRequiredService<TimeProvider>()));
        }

        // Fired alerts are read by the same gate measurements as the SLIs.
        services.AddSingleton<IAlertSource>(sp => new AzureMonitorAlertSource(Http(), new AzureMonitorAlertsOptions(), sp.GetRequiredService<TokenCredential>(), sp.GetRequiredService<TimeProvider>()));
        if (endpoints.AlertmanagerBaseUrl is { } alertmanager)
        {
            services.AddSingleton<IAlertSource>(sp => new AlertmanagerAlertSource(Http(), alertmanager, sp.GetRequiredService<TimeProvider>()));
        }

        return services;
    }

    /// <summary>The deployment targets registered for these settings (by <see cref="AddReleaseTargets"/> and, when enabled, the sandbox).</summary>
    public static IReadOnlyList<string> ConfiguredTargets(IntegrationEndpointsOptions endpoints, bool sandboxEnabled)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var targets = new List<string> { AppServiceSlotTarget.ProviderName, ContainerAppsRevisionTarget.ProviderName, AppConfigurationFeatureFlagTarget.ProviderName };
        if (endpoints is { HttpHookUrl: not null, HttpHookSecret: not null })
        {
            targets.Add(HttpHookTarget.ProviderName);
        }

        if (sandboxEnabled)
        {
            targets.Add("sandbox");
        }

        return targets;
    }

    /// <summary>The SLI sources registered for these settings (by <see cref="AddSliSources"/> and, when enabled, the sandbox).</summary>
    public static IReadOnlyList<string> ConfiguredSliSources(IntegrationEndpointsOptions endpoints, bool sandboxEnabled)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var sources = new List<string> { AzureMonitorMetricsSliSource.ProviderName };
        if (endpoints.LogAnalyticsWorkspaceId is not null)
        {
            sources.Add(LogAnalyticsSliSource.ProviderName);
        }

        if (endpoints.PrometheusBaseUrl is not null)
        {
            sources.Add(PrometheusSliSource.ProviderName);
        }

        if (sandboxEnabled)
        {
            sources.Add("sandbox");
        }

        return sources;
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
