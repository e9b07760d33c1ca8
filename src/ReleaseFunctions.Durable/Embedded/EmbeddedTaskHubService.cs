using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using ReleaseFunctions.Durable.Diagnostics;
using ReleaseFunctions.Durable.Storage;
using P = Microsoft.DurableTask.Protobuf;

namespace ReleaseFunctions.Durable.Embedded;

/// <summary>
/// The Durable Task backend protocol (<c>TaskHubSidecarService</c>) over the project's store: the SDK client's
/// calls (start, raise, terminate, suspend, resume, query, purge, wait) and the SDK worker's work-item stream.
/// "Now" and every due time come from the injected <see cref="TimeProvider"/>.
/// </summary>
internal sealed partial class EmbeddedTaskHubService : P.TaskHubSidecarService.TaskHubSidecarServiceBase
{
    private const int MaxInstanceIdLength = 256;

    private readonly IOrchestrationStore _store;
    private readonly ConnectedWorkers _workers;
    private readonly WorkSignals _signals;
    private readonly TimeProvider _time;
    private readonly EmbeddedBackendOptions _options;
    private readonly StoreReadiness _ready;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, List<P.OrchestratorAction>> _partialResponses = new(StringComparer.Ordinal);

    public EmbeddedTaskHubService(
        IOrchestrationStore store,
        ConnectedWorkers workers,
        WorkSignals signals,
        TimeProvider time,
        EmbeddedBackendOptions options,
        StoreReadiness ready,
        ILogger<EmbeddedTaskHubService> logger)
    {
        _store = store;
        _workers = workers;
        _signals = signals;
        _time = time;
        _options = options;
        _ready = ready;
        _logger = logger;
    }

    public override Task<Empty> Hello(Empty request, ServerCallContext context) => Task.FromResult(new Empty());

    public override async Task<P.CreateInstanceResponse> StartInstance(P.CreateInstanceRequest request, ServerCallContext context)
    {
        var instanceId = string.IsNullOrEmpty(request.InstanceId) ? Guid.NewGuid().ToString("N") : request.InstanceId;
        ValidateInstanceId(instanceId);
        if (string.IsNullOrWhiteSpace(request.Name))
        {
            throw Refused(StatusCode.InvalidArgument, "An orchestration needs a name (the registered orchestrator to run); got none.");
        }

        await _ready.EnsureAsync(context.CancellationToken);
        var now = _time.GetUtcNow();
        var startAt = request.ScheduledStartTimestamp?.ToDateTimeOffset() is { } scheduled && scheduled > now ? scheduled : now;
        var executionId = string.IsNullOrEmpty(request.ExecutionId) ? Guid.NewGuid().ToString("N") : request.ExecutionId;
        var instance = new NewInstance(instanceId, request.Name, executionId, request.Input, now, startAt);
        if (!await _store.CreateInstanceAsync(instance, context.CancellationToken))
        {
            // Start once: an id that exists is refused unless the caller's reuse policy names its (final) status.
            var existing = await _store.GetInstanceAsync(instanceId, false, context.CancellationToken);
            var replaceable = request.OrchestrationIdReusePolicy?.ReplaceableStatus.Select(ProtocolMapping.FromProto).ToHashSet() ?? [];
            if (existing is null || !existing.Status.IsTerminal() || !replaceable.Contains(existing.Status)
                || !await _store.PurgeInstanceAsync(instanceId, context.CancellationToken)
                || !await _store.CreateInstanceAsync(instance, context.CancellationToken))
            {
                throw Refused(StatusCode.AlreadyExists,
                    $"An orchestration instance with the id '{instanceId}' already exists (status {existing?.Status.ToString() ?? "unknown"}); an instance id is started once.");
            }
        }

        _signals.Orchestrations.Set();
        return new P.CreateInstanceResponse { InstanceId = instanceId };
    }

    public override async Task<P.RaiseEventResponse> RaiseEvent(P.RaiseEventRequest request, ServerCallContext context)
    {
        if (string.IsNullOrWhiteSpace(request.Name))
        {
            throw Refused(StatusCode.InvalidArgument, "An event needs a name; got none.");
        }

        await SendAsync(request.InstanceId, new EventRaisedEvent(request.Name, request.Input), context.CancellationToken);
        return new P.RaiseEventResponse();
    }

    public override async Task<P.TerminateResponse> TerminateInstance(P.TerminateRequest request, ServerCallContext context)
    {
        await SendAsync(request.InstanceId, new ExecutionTerminatedEvent(request.Output), context.CancellationToken);
        return new P.TerminateResponse();
    }

    public override async Task<P.SuspendResponse> SuspendInstance(P.SuspendRequest request, ServerCallContext context)
    {
        await SendAsync(request.InstanceId, new ExecutionSuspendedEvent(request.Reason), context.CancellationToken);
        return new P.SuspendResponse();
    }

    public override async Task<P.ResumeResponse> ResumeInstance(P.ResumeRequest request, ServerCallContext context)
    {
        await SendAsync(request.InstanceId, new ExecutionResumedEvent(request.Reason), context.CancellationToken);
        return new P.ResumeResponse();
    }

