using System.Collections.Concurrent;
using Grpc.Core;
using P = Microsoft.DurableTask.Protobuf;

namespace ReleaseFunctions.Durable.Embedded;

/// <summary>
/// The SDK workers connected through <c>GetWorkItems</c>, and the work items sent to them that have not been
/// answered yet. A work item is answered by its completion token; when a worker's stream closes, its unanswered
/// items fail so the dispatcher gives them back to the store.
/// </summary>
internal sealed class ConnectedWorkers
{
    private readonly ConcurrentDictionary<string, PendingWorkItem> _pending = new(StringComparer.Ordinal);
    private readonly object _gate = new();
    private readonly List<WorkerStream> _streams = [];
    private TaskCompletionSource _connected = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _next;

    /// <summary>Registers a worker's stream; dispose the result when the stream ends.</summary>
    public WorkerStream Connect(IServerStreamWriter<P.WorkItem> writer, int maxOrchestrations, int maxActivities)
    {
        var stream = new WorkerStream(this, writer, maxOrchestrations, maxActivities);
        lock (_gate)
        {
            _streams.Add(stream);
            _connected.TrySetResult();
        }

        return stream;
    }

    /// <summary>A connected worker (round robin when there are several), once one is connected.</summary>
    public async Task<WorkerStream> NextAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            Task connected;
            lock (_gate)
            {
                if (_streams.Count > 0)
                {
                    return _streams[_next++ % _streams.Count];
                }

                connected = _connected.Task;
            }

            await connected.WaitAsync(cancellationToken);
        }
    }

    public bool TryComplete(string completionToken, object response)
    {
        if (_pending.TryRemove(completionToken, out var pending))
        {
            return pending.Answer.TrySetResult(response);
        }

        return false;
    }

    public bool TryAbandon(string completionToken)
    {
        if (_pending.TryRemove(completionToken, out var pending))
        {
            return pending.Answer.TrySetException(new WorkItemAbandonedException("The worker gave the work item back."));
        }

        return false;
    }

    internal void Disconnect(WorkerStream stream)
    {
        lock (_gate)
        {
            _streams.Remove(stream);
            if (_streams.Count == 0 && _connected.Task.IsCompleted)
            {
                _connected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }

        foreach (var (token, pending) in _pending)
        {
            if (pending.Stream == stream && _pending.TryRemove(token, out _))
            {
                pending.Answer.TrySetException(new WorkItemAbandonedException("The worker's stream closed before it answered."));
            }
        }
    }

    internal Task<object> Register(string completionToken, WorkerStream stream)
    {
        var pending = new PendingWorkItem(stream, new TaskCompletionSource<object>(TaskCreationOptions.RunContinuationsAsynchronously));
        _pending[completionToken] = pending;
        return pending.Answer.Task;
    }

    internal void Forget(string completionToken) => _pending.TryRemove(completionToken, out _);

    private sealed record PendingWorkItem(WorkerStream Stream, TaskCompletionSource<object> Answer);
}

/// <summary>One worker's <c>GetWorkItems</c> stream, with the slots that bound how much it is given at once.</summary>
internal sealed class WorkerStream : IDisposable
{
    private readonly ConnectedWorkers _owner;
    private readonly IServerStreamWriter<P.WorkItem> _writer;
    private readonly SemaphoreSlim _writing = new(1, 1);
    private readonly CancellationTokenSource _closed = new();

    public WorkerStream(ConnectedWorkers owner, IServerStreamWriter<P.WorkItem> writer, int maxOrchestrations, int maxActivities)
    {
        _owner = owner;
        _writer = writer;
        OrchestrationSlots = new SemaphoreSlim(maxOrchestrations, maxOrchestrations);
        ActivitySlots = new SemaphoreSlim(maxActivities, maxActivities);
    }

    public SemaphoreSlim OrchestrationSlots { get; }

    public SemaphoreSlim ActivitySlots { get; }

    public CancellationToken Closed => _closed.Token;

    /// <summary>Sends a work item and waits for the worker's answer (an OrchestratorResponse or ActivityResponse).</summary>
    public async Task<T> SendAsync<T>(P.WorkItem item, CancellationToken cancellationToken) where T : class
    {
        var token = Guid.NewGuid().ToString("N");
        item.CompletionToken = token;
        var answer = _owner.Register(token, this);
        try
        {
            await WriteAsync(item, cancellationToken);
            return (T)await answer.WaitAsync(cancellationToken);
        }
        catch
        {
            _owner.Forget(token);
            throw;
        }
    }

    public async Task WriteAsync(P.WorkItem item, CancellationToken cancellationToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _closed.Token);
        await _writing.WaitAsync(linked.Token);
        try
        {
            await _writer.WriteAsync(item, linked.Token);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            throw new WorkItemAbandonedException($"The work item could not be sent to the worker: {ex.Message}");
        }
        finally
        {
            _writing.Release();
        }
    }

    public void Dispose()
    {
        // Not disposed: a dispatcher may still link to Closed after the stream ended.
        _closed.Cancel();
        _owner.Disconnect(this);
    }
}

/// <summary>A work item went back unanswered: the worker abandoned it or its stream closed.</summary>
internal sealed class WorkItemAbandonedException(string message) : Exception(message);
