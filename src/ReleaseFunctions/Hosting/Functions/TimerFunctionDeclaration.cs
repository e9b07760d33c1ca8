using ReleaseFunctions.Hosting.Cron;

namespace ReleaseFunctions.Hosting.Functions;

/// <summary>
/// A timer-triggered function. Its <see cref="Schedule"/> is read in UTC, as the Functions host does by default.
/// <see cref="FunctionType"/> is the <see cref="ITimerFunction"/> resolved from a fresh DI scope per invocation.
/// </summary>
public sealed record TimerFunctionDeclaration : FunctionDeclaration
{
    public TimerFunctionDeclaration(string name, CronSchedule schedule, Type functionType, bool runOnStartup = false)
        : base(name)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        ArgumentNullException.ThrowIfNull(functionType);
        if (schedule.RestrictsBothDayFields)
        {
            // The Functions host's NCrontab (and Cronos, behind the standalone scheduler) requires both day fields to
            // match; cron, which most readers know, needs either. Refusing the combination leaves no room for doubt.
            throw new ArgumentException(
                $"Schedule '{schedule.Expression}' of timer function '{name}' restricts both day-of-month and day-of-week, which the Functions host and cron read differently; expected '*' in one of them (declare two functions for 'this day or that weekday').",
                nameof(schedule));
        }

        if (schedule.UsesSevenForSunday)
        {
            throw new ArgumentException(
                $"Schedule '{schedule.Expression}' of timer function '{name}' names Sunday as 7 in day-of-week, which the Functions host rejects; expected 0 or SUN.",
                nameof(schedule));
        }

        if (!typeof(ITimerFunction).IsAssignableFrom(functionType) || functionType.IsAbstract)
        {
            throw new ArgumentException($"Type '{functionType}' of timer function '{name}' is not a concrete {nameof(ITimerFunction)}.", nameof(functionType));
        }

        Schedule = schedule;
        FunctionType = functionType;
        RunOnStartup = runOnStartup;
    }

    public CronSchedule Schedule { get; }

    public Type FunctionType { get; }

    /// <summary>Whether the function also runs once when the app starts (Functions' <c>runOnStartup</c>).</summary>
    public bool RunOnStartup { get; }
}
