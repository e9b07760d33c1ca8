using ReleaseFunctions.Durable.Storage;

namespace ReleaseFunctions.Durable.Embedded;

/// <summary>Creates or migrates the store's schema once, before the first call that needs it; a failed attempt is tried again by the next call.</summary>
internal sealed class StoreReadiness(IOrchestrationStore store)
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private volatile bool _ready;

    public async Task EnsureAsync(CancellationToken cancellationToken)
    {
        if (_ready)
        {
            return;
        }

        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (!_ready)
            {
                await store.InitializeAsync(cancellationToken);
                _ready = true;
            }
        }
        finally
        {
            _gate.Release();
        }
    }
}
