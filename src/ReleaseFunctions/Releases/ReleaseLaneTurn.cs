using Microsoft.DurableTask;
using ReleaseFunctions.Core.Policy;
using ReleaseFunctions.Core.Releases;

namespace ReleaseFunctions.Releases;

/// <summary>A release's side of its service's lane: one release per service and stage; commands still apply while queued.</summary>
/// <remarks>Like the command wait, the grant wait lives until a grant came and was taken (durabletask-dotnet #508): it is never cancelled.</remarks>
internal sealed class ReleaseLaneTurn(ReleaseRun run, ReleaseTrail trail, ReleaseCommands commands)
{
    private Task<string>? _grant;
    private string? _stage;

    private Task<string> Grant => _grant ??= run.Context.WaitForExternalEvent<string>(ReleaseLaneOrchestrator.GrantedEvent);

    /// <summary>Waits for this service's lane in the stage; null once the release holds it.</summary>
    public async Task<Interruption?> EnterAsync(StagePolicy stage)
    {
        var request = new LaneRequest(true, run.InstanceId, run.Request.Version, run.Policy.Concurrency, run.Request.MergedAt, stage.Target);
        string laneId;
        try
        {
            laneId = await run.Context.CallActivityAsync<string>(RequestLaneActivity.Name, new LaneEntry(run.Request.Service, stage.Name, request), ReleaseRun.IoRetry);
        }
        catch (TaskFailedException ex)
        {
            return Interruption.Failed($"could not ask for the lane of {run.Request.Service} in {stage.Name}: {ex.FailureDetails.ErrorMessage}");
        }

        _stage = stage.Name;
        var requestedAt = run.Now;
        trail.ShowProgress($"waiting until no other release of {run.Request.Service} is in {stage.Name} ({run.Policy.Concurrency})", stage.Name, 0);
        while (true)
        {
            var grant = Grant;
            if (await Task.WhenAny(grant, commands.Arrival) == grant)
            {
                var granted = await grant;
                _grant = null;
                if (granted != laneId)
                {
                    continue; // a grant of an earlier stage's lane, delivered twice
                }

                if (run.Now > requestedAt)
                {
                    await trail.RecordAsync("lane-entered", ReleaseRun.Workflow, $"entered {stage.Name} after waiting {run.Now - requestedAt} for the release ahead of it", new { lane = laneId, waited = run.Now - requestedAt });
                }

                return null;
            }

            var received = await commands.TakeAsync();
            if (received.Kind is ReleaseCommandKind.Abort or ReleaseCommandKind.Rollback)
            {
                return Interruption.Aborted(received, $"stopped by {received.Actor} while waiting to enter {stage.Name}" + received.Because());
            }

            await trail.RefuseAsync(received, $"another release of {run.Request.Service} is in {stage.Name}; this one waits its turn");
        }
    }

    /// <summary>Gives the lane up; when the lane cannot be told, its watch frees it once this release has ended.</summary>
    public async Task LeaveAsync()
    {
        if (_stage is not { } stage)
        {
            return;
        }

        _stage = null;
        var request = new LaneRequest(false, run.InstanceId, run.Request.Version, run.Policy.Concurrency, run.Request.MergedAt);
        try
        {
            await run.Context.CallActivityAsync<string>(RequestLaneActivity.Name, new LaneEntry(run.Request.Service, stage, request), ReleaseRun.IoRetry);
        }
        catch (TaskFailedException ex)
        {
            await trail.RecordAsync("lane-leave-failed", ReleaseRun.Workflow, $"could not leave the lane of {run.Request.Service} in {stage}: {ex.FailureDetails.ErrorMessage}; the lane frees itself once this release has ended",
                new { stage, error = ex.FailureDetails.ErrorMessage });
        }
    }
}
