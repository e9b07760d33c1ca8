using ReleaseFunctions.Core.Releases;

namespace ReleaseFunctions.Core.Ports;

/// <summary>One SLI before and after a release, as means over windows of equal length.</summary>
public sealed record SliComparison(string Objective, double? Before, double? After, string Assessment);

/// <summary>How much of the error budget a release's aftermath spent: remaining share at release start and now, in percent.</summary>
public sealed record ErrorBudgetBurn(double RemainingAtRelease, double RemainingNow)
{
    public double Burned => RemainingAtRelease - RemainingNow;
}

/// <summary>
/// The post-release review of one finished release, written once when the policy's review delay has passed:
/// SLIs before versus after, error-budget burn since the release, how it ended and why, its DORA contribution.
/// </summary>
public sealed record ReleaseReview(
    string InstanceId,
    DateTimeOffset ReviewedAt,
    ReleaseStatus Outcome,
    string OutcomeReason,
    IReadOnlyList<SliComparison> Slis,
    ErrorBudgetBurn? ErrorBudget,
    TimeSpan LeadTime,
    bool ChangeFailure,
    IReadOnlyList<string> Notes,
    DateTimeOffset? PublishedAt = null);

/// <summary>Where reviews are kept: with the release, once each.</summary>
public interface IReleaseReviews
{
    /// <summary>Finished releases (any end state) completed before <paramref name="completedBefore"/> whose review is missing or not yet published, oldest first.</summary>
    Task<IReadOnlyList<ReleaseRecord>> ListDueAsync(DateTimeOffset completedBefore, int max, CancellationToken cancellationToken);

    /// <summary>Saves the review unless the release already has one. Returns the review that is kept (the earlier one wins).</summary>
    Task<ReleaseReview> SaveAsync(ReleaseReview review, CancellationToken cancellationToken);

    Task MarkPublishedAsync(string instanceId, DateTimeOffset publishedAt, CancellationToken cancellationToken);

    Task<ReleaseReview?> GetAsync(string instanceId, CancellationToken cancellationToken);
}

/// <summary>Tells people about a review: on the pull request, and for a failed or rolled-back release, an issue for a post-incident review.</summary>
public interface IReviewPublisher
{
    Task PublishAsync(ReleaseRecord release, ReleaseReview review, CancellationToken cancellationToken);
}
