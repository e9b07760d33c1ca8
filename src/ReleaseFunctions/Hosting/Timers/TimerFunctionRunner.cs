using System.Collections.Concurrent;
using System.Diagnostics;
using ReleaseFunctions.Hosting.Functions;

namespace ReleaseFunctions.Hosting.Timers;

/// <summary>
/// Runs one invocation of a timer function in its own DI scope, one at a time per function (a second invocation
/// waits for the first, as the Functions host's singleton timer lock does), and turns failures into a result.
/// </summary>
internal sealed partial class TimerFunctionRunner(IServiceScopeFactory scopes, TimeProvider time, ILogger<TimerFunctionRunner> logger)
{
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _gates = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Runs the function; cancellation of <paramref name="cancellationToken"/> propagates, every other failure is returned.</summary>
    public async Task<TimerRunResult> RunAsync(TimerFunctionDeclaration function, TimerInvocation invocation, CancellationToken cancellationToken)
    {
        var gate = _gates.GetOrAdd(function.Name, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var started = time.GetTimestamp();
            LogStarting(logger, function.Name, invocation.ScheduledTime, invocation.IsPastDue);
            var log = new List<string>
            {
                $"{function.Name} started for {invocation.ScheduledTime:O}{(invocation.IsPastDue ? " (past due)" : "")}.",
            };
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                var instance = (ITimerFunction)scope.ServiceProvider.GetRequiredService(function.FunctionType);
                await instance.RunAsync(invocation, cancellationToken).ConfigureAwait(false);
                var elapsed = time.GetElapsedTime(started);
                LogSucceeded(logger, function.Name, invocation.ScheduledTime, elapsed.TotalMilliseconds);
                log.Add($"{function.Name} succeeded in {elapsed.TotalMilliseconds:0} ms.");
                return new TimerRunResult(true, log);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                throw;
            }
            catch (Exception ex)
            {
                var elapsed = time.GetElapsedTime(started);
                LogFailed(logger, ex, function.Name, invocation.ScheduledTime, elapsed.TotalMilliseconds);
                log.Add($"{function.Name} failed after {elapsed.TotalMilliseconds:0} ms: {ex.GetType().Name}: {ex.Message}");
                return new TimerRunResult(false, log);
            }
        }
        finally
        {
            gate.Release();
        }
    }

    [LoggerMessage(EventId = 6100, Level = LogLevel.Information, Message = "Timer function {FunctionName} starting for {ScheduledTime:O} (past due: {IsPastDue})")]
    private static partial void LogStarting(ILogger logger, string functionName, DateTimeOffset scheduledTime, bool isPastDue);

    [LoggerMessage(EventId = 6101, Level = LogLevel.Information, Message = "Timer function {FunctionName} for {ScheduledTime:O} succeeded in {ElapsedMilliseconds:0} ms")]
    private static partial void LogSucceeded(ILogger logger, string functionName, DateTimeOffset scheduledTime, double elapsedMilliseconds);

    [LoggerMessage(EventId = 6102, Level = LogLevel.Error, Message = "Timer function {FunctionName} for {ScheduledTime:O} failed after {ElapsedMilliseconds:0} ms")]
    private static partial void LogFailed(ILogger logger, Exception exception, string functionName, DateTimeOffset scheduledTime, double elapsedMilliseconds);
}

/// <summary>How an invocation ended, with a line per step.</summary>
internal sealed record TimerRunResult(bool Succeeded, IReadOnlyList<string> Log);
