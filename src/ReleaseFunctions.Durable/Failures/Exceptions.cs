namespace ReleaseFunctions.Durable;

/// <summary>The store cannot be used: its file is locked by another process, corrupt, or not a store at all.</summary>
public sealed class DurableStoreException : Exception
{
    public DurableStoreException(string message, Exception? inner = null) : base(message, inner)
    {
    }
}

/// <summary>A commit was refused because this worker no longer holds the lease on the work item.</summary>
public sealed class LeaseLostException : Exception
{
    public LeaseLostException(string message) : base(message)
    {
    }
}
