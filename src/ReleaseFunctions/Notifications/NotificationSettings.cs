using Microsoft.Extensions.Options;
using ReleaseFunctions.Composition;
using ReleaseFunctions.Core.Notifications;
using ReleaseFunctions.Core.Ports;
using ReleaseFunctions.Hosting.Settings;
using ReleaseFunctions.Integrations.Notifications;
using ReleaseFunctions.Reviews;

namespace ReleaseFunctions.Notifications;

/// <summary>
/// Where the policies' notification channels are reached, from app settings: a policy names a channel's setting group
/// (<see cref="NotificationChannel.Setting"/>), and its address is here, because the policy is in the repository for
/// anyone to read and a webhook URL lets anyone who has it post.
/// <list type="bullet">
/// <item><c>ReleaseFunctions__Notifications__Channels__{setting}__Url</c>: the channel's webhook URL (Teams Workflows, Slack incoming webhook, or the receiver's),
/// or <c>sandbox</c> (no secret): the local sandbox's inbox, which answers as the channel's kind does and keeps what it got;</item>
/// <item><c>ReleaseFunctions__Notifications__Channels__{setting}__Secret</c>: a signed webhook's shared secret, at least 16 characters;</item>
/// <item><c>ReleaseFunctions__Dashboard__PublicUrl</c>: the dashboard's public address, so messages link to the release's page (<c>#/releases/{id}</c>); none: no such link;</item>
/// <item>the pull request links go to GitHub's web address, taken from <c>ReleaseFunctions__GitHub__ApiBaseUrl</c>.</item>
/// </list>
/// A channel a policy names that has no URL here is not a start-up problem (policies change without the app): each
/// event it should have had is recorded as <c>notification-failed</c> naming the setting to set.
/// </summary>
internal sealed class ReleaseNotificationOptions
{
    public Dictionary<string, NotificationEndpoint> Channels { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The setting groups whose URL is <c>sandbox</c>: the local sandbox's inbox receives their messages.</summary>
    public HashSet<string> SandboxChannels { get; } = new(StringComparer.OrdinalIgnoreCase);

    public Uri? DashboardUrl { get; set; }

    public Uri GitHubWebUrl { get; set; } = new("https://github.com/");
}

/// <summary>Reads <see cref="ReleaseNotificationOptions"/>; every unreadable value is a start-up problem naming its key, never repeating a URL or secret.</summary>
internal sealed partial class NotificationSettingsSetup(IConfiguration configuration) : IConfigureOptions<ReleaseNotificationOptions>, IValidateOptions<ReleaseNotificationOptions>
{
    public void Configure(ReleaseNotificationOptions options) => Read(options);

    public ValidateOptionsResult Validate(string? name, ReleaseNotificationOptions options)
    {
        var problems = Read(new ReleaseNotificationOptions());
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }

    private List<string> Read(ReleaseNotificationOptions options)
    {
        var problems = new List<string>();
        var root = configuration.GetSection(ReleaseFunctionsOptions.SectionName);
        var sandboxEnabled = AppSettingsSetup.IsSandboxEnabled(root);
        foreach (var group in root.GetSection("Notifications").GetSection("Channels").GetChildren())
        {
            ReadChannel(group, options, sandboxEnabled, problems);
        }

        if (Text(root.GetSection("Dashboard"), "PublicUrl") is { } page)
        {
            if (Uri.TryCreate(page, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp) && string.IsNullOrEmpty(uri.Fragment))
            {
                options.DashboardUrl = uri;
            }
            else
            {
                problems.Add($"{SettingKeys.Of("Dashboard", "PublicUrl")} is '{page}'; expected the absolute http(s) address people open the dashboard at, such as 'https://releases.contoso.com/' (no '#').");
            }
        }

        options.GitHubWebUrl = GitHubWeb(Text(root.GetSection("GitHub"), "ApiBaseUrl"));
        return problems;
    }

