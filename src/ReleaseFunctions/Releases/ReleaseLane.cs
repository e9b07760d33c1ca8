using ReleaseFunctions.Durable.Starting;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using ReleaseFunctions.Core.Audit;
using ReleaseFunctions.Core.Policy;
using ReleaseFunctions.Core.Ports;
using ReleaseFunctions.Core.Releases;

namespace ReleaseFunctions.Releases;

/// <summary>A release asking for, or giving up, a service's lane in a stage.</summary>
/// <param name="MergedAt">When the release's change was merged: with supersede, the newest merge wins, whatever the order of arrival.</param>
/// <param name="Target">The stage's deployment target, so the lane can move traffic back for a holder that died without doing so.</param>
public sealed record LaneRequest(bool Enter, string ReleaseInstanceId, string Version, ConcurrencyMode Mode, DateTimeOffset? MergedAt = null, TargetSpec? Target = null);

/// <summary>Who holds a lane and who waits, oldest first, with what the lane knows of each (merge time, target).</summary>
public sealed record LaneState(string Service, string Stage, string? Holder, IReadOnlyList<string> Queue, IReadOnlyDictionary<string, LaneRequest>? Requests = null);

/// <summary>
/// One release in flight per service and stage. Releases enter and leave by event; the lane grants in order of
/// arrival, or, for a release whose policy says supersede, lets the newest merge win: every older release, holding
/// or queued, is stopped with the reason, and an older merge arriving late is refused as superseded.
/// While a release holds the lane, the lane checks on it every <see cref="HolderWatchInterval"/>: a holder that
/// ended without leaving (terminated, or failed in the engine) is released, and, when it had not finished, its
/// traffic is moved back by <see cref="RescueStrandedRelease"/>. An eternal orchestration: it continues as new every
/// so often to keep its history short.
/// </summary>
/// <remarks>
/// The request wait lives until a request came and was taken: it is raced against the watch timer but never cancelled,
/// since the SDK keeps a cancelled event wait in place and it would swallow the next request (durabletask-dotnet #508);
/// the losing watch timer is cancelled (#713).
/// </remarks>
internal sealed class ReleaseLaneOrchestrator : TaskOrchestrator<LaneState, LaneState>
{
    public const string Name = "ReleaseLane";
    public const string RequestEvent = "lane-request";

    /// <summary>The event a release receives when it holds the lane; its payload is the lane's instance id.</summary>
    public const string GrantedEvent = "lane-granted";

    public static readonly TimeSpan HolderWatchInterval = TimeSpan.FromMinutes(5);

    private const int EventsPerExecution = 100;

    private static readonly TaskOptions Retry = TaskOptions.FromRetryPolicy(new RetryPolicy(5, TimeSpan.FromSeconds(5), 2, TimeSpan.FromMinutes(2)));

    public static string InstanceIdFor(string service, string stage) => $"lane-{Sanitise(service)}-{Sanitise(stage)}";

