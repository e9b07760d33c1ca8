using ReleaseFunctions.Hosting.Functions;

namespace ReleaseFunctions.Hosting.Timers;

/// <summary>
/// Runs every declared timer function in-process on its schedule when the app runs standalone (<c>dotnet run</c>).
/// It is not registered under the Functions host, whose timer triggers run the same functions.
/// </summary>
/// <remarks>
/// Each function has its own loop, so a slow function delays only itself. When a run ends after one or more later
/// occurrences have passed, those are collapsed into a single immediate run for the latest of them, marked past due.
/// </remarks>
internal sealed partial class TimerFunctionScheduler(
    FunctionCatalog catalog,
    TimerFunctionRunner runner,
    TimeProvider time,
    ILogger<TimerFunctionScheduler> logger) : BackgroundService
{
    // Task.Delay accepts at most about 49 days; schedules further apart wait in steps.
    private static readonly TimeSpan LongestWait = TimeSpan.FromDays(1);

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        return Task.WhenAll(catalog.Timers.Select(function => RunScheduleAsync(function, stoppingToken)));
    }

    private async Task RunScheduleAsync(TimerFunctionDeclaration function, CancellationToken stoppingToken)
    {
        // Each function gets its own loop; yielding first keeps a long start-up run from holding back the others.
        await Task.Yield();
        DateTimeOffset? lastRun = null;
        var now = time.GetUtcNow();
        try
        {
            if (function.RunOnStartup)
            {
                await runner.RunAsync(function, new TimerInvocation(function.Name, now, false, null), stoppingToken).ConfigureAwait(false);
                lastRun = now;
            }

            var due = function.Schedule.NextAfter(now);
            LogScheduled(logger, function.Name, function.Schedule.Expression, due);
            while (!stoppingToken.IsCancellationRequested)
            {
                now = time.GetUtcNow();
                var isPastDue = due <= now;
                if (isPastDue)
                {
                    due = LatestOccurrenceAtOrBefore(function, due, now);
                }
                else
                {
                    while (due > now)
                    {
                        await Task.Delay(Min(due - now, LongestWait), time, stoppingToken).ConfigureAwait(false);
                        now = time.GetUtcNow();
                    }
                }

                await runner.RunAsync(function, new TimerInvocation(function.Name, due, isPastDue, lastRun), stoppingToken).ConfigureAwait(false);
                lastRun = due;
                due = function.Schedule.NextAfter(due);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // The app is stopping.
        }
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    private static DateTimeOffset LatestOccurrenceAtOrBefore(TimerFunctionDeclaration function, DateTimeOffset missed, DateTimeOffset now)
    {
        var latest = missed;
        for (var next = function.Schedule.NextAfter(latest); next <= now; next = function.Schedule.NextAfter(latest))
        {
            latest = next;
        }

        return latest;
    }

    [LoggerMessage(EventId = 6111, Level = LogLevel.Information, Message = "Timer function {FunctionName} scheduled '{Schedule}' (UTC); first run at {Due:O}")]
    private static partial void LogScheduled(ILogger logger, string functionName, string schedule, DateTimeOffset due);
}
