namespace ReleaseFunctions.Hosting.Functions;

/// <summary>
/// Work that runs on a schedule: by the standalone scheduler, or by its <c>[TimerTrigger]</c> function under the Functions host.
/// Invocations of one function never overlap.
/// </summary>
public interface ITimerFunction
{
    Task RunAsync(TimerInvocation invocation, CancellationToken cancellationToken);
}

/// <summary>One run of a timer function.</summary>
/// <param name="FunctionName">The declared function name.</param>
/// <param name="ScheduledTime">The schedule occurrence this run is for (UTC).</param>
/// <param name="IsPastDue">True when the run starts after its occurrence had already passed, e.g. because the previous
/// run overran it or the Functions host missed it.</param>
/// <param name="LastRun">The occurrence of the previous run, or null when none is known.</param>
public sealed record TimerInvocation(string FunctionName, DateTimeOffset ScheduledTime, bool IsPastDue, DateTimeOffset? LastRun);
