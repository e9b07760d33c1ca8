using System.Text.RegularExpressions;
using ReleaseFunctions.Durable.Storage;
using ReleaseFunctions.Durable.Worker;

namespace ReleaseFunctions.Durable;

/// <summary>Starts, signals, inspects and cleans up orchestration instances.</summary>
public sealed partial class DurableTaskClient
{
    private const int MaxInstanceIdLength = 256;

    private readonly IOrchestrationStore _store;
    private readonly TaskRegistry _registry;
    private readonly DataConverter _converter;
    private readonly WorkSignals _signals;
    private readonly TimeProvider _time;
    private readonly Lazy<Task> _initialized;

    internal DurableTaskClient(IOrchestrationStore store, TaskRegistry registry, DataConverter converter, WorkSignals signals, TimeProvider time)
    {
        _store = store;
        _registry = registry;
        _converter = converter;
        _signals = signals;
        _time = time;
        _initialized = new Lazy<Task>(() => _store.InitializeAsync(CancellationToken.None));
    }

    /// <summary>
    /// Starts an instance of <paramref name="orchestratorName"/>. Idempotent on the instance id: when an instance with
    /// that id exists, nothing is created and its id is returned.
    /// </summary>
    public async Task<string> ScheduleNewOrchestrationInstanceAsync(string orchestratorName, object? input = null, StartOrchestrationOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(orchestratorName);
        if (!_registry.HasOrchestrator(orchestratorName))
        {
            throw new ArgumentException($"No orchestrator named '{orchestratorName}' is registered; registered orchestrators: {_registry.DescribeOrchestrators()}.", nameof(orchestratorName));
        }

        var instanceId = options?.InstanceId ?? Guid.NewGuid().ToString("N");
        ValidateInstanceId(instanceId);
        await _initialized.Value;
        var now = _time.GetUtcNow();
        var startAt = options?.StartAt is { } at && at > now ? at : now;
        await _store.CreateInstanceAsync(new NewInstance(instanceId, orchestratorName, Guid.NewGuid().ToString("N"), _converter.Serialize(input), now, startAt), cancellationToken);
        _signals.Orchestrations.Set();
        return instanceId;
    }

    /// <summary>Sends an event to an instance. Throws <see cref="OrchestrationInstanceNotFoundException"/> when there is no such instance.</summary>
    public async Task RaiseEventAsync(string instanceId, string eventName, object? eventData = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(eventName);
        await SendAsync(instanceId, new EventRaisedEvent(eventName, _converter.Serialize(eventData)), cancellationToken);
    }

    /// <summary>Ends an instance now, with a reason kept as its output. Running activities finish but their results are dropped.</summary>
    public Task TerminateInstanceAsync(string instanceId, string? reason = null, CancellationToken cancellationToken = default)
        => SendAsync(instanceId, new ExecutionTerminatedEvent(reason), cancellationToken);

    /// <summary>Holds an instance: messages wait in its inbox until it is resumed (or terminated).</summary>
    public Task SuspendInstanceAsync(string instanceId, string? reason = null, CancellationToken cancellationToken = default)
        => SendAsync(instanceId, new ExecutionSuspendedEvent(reason), cancellationToken);

    public Task ResumeInstanceAsync(string instanceId, string? reason = null, CancellationToken cancellationToken = default)
        => SendAsync(instanceId, new ExecutionResumedEvent(reason), cancellationToken);

    public async Task<OrchestrationMetadata?> GetInstanceAsync(string instanceId, bool getInputsAndOutputs = false, CancellationToken cancellationToken = default)
    {
        ValidateInstanceId(instanceId);
        await _initialized.Value;
        var record = await _store.GetInstanceAsync(instanceId, getInputsAndOutputs, cancellationToken);
        return record is null ? null : new OrchestrationMetadata(record, _converter);
    }

    public async Task<OrchestrationPage> QueryInstancesAsync(InstanceQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        await _initialized.Value;
        var page = await _store.QueryInstancesAsync(query, cancellationToken);
        return new OrchestrationPage(page.Instances.Select(r => new OrchestrationMetadata(r, _converter)).ToList(), page.ContinuationToken);
    }

    /// <summary>The instance's history (of its current execution), oldest first.</summary>
    public async Task<IReadOnlyList<HistoryEvent>> GetHistoryAsync(string instanceId, CancellationToken cancellationToken = default)
    {
        ValidateInstanceId(instanceId);
        await _initialized.Value;
        if (await _store.GetInstanceAsync(instanceId, false, cancellationToken) is null)
        {
            throw new OrchestrationInstanceNotFoundException(instanceId);
        }

        return await _store.GetHistoryAsync(instanceId, cancellationToken);
    }

    /// <summary>Deletes a completed, failed or terminated instance and everything about it. Returns false for a running or unknown one.</summary>
    public async Task<bool> PurgeInstanceAsync(string instanceId, CancellationToken cancellationToken = default)
    {
        ValidateInstanceId(instanceId);
        await _initialized.Value;
        return await _store.PurgeInstanceAsync(instanceId, cancellationToken);
    }

    /// <summary>Deletes terminal instances created in [<paramref name="createdFrom"/>, <paramref name="createdTo"/>).</summary>
    public async Task<int> PurgeInstancesAsync(DateTimeOffset createdFrom, DateTimeOffset createdTo, IReadOnlyCollection<OrchestrationRuntimeStatus>? statuses = null, CancellationToken cancellationToken = default)
    {
        await _initialized.Value;
        return await _store.PurgeInstancesAsync(createdFrom, createdTo, statuses ?? [], cancellationToken);
    }

    /// <summary>Waits until the instance is completed, failed or terminated.</summary>
    public async Task<OrchestrationMetadata> WaitForInstanceCompletionAsync(string instanceId, bool getInputsAndOutputs = false, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            var completed = _signals.Completions.Current;
            var metadata = await GetInstanceAsync(instanceId, getInputsAndOutputs, cancellationToken)
                           ?? throw new OrchestrationInstanceNotFoundException(instanceId);
            if (metadata.IsCompleted)
            {
                return metadata;
            }

            // In-process completions signal at once; the delay covers instances finished by another process.
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            await Task.WhenAny(completed, Task.Delay(TimeSpan.FromSeconds(1), _time, cts.Token));
            await cts.CancelAsync();
            cancellationToken.ThrowIfCancellationRequested();
        }
    }

    private async Task SendAsync(string instanceId, HistoryEvent message, CancellationToken cancellationToken)
    {
        ValidateInstanceId(instanceId);
        await _initialized.Value;
        var now = _time.GetUtcNow();
        if (!await _store.SendMessageAsync(instanceId, message with { Timestamp = now }, now, cancellationToken))
        {
            throw new OrchestrationInstanceNotFoundException(instanceId);
        }

        _signals.Orchestrations.Set();
    }

    private static void ValidateInstanceId(string instanceId)
    {
        if (string.IsNullOrWhiteSpace(instanceId) || instanceId.Length > MaxInstanceIdLength || !InstanceIdPattern().IsMatch(instanceId))
        {
            throw new ArgumentException(
                $"An instance id is 1 to {MaxInstanceIdLength} characters of letters, digits and . _ : @ # / - (no spaces or control characters); got '{instanceId}'.",
                nameof(instanceId));
        }
    }

    [GeneratedRegex(@"^[A-Za-z0-9._:@#/\-]+$")]
    private static partial Regex InstanceIdPattern();
}