    public override async Task<LaneState> RunAsync(TaskOrchestrationContext context, LaneState state)
    {
        var holder = state.Holder;
        var queue = state.Queue.ToList();
        var requests = new Dictionary<string, LaneRequest>(state.Requests ?? new Dictionary<string, LaneRequest>(), StringComparer.Ordinal);
        Task<LaneRequest>? arrival = null;
        // The limit applies only with no request wait outstanding: a wait left behind at continue-as-new would take a
        // request that nobody reads.
        for (var i = 0; i < EventsPerExecution || arrival is not null; i++)
        {
            arrival ??= context.WaitForExternalEvent<LaneRequest>(RequestEvent);
            LaneRequest? request = null;
            if (holder is null || await ArrivesBeforeWatchAsync(context, arrival))
            {
                request = await arrival;
                arrival = null;
            }

            if (request is null)
            {
                if (await HolderEndedAsync(context, holder!, requests.GetValueOrDefault(holder!)))
                {
                    requests.Remove(holder!);
                    holder = GrantNext(context, queue);
                }

                continue;
            }

            if (!request.Enter)
            {
                requests.Remove(request.ReleaseInstanceId);
                if (holder == request.ReleaseInstanceId)
                {
                    holder = GrantNext(context, queue);
                }
                else
                {
                    queue.Remove(request.ReleaseInstanceId);
                }

                continue;
            }

            if (holder == request.ReleaseInstanceId || queue.Contains(request.ReleaseInstanceId))
            {
                continue; // a redelivered request
            }

            if (request.Mode == ConcurrencyMode.Supersede)
            {
                var inLane = new[] { holder }.Concat(queue).OfType<string>().ToList();
                var newer = inLane
                    .Where(id => requests.GetValueOrDefault(id)?.MergedAt is { } merged && request.MergedAt is { } mine && merged > mine)
                    .FirstOrDefault();
                if (newer is not null)
                {
                    var winner = requests[newer];
                    Tell(context, request.ReleaseInstanceId, Stop(context, $"superseded: {winner.Version} ({newer}) was merged later, at {winner.MergedAt:u}"));
                    continue;
                }

                foreach (var older in inLane)
                {
                    Tell(context, older, Stop(context, $"superseded by {request.Version} ({request.ReleaseInstanceId}), merged later"));
                }

                // Queued releases that were stopped are forgotten now; the holder leaves when it has moved its traffic back.
                foreach (var older in queue)
                {
                    requests.Remove(older);
                }

                queue.Clear();
            }

            requests[request.ReleaseInstanceId] = request;
            if (holder is null)
            {
                holder = request.ReleaseInstanceId;
                Grant(context, holder);
            }
            else
            {
                queue.Add(request.ReleaseInstanceId);
            }
        }

        var next = state with { Holder = holder, Queue = queue, Requests = requests };
        context.ContinueAsNew(next);
        return next;
    }

    /// <summary>True when a request comes before the watch interval has passed (time to check on the holder); the losing timer is cancelled.</summary>
    private static async Task<bool> ArrivesBeforeWatchAsync(TaskOrchestrationContext context, Task<LaneRequest> arrival)
    {
        if (arrival.IsCompleted)
        {
            return true;
        }

        using var watchCancel = new CancellationTokenSource();
        var watch = context.CreateTimer(context.CurrentUtcDateTime + HolderWatchInterval, watchCancel.Token);
        if (await Task.WhenAny(arrival, watch) != arrival)
        {
            return false;
        }

        watchCancel.Cancel();
        return true;
    }

    /// <summary>True when the holder no longer runs (it will never leave by itself); its traffic is rescued when it did not finish.</summary>
    private static async Task<bool> HolderEndedAsync(TaskOrchestrationContext context, string holder, LaneRequest? request)
    {
        string status;
        try
        {
            status = await context.CallActivityAsync<string>(ReadReleaseRuntimeActivity.Name, holder, Retry);
        }
        catch (TaskFailedException)
        {
            return false; // the engine did not answer: check again at the next watch
        }

        if (status is nameof(OrchestrationRuntimeStatus.Running) or nameof(OrchestrationRuntimeStatus.Pending) or nameof(OrchestrationRuntimeStatus.Suspended))
        {
            return false;
        }

        if (status is not nameof(OrchestrationRuntimeStatus.Completed) && request?.Target is { } target)
        {
            try
            {
                await context.CallActivityAsync<string>(nameof(RescueStrandedRelease), new StrandedRelease(holder, context.InstanceId, status, target), Retry);
            }
            catch (TaskFailedException)
            {
                // The rescue records what it could not do; the lane must not stay blocked behind a dead holder.
            }
        }

        return true;
    }

    private static string? GrantNext(TaskOrchestrationContext context, List<string> queue)
    {
        if (queue.Count == 0)
        {
            return null;
        }

        var next = queue[0];
        queue.RemoveAt(0);
        Grant(context, next);
        return next;
    }

