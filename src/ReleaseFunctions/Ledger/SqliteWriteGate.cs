using System.Collections.Concurrent;

namespace ReleaseFunctions.Ledger;

/// <summary>Which writers go first when several wait for a SQLite file.</summary>
internal enum WritePriority
{
    /// <summary>The workflow's own bookkeeping (releases, audit entries, reviews): taken in order of arrival.</summary>
    Normal,

    /// <summary>
    /// Recording what arrives from outside (a webhook delivery id) before it is acknowledged: taken before every
    /// waiting normal writer, so an acknowledgement waits for at most the write in progress, not for the backlog of a
    /// busy workflow.
    /// </summary>
    Intake,
}

/// <summary>
/// One writer at a time per SQLite file in this process, waited for asynchronously. SQLite makes a second writer
/// sleep on a thread pool thread in its busy handler; under load, enough of those starve the thread pool and every
/// request waits. Writers in other processes still meet SQLite's own lock and busy timeout.
/// </summary>
internal static class SqliteWriteGate
{
    private static readonly ConcurrentDictionary<string, Gate> Gates = new(StringComparer.Ordinal);

    /// <summary>Runs <paramref name="write"/> holding the gate of the file at <paramref name="fullPath"/>.</summary>
    public static async Task<T> WriteAsync<T>(string fullPath, Func<Task<T>> write, CancellationToken cancellationToken, WritePriority priority = WritePriority.Normal)
    {
        var gate = Gates.GetOrAdd(fullPath, _ => new Gate());
        await gate.EnterAsync(priority, cancellationToken).ConfigureAwait(false);
        try
        {
            return await write().ConfigureAwait(false);
        }
        finally
        {
            gate.Leave();
        }
    }

    /// <summary>A mutex with two queues: a leaving holder hands over to the oldest intake waiter, else the oldest normal one.</summary>
    internal sealed class Gate
    {
        private readonly Lock _lock = new();
        private readonly LinkedList<TaskCompletionSource> _intake = [];
        private readonly LinkedList<TaskCompletionSource> _normal = [];
        private bool _held;

        /// <summary>How many writers wait (for tests).</summary>
        internal int Waiting
        {
            get
            {
                lock (_lock)
                {
                    return _intake.Count + _normal.Count;
                }
            }
        }

        public Task EnterAsync(WritePriority priority, CancellationToken cancellationToken)
        {
            cancellationToken.ThrowIfCancellationRequested();
            LinkedListNode<TaskCompletionSource> node;
            lock (_lock)
            {
                if (!_held)
                {
                    _held = true;
                    return Task.CompletedTask;
                }

                var queue = priority == WritePriority.Intake ? _intake : _normal;
                node = queue.AddLast(new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
            }

            if (cancellationToken.CanBeCanceled)
            {
                // A waiter that gives up leaves its queue; one already handed the gate keeps it (and leaves it as usual).
                var registration = cancellationToken.Register(() =>
                {
                    lock (_lock)
                    {
                        if (node.List is null)
                        {
                            return;
                        }

                        node.List.Remove(node);
                    }

                    node.Value.TrySetCanceled(cancellationToken);
                });
                _ = node.Value.Task.ContinueWith(_ => registration.Dispose(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            }

            return node.Value.Task;
        }

        public void Leave()
        {
            TaskCompletionSource next;
            lock (_lock)
            {
                var queue = _intake.Count > 0 ? _intake : _normal.Count > 0 ? _normal : null;
                if (queue is null)
                {
                    _held = false;
                    return;
                }

                next = queue.First!.Value;
                queue.RemoveFirst();
            }

            next.SetResult(); // the gate stays held: it passes to the next writer
        }
    }
}
