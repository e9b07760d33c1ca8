using System.Threading.Channels;
using ReleaseFunctions.Hosting.Functions;

namespace ReleaseFunctions.Tests.Hosting;

/// <summary>Records the invocations of <see cref="ProbeFunction"/> and lets a test decide what each one does.</summary>
internal sealed class TimerProbe
{
    private readonly Channel<TimerInvocation> _started = Channel.CreateUnbounded<TimerInvocation>();
    private int _running;
    private int _maxRunning;
    private int _count;

    /// <summary>What an invocation does after it is recorded; completes at once unless a test says otherwise.</summary>
    public Func<TimerInvocation, int, CancellationToken, Task> Behavior { get; set; } = (_, _, _) => Task.CompletedTask;

    public int MaxConcurrentInvocations => Volatile.Read(ref _maxRunning);

    public int InvocationCount => Volatile.Read(ref _count);

    /// <summary>The next invocation that started (waits for it, up to 10 s as a guard against a hung test).</summary>
    public async Task<TimerInvocation> NextStartedAsync() => await _started.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));

    public async Task RunAsync(TimerInvocation invocation, CancellationToken cancellationToken)
    {
        var running = Interlocked.Increment(ref _running);
        var number = Interlocked.Increment(ref _count);
        int max;
        while (running > (max = Volatile.Read(ref _maxRunning)) && Interlocked.CompareExchange(ref _maxRunning, running, max) != max)
        {
        }

        try
        {
            _started.Writer.TryWrite(invocation);
            await Behavior(invocation, number, cancellationToken);
        }
        finally
        {
            Interlocked.Decrement(ref _running);
        }
    }
}

internal sealed class ProbeFunction(TimerProbe probe) : ITimerFunction
{
    public Task RunAsync(TimerInvocation invocation, CancellationToken cancellationToken) => probe.RunAsync(invocation, cancellationToken);
}
