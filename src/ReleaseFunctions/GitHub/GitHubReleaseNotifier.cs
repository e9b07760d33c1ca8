using ReleaseFunctions.Core.Ports;
using ReleaseFunctions.Core.Releases;
using ReleaseFunctions.Integrations.GitHub;
using ReleaseFunctions.Integrations.GitHub.Client;
using CheckStatus = ReleaseFunctions.Integrations.GitHub.Client.CheckRunStatus;
using ViewGateOutcome = ReleaseFunctions.Integrations.GitHub.Client.GateOutcome;

namespace ReleaseFunctions.GitHub;

/// <summary>
/// Shows a release on GitHub: the sticky status comment on the PR, a check run on the merge commit (created once,
/// then updated), and a GitHub deployment per stage with a status for each update. The ids of the comment, the check
/// run and the deployments are kept with the release (<see cref="IReleaseExternalIds"/>), each as soon as it is
/// created, so a notifier that restarted (or runs on another instance) updates them instead of creating new ones.
/// </summary>
internal sealed class GitHubReleaseNotifier(GitHubClient github, IReleaseExternalIds ids) : IReleaseNotifier
{
    public const string CheckRunName = "release";

    /// <summary>The names the ids are kept under.</summary>
    internal const string StatusCommentId = "github-status-comment";
    internal const string CheckRunId = "github-check-run";
    internal const string DeploymentIdPrefix = "github-deployment:";

    public async Task PublishAsync(ReleaseStatusUpdate update, string idempotencyKey, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(update);
        var release = update.Release;
        var repository = GitHubRepositoryName.Parse(release.Repository);
        var known = await ids.GetExternalIdsAsync(release.InstanceId, cancellationToken).ConfigureAwait(false);

        long? knownComment = known.TryGetValue(StatusCommentId, out var comment) ? comment : null;
        var commentId = await github.UpsertStatusCommentAsync(StatusView(update), knownComment, update.InstallationId, cancellationToken).ConfigureAwait(false);
        if (commentId != knownComment)
        {
            await ids.SaveExternalIdAsync(release.InstanceId, StatusCommentId, commentId, cancellationToken).ConfigureAwait(false);
        }

        var report = CheckRun(update);
        if (known.TryGetValue(CheckRunId, out var checkRunId))
        {
            await github.UpdateCheckRunAsync(repository, checkRunId, report, update.InstallationId, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            checkRunId = await github.CreateCheckRunAsync(repository, release.MergeCommitSha, report, update.InstallationId, cancellationToken).ConfigureAwait(false);
            await ids.SaveExternalIdAsync(release.InstanceId, CheckRunId, checkRunId, cancellationToken).ConfigureAwait(false);
        }

        if (update.Stage is { } stage)
        {
            if (!known.TryGetValue(DeploymentIdPrefix + stage, out var deploymentId))
            {
                deploymentId = await github.CreateDeploymentAsync(repository, release.MergeCommitSha, stage, $"{update.Service} {update.Version}",
                    productionEnvironment: stage.StartsWith("prod", StringComparison.OrdinalIgnoreCase), update.InstallationId, cancellationToken).ConfigureAwait(false);
                await ids.SaveExternalIdAsync(release.InstanceId, DeploymentIdPrefix + stage, deploymentId, cancellationToken).ConfigureAwait(false);
            }

            await github.CreateDeploymentStatusAsync(repository, deploymentId, Deployment(update.Status), update.Summary, null, null, update.InstallationId, cancellationToken).ConfigureAwait(false);
        }
    }

    internal static ReleaseStatusView StatusView(ReleaseStatusUpdate update)
    {
        var stepCount = Math.Max(update.StepCount, update.Step);
        var gates = update.Gates
            .Select(g => new GateResultView(g.Step > 0 ? $"{g.Stage} step {g.Step}" : g.Stage, Enum.TryParse<ViewGateOutcome>(g.Outcome, ignoreCase: true, out var outcome) ? outcome : ViewGateOutcome.Inconclusive, null, g.Reason))
            .ToArray();
        var approvals = update.ApprovedBy.Select(login => new ApprovalView(login, true, update.At)).ToArray();
        return new ReleaseStatusView(update.Release, State(update.Status), update.Stage, Math.Max(0, update.Step), stepCount, update.WeightPercent,
            gates, approvals, update.NextStep, update.At);
    }

    internal static CheckRunReport CheckRun(ReleaseStatusUpdate update)
    {
        var title = $"{State(update.Status)}: {update.Service} {update.Version}";
        var summary = $"{update.Summary}\n\nNext: {update.NextStep}";
        return update.Status switch
        {
            ReleaseStatus.Promoted => new CheckRunReport(CheckRunName, CheckStatus.Completed, CheckRunConclusion.Success, title, summary, externalId: update.Release.InstanceId),
            ReleaseStatus.RolledBack or ReleaseStatus.Failed or ReleaseStatus.RollbackFailed => new CheckRunReport(CheckRunName, CheckStatus.Completed, CheckRunConclusion.Failure, title, summary, externalId: update.Release.InstanceId),
            ReleaseStatus.Aborted => new CheckRunReport(CheckRunName, CheckStatus.Completed, CheckRunConclusion.Cancelled, title, summary, externalId: update.Release.InstanceId),
            ReleaseStatus.Pending => new CheckRunReport(CheckRunName, CheckStatus.Queued, null, title, summary, externalId: update.Release.InstanceId),
            _ => new CheckRunReport(CheckRunName, CheckStatus.InProgress, null, title, summary, externalId: update.Release.InstanceId),
        };
    }

    internal static DeploymentState Deployment(ReleaseStatus status) => status switch
    {
        ReleaseStatus.Pending => DeploymentState.Queued,
        ReleaseStatus.Promoted => DeploymentState.Success,
        ReleaseStatus.RolledBack or ReleaseStatus.Failed or ReleaseStatus.RollbackFailed => DeploymentState.Failure,
        ReleaseStatus.Aborted => DeploymentState.Inactive,
        _ => DeploymentState.InProgress,
    };

    private static string State(ReleaseStatus status) => status switch
    {
        ReleaseStatus.Pending => "Pending",
        ReleaseStatus.Running => "Rolling out",
        ReleaseStatus.WaitingForApproval => "Waiting for approval",
        ReleaseStatus.Paused => "Paused",
        ReleaseStatus.AwaitingDecision => "Awaiting a decision",
        ReleaseStatus.RollingBack => "Rolling back",
        ReleaseStatus.Promoted => "Promoted",
        ReleaseStatus.RolledBack => "Rolled back",
        ReleaseStatus.Failed => "Failed",
        ReleaseStatus.RollbackFailed => "ROLLBACK FAILED: the candidate may still take traffic",
        ReleaseStatus.Aborted => "Aborted",
        _ => status.ToString(),
    };
}
