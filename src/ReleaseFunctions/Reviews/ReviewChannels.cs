using System.Globalization;
using System.Text.Json;
using ReleaseFunctions.Core.Audit;
using ReleaseFunctions.Core.Notifications;
using ReleaseFunctions.Core.Policy;
using ReleaseFunctions.Core.Ports;
using ReleaseFunctions.Core.Releases;

namespace ReleaseFunctions.Reviews;

/// <summary>
/// Sends review_posted to the channels the release's policy routes it to, once the review is posted (this publisher
/// runs after the others), and records each channel's result in the release's audit trail (<c>notification-sent</c>
/// or <c>notification-failed</c>, keyed per channel, so a timer that publishes again records once). A channel that is
/// down, a policy that cannot be read, even a ledger that does not answer, never fails the review's publication:
/// that would post the review on the pull request again.
/// </summary>
internal sealed partial class ChannelReviewPublisher(
    IPolicySource policies,
    INotificationChannels channels,
    IReleaseLedger ledger,
    TimeProvider time,
    ILogger<ChannelReviewPublisher> logger) : IReviewPublisher
{
    private const string Actor = "post-release-review";
    private const int ReasonLimit = 1000;
    private static readonly JsonSerializerOptions EvidenceJson = new(JsonSerializerDefaults.Web);

    public async Task PublishAsync(ReleaseRecord release, ReleaseReview review, CancellationToken cancellationToken)
    {
        var eventName = NotificationEvents.Name(NotificationEvent.ReviewPosted);
        NotificationPolicy? routing;
        try
        {
            var document = await policies.ReadAsync(new ReleaseId(release.Repository, release.PullRequest, release.MergeCommitSha), release.InstallationId, cancellationToken);
            routing = ReleasePolicyParser.Parse(document.Yaml).Policy?.Notifications;
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // Which channels want the review is unknown: the trail says so, and the review stays published.
            await RecordAsync(release, "notification-failed", $"{eventName} could not be sent: the release policy could not be read ({ex.Message})",
                new { @event = eventName, error = ex.Message }, $"{release.InstanceId}/review-notification", cancellationToken);
            return;
        }

        var wanted = routing?.ChannelsFor(NotificationEvent.ReviewPosted) ?? [];
        if (wanted.Count == 0)
        {
            return;
        }

        var notification = new ReleaseNotification(NotificationEvent.ReviewPosted, release.InstanceId, release.Repository, release.PullRequest, release.Title,
            release.Service, release.Version, review.Outcome.ToString(), release.Stage, release.WeightPercent, Summary(review), Actor, review.ReviewedAt,
            $"{release.InstanceId}/review-posted");
        IReadOnlyList<ChannelDelivery> deliveries;
        try
        {
            deliveries = await channels.SendAsync(wanted, notification, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            deliveries = wanted.Select(c => ChannelDelivery.Failed(c, notification, 0, null, $"the notification could not be sent: {ex.Message}")).ToArray();
        }

        foreach (var (channel, delivery) in wanted.Zip(deliveries))
        {
            var kind = channel.Kind.ToString().ToLowerInvariant();
            var evidence = new { channel = channel.Name, type = kind, channel.Setting, @event = eventName, delivery.DeliveryId, delivery.Attempts, delivery.StatusCode, delivery.Error };
            var reason = delivery.Delivered
                ? $"{eventName} sent to channel {channel.Name} ({kind}), attempts: {delivery.Attempts}"
                : $"{eventName} could not be sent to channel {channel.Name} ({kind}) after {delivery.Attempts} attempt(s): {delivery.Error}";
            await RecordAsync(release, delivery.Delivered ? "notification-sent" : "notification-failed", reason, evidence, $"{release.InstanceId}/review-notification/{channel.Name}", cancellationToken);
        }
    }

    /// <summary>The review in one line: how the release ended, each SLI's change, the error budget spent.</summary>
    internal static string Summary(ReleaseReview review)
    {
        var parts = new List<string> { $"post-release review: {review.Outcome} ({review.OutcomeReason})" };
        parts.AddRange(review.Slis.Select(s => $"{s.Objective} {s.Assessment}"));
        if (review.ErrorBudget is { } burn)
        {
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"error budget {burn.RemainingNow:0.##}% left ({burn.Burned:0.##} points spent since the release)"));
        }

        if (review.ChangeFailure)
        {
            parts.Add("counted as a change failure");
        }

        var text = string.Join("; ", parts);
        return text.Length <= ReasonLimit ? text : text[..(ReasonLimit - 1)] + "…";
    }

    private async Task RecordAsync(ReleaseRecord release, string kind, string reason, object evidence, string key, CancellationToken cancellationToken)
    {
        try
        {
            var entry = new AuditEntry(release.InstanceId, time.GetUtcNow(), Actor, kind, reason, JsonSerializer.Serialize(evidence, EvidenceJson));
            await ledger.RecordAsync(release, entry, key, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            NotRecorded(logger, release.InstanceId, kind, reason, ex);
        }
    }

    [LoggerMessage(EventId = 7112, Level = LogLevel.Error, Message = "The {Kind} record of release {InstanceId} could not be written to its audit trail: {Reason}")]
    private static partial void NotRecorded(ILogger logger, string instanceId, string kind, string reason, Exception exception);
}
