using Microsoft.DurableTask;
using ReleaseFunctions.Core.Audit;
using ReleaseFunctions.Core.Notifications;
using ReleaseFunctions.Core.Ports;
using ReleaseFunctions.Telemetry;

namespace ReleaseFunctions.Releases;

/// <param name="Channels">The policy's channels that want the event.</param>
public sealed record ChannelNotificationRequest(IReadOnlyList<NotificationChannel> Channels, ReleaseNotification Notification);

/// <summary>
/// Sends one release event to the channels routed to it and returns how each went. It does not fail for a channel
/// (down, refusing, not configured): that is a result, which the workflow records, and the release goes on.
/// </summary>
internal sealed class NotifyChannels(INotificationChannels channels) : TaskActivity<ChannelNotificationRequest, ChannelDelivery[]>
{
    public override async Task<ChannelDelivery[]> RunAsync(TaskActivityContext context, ChannelNotificationRequest input)
    {
        using var span = ReleaseTelemetry.Source.StartActivity("release.notify");
        span?.SetTag("release.id", input.Notification.Release).SetTag("release.service", input.Notification.Service)
            .SetTag("release.notification.event", NotificationEvents.Name(input.Notification.Event)).SetTag("release.notification.channels", input.Channels.Count);
        var deliveries = await channels.SendAsync(input.Channels, input.Notification, ActivityCancellation.None);
        span?.SetTag("release.notification.failed", deliveries.Count(d => !d.Delivered));
        return [.. deliveries];
    }
}

/// <summary>
/// The orchestrator's side of the policy's <c>notifications</c>: after an audit entry that is an event some channel
/// wants (<see cref="NotificationEvents.FromTrail"/>), the <see cref="NotifyChannels"/> activity sends it, and each
/// channel's result goes to the trail: <c>notification-sent</c>, or <c>notification-failed</c> with the channel, the
/// event, the error and the attempts. Deterministic: the decision is a function of the entry and the policy, the delivery
/// id comes from <see cref="ReleaseRun.NextIdempotencyKey"/>, and all I/O is in the activity.
/// </summary>
internal static class ReleaseChannelNotices
{
    public static async Task SendAsync(ReleaseRun run, ReleaseTrail trail, AuditEntry entry)
    {
        if (run.AdoptedPolicy?.Notifications is not { } routing || NotificationEvents.FromTrail(entry.Kind, entry.EvidenceJson) is not { } notificationEvent)
        {
            return;
        }

        var channels = routing.ChannelsFor(notificationEvent);
        if (channels.Count == 0)
        {
            return;
        }

        var request = run.Request;
        var notification = new ReleaseNotification(notificationEvent, run.InstanceId, request.Repository, request.PullRequest, request.Title, request.Service, request.Version,
            run.Release.Status.ToString(), run.Release.Stage, run.Weight, entry.Reason, entry.Actor, entry.At, run.NextIdempotencyKey("notify"));
        IReadOnlyList<ChannelDelivery> deliveries;
        try
        {
            // One attempt: the activity retries each channel itself and does not fail for one; failing at all means it
            // could not run (e.g. no sender is registered), which another attempt would not change.
            deliveries = await run.Context.CallActivityAsync<ChannelDelivery[]>(nameof(NotifyChannels), new ChannelNotificationRequest(channels, notification));
        }
        catch (TaskFailedException ex)
        {
            deliveries = channels.Select(c => ChannelDelivery.Failed(c, notification, 0, null, $"the notification could not be sent: {ex.FailureDetails.ErrorMessage}")).ToArray();
        }

        foreach (var (channel, delivery) in channels.Zip(deliveries))
        {
            var name = NotificationEvents.Name(notificationEvent);
            var kind = channel.Kind.ToString().ToLowerInvariant();
            var evidence = new { channel = channel.Name, type = kind, channel.Setting, @event = name, delivery.DeliveryId, delivery.Attempts, delivery.StatusCode, delivery.Error };
            if (delivery.Delivered)
            {
                await trail.RecordAsync("notification-sent", ReleaseRun.Workflow, $"{name} sent to channel {channel.Name} ({kind}), attempts: {delivery.Attempts}", evidence);
            }
            else
            {
                await trail.RecordAsync("notification-failed", ReleaseRun.Workflow,
                    $"{name} could not be sent to channel {channel.Name} ({kind}) after {delivery.Attempts} attempt(s): {delivery.Error}; the release goes on", evidence);
            }
        }
    }
}
