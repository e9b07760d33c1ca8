namespace ReleaseFunctions.Integrations.Sandbox;

/// <summary>
/// Sends a steady stream of <c>GET /work</c> requests to the router, one per tick of a timer on the injected clock.
/// Requests do not wait for each other; ticks that find too many in flight are skipped and counted.
/// </summary>
internal sealed class SandboxLoadGenerator : IAsyncDisposable
{
    private readonly HttpClient _client;
    private readonly Uri _target;
    private readonly int _maxInFlight;
    private readonly PeriodicTimer _timer;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private int _inFlight;
    private long _sent;
    private long _skipped;

    public SandboxLoadGenerator(HttpClient client, Uri router, double ratePerSecond, int maxInFlight, TimeProvider time)
    {
        _client = client;
        _target = new Uri(router, "work");
        _maxInFlight = maxInFlight;
        _timer = new PeriodicTimer(TimeSpan.FromSeconds(1 / ratePerSecond), time);
        _loop = RunAsync();
    }

    public long Sent => Interlocked.Read(ref _sent);
    public long Skipped => Interlocked.Read(ref _skipped);

    private async Task RunAsync()
    {
        try
        {
            while (await _timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
            {
                if (Interlocked.Increment(ref _inFlight) > _maxInFlight)
                {
                    Interlocked.Decrement(ref _inFlight);
                    Interlocked.Increment(ref _skipped);
                    continue;
                }

                Interlocked.Increment(ref _sent);
                _ = SendOneAsync();
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    private async Task SendOneAsync()
    {
        try
        {
            using var response = await _client.GetAsync(_target, _stop.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException)
        {
            // The router records failures it sees; a request the router never saw (stopping) is not traffic.
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        _timer.Dispose();
        _stop.Dispose();
    }
}