    private static ReleaseCommand Stop(TaskOrchestrationContext context, string reason)
        => new(ReleaseCommandKind.Abort, "release-lane", "release-lane", context.CurrentUtcDateTime, reason);

    /// <summary>
    /// Grants and stops are events sent by the orchestration itself (the backend delivers them with its commit; an
    /// instance that no longer exists gets nothing). Sending twice is harmless: a grant carries the lane's id and a
    /// stop is idempotent in effect.
    /// </summary>
    private static void Grant(TaskOrchestrationContext context, string release) => context.SendEvent(release, GrantedEvent, context.InstanceId);

    private static void Tell(TaskOrchestrationContext context, string release, ReleaseCommand command) => context.SendEvent(release, ReleaseEvents.Command, command);

    private static string Sanitise(string text)
        => new(text.ToLowerInvariant().Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' ? c : '-').ToArray());
}

public sealed record LaneEntry(string Service, string Stage, LaneRequest Request);

/// <summary>Sends a release's request to its service's lane for a stage, starting the lane the first time.</summary>
/// <remarks>
/// One of the workflow's two calls on its engine's client (with <see cref="ReadReleaseRuntimeActivity"/>). Standalone, the
/// client is a service; the Functions worker has none in its services (the host hands it to a function as a
/// <c>[DurableClient]</c> binding), so there this runs as the activity function <c>ReleaseLaneFunctions.RequestLane</c>.
/// </remarks>
internal sealed class RequestLaneActivity(DurableTaskClient client) : TaskActivity<LaneEntry, string>
{
    public const string Name = "RequestLane";

    public override Task<string> RunAsync(TaskActivityContext context, LaneEntry input) => SendAsync(client, input, CancellationToken.None);

    /// <summary>Returns the lane's instance id, which the lane's grant carries.</summary>
    public static async Task<string> SendAsync(DurableTaskClient client, LaneEntry input, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        var laneId = ReleaseLaneOrchestrator.InstanceIdFor(input.Service, input.Stage);
        await client.StartOnceAsync(ReleaseLaneOrchestrator.Name, laneId, new LaneState(input.Service, input.Stage, null, []), cancellationToken);
        await client.RaiseEventAsync(laneId, ReleaseLaneOrchestrator.RequestEvent, input.Request, cancellationToken);
        return laneId;
    }
}

/// <summary>A lane holder whose workflow ended without leaving the lane: who, where, how it ended, and its stage's target.</summary>
public sealed record StrandedRelease(string ReleaseInstanceId, string Lane, string EndedAs, TargetSpec Target);

/// <summary>How an orchestration stands in the engine (its runtime status by name, or "Missing"), so a lane can tell a dead holder.</summary>
/// <remarks>On the Functions worker this runs as the activity function <c>ReleaseLaneFunctions.ReadReleaseRuntime</c> (see <see cref="RequestLaneActivity"/>).</remarks>
internal sealed class ReadReleaseRuntimeActivity(DurableTaskClient client) : TaskActivity<string, string>
{
    public const string Name = "ReadReleaseRuntime";

    public override Task<string> RunAsync(TaskActivityContext context, string input) => ReadAsync(client, input, CancellationToken.None);

