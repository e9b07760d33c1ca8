using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using ReleaseFunctions.Integrations.GitHub.Client;
using ReleaseFunctions.Integrations.GitHub.Webhooks;

namespace ReleaseFunctions.Integrations.GitHub;

public static class GitHubServiceCollectionExtensions
{
    /// <summary>
    /// Registers the webhook handler (options from <c>GitHub:Webhook</c>), an in-memory delivery log unless one is
    /// already registered, and the REST client (options from <c>GitHub</c>), all as singletons on the registered
    /// <see cref="TimeProvider"/> (the system clock unless one is registered). Options are checked when a service is
    /// first resolved; resolve both at start to fail fast on bad settings.
    /// </summary>
    public static IServiceCollection AddGitHubIntegration(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        var section = configuration.GetSection("GitHub");
        services.TryAddSingleton(TimeProvider.System);
        services.AddOptions<GitHubWebhookOptions>().Bind(section.GetSection("Webhook"));
        services.AddOptions<GitHubClientOptions>().Bind(section);
        services.TryAddSingleton<IWebhookDeliveryLog>(sp => new InMemoryWebhookDeliveryLog(sp.GetRequiredService<TimeProvider>()));
        services.TryAddSingleton(sp => new GitHubWebhookHandler(
            sp.GetRequiredService<IOptions<GitHubWebhookOptions>>().Value,
            sp.GetRequiredService<IWebhookDeliveryLog>(),
            sp.GetRequiredService<TimeProvider>()));
        services.TryAddSingleton(sp => new GitHubClient(
            // A singleton client recycles its pooled connections so DNS changes (GitHub's failovers) are picked up.
            new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) }) { Timeout = TimeSpan.FromSeconds(30) },
            sp.GetRequiredService<IOptions<GitHubClientOptions>>().Value,
            sp.GetRequiredService<TimeProvider>()));
        return services;
    }
}
