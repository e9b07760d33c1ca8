using Microsoft.DurableTask;
using ReleaseFunctions.Core.Policy;
using ReleaseFunctions.Core.Ports;
using ReleaseFunctions.Core.Releases;

namespace ReleaseFunctions.Releases;

/// <summary>
/// One release: resolves its policy, waits out freeze windows and a spent error budget, then drives each stage's
/// strategy step by step (shift traffic, soak on a durable timer, judge the gate), asks for the approvals the
/// policy names, and promotes or rolls back. Commands (pause, resume, promote, rollback, abort, approve, reject)
/// are handled at every wait. Every decision goes to the audit trail with its evidence. Deterministic: all I/O is
/// in activities and all time comes from the context.
/// </summary>
/// <remarks>
/// The safety invariant: whatever fails (an activity after its retries, the ledger, a bug), the release ends
/// promoted, rolled back with traffic read back at 0% on every stage it moved, or <see cref="ReleaseStatus.RollbackFailed"/>
/// with the last weight read and an alert; never failed with traffic left on the candidate. The parts: this class
/// (the course of a release), <see cref="ReleaseEndings"/>, <see cref="StageRollout"/> (one per strategy),
/// <see cref="ReleaseTraffic"/>, <see cref="ReleaseCommands"/>, <see cref="ReleaseGates"/>, <see cref="ReleaseApprovals"/>,
/// <see cref="ReleaseWindows"/>, <see cref="ReleaseLaneTurn"/> and <see cref="ReleaseTrail"/> (the audit trail and status).
/// </remarks>
internal sealed partial class ReleaseOrchestrator : TaskOrchestrator<ReleaseRequest, ReleaseOutcome>
{
    public override async Task<ReleaseOutcome> RunAsync(TaskOrchestrationContext context, ReleaseRequest request)
    {
        var run = new ReleaseRun(context, request);
        var trail = new ReleaseTrail(run);
        var commands = new ReleaseCommands(run, trail);
        var traffic = new ReleaseTraffic(run, trail);
        var approvals = new ReleaseApprovals(run, trail, commands);
        var parts = new RolloutParts(run, trail, commands, traffic, new ReleaseGates(run, trail, commands), approvals, new ReleaseWindows(run, trail, commands, approvals));
        var lane = new ReleaseLaneTurn(run, trail, commands);
        var endings = new ReleaseEndings(run, trail, traffic);

        ReleaseOutcome outcome;
        try
        {
            outcome = await RunReleaseAsync(parts, lane, endings);
        }
        catch (Exception ex)
        {
            // Whatever escaped (an activity after its retries, a bug): traffic is never left on the candidate.
            outcome = await endings.RecoverAsync(ex);
        }

        await lane.LeaveAsync();
        outcome = await trail.SettleAsync(outcome);
        var log = context.CreateReplaySafeLogger<ReleaseOrchestrator>();
        if (outcome.Status == ReleaseStatus.RollbackFailed)
        {
            RollbackFailed(log, run.InstanceId, request.Service, outcome.Reason);
        }
        else
        {
            Ended(log, run.InstanceId, request.Service, outcome.Status, outcome.Reason);
        }

        return outcome;
    }

    private static async Task<ReleaseOutcome> RunReleaseAsync(RolloutParts parts, ReleaseLaneTurn lane, ReleaseEndings endings)
    {
        var (run, trail, _, _, _, _, windows) = parts;
        var request = run.Request;
        PolicyDocument document;
        try
        {
            document = await run.Context.CallActivityAsync<PolicyDocument>(nameof(ResolveReleasePolicy), request, ReleaseRun.IoRetry);
        }
        catch (TaskFailedException ex)
        {
            return await endings.FailAsync($"the release policy could not be read: {ex.FailureDetails.ErrorMessage}", new { error = ex.FailureDetails.ErrorMessage });
        }

        var parsed = ReleasePolicyParser.Parse(document.Yaml);
        if (parsed.Policy is null)
        {
            var problems = parsed.Problems.Select(p => p.ToString()).ToArray();
            return await endings.FailAsync($"the release policy at {document.Location} is invalid: {string.Join("; ", problems)}", new { document.Location, problems });
        }

        run.Adopt(parsed.Policy, document.Yaml);
        var policy = run.Policy;
        await trail.RecordAsync("release-received", ReleaseRun.Workflow, $"merge of #{request.PullRequest} by {request.Author} received; policy from {document.Location}",
            new { request.Repository, request.PullRequest, request.MergeCommitSha, request.Service, request.Version, request.Labels, policy = document.Location, document.IsDefault, stages = policy.Stages.Select(s => s.Name) });

        var hold = await windows.WaitOutFreezeAsync(null, "before the release starts") ?? await windows.PassErrorBudgetAsync() ?? await windows.PassPreflightAsync()
                   ?? await new ReleaseMigrations(run, trail, parts.Commands).ExpandAsync();
        if (hold is not null)
        {
            return await endings.FinishInterruptedAsync(hold);
        }

        run.Release = run.Release.Start(policy.Stages[0].Name, ReleaseRun.Workflow, run.Now);
        foreach (var stage in policy.Stages)
        {
            run.StepCount = stage.Strategy.StepCount;
            await lane.LeaveAsync();
            var queued = await lane.EnterAsync(stage);
            if (queued is not null)
            {
                return await endings.FinishInterruptedAsync(queued);
            }

            var interrupted = (stage == policy.Stages[0] ? null : await windows.WaitOutFreezeAsync(stage, $"before stage {stage.Name}"))
                              ?? await StageRollout.RunAsync(parts, stage);
            if (interrupted is not null)
            {
                return await endings.FinishInterruptedAsync(interrupted);
            }
        }

        return await endings.PromoteAsync();
    }

    [LoggerMessage(EventId = 7130, Level = LogLevel.Information, Message = "Release {Release} of {Service} ended {Status}: {Reason}")]
    private static partial void Ended(ILogger logger, string release, string service, ReleaseStatus status, string reason);

    [LoggerMessage(EventId = 7131, Level = LogLevel.Critical, Message = "Release {Release} of {Service} could not be rolled back: {Reason}")]
    private static partial void RollbackFailed(ILogger logger, string release, string service, string reason);
}