    private static void ReadChannel(IConfigurationSection group, ReleaseNotificationOptions options, bool sandboxEnabled, List<string> problems)
    {
        var urlKey = SettingKeys.Of("Notifications", "Channels", group.Key, "Url");
        var secretKey = SettingKeys.Of("Notifications", "Channels", group.Key, "Secret");
        if (!string.IsNullOrWhiteSpace(group.Value))
        {
            problems.Add($"{SettingKeys.Of("Notifications", "Channels", group.Key)} is set; expected the channel's URL in {urlKey} (and a signed webhook's secret in {secretKey}).");
            return;
        }

        foreach (var child in group.GetChildren().Where(c => !string.Equals(c.Key, "Url", StringComparison.OrdinalIgnoreCase) && !string.Equals(c.Key, "Secret", StringComparison.OrdinalIgnoreCase)))
        {
            problems.Add($"{SettingKeys.Of("Notifications", "Channels", group.Key, child.Key)} is not a channel setting; expected {urlKey} and, for a signed webhook, {secretKey}.");
        }

        var url = Text(group, "Url");
        var secret = Text(group, "Secret");
        if (url is null && secret is null)
        {
            return; // an empty entry, as the sample settings have
        }

        if (!SettingGroupPattern().IsMatch(group.Key))
        {
            problems.Add($"{SettingKeys.Of("Notifications", "Channels", group.Key)} cannot be named by a policy: a channel's setting is letters, digits and '_' (write '-' as '_').");
            return;
        }

        if (string.Equals(url, AppSettingsSetup.SandboxSetting, StringComparison.OrdinalIgnoreCase))
        {
            // The sandbox's inbox has its own address and secret, new at every start.
            if (secret is not null)
            {
                problems.Add($"{secretKey} is set but {urlKey} is '{AppSettingsSetup.SandboxSetting}', whose inbox signs with its own secret; expected the secret empty, or the channel's webhook URL.");
            }
            else if (!sandboxEnabled)
            {
                problems.Add($"{urlKey} is '{AppSettingsSetup.SandboxSetting}' but {SettingKeys.Of("Sandbox", "Enabled")} is false; expected the channel's webhook URL, or the sandbox enabled.");
            }
            else
            {
                options.SandboxChannels.Add(group.Key);
            }

            return;
        }

        // Neither value is repeated in a problem: both are secrets.
        if (url is null)
        {
            problems.Add($"{secretKey} is set but {urlKey} is not; expected the channel's webhook URL beside its secret.");
        }
        else if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
        {
            problems.Add($"{urlKey} is not an absolute http(s) URL; expected the webhook URL that Teams (Workflows), Slack or the receiver gave for the channel (the value is not repeated: it is a secret).");
        }
        else if (secret is not null && secret.Length < NotificationEndpoint.MinimumSecretLength)
        {
            problems.Add($"{secretKey} has {secret.Length} characters; expected a random secret of at least {NotificationEndpoint.MinimumSecretLength} to sign the channel's messages.");
        }
        else
        {
            options.Channels[group.Key] = new NotificationEndpoint(uri, secret);
        }
    }

    /// <summary>GitHub's web address for its API address: github.com for api.github.com, the server for a GitHub Enterprise Server's <c>/api/v3</c>.</summary>
    internal static Uri GitHubWeb(string? apiBaseUrl)
    {
        if (apiBaseUrl is null || !Uri.TryCreate(apiBaseUrl, UriKind.Absolute, out var api) || (api.Scheme != Uri.UriSchemeHttps && api.Scheme != Uri.UriSchemeHttp))
        {
            return new Uri("https://github.com/");
        }

        if (string.Equals(api.Host, "api.github.com", StringComparison.OrdinalIgnoreCase))
        {
            return new Uri("https://github.com/");
        }

        var path = api.AbsolutePath.TrimEnd('/');
        var web = path.EndsWith("/api/v3", StringComparison.OrdinalIgnoreCase) ? path[..^"/api/v3".Length] : string.Empty;
        return new Uri($"{api.GetLeftPart(UriPartial.Authority)}{web}/");
    }

    private static string? Text(IConfigurationSection section, string name)
    {
        var value = section.GetSection(name).Value;
        return string.IsNullOrWhiteSpace(value) ? null : value.Trim();
    }

    [System.Text.RegularExpressions.GeneratedRegex("^[A-Za-z0-9_]{1,64}$")]
    private static partial System.Text.RegularExpressions.Regex SettingGroupPattern();
}

internal static class NotificationComposition
{
    /// <summary>
    /// The policies' notification channels: their settings (validated at start), the senders the workflow's
    /// <c>NotifyChannels</c> activity uses, and the review publisher that sends review_posted (registered after the others,
    /// so the review is posted before channels hear it was).
    /// </summary>
    public static IServiceCollection AddReleaseNotifications(this IServiceCollection services)
    {
        services.AddSingleton<NotificationSettingsSetup>();
        services.AddSingleton<IConfigureOptions<ReleaseNotificationOptions>>(sp => sp.GetRequiredService<NotificationSettingsSetup>());
        services.AddSingleton<IValidateOptions<ReleaseNotificationOptions>>(sp => sp.GetRequiredService<NotificationSettingsSetup>());
        services.AddOptions<ReleaseNotificationOptions>().ValidateOnStart();
        services.AddSingleton<INotificationChannels>(sp =>
        {
            var settings = sp.GetRequiredService<IOptions<ReleaseNotificationOptions>>().Value;
            // Its own client, recycling pooled connections so DNS changes are picked up.
            var http = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) });
            var sandbox = sp.GetService<SandboxRuntime>();
            var options = new NotificationChannelOptions(settings.Channels, settings.DashboardUrl, settings.GitHubWebUrl)
            {
                SandboxChannels = settings.SandboxChannels,
                Sandbox = sandbox is null ? null : setting => sandbox.Environment.NotificationEndpointFor(setting),
            };
            return new WebhookNotificationChannels(http, options, sp.GetRequiredService<TimeProvider>());
        });
        services.AddSingleton<IReviewPublisher, ChannelReviewPublisher>();
        return services;
    }
}
