using System.Globalization;
using System.Text.RegularExpressions;
using Cronos;

namespace ReleaseFunctions.Hosting.Cron;

/// <summary>
/// An NCRONTAB schedule, as Azure Functions timer triggers use: six fields
/// <c>{second} {minute} {hour} {day-of-month} {month} {day-of-week}</c>, or five fields with the second taken as 0.
/// Each field accepts <c>*</c>, values, lists (<c>1,15</c>), ranges (<c>1-5</c>), steps (<c>*/5</c>, <c>1-10/2</c>,
/// <c>5/15</c>), and names for months (JAN-DEC) and days (SUN-SAT, with 0 and 7 both Sunday), case-insensitively.
/// In day-of-week, <c>value/step</c> ends at Saturday (6), as in NCrontab; 7 counts only when written.
/// </summary>
/// <remarks>
/// Occurrences come from Cronos, read in UTC. This type checks the text first, so that only what the Functions host's
/// NCrontab also accepts gets through (no <c>L</c>, <c>W</c>, <c>#</c>, <c>?</c> or <c>@</c> macros, no reversed
/// ranges), and so that a bad schedule is reported with its field, the offending text and what was expected.
/// When both day fields are restricted, a day must match both (as NCrontab and Cronos do; cron would take either):
/// <see cref="RestrictsBothDayFields"/> tells, and timer declarations refuse such schedules.
/// </remarks>
public sealed partial class CronSchedule
{
    private static readonly string[] MonthNames = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
    private static readonly string[] DayNames = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

    private static readonly Field[] Fields =
    [
        new("second", 0, 59, null, "'*', or values, ranges and steps of seconds 0-59"),
        new("minute", 0, 59, null, "'*', or values, ranges and steps of minutes 0-59"),
        new("hour", 0, 23, null, "'*', or values, ranges and steps of hours 0-23"),
        new("day-of-month", 1, 31, null, "'*', or values, ranges and steps of days 1-31"),
        new("month", 1, 12, MonthNames, "'*', or values, ranges and steps of months 1-12 or JAN-DEC"),
        new("day-of-week", 0, 7, DayNames, "'*', or values, ranges and steps of days of the week 0-7 (0 and 7 are Sunday) or SUN-SAT"),
    ];

    private readonly CronExpression _cron;
    private readonly string[] _sixFields;

    private CronSchedule(string expression, string[] sixFields, CronExpression cron, bool usesSevenForSunday)
    {
        Expression = expression;
        _sixFields = sixFields;
        _cron = cron;
        UsesSevenForSunday = usesSevenForSunday;
    }

    /// <summary>The expression as given (trimmed).</summary>
    public string Expression { get; }

    /// <summary>The six-field form of the expression (a five-field expression gets a leading <c>0</c> second).</summary>
    public string SixFieldExpression => string.Join(' ', _sixFields);

    /// <summary>True when neither day-of-month nor day-of-week starts with <c>*</c>: cron would OR them, NCrontab ANDs them.</summary>
    public bool RestrictsBothDayFields => !_sixFields[3].StartsWith('*') && !_sixFields[5].StartsWith('*');

    /// <summary>True when day-of-week names Sunday as 7, which cron accepts and the Functions host's NCrontab does not.</summary>
    public bool UsesSevenForSunday { get; }

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
        var usesSeven = false;
        for (var i = 0; i < six.Length; i++)
        {
            usesSeven |= Check(trimmed, six[i], Fields[i]);
        }

        CronExpression cron;
        try
        {
            cron = CronExpression.Parse(string.Join(' ', six[..5].Append(ForCronos(six[5]))), CronFormat.IncludeSeconds);
        }
        catch (Cronos.CronFormatException ex)
        {
            // Not expected after Check; kept so that a difference between the two grammars still names the schedule.
            throw new CronFormatException(trimmed, "expression", trimmed, $"an expression Cronos accepts ({ex.Message})", ex);
        }

        if (cron.GetNextOccurrence(new DateTimeOffset(2000, 1, 1, 0, 0, 0, TimeSpan.Zero), TimeZoneInfo.Utc) is null)
        {
            throw new CronFormatException(
                trimmed,
                "day-of-month",
                six[3],
                "a day that exists in at least one of the chosen months (this schedule would never run)");
        }

        return new CronSchedule(trimmed, six, cron, usesSeven);
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
        => _cron.GetNextOccurrence(instant, TimeZoneInfo.Utc)
           ?? throw new InvalidOperationException($"NCRONTAB expression '{Expression}' has no occurrence after {instant:O}.");

    public override string ToString() => Expression;

    /// <summary>
    /// NCrontab ends day-of-week at Saturday, Cronos at 7 (Sunday again): an open 'value/step' gets its end written out
    /// so that '1/2' stays Monday, Wednesday, Friday.
    /// </summary>
    private static string ForCronos(string dayOfWeek)
        => string.Join(',', dayOfWeek.Split(',').Select(item => OpenStep().Replace(item, "$1-6/")));

    /// <summary>Checks one field's NCRONTAB syntax; returns whether it names the value 7 (day-of-week's second Sunday).</summary>
    private static bool Check(string expression, string text, Field field)
    {
        var usesSeven = false;
        foreach (var item in text.Split(','))
        {
            if (item.Length == 0)
            {
                throw Error("a value, a range or '*' between commas (empty list item)");
            }

            var match = Item().Match(item);
            if (!match.Success)
            {
                throw Error(field.Expected);
            }

            if (match.Groups["step"].Success)
            {
                var width = field.Max - field.Min + 1;
                if (!int.TryParse(match.Groups["step"].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var step) || step < 1 || step > width)
                {
                    throw Error($"a step after '/' that is a whole number from 1 to {width}");
                }
            }

            if (match.Groups["low"].Success)
            {
                var low = Value(match.Groups["low"].Value);
                var high = match.Groups["high"].Success ? Value(match.Groups["high"].Value) : low;
                if (high < low)
                {
                    throw Error($"a range 'low-high' whose low end is not greater than its high end (got {low}-{high})");
                }

                usesSeven |= field.Names == DayNames && (low == 7 || high == 7);
            }

            int Value(string token)
            {
                if (int.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out var number))
                {
                    return number >= field.Min && number <= field.Max ? number : throw Error(field.Expected);
                }

                var index = field.Names is null ? -1 : Array.FindIndex(field.Names, name => string.Equals(name, token, StringComparison.OrdinalIgnoreCase));
                return index < 0 ? throw Error(field.Expected) : index + (field.Names == MonthNames ? 1 : 0);
            }

            CronFormatException Error(string expected) => new(expression, field.Name, item, expected);
        }

        return usesSeven;
    }

    /// <summary>One list item: '*' or a value or 'low-high', then an optional '/step'. Values are digits or a name.</summary>
    [GeneratedRegex(@"^(?:\*|(?<low>[0-9A-Za-z]+)(?:-(?<high>[0-9A-Za-z]+))?)(?:/(?<step>[0-9A-Za-z]*))?$")]
    private static partial Regex Item();

    [GeneratedRegex(@"^([0-6]|[A-Za-z]+)/")]
    private static partial Regex OpenStep();

    private sealed record Field(string Name, int Min, int Max, string[]? Names, string Expected);
}
