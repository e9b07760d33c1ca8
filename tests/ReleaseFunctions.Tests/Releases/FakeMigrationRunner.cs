using System.Collections.Concurrent;
using ReleaseFunctions.Core.Ports;

namespace ReleaseFunctions.Tests.Releases;

/// <summary>A migration hook stand-in: the state a test says each step reads back at the clock's time, and every call.</summary>
internal sealed class FakeMigrationRunner : IMigrationRunner
{
    /// <summary>The clock the reports are stamped with: the test's fake one (the harness's, once it is built); never the real clock.</summary>
    public TimeProvider? Clock { get; set; }

    private DateTimeOffset Now => (Clock ?? throw new InvalidOperationException("Set the fake migration runner's Clock to the test's fake clock.")).GetUtcNow();

    /// <summary>What a read reports for a step (by migration name); Applied by default.</summary>
    public Func<MigrationRequest, MigrationState> State { get; set; } = _ => MigrationState.Applied;

    /// <summary>Every call, as "start expand name key" or "read contract name".</summary>
    public ConcurrentQueue<string> Calls { get; } = new();

    public Task<MigrationReport> StartAsync(MigrationRequest request, CancellationToken cancellationToken)
    {
        Calls.Enqueue($"start {request.Phase} {request.Migration} {request.IdempotencyKey}");
        return Task.FromResult(new MigrationReport(MigrationState.Running, $"{request.Migration} started", Now));
    }

    public Task<MigrationReport> ReadAsync(MigrationRequest request, CancellationToken cancellationToken)
    {
        Calls.Enqueue($"read {request.Phase} {request.Migration}");
        var state = State(request);
        return Task.FromResult(new MigrationReport(state, $"{request.Migration} is {state.ToString().ToLowerInvariant()}", Now));
    }
}
