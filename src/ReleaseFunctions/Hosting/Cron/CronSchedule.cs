namespace ReleaseFunctions.Hosting.Cron;

/// <summary>
/// An NCRONTAB schedule, as Azure Functions timer triggers use: six fields
/// <c>{second} {minute} {hour} {day-of-month} {month} {day-of-week}</c>, or five fields with the second taken as 0.
/// Each field accepts <c>*</c>, values, lists (<c>1,15</c>), ranges (<c>1-5</c>), steps (<c>*/5</c>, <c>1-10/2</c>,
/// <c>5/15</c>), and names for months (JAN-DEC) and days (SUN-SAT, with 0 and 7 both Sunday), case-insensitively.
/// In day-of-week, <c>*</c> and <c>value/step</c> end at Saturday (6), as in NCrontab; 7 counts only when written.
/// </summary>
/// <remarks>
/// Day-of-month and day-of-week follow cron: when both are restricted (neither starts with <c>*</c>), a day matches
/// if either matches; otherwise both must match (so a '*' field matches every day).
/// <para>
/// Time zones (<see cref="NextAfter(DateTimeOffset, TimeZoneInfo)"/>): the schedule is matched against wall-clock
/// time. A wall-clock time skipped by a daylight-saving gap runs once, at the instant the gap ends; several such times
/// in the same gap collapse into that one run. A wall-clock time that occurs twice when clocks go back runs once, at
/// its earlier instant; only when that instant is not after the given one is the later instant used.
/// </para>
/// </remarks>
public sealed class CronSchedule
{
    // Any satisfiable combination of month and day recurs within 8 years (Feb 29 may skip a century year); 28 years
    // covers every calendar and weekday alignment with room to spare.
    private const int SearchYears = 28;

    private readonly CronField _seconds;
    private readonly CronField _minutes;
    private readonly CronField _hours;
    private readonly CronField _daysOfMonth;
    private readonly CronField _months;
    private readonly CronField _daysOfWeek;

    private readonly string[] _sixFields;

    private CronSchedule(string expression, string[] sixFields, CronField[] fields)
    {
        Expression = expression;
        _sixFields = sixFields;
        _seconds = fields[0];
        _minutes = fields[1];
        _hours = fields[2];
        _daysOfMonth = fields[3];
        _months = fields[4];
        _daysOfWeek = fields[5];
    }

    /// <summary>The expression as given (trimmed).</summary>
    public string Expression { get; }

    /// <summary>The six-field form of the expression (a five-field expression gets a leading <c>0</c> second).</summary>
    public string SixFieldExpression => string.Join(' ', _sixFields);

    /// <summary>True when both day fields are restricted, so days are matched with cron's OR rule.</summary>
    public bool CombinesDayFieldsWithOr => !_daysOfMonth.IsWildcard && !_daysOfWeek.IsWildcard;

    /// <summary>True when day-of-week names Sunday as 7, which cron accepts and the Functions host's NCrontab does not.</summary>
    public bool UsesSevenForSunday => _daysOfWeek.UsesSevenForSunday;

    /// <summary>Parses an expression or throws a <see cref="CronFormatException"/> naming the field and token.</summary>
    public static CronSchedule Parse(string expression)
    {
        ArgumentNullException.ThrowIfNull(expression);
        var trimmed = expression.Trim();
        var parts = trimmed.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length is not (5 or 6))
        {
            throw new CronFormatException(
                trimmed,
                "expression",
                trimmed,
                $"six fields '{{second}} {{minute}} {{hour}} {{day}} {{month}} {{day-of-week}}' or five without the second, separated by spaces (found {parts.Length})");
        }

        var six = parts.Length == 6 ? parts : ["0", .. parts];
        var fields = new CronField[6];
        for (var i = 0; i < 6; i++)
        {
            fields[i] = CronField.Parse(trimmed, six[i], (CronFieldKind)i);
        }

