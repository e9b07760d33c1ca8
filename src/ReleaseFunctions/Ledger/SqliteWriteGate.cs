using System.Collections.Concurrent;

namespace ReleaseFunctions.Ledger;

/// <summary>
/// One writer at a time per SQLite file in this process, waited for asynchronously. SQLite makes a second writer
/// sleep on a thread pool thread in its busy handler; under load, enough of those starve the thread pool and every
/// request waits. Writers in other processes still meet SQLite's own lock and busy timeout.
/// </summary>
internal static class SqliteWriteGate
{
    private static readonly ConcurrentDictionary<string, SemaphoreSlim> Gates = new(StringComparer.Ordinal);

    /// <summary>Runs <paramref name="write"/> holding the gate of the file at <paramref name="fullPath"/>.</summary>
    public static async Task<T> WriteAsync<T>(string fullPath, Func<Task<T>> write, CancellationToken cancellationToken)
    {
        var gate = Gates.GetOrAdd(fullPath, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await write().ConfigureAwait(false);
        }
        finally
        {
            gate.Release();
        }
    }
}
