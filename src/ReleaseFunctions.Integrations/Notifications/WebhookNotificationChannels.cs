using ReleaseFunctions.Core.Notifications;
using ReleaseFunctions.Core.Ports;
using ReleaseFunctions.Integrations.Http;

namespace ReleaseFunctions.Integrations.Notifications;

/// <summary>
/// Sends release events to Teams Workflows webhooks, Slack incoming webhooks and signed webhooks, each reached at the
/// address its setting group holds (<see cref="NotificationChannelOptions.Endpoints"/>, or the sandbox's inbox). Each channel is retried on its
/// own through <see cref="ResilientHttpClient"/> (429, 5xx, connection failures and timeouts, with exponential back-off
/// on the injected clock, honouring Retry-After), all channels at once, so one that is down delays no other. Whatever
/// a channel does, its result says so; nothing is thrown for it.
/// </summary>
public sealed class WebhookNotificationChannels : INotificationChannels
{
    private readonly NotificationChannelOptions _options;
    private readonly TimeProvider _time;
    private readonly Dictionary<NotificationChannelKind, (IChannelMessage Message, ResilientHttpClient Http)> _kinds;

    public WebhookNotificationChannels(HttpClient http, NotificationChannelOptions options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        _options = options;
        _time = time;
        _kinds = new IChannelMessage[] { new TeamsWorkflowMessage(), new SlackWebhookMessage(), new SignedWebhookMessage() }
            .ToDictionary(m => m.Kind, m => (m, new ResilientHttpClient(http, options.Resilience, time, m.System)));
    }

    public async Task<IReadOnlyList<ChannelDelivery>> SendAsync(IReadOnlyList<NotificationChannel> channels, ReleaseNotification notification, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(channels);
        ArgumentNullException.ThrowIfNull(notification);
        var links = _options.LinksFor(notification);
        return await Task.WhenAll(channels.Select(channel => SendAsync(channel, notification, links, cancellationToken))).ConfigureAwait(false);
    }

    private async Task<ChannelDelivery> SendAsync(NotificationChannel channel, ReleaseNotification notification, NotificationLinks links, CancellationToken cancellationToken)
    {
        NotificationEndpoint? endpoint;
        if (_options.SandboxChannels.Contains(channel.Setting))
        {
            try
            {
                endpoint = (_options.Sandbox ?? throw new IntegrationException("Sandbox", IntegrationFailureKind.Unavailable, "the sandbox does not run in this app"))(channel.Setting);
            }
            catch (IntegrationException ex)
            {
                return ChannelDelivery.Failed(channel, notification, 0, null,
                    $"channel {channel.Name} is the sandbox's inbox ({NotificationChannel.SettingKey(channel.Setting, "Url")} is 'sandbox'), not reachable now: {ex.Message}");
            }
        }
        else if (!_options.Endpoints.TryGetValue(channel.Setting, out endpoint))
        {
            return ChannelDelivery.Failed(channel, notification, 0, null,
                $"channel {channel.Name} is not configured: set the app setting {NotificationChannel.SettingKey(channel.Setting, "Url")} to its {Describe(channel.Kind)} URL");
        }

        if (channel.Kind == NotificationChannelKind.Webhook && endpoint.Secret is null)
        {
            return ChannelDelivery.Failed(channel, notification, 0, null,
                $"channel {channel.Name} is a signed webhook but {NotificationChannel.SettingKey(channel.Setting, "Secret")} is not set; expected a random secret of at least {NotificationEndpoint.MinimumSecretLength} characters shared with the receiver");
        }

        var (message, http) = _kinds[channel.Kind];
        var attempts = 0;
        // The resource is named by the channel, never by its URL: the URL is the secret that lets anyone post.
        var call = new IntegrationCall($"send {NotificationEvents.Name(notification.Event)} of release {notification.Release}", $"channel {channel.Name} ({Describe(channel.Kind)})", message.RequiredAccess);
        try
        {
            using var response = await http.SendAsync(
                _ =>
                {
                    Interlocked.Increment(ref attempts);
                    return ValueTask.FromResult(message.Create(notification, links, endpoint, _time.GetUtcNow()));
                },
                call,
                cancellationToken).ConfigureAwait(false);
            return ChannelDelivery.Sent(channel, notification, attempts, (int)response.StatusCode);
        }
        catch (IntegrationException ex)
        {
            return ChannelDelivery.Failed(channel, notification, attempts, ex.StatusCode, Scrub(ex.Message, endpoint));
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // Anything else (a request that could not be built) is this channel's failure too, not the release's.
            return ChannelDelivery.Failed(channel, notification, attempts, null, Scrub($"{message.System}: {ex.GetType().Name}: {ex.Message}", endpoint));
        }
    }

    private static string Describe(NotificationChannelKind kind) => kind switch
    {
        NotificationChannelKind.Teams => "Teams Workflows webhook",
        NotificationChannelKind.Slack => "Slack incoming webhook",
        _ => "signed webhook",
    };

    /// <summary>A failure message without the channel's URL or secret, should a transport have quoted them.</summary>
    private static string Scrub(string message, NotificationEndpoint endpoint)
    {
        var text = message.Replace(endpoint.Url.AbsoluteUri, "<the channel's URL>", StringComparison.OrdinalIgnoreCase);
        if (endpoint.Url.PathAndQuery.Length > 1)
        {
            text = text.Replace(endpoint.Url.PathAndQuery, "<path>", StringComparison.OrdinalIgnoreCase);
        }

        return endpoint.Secret is { } secret ? text.Replace(secret, "<secret>", StringComparison.Ordinal) : text;
    }
}
