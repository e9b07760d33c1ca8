using System.Collections.Concurrent;
using ReleaseFunctions.Core.Ports;
using ReleaseFunctions.Core.Releases;
using ReleaseFunctions.Integrations.GitHub;
using ReleaseFunctions.Integrations.GitHub.Client;
using CheckStatus = ReleaseFunctions.Integrations.GitHub.Client.CheckRunStatus;
using ViewGateOutcome = ReleaseFunctions.Integrations.GitHub.Client.GateOutcome;

namespace ReleaseFunctions.GitHub;

/// <summary>
/// Shows a release on GitHub: the sticky status comment on the PR, a check run on the merge commit (created once,
/// then updated), and a GitHub deployment per stage with a status for each update. A check run or deployment
/// created before a restart is not found again; a new one is created, and GitHub shows the newest by name.
/// </summary>
internal sealed class GitHubReleaseNotifier(GitHubClient github) : IReleaseNotifier
{
    public const string CheckRunName = "release";

    private readonly ConcurrentDictionary<string, long> _checkRuns = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string Release, string Stage), long> _deployments = new();

    public async Task PublishAsync(ReleaseStatusUpdate update, string idempotencyKey, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(update);
        var release = update.Release;
        var repository = GitHubRepositoryName.Parse(release.Repository);

        await github.UpsertStatusCommentAsync(StatusView(update), update.InstallationId, cancellationToken).ConfigureAwait(false);

        var report = CheckRun(update);
        if (_checkRuns.TryGetValue(release.InstanceId, out var checkRunId))
        {
            await github.UpdateCheckRunAsync(repository, checkRunId, report, update.InstallationId, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            _checkRuns[release.InstanceId] = await github.CreateCheckRunAsync(repository, release.MergeCommitSha, report, update.InstallationId, cancellationToken).ConfigureAwait(false);
        }

        if (update.Stage is { } stage)
        {
            if (!_deployments.TryGetValue((release.InstanceId, stage), out var deploymentId))
            {
                deploymentId = await github.CreateDeploymentAsync(repository, release.MergeCommitSha, stage, $"{update.Service} {update.Version}",
                    productionEnvironment: stage.StartsWith("prod", StringComparison.OrdinalIgnoreCase), update.InstallationId, cancellationToken).ConfigureAwait(false);
                _deployments[(release.InstanceId, stage)] = deploymentId;
            }

            await github.CreateDeploymentStatusAsync(repository, deploymentId, Deployment(update.Status), update.Summary, null, null, update.InstallationId, cancellationToken).ConfigureAwait(false);
        }
    }

    internal static ReleaseStatusView StatusView(ReleaseStatusUpdate update)
    {
        var stepCount = Math.Max(update.StepCount, update.Step);
        var gates = update.Gates
            .Select(g => new GateResultView($"{g.Stage} step {g.Step}", Enum.TryParse<ViewGateOutcome>(g.Outcome, ignoreCase: true, out var outcome) ? outcome : ViewGateOutcome.Inconclusive, null, g.Reason))
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
