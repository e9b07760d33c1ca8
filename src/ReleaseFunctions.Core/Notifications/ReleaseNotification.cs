namespace ReleaseFunctions.Core.Notifications;

/// <summary>
/// One event of one release, as channels are told about it. <see cref="DeliveryId"/> is derived by whoever sends it
/// (the orchestrator, the review timer): the same for every retry, so a receiver can drop a repeat.
/// </summary>
/// <param name="Release">The release's instance id (its page on the dashboard is <c>#/releases/{Release}</c>).</param>
/// <param name="Reason">The line the audit trail recorded for the event.</param>
/// <param name="Actor">Who or what caused it (a login, <c>release-workflow</c>, <c>gate</c>).</param>
public sealed record ReleaseNotification(
    NotificationEvent Event,
    string Release,
    string Repository,
    int PullRequest,
    string Title,
    string Service,
    string Version,
    string Status,
    string? Stage,
    int? WeightPercent,
    string Reason,
    string Actor,
    DateTimeOffset At,
    string DeliveryId);

/// <summary>Where a message points people: the pull request, and the release's page on the dashboard when its address is configured.</summary>
public sealed record NotificationLinks(Uri PullRequest, Uri? ReleasePage);

/// <summary>
/// How sending one event to one channel ended: delivered, or why not after <see cref="Attempts"/> attempts (none when
/// the channel is not configured). <see cref="Error"/> never holds the channel's URL or secret.
/// </summary>
public sealed record ChannelDelivery(
    string Channel,
    NotificationChannelKind Kind,
    NotificationEvent Event,
    string DeliveryId,
    bool Delivered,
    int Attempts,
    int? StatusCode,
    string? Error)
{
    public static ChannelDelivery Sent(NotificationChannel channel, ReleaseNotification notification, int attempts, int statusCode)
        => new(channel.Name, channel.Kind, notification.Event, notification.DeliveryId, true, attempts, statusCode, null);

    public static ChannelDelivery Failed(NotificationChannel channel, ReleaseNotification notification, int attempts, int? statusCode, string error)
        => new(channel.Name, channel.Kind, notification.Event, notification.DeliveryId, false, attempts, statusCode, error);
}