        var schedule = new CronSchedule(trimmed, six, fields);
        schedule.EnsureSomeDayMatches();
        return schedule;
    }

    /// <summary>Parses an expression, or returns false with the parse error.</summary>
    public static bool TryParse(string expression, out CronSchedule? schedule, out CronFormatException? error)
    {
        try
        {
            schedule = Parse(expression);
            error = null;
            return true;
        }
        catch (CronFormatException ex)
        {
            schedule = null;
            error = ex;
            return false;
        }
    }

    /// <summary>The first occurrence strictly after <paramref name="instant"/>, in UTC.</summary>
    public DateTimeOffset NextAfter(DateTimeOffset instant)
    {
        var next = NextWallClockAfter(instant.UtcDateTime);
        return new DateTimeOffset(DateTime.SpecifyKind(next, DateTimeKind.Utc), TimeSpan.Zero);
    }

    /// <summary>
    /// The first occurrence strictly after <paramref name="instant"/> with the schedule read as wall-clock time in
    /// <paramref name="zone"/>; the result carries that zone's offset. See the type remarks for daylight-saving rules.
    /// </summary>
    public DateTimeOffset NextAfter(DateTimeOffset instant, TimeZoneInfo zone)
    {
        ArgumentNullException.ThrowIfNull(zone);
        var wall = TimeZoneInfo.ConvertTime(instant, zone).DateTime;
        while (true)
        {
            wall = NextWallClockAfter(wall);
            var candidate = ToInstant(wall, zone, instant);
            if (candidate > instant)
            {
                return TimeZoneInfo.ConvertTime(candidate, zone);
            }
        }
    }

    public override string ToString() => Expression;

    private static DateTimeOffset ToInstant(DateTime wall, TimeZoneInfo zone, DateTimeOffset after)
    {
        if (zone.IsInvalidTime(wall))
        {
            return EndOfGap(wall, zone);
        }

        if (zone.IsAmbiguousTime(wall))
        {
            var offsets = zone.GetAmbiguousTimeOffsets(wall);
            var earlier = new DateTimeOffset(wall, offsets.Max());
            return earlier > after ? earlier : new DateTimeOffset(wall, offsets.Min());
        }

        return new DateTimeOffset(wall, zone.GetUtcOffset(wall));
    }

    /// <summary>The instant the clocks jump past <paramref name="wall"/>, a wall-clock time inside a gap.</summary>
    private static DateTimeOffset EndOfGap(DateTime wall, TimeZoneInfo zone)
    {
        var before = zone.GetUtcOffset(wall.AddDays(-1));
        var after = zone.GetUtcOffset(wall.AddDays(1));
        // The jump lies in (wall - after, wall - before]; find the first whole second whose wall clock is past 'wall'.
        var low = DateTime.SpecifyKind(wall - after, DateTimeKind.Utc);
        var high = DateTime.SpecifyKind(wall - before, DateTimeKind.Utc);
        while (high - low > TimeSpan.FromSeconds(1))
        {
            var middle = low + TimeSpan.FromSeconds(Math.Floor((high - low).TotalSeconds / 2));
            if (TimeZoneInfo.ConvertTimeFromUtc(middle, zone) > wall)
            {
                high = middle;
            }
            else
            {
                low = middle;
            }
        }

        return new DateTimeOffset(high, TimeSpan.Zero);
    }

    /// <summary>The first matching wall-clock time strictly after <paramref name="after"/>, at whole seconds.</summary>
    private DateTime NextWallClockAfter(DateTime after)
    {
        var t = new DateTime(after.Ticks - (after.Ticks % TimeSpan.TicksPerSecond), DateTimeKind.Unspecified).AddSeconds(1);
        var limit = t.Year + SearchYears;
        while (t.Year <= limit)
        {
            if (!_months.Contains(t.Month))
            {
                var month = _months.NextFrom(t.Month + 1);
                t = month < 0 ? new DateTime(t.Year + 1, _months.First, 1) : new DateTime(t.Year, month, 1);
                continue;
            }

            if (!DayMatches(t))
            {
                t = t.Date.AddDays(1);
                continue;
            }

            if (!_hours.Contains(t.Hour))
            {
                var hour = _hours.NextFrom(t.Hour + 1);
                t = hour < 0 ? t.Date.AddDays(1) : t.Date.AddHours(hour);
                continue;
            }

            if (!_minutes.Contains(t.Minute))
            {
                var minute = _minutes.NextFrom(t.Minute + 1);
                var hourStart = t.Date.AddHours(t.Hour);
                t = minute < 0 ? hourStart.AddHours(1) : hourStart.AddMinutes(minute);
                continue;
            }

            if (!_seconds.Contains(t.Second))
            {
                var second = _seconds.NextFrom(t.Second + 1);
                var minuteStart = t.Date.AddHours(t.Hour).AddMinutes(t.Minute);
                t = second < 0 ? minuteStart.AddMinutes(1) : minuteStart.AddSeconds(second);
                continue;
            }

            return t;
        }

        // Unreachable for a parsed schedule: Parse rejects day and month combinations that never occur.
        throw new InvalidOperationException($"NCRONTAB expression '{Expression}' has no occurrence within {SearchYears} years after {after:O}.");
    }

    private bool DayMatches(DateTime day)
    {
        var byDayOfMonth = _daysOfMonth.Contains(day.Day);
        var byDayOfWeek = _daysOfWeek.Contains((int)day.DayOfWeek);
        return CombinesDayFieldsWithOr ? byDayOfMonth || byDayOfWeek : byDayOfMonth && byDayOfWeek;
    }

    private void EnsureSomeDayMatches()
    {
        if (CombinesDayFieldsWithOr || _daysOfMonth.IsWildcard)
        {
            // Some weekday falls in every month, and '*'-style day-of-month fields always include day 1.
            return;
        }

        // Day-of-month is restricted and combined with AND: some chosen month must have some chosen day.
        for (var month = _months.NextFrom(1); month >= 0; month = _months.NextFrom(month + 1))
        {
            var longest = month == 2 ? 29 : DateTime.DaysInMonth(2001, month);
            var first = _daysOfMonth.First;
            if (first <= longest)
            {
                return;
            }
        }

        throw new CronFormatException(
            Expression,
            "day-of-month",
            _sixFields[3],
            "a day that exists in at least one of the chosen months (this schedule would never run)");
    }
}
