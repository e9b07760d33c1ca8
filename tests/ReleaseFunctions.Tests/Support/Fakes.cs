using System.Collections.Concurrent;
using System.Diagnostics;
using ReleaseFunctions.Core.Ports;
using ReleaseFunctions.Core.Sli;

namespace ReleaseFunctions.Tests.Support;

/// <summary>A deployment target named "sandbox" that applies every shift and reads it back as set.</summary>
internal sealed class FakeDeploymentTarget : IDeploymentTarget
{
    private readonly ConcurrentQueue<TrafficShift> _shifts = new();

    public string Provider => "sandbox";

    public IReadOnlyCollection<TrafficShift> Shifts => _shifts.ToArray();

    public Task<TrafficState> ApplyAsync(TrafficShift shift, CancellationToken cancellationToken)
    {
        _shifts.Enqueue(shift);
        var weight = shift.Action switch
        {
            TrafficAction.Rollback => 0,
            TrafficAction.Promote => 100,
            _ => shift.CandidateWeightPercent,
        };
        return Task.FromResult(new TrafficState(weight, null, DateTimeOffset.UnixEpoch, $"{weight}% on {shift.CandidateVersion}"));
    }

    public Task<TrafficState> ReadAsync(TrafficShift shift, CancellationToken cancellationToken)
    {
        var weight = _shifts.LastOrDefault() is { } last ? WeightAfter(last) : 0;
        return Task.FromResult(new TrafficState(weight, null, DateTimeOffset.UnixEpoch, $"{weight}% read"));
    }

    private static int WeightAfter(TrafficShift shift) => shift.Action switch
    {
        TrafficAction.Rollback => 0,
        TrafficAction.Promote => 100,
        _ => shift.CandidateWeightPercent,
    };
}

/// <summary>An SLI source named "sandbox" that has no data (the tests here never reach a gate).</summary>
internal sealed class FakeSliSource : ISliSource
{
    public string Provider => "sandbox";

    public Task<SliReading> QueryAsync(SliQuery query, CancellationToken cancellationToken)
        => throw new IntegrationException("fake SLI source", IntegrationFailureKind.Unavailable, "the tests do not measure SLIs");
}

/// <summary>Waits for something the app does in the background, checking every few milliseconds, up to a limit.</summary>
internal static class Eventually
{
    public static async Task<T> ReturnsAsync<T>(Func<Task<T?>> probe, string what, int seconds = 15)
        where T : class
    {
        var waited = Stopwatch.StartNew();
        while (true)
        {
            if (await probe() is { } value)
            {
                return value;
            }

            if (waited.Elapsed > TimeSpan.FromSeconds(seconds))
            {
                throw new TimeoutException($"Timed out after {seconds} s waiting for {what}.");
            }

            await Task.Delay(20);
        }
    }
}
