using ReleaseFunctions.Core.Policy;
using ReleaseFunctions.Core.Releases;
using ReleaseFunctions.Durable;

namespace ReleaseFunctions.Releases;

/// <summary>A release asking for, or giving up, a service's lane in a stage.</summary>
public sealed record LaneRequest(bool Enter, string ReleaseInstanceId, string Version, ConcurrencyMode Mode);

/// <summary>Who holds a lane and who waits, oldest first.</summary>
public sealed record LaneState(string Service, string Stage, string? Holder, IReadOnlyList<string> Queue);

/// <summary>
/// One release in flight per service and stage. Releases enter and leave by event; the lane grants in order of
/// arrival, or, for a release whose policy says supersede, asks the holder to stop and grants the newcomer next.
/// An eternal orchestration: it continues as new every so often to keep its history short.
/// </summary>
internal sealed class ReleaseLaneOrchestrator : TaskOrchestrator<LaneState, LaneState>
{
    public const string Name = "ReleaseLane";
    public const string RequestEvent = "lane-request";

    /// <summary>The event a release receives when it holds the lane; its payload is the lane's instance id.</summary>
    public const string GrantedEvent = "lane-granted";

    private const int EventsPerExecution = 100;

    public static string InstanceIdFor(string service, string stage) => $"lane-{Sanitise(service)}-{Sanitise(stage)}";

    public override async Task<LaneState> RunAsync(TaskOrchestrationContext context, LaneState state)
    {
        var holder = state.Holder;
        var queue = state.Queue.ToList();
        for (var i = 0; i < EventsPerExecution; i++)
        {
            var request = await context.WaitForExternalEvent<LaneRequest>(RequestEvent);
            if (request.Enter)
            {
                if (holder == request.ReleaseInstanceId || queue.Contains(request.ReleaseInstanceId))
                {
                    continue; // a redelivered request
                }

                if (holder is null)
                {
                    holder = request.ReleaseInstanceId;
                    await GrantAsync(context, holder);
                }
                else if (request.Mode == ConcurrencyMode.Supersede)
                {
                    queue.Insert(0, request.ReleaseInstanceId);
                    var stop = new ReleaseCommand(ReleaseCommandKind.Abort, "release-workflow", "release-lane", context.CurrentUtcDateTime,
                        $"superseded by {request.Version} ({request.ReleaseInstanceId})");
                    await context.CallActivityAsync<bool>(nameof(SignalRelease), new ReleaseSignal(holder, ReleaseEvents.Command, stop, null));
                }
                else
                {
                    queue.Add(request.ReleaseInstanceId);
                }
            }
            else if (holder == request.ReleaseInstanceId)
            {
                holder = queue.Count > 0 ? queue[0] : null;
                if (holder is not null)
                {
                    queue.RemoveAt(0);
                    await GrantAsync(context, holder);
                }
            }
            else
            {
                queue.Remove(request.ReleaseInstanceId);
            }
        }

        var next = state with { Holder = holder, Queue = queue };
        context.ContinueAsNew(next);
        return next;
    }

    private static Task GrantAsync(TaskOrchestrationContext context, string release)
        => context.CallActivityAsync<bool>(nameof(SignalRelease), new ReleaseSignal(release, GrantedEvent, null, context.InstanceId));

    private static string Sanitise(string text)
        => new(text.ToLowerInvariant().Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' ? c : '-').ToArray());
}

/// <summary>An event for a release: a command (from its lane) or a lane grant (the lane's id).</summary>
public sealed record ReleaseSignal(string InstanceId, string EventName, ReleaseCommand? Command, string? LaneId);

/// <summary>Raises an event on another instance. Raising twice is harmless: grants carry the lane id and commands are idempotent in effect.</summary>
internal sealed class SignalRelease(DurableTaskClient client) : TaskActivity<ReleaseSignal, bool>
{
    public override async Task<bool> RunAsync(TaskActivityContext context, ReleaseSignal input, CancellationToken cancellationToken)
    {
        try
        {
            await client.RaiseEventAsync(input.InstanceId, input.EventName, (object?)input.Command ?? input.LaneId, cancellationToken);
            return true;
        }
        catch (OrchestrationInstanceNotFoundException)
        {
            return false; // purged meanwhile: nobody to tell
        }
    }
}

public sealed record LaneEntry(string Service, string Stage, LaneRequest Request);

/// <summary>Sends a release's request to its service's lane for a stage, starting the lane the first time.</summary>
internal sealed class RequestLane(DurableTaskClient client) : TaskActivity<LaneEntry, string>
{
    public override async Task<string> RunAsync(TaskActivityContext context, LaneEntry input, CancellationToken cancellationToken)
    {
        var laneId = ReleaseLaneOrchestrator.InstanceIdFor(input.Service, input.Stage);
        await client.ScheduleNewOrchestrationInstanceAsync(ReleaseLaneOrchestrator.Name, new LaneState(input.Service, input.Stage, null, []),
            new StartOrchestrationOptions(laneId), cancellationToken);
        await client.RaiseEventAsync(laneId, ReleaseLaneOrchestrator.RequestEvent, input.Request, cancellationToken);
        return laneId;
    }
}
