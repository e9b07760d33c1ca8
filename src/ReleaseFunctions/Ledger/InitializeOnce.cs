namespace ReleaseFunctions.Ledger;

/// <summary>
/// Runs an initialization (e.g. creating a SQLite file's tables) once, and again on the next use after it failed: a
/// file that could not be written at first use (a full disk, a folder where the file belongs, a wrong permission) is
/// used as soon as it can be, without a restart. Unlike <see cref="Lazy{T}"/> of a task, a failure is not kept.
/// </summary>
internal sealed class InitializeOnce(Func<Task> initialize)
{
    private readonly Lock _gate = new();
    private Task? _current;

    public Task EnsureAsync()
    {
        lock (_gate)
        {
            if (_current is null || _current.IsFaulted || _current.IsCanceled)
            {
                _current = initialize();
            }

            return _current;
        }
    }
}
