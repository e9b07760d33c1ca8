using Microsoft.Extensions.Logging;
using ReleaseFunctions.Core.Ports;
using ReleaseFunctions.Core.Releases;
using ReleaseFunctions.Integrations.GitHub;
using ReleaseFunctions.Integrations.GitHub.Client;

namespace ReleaseFunctions.Reviews;

/// <summary>Posts the review on the pull request; a failed or rolled-back release also gets an issue for its post-incident review.</summary>
internal sealed class GitHubReviewPublisher(GitHubClient github) : IReviewPublisher
{
    public async Task PublishAsync(ReleaseRecord release, ReleaseReview review, CancellationToken cancellationToken)
    {
        var repository = GitHubRepositoryName.Parse(release.Repository);
        var markdown = ReviewMarkdown.Render(release, review);
        await github.PostCommentAsync(repository, release.PullRequest, markdown, release.InstallationId, cancellationToken);
        if (review.ChangeFailure || review.Outcome is ReleaseStatus.Failed or ReleaseStatus.RolledBack or ReleaseStatus.RollbackFailed)
        {
            await github.OpenIssueAsync(repository, $"Post-incident review: {release.Service} {release.Version} ({review.Outcome})",
                markdown + $"\n\nRelease of #{release.PullRequest}, merge commit {release.MergeCommitSha}.", ["post-incident-review"], release.InstallationId, cancellationToken);
        }
    }
}

/// <summary>Writes every review to the log (the only channel when GitHub is not configured).</summary>
internal sealed partial class LoggingReviewPublisher(ILogger<LoggingReviewPublisher> logger) : IReviewPublisher
{
    public Task PublishAsync(ReleaseRecord release, ReleaseReview review, CancellationToken cancellationToken)
    {
        Published(logger, release.InstanceId, review.Outcome.ToString(), ReviewMarkdown.Render(release, review));
        return Task.CompletedTask;
    }

    [LoggerMessage(EventId = 7111, Level = LogLevel.Information, Message = "Post-release review of {InstanceId} ({Outcome}):\n{Markdown}")]
    private static partial void Published(ILogger logger, string instanceId, string outcome, string markdown);
}