    public static async Task<string> ReadAsync(DurableTaskClient client, string instanceId, CancellationToken cancellationToken)
        => (await client.GetInstanceAsync(instanceId, getInputsAndOutputs: false, cancellationToken))?.RuntimeStatus.ToString() ?? "Missing";
}

/// <summary>
/// For a release whose workflow was terminated or failed in the engine before it finished (so it never ran its own
/// rollback): moves its stage's traffic back to the stable version, reads it back, records the outcome in its trail
/// (rolled back, or rollback-failed with the weight read) and tells people. A release the ledger shows finished is left alone.
/// </summary>
internal sealed partial class RescueStrandedRelease(
    IReleaseLedger ledger, IEnumerable<IDeploymentTarget> targets, IEnumerable<IReleaseNotifier> notifiers, TimeProvider clock, ILogger<RescueStrandedRelease> logger)
    : TaskActivity<StrandedRelease, string>
{
    private const string Actor = "release-lane";

    public override async Task<string> RunAsync(TaskActivityContext context, StrandedRelease input)
    {
        // The SDK gives activities no cancellation: a worker that stops abandons the call, and it runs again elsewhere.
        var cancellationToken = CancellationToken.None;
        var record = await ledger.GetReleaseAsync(input.ReleaseInstanceId, cancellationToken);
        if (record is null || record.CompletedAt is not null)
        {
            return record is null ? "not recorded: nothing moved" : $"already {record.Status}";
        }

        var target = targets.For(input.Target);
        TrafficState? state = null;
        string? problem = null;
        try
        {
            var shift = new TrafficShift(input.Target, record.InstanceId, record.Service, record.Version, record.Stage ?? "-", record.Step, 0, TrafficAction.Rollback, $"{record.InstanceId}/rescue");
            await target.ApplyAsync(shift, cancellationToken);
            state = await target.ReadAsync(shift, cancellationToken); // verified by a read of its own, as every traffic change is
            if (state.CandidateWeightPercent != 0)
            {
                problem = $"{input.Target.Provider} reports {state.CandidateWeightPercent}% still on {record.Version} ({state.Detail})";
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            problem = $"{input.Target.Provider} failed: {ex.Message}";
        }

        var now = clock.GetUtcNow();
        var rolledBack = problem is null;
        var status = rolledBack ? ReleaseStatus.RolledBack : ReleaseStatus.RollbackFailed;
        var summary = rolledBack
            ? $"rolled back by the lane: the release's workflow ended {input.EndedAs} before it finished; traffic verified back on the stable version ({state!.Detail})"
            : $"ROLLBACK FAILED: the release's workflow ended {input.EndedAs} before it finished, and moving its traffic back failed: {problem}";
        var updated = record with { Status = status, WeightPercent = state?.CandidateWeightPercent ?? record.WeightPercent, Summary = summary, UpdatedAt = now, CompletedAt = now, RolledBack = rolledBack };
        var evidence = System.Text.Json.JsonSerializer.Serialize(new { endedAs = input.EndedAs, lane = input.Lane, state, problem });
        await ledger.RecordAsync(updated, new AuditEntry(record.InstanceId, now, Actor, rolledBack ? "rolled-back" : "rollback-failed", summary, evidence), $"{record.InstanceId}/rescue", cancellationToken);

        var update = new ReleaseStatusUpdate(new ReleaseId(record.Repository, record.PullRequest, record.MergeCommitSha), record.Service, record.Version, status, record.Stage, record.Step, 0,
            updated.WeightPercent, [], [], summary, rolledBack ? "stopped; fix forward with a new merge" : "ACTION NEEDED: move the traffic back on the target by hand", now, record.InstallationId);
        // The trail holds the outcome; one channel down does not stop the others.
        foreach (var (notifier, error) in await notifiers.PublishToEachAsync(update, $"{record.InstanceId}/rescue", cancellationToken))
        {
            NotifierFailed(logger, record.InstanceId, notifier, error);
        }

        Rescued(logger, record.InstanceId, input.EndedAs, summary);
        return summary;
    }

    [LoggerMessage(EventId = 7120, Level = LogLevel.Warning, Message = "The lane took over release {Release}, whose workflow ended {EndedAs} before it finished: {Summary}")]
    private static partial void Rescued(ILogger logger, string release, string endedAs, string summary);

    [LoggerMessage(EventId = 7121, Level = LogLevel.Warning, Message = "Telling people about the rescue of release {Release} through {Notifier} failed: {Error}")]
    private static partial void NotifierFailed(ILogger logger, string release, string notifier, string error);
}