    public override async Task<P.GetInstanceResponse> GetInstance(P.GetInstanceRequest request, ServerCallContext context)
    {
        ValidateInstanceId(request.InstanceId);
        await _ready.EnsureAsync(context.CancellationToken);
        var instance = await _store.GetInstanceAsync(request.InstanceId, request.GetInputsAndOutputs, context.CancellationToken);
        return instance is null
            ? new P.GetInstanceResponse { Exists = false }
            : new P.GetInstanceResponse { Exists = true, OrchestrationState = ProtocolMapping.ToProto(instance, request.GetInputsAndOutputs) };
    }

    public override Task<P.GetInstanceResponse> WaitForInstanceStart(P.GetInstanceRequest request, ServerCallContext context)
        => WaitForAsync(request, status => status != OrchestrationRuntimeStatus.Pending, context.CancellationToken);

    public override Task<P.GetInstanceResponse> WaitForInstanceCompletion(P.GetInstanceRequest request, ServerCallContext context)
        => WaitForAsync(request, status => status.IsTerminal(), context.CancellationToken);

    public override async Task<P.QueryInstancesResponse> QueryInstances(P.QueryInstancesRequest request, ServerCallContext context)
    {
        var query = request.Query ?? new P.InstanceQuery();
        await _ready.EnsureAsync(context.CancellationToken);
        InstancePage page;
        try
        {
            page = await _store.QueryInstancesAsync(new InstanceQuery(
                Statuses: query.RuntimeStatus.Select(ProtocolMapping.FromProto).OfType<OrchestrationRuntimeStatus>().ToList() is { Count: > 0 } statuses ? statuses : null,
                InstanceIdPrefix: string.IsNullOrEmpty(query.InstanceIdPrefix) ? null : query.InstanceIdPrefix,
                CreatedFrom: query.CreatedTimeFrom?.ToDateTimeOffset(),
                CreatedTo: query.CreatedTimeTo?.ToDateTimeOffset(),
                PageSize: query.MaxInstanceCount <= 0 ? 100 : Math.Min(query.MaxInstanceCount, 1000),
                ContinuationToken: string.IsNullOrEmpty(query.ContinuationToken) ? null : query.ContinuationToken,
                IncludePayloads: query.FetchInputsAndOutputs), context.CancellationToken);
        }
        catch (FormatException ex)
        {
            throw Refused(StatusCode.InvalidArgument, ex.Message);
        }

        var response = new P.QueryInstancesResponse { ContinuationToken = page.ContinuationToken };
        response.OrchestrationState.AddRange(page.Instances.Select(i => ProtocolMapping.ToProto(i, query.FetchInputsAndOutputs)));
        return response;
    }

    public override async Task<P.PurgeInstancesResponse> PurgeInstances(P.PurgeInstancesRequest request, ServerCallContext context)
    {
        await _ready.EnsureAsync(context.CancellationToken);
        int deleted;
        switch (request.RequestCase)
        {
            case P.PurgeInstancesRequest.RequestOneofCase.InstanceId:
                ValidateInstanceId(request.InstanceId);
                deleted = await _store.PurgeInstanceAsync(request.InstanceId, context.CancellationToken) ? 1 : 0;
                break;
            case P.PurgeInstancesRequest.RequestOneofCase.PurgeInstanceFilter:
                var filter = request.PurgeInstanceFilter;
                deleted = await _store.PurgeInstancesAsync(
                    filter.CreatedTimeFrom?.ToDateTimeOffset() ?? DateTimeOffset.MinValue,
                    filter.CreatedTimeTo?.ToDateTimeOffset() ?? DateTimeOffset.MaxValue,
                    filter.RuntimeStatus.Select(ProtocolMapping.FromProto).OfType<OrchestrationRuntimeStatus>().ToList(),
                    context.CancellationToken);
                break;
            default:
                throw Refused(StatusCode.InvalidArgument, $"A purge names an instance id or a filter; got '{request.RequestCase}'.");
        }

        return new P.PurgeInstancesResponse { DeletedInstanceCount = deleted, IsComplete = true };
    }

