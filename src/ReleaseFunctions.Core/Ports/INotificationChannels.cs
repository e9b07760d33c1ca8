using ReleaseFunctions.Core.Notifications;

namespace ReleaseFunctions.Core.Ports;

/// <summary>Sends release events to the chat channels and webhooks a policy names.</summary>
public interface INotificationChannels
{
    /// <summary>
    /// Sends <paramref name="notification"/> to each channel, retrying each as its transport allows, and returns one
    /// result per channel in the same order. A channel that is down, refuses, or is not configured is a failed result,
    /// never an exception: people not hearing of a release must not stop it.
    /// </summary>
    Task<IReadOnlyList<ChannelDelivery>> SendAsync(IReadOnlyList<NotificationChannel> channels, ReleaseNotification notification, CancellationToken cancellationToken);
}
