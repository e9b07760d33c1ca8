using System.Text.RegularExpressions;

namespace ReleaseFunctions.Core.Freeze;

/// <summary>A day of the week and a time of day, in a window's time zone.</summary>
public readonly record struct WeeklyTime(DayOfWeek Day, TimeOnly Time)
{
    /// <summary>Offset from Sunday 00:00.</summary>
    internal TimeSpan SinceWeekStart => TimeSpan.FromDays((int)Day) + Time.ToTimeSpan();

    public override string ToString() => $"{Day.ToString()[..3]} {Time:HH\\:mm}";
}

/// <summary>
/// A weekly span of wall-clock time from <see cref="From"/> (included) to <see cref="To"/> (excluded); when
/// <see cref="To"/> comes earlier in the week it wraps over the week's end (e.g. Fri 16:00 – Mon 08:00).
/// </summary>
public sealed record WeeklySpan
{
    public WeeklySpan(WeeklyTime from, WeeklyTime to)
    {
        if (from == to)
        {
            throw new ArgumentException($"A weekly span needs different start and end; got {from} – {to}.", nameof(to));
        }

        From = from;
        To = to;
    }

    public WeeklyTime From { get; }
    public WeeklyTime To { get; }

    internal bool Contains(TimeSpan sinceWeekStart)
    {
        var from = From.SinceWeekStart;
        var to = To.SinceWeekStart;
        return from < to
            ? sinceWeekStart >= from && sinceWeekStart < to
            : sinceWeekStart >= from || sinceWeekStart < to;
    }

    public override string ToString() => $"{From} – {To}";
}

/// <summary>
/// A period in which releases wait. Windows are defined in wall-clock time of their IANA time zone, so
/// "Fri 16:00" stays 16:00 local across daylight-saving changes. Intervals include their start and exclude their end.
/// </summary>
public abstract partial record FreezeWindow
{
    private protected FreezeWindow(string name, TimeZoneInfo timeZone)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(timeZone);
        Name = name;
        TimeZone = timeZone;
    }

    public string Name { get; }
    public TimeZoneInfo TimeZone { get; }

    /// <summary>Whether the wall-clock time (in <see cref="TimeZone"/>) is frozen.</summary>
    internal abstract bool Contains(DateTime wallClock);

    /// <summary>The wall-clock time the freeze containing <paramref name="wallClock"/> ends (excluded).</summary>
    internal abstract DateTime EndOf(DateTime wallClock);

    /// <summary>Finds an IANA (or Windows) time zone, or explains what was expected.</summary>
    public static TimeZoneInfo? FindTimeZone(string id, out string? error)
    {
        error = $"expected an IANA time zone such as 'Europe/Berlin' or 'UTC', got '{id}'";
        // The id becomes a path under the zoneinfo folder: only well-formed ids are looked up.
        if (string.IsNullOrWhiteSpace(id) || !TimeZoneIdPattern().IsMatch(id))
        {
            return null;
        }

        try
        {
            var zone = TimeZoneInfo.FindSystemTimeZoneById(id);
            error = null;
            return zone;
        }
        catch (Exception e) when (e is TimeZoneNotFoundException or InvalidTimeZoneException or ArgumentException or System.Security.SecurityException or IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    [GeneratedRegex(@"^[A-Za-z][A-Za-z0-9_+-]{0,40}(/[A-Za-z0-9][A-Za-z0-9_+-]{0,40}){0,2}$|^[A-Za-z][A-Za-z0-9 ._()+-]{0,80}$", RegexOptions.CultureInvariant)]
    private static partial Regex TimeZoneIdPattern();
}

/// <summary>A freeze that recurs every week, over one or more spans (e.g. Fri 16:00 – Mon 08:00).</summary>
public sealed record WeeklyFreezeWindow : FreezeWindow
{
    public WeeklyFreezeWindow(string name, TimeZoneInfo timeZone, IReadOnlyList<WeeklySpan> spans)
        : base(name, timeZone)
    {
        ArgumentNullException.ThrowIfNull(spans);
        if (spans.Count == 0)
        {
            throw new ArgumentException($"Freeze window '{name}' needs at least one weekly span.", nameof(spans));
        }

        Spans = spans;
    }

    public IReadOnlyList<WeeklySpan> Spans { get; }

    internal override bool Contains(DateTime wallClock) => Spans.Any(s => s.Contains(SinceWeekStart(wallClock)));

    internal override DateTime EndOf(DateTime wallClock)
    {
        var weekStart = wallClock.Date.AddDays(-(int)wallClock.DayOfWeek);
        return Spans.Where(s => s.Contains(SinceWeekStart(wallClock)))
            .Select(s =>
            {
                var end = weekStart + s.To.SinceWeekStart;
                return end <= wallClock ? end.AddDays(7) : end;
            })
            .Max();
    }

    private static TimeSpan SinceWeekStart(DateTime wallClock) => TimeSpan.FromDays((int)wallClock.DayOfWeek) + wallClock.TimeOfDay;
}

/// <summary>A freeze over whole calendar days, both <see cref="FirstDay"/> and <see cref="LastDay"/> included (e.g. 2026-12-20..2027-01-03).</summary>
public sealed record DateRangeFreezeWindow : FreezeWindow
{
    public DateRangeFreezeWindow(string name, TimeZoneInfo timeZone, DateOnly firstDay, DateOnly lastDay)
        : base(name, timeZone)
    {
        if (lastDay < firstDay)
        {
            throw new ArgumentException($"Freeze window '{name}': the last day {lastDay:yyyy-MM-dd} is before the first {firstDay:yyyy-MM-dd}.", nameof(lastDay));
        }

        FirstDay = firstDay;
        LastDay = lastDay;
    }

    public DateOnly FirstDay { get; }
    public DateOnly LastDay { get; }

    internal override bool Contains(DateTime wallClock)
    {
        var day = DateOnly.FromDateTime(wallClock);
        return day >= FirstDay && day <= LastDay;
    }

    internal override DateTime EndOf(DateTime wallClock) => LastDay.AddDays(1).ToDateTime(TimeOnly.MinValue);
}
