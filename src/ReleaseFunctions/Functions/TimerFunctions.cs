using Microsoft.Azure.Functions.Worker;
using ReleaseFunctions.Dora;
using ReleaseFunctions.Hosting.Functions;
using ReleaseFunctions.Reviews;

namespace ReleaseFunctions.Functions;

/// <summary>
/// The post-release review and the weekly DORA summary on the Functions host's timer triggers, with the schedules the
/// standalone scheduler uses (NCRONTAB, UTC). The host holds a singleton lock per timer, so runs never overlap.
/// </summary>
public sealed class TimerFunctions(TimeProvider time)
{
    [Function(PostReleaseReviewFunction.Name)]
    public Task PostReleaseReviewAsync([TimerTrigger(PostReleaseReviewFunction.Schedule)] TimerInfo timer, FunctionContext context)
        => RunAsync<PostReleaseReviewFunction>(PostReleaseReviewFunction.Name, timer, context);

    [Function(DoraSummaryFunction.Name)]
    public Task DoraSummaryAsync([TimerTrigger(DoraSummaryFunction.Schedule)] TimerInfo timer, FunctionContext context)
        => RunAsync<DoraSummaryFunction>(DoraSummaryFunction.Name, timer, context);

    /// <summary>
    /// The host's <see cref="TimerInfo.ScheduleStatus"/> at an invocation holds the occurrence being run as
    /// <c>Next</c> and the previous one as <c>Last</c> (it is updated after the run). A failure is thrown, so the host
    /// records the invocation as failed.
    /// </summary>
    private Task RunAsync<TFunction>(string name, TimerInfo timer, FunctionContext context)
        where TFunction : ITimerFunction
    {
        ArgumentNullException.ThrowIfNull(timer);
        ArgumentNullException.ThrowIfNull(context);
        var now = time.GetUtcNow();
        var status = timer.ScheduleStatus;
        var scheduled = status is { Next: var next } && next != default ? Utc(next) : now;
        DateTimeOffset? last = status is { Last: var previous } && previous != default ? Utc(previous) : null;
        var function = (ITimerFunction)context.InstanceServices.GetRequiredService(typeof(TFunction));
        return function.RunAsync(new TimerInvocation(name, scheduled, timer.IsPastDue, last), context.CancellationToken);
    }

    private static DateTimeOffset Utc(DateTime time) => time.Kind == DateTimeKind.Unspecified
        ? new DateTimeOffset(DateTime.SpecifyKind(time, DateTimeKind.Utc))
        : new DateTimeOffset(time.ToUniversalTime());
}
