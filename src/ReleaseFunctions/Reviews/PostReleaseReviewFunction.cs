using Microsoft.Extensions.Logging;
using ReleaseFunctions.Core.Ports;
using ReleaseFunctions.Hosting.Functions;

namespace ReleaseFunctions.Reviews;

/// <summary>
/// The review timer: every finished release whose review delay has passed gets one review, kept with the release
/// and published. Idempotent: a review is saved once (the first wins) and published until marked published, so a
/// timer that fires twice or late reviews nothing twice.
/// </summary>
internal sealed partial class PostReleaseReviewFunction(
    IReleaseReviews reviews,
    ReleaseReviewer reviewer,
    MigrationContract contract,
    IEnumerable<IReviewPublisher> publishers,
    TimeProvider time,
    ILogger<PostReleaseReviewFunction> logger) : ITimerFunction
{
    public const string Name = "PostReleaseReview";

    /// <summary>Every 15 minutes.</summary>
    public const string Schedule = "0 */15 * * * *";

    /// <summary>The event id of the error logged when one release's review fails.</summary>
    internal const int ReviewFailedEventId = 7110;

    private const int BatchSize = 50;

    public async Task RunAsync(TimerInvocation invocation, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        foreach (var release in await reviews.ListDueAsync(now, BatchSize, cancellationToken))
        {
            // Each release's review stands alone: one that fails (its SLI source, the ledger, GitHub) is logged and
            // retried on the next run, and the others are reviewed meanwhile.
            try
            {
                await ReviewAsync(release, now, cancellationToken);
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                ReviewFailed(logger, release.InstanceId, ex);
            }
        }
    }

    private async Task ReviewAsync(ReleaseRecord release, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var review = await reviews.GetAsync(release.InstanceId, cancellationToken);
        if (review is null)
        {
            var written = await reviewer.ReviewAsync(release, now, cancellationToken);
            if (written is null)
            {
                return; // its policy's delay has not passed yet
            }

            review = await reviews.SaveAsync(written, cancellationToken);
            Reviewed(logger, release.InstanceId, review.Outcome.ToString(), review.Slis.Count);
        }

        if (review.PublishedAt is not null)
        {
            return;
        }

        // The review is published once the contract step is decided, so it is published once; until then the next run reads the step again.
        if (!await contract.RunAsync(release, review, cancellationToken))
        {
            return;
        }

        foreach (var publisher in publishers)
        {
            await publisher.PublishAsync(release, review, cancellationToken);
        }

        await reviews.MarkPublishedAsync(release.InstanceId, time.GetUtcNow(), cancellationToken);
    }

    [LoggerMessage(EventId = ReviewFailedEventId, Level = LogLevel.Error, Message = "The post-release review of release {InstanceId} failed; it is retried on the next run")]
    private static partial void ReviewFailed(ILogger logger, string instanceId, Exception exception);

    [LoggerMessage(EventId = 7100, Level = LogLevel.Information, Message = "Reviewed release {InstanceId} ({Outcome}) with {Slis} SLI comparisons")]
    private static partial void Reviewed(ILogger logger, string instanceId, string outcome, int slis);
}