    public override async Task GetWorkItems(P.GetWorkItemsRequest request, IServerStreamWriter<P.WorkItem> responseStream, ServerCallContext context)
    {
        var orchestrations = Limit(request.MaxConcurrentOrchestrationWorkItems, _options.MaxConcurrentOrchestrations);
        var activities = Limit(request.MaxConcurrentActivityWorkItems, _options.MaxConcurrentActivities);
        using var stream = _workers.Connect(responseStream, orchestrations, activities);
        EngineLog.WorkerConnected(_logger, orchestrations, activities);
        try
        {
            // The stream stays open until the worker leaves; an idle one carries a ping now and then so the
            // worker does not take the silence for a dead connection.
            while (!context.CancellationToken.IsCancellationRequested)
            {
                await Task.Delay(_options.HealthPingInterval, TimeProvider.System, context.CancellationToken);
                await stream.WriteAsync(new P.WorkItem { HealthPing = new P.HealthPing() }, context.CancellationToken);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or WorkItemAbandonedException)
        {
        }
        finally
        {
            EngineLog.WorkerDisconnected(_logger);
        }

        static int Limit(int asked, int most) => asked <= 0 ? most : Math.Min(asked, most);
    }

    public override Task<P.CompleteTaskResponse> CompleteOrchestratorTask(P.OrchestratorResponse request, ServerCallContext context)
    {
#pragma warning disable CS0612 // IsPartial is deprecated, but an SDK that splits a large answer still sends it.
        if (request.IsPartial)
        {
            _partialResponses.AddOrUpdate(request.CompletionToken, _ => [.. request.Actions], (_, actions) => { actions.AddRange(request.Actions); return actions; });
            return Task.FromResult(new P.CompleteTaskResponse());
        }
#pragma warning restore CS0612

        if (_partialResponses.TryRemove(request.CompletionToken, out var earlier))
        {
            var whole = request.Clone();
            whole.Actions.Clear();
            whole.Actions.AddRange(earlier);
            whole.Actions.AddRange(request.Actions);
            request = whole;
        }

        return Answer(request.CompletionToken, request, $"orchestration {request.InstanceId}");
    }

    public override Task<P.CompleteTaskResponse> CompleteActivityTask(P.ActivityResponse request, ServerCallContext context)
        => Answer(request.CompletionToken, request, $"activity #{request.TaskId} of {request.InstanceId}");

    public override Task<P.AbandonOrchestrationTaskResponse> AbandonTaskOrchestratorWorkItem(P.AbandonOrchestrationTaskRequest request, ServerCallContext context)
    {
        _workers.TryAbandon(request.CompletionToken);
        return Task.FromResult(new P.AbandonOrchestrationTaskResponse());
    }

    public override Task<P.AbandonActivityTaskResponse> AbandonTaskActivityWorkItem(P.AbandonActivityTaskRequest request, ServerCallContext context)
    {
        _workers.TryAbandon(request.CompletionToken);
        return Task.FromResult(new P.AbandonActivityTaskResponse());
    }

    private Task<P.CompleteTaskResponse> Answer(string completionToken, object response, string what)
    {
        if (!_workers.TryComplete(completionToken, response))
        {
            // Late: the item went back (its stream closed or its lease ran out) and will run again.
            throw Refused(StatusCode.NotFound, $"The work item for {what} is no longer waiting for an answer (completion token '{completionToken}').");
        }

        return Task.FromResult(new P.CompleteTaskResponse());
    }

    private async Task<P.GetInstanceResponse> WaitForAsync(P.GetInstanceRequest request, Func<OrchestrationRuntimeStatus, bool> reached, CancellationToken cancellationToken)
    {
        ValidateInstanceId(request.InstanceId);
        await _ready.EnsureAsync(cancellationToken);
        while (true)
        {
            var changed = _signals.Changes.Current;
            var instance = await _store.GetInstanceAsync(request.InstanceId, request.GetInputsAndOutputs, cancellationToken);
            if (instance is null)
            {
                return new P.GetInstanceResponse { Exists = false };
            }

            if (reached(instance.Status))
            {
                return new P.GetInstanceResponse { Exists = true, OrchestrationState = ProtocolMapping.ToProto(instance, request.GetInputsAndOutputs) };
            }

            // Changes made in this process signal at once; the delay covers instances moved on by another process.
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            await Task.WhenAny(changed, Task.Delay(TimeSpan.FromSeconds(1), _time, cts.Token));
            await cts.CancelAsync();
            cancellationToken.ThrowIfCancellationRequested();
        }
    }

    private async Task SendAsync(string instanceId, HistoryEvent message, CancellationToken cancellationToken)
    {
        ValidateInstanceId(instanceId);
        await _ready.EnsureAsync(cancellationToken);
        var now = _time.GetUtcNow();
        if (!await _store.SendMessageAsync(instanceId, message with { Timestamp = now }, now, cancellationToken))
        {
            throw Refused(StatusCode.NotFound, $"No orchestration instance has the id '{instanceId}'.");
        }

        _signals.Orchestrations.Set();
    }

    private void ValidateInstanceId(string instanceId)
    {
        if (string.IsNullOrWhiteSpace(instanceId) || instanceId.Length > MaxInstanceIdLength || !InstanceIdPattern().IsMatch(instanceId))
        {
            throw Refused(StatusCode.InvalidArgument,
                $"An instance id is 1 to {MaxInstanceIdLength} characters of letters, digits and . _ : @ # / - (no spaces or control characters); got '{instanceId}'.");
        }
    }

    private RpcException Refused(StatusCode code, string why)
    {
        EngineLog.CallRefused(_logger, why);
        return new RpcException(new Status(code, why));
    }

    [GeneratedRegex(@"^[A-Za-z0-9._:@#/\-]+$")]
    private static partial Regex InstanceIdPattern();
}
