using System.Globalization;
using System.Numerics;

namespace ReleaseFunctions.Hosting.Cron;

/// <summary>The set of values one NCRONTAB field matches, as a bit set over the field's closed range [Min, Max].</summary>
internal sealed class CronField
{
    private static readonly string[] MonthNames =
        ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];

    private static readonly string[] DayNames = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

    private readonly ulong _bits;

    private CronField(CronFieldKind kind, ulong bits, bool isWildcard, bool usesSevenForSunday)
    {
        Kind = kind;
        _bits = bits;
        IsWildcard = isWildcard;
        UsesSevenForSunday = usesSevenForSunday;
    }

    public CronFieldKind Kind { get; }

    /// <summary>
    /// True when the field text starts with '*' (so '*' and '*/5'). Cron uses this, not the resulting set, to decide
    /// whether day-of-month and day-of-week are combined with OR (both restricted) or AND (either starts with '*').
    /// </summary>
    public bool IsWildcard { get; }

    /// <summary>True for a day-of-week field that names Sunday as 7 (cron accepts it; NCrontab does not).</summary>
    public bool UsesSevenForSunday { get; }

    public bool Contains(int value) => value >= 0 && value < 64 && (_bits & (1UL << value)) != 0;

    /// <summary>The smallest matching value that is at least <paramref name="from"/>, or -1 when there is none.</summary>
    public int NextFrom(int from)
    {
        if (from < 0)
        {
            from = 0;
        }

        if (from > 63)
        {
            return -1;
        }

        var remaining = _bits & (ulong.MaxValue << from);
        return remaining == 0 ? -1 : BitOperations.TrailingZeroCount(remaining);
    }

    public int First => BitOperations.TrailingZeroCount(_bits);

    public static CronField Parse(string expression, string text, CronFieldKind kind)
    {
        var (min, max) = Range(kind);
        ulong bits = 0;
        foreach (var item in text.Split(','))
        {
            bits |= ParseItem(expression, item, kind, min, max);
        }

        var usesSeven = kind == CronFieldKind.DayOfWeek && (bits & (1UL << 7)) != 0;
        if (usesSeven)
        {
            // 7 is accepted as a second name for Sunday, as in Vixie cron.
            bits = (bits & ~(1UL << 7)) | 1UL;
        }

        return new CronField(kind, bits, text.StartsWith('*'), usesSeven);
    }

    private static ulong ParseItem(string expression, string item, CronFieldKind kind, int min, int max)
    {
        if (item.Length == 0)
        {
            throw Error(expression, kind, item, "a value, a range or '*' between commas (empty list item)");
        }

        var slash = item.IndexOf('/');
        var rangeText = slash < 0 ? item : item[..slash];
        var step = 1;
        if (slash >= 0)
        {
            var stepText = item[(slash + 1)..];
            if (!int.TryParse(stepText, NumberStyles.None, CultureInfo.InvariantCulture, out step) || step < 1 || step > max - min + 1)
            {
                throw Error(expression, kind, item, $"a step after '/' that is a whole number from 1 to {max - min + 1}");
            }
        }

        // An implied end ('*', 'value/step') in day-of-week is Saturday (6); 7 for Sunday only counts when written.
        var impliedMax = kind == CronFieldKind.DayOfWeek ? 6 : max;
        int start;
        int end;
        if (rangeText == "*")
        {
            start = min;
            end = impliedMax;
        }
        else
        {
            var dash = rangeText.IndexOf('-');
            if (dash < 0)
            {
                start = ParseValue(expression, rangeText, item, kind, min, max);
                // 'value/step' means every step from value to the end of the field, as in cron.
                end = slash >= 0 ? impliedMax : start;
            }
            else
            {
                start = ParseValue(expression, rangeText[..dash], item, kind, min, max);
                end = ParseValue(expression, rangeText[(dash + 1)..], item, kind, min, max);
                if (end < start)
                {
                    throw Error(expression, kind, item, $"a range 'low-high' whose low end is not greater than its high end (got {start}-{end})");
                }
            }
        }

        ulong bits = 0;
        for (var value = start; value <= end; value += step)
        {
            bits |= 1UL << value;
        }

        return bits;
    }

    private static int ParseValue(string expression, string text, string item, CronFieldKind kind, int min, int max)
    {
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var number))
        {
            if (number < min || number > max)
            {
                throw Error(expression, kind, item, Describe(kind));
            }

            return number;
        }

        var names = kind switch
        {
            CronFieldKind.Month => MonthNames,
            CronFieldKind.DayOfWeek => DayNames,
            _ => null,
        };
        if (names is not null)
        {
            var index = Array.FindIndex(names, name => string.Equals(name, text, StringComparison.OrdinalIgnoreCase));
            if (index >= 0)
            {
                return kind == CronFieldKind.Month ? index + 1 : index;
            }
        }

        throw Error(expression, kind, item, Describe(kind));
    }

    private static (int Min, int Max) Range(CronFieldKind kind) => kind switch
    {
        CronFieldKind.Second => (0, 59),
        CronFieldKind.Minute => (0, 59),
        CronFieldKind.Hour => (0, 23),
        CronFieldKind.DayOfMonth => (1, 31),
        CronFieldKind.Month => (1, 12),
        CronFieldKind.DayOfWeek => (0, 7),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown cron field."),
    };

    private static string Describe(CronFieldKind kind) => kind switch
    {
        CronFieldKind.Second => "'*', or values, ranges and steps of seconds 0-59",
        CronFieldKind.Minute => "'*', or values, ranges and steps of minutes 0-59",
        CronFieldKind.Hour => "'*', or values, ranges and steps of hours 0-23",
        CronFieldKind.DayOfMonth => "'*', or values, ranges and steps of days 1-31",
        CronFieldKind.Month => "'*', or values, ranges and steps of months 1-12 or JAN-DEC",
        CronFieldKind.DayOfWeek => "'*', or values, ranges and steps of days of the week 0-7 (0 and 7 are Sunday) or SUN-SAT",
        _ => kind.ToString(),
    };

    private static CronFormatException Error(string expression, CronFieldKind kind, string token, string expected) =>
        new(expression, Name(kind), token, expected);

    public static string Name(CronFieldKind kind) => kind switch
    {
        CronFieldKind.Second => "second",
        CronFieldKind.Minute => "minute",
        CronFieldKind.Hour => "hour",
        CronFieldKind.DayOfMonth => "day-of-month",
        CronFieldKind.Month => "month",
        CronFieldKind.DayOfWeek => "day-of-week",
        _ => kind.ToString(),
    };
}

internal enum CronFieldKind
{
    Second,
    Minute,
    Hour,
    DayOfMonth,
    Month,
    DayOfWeek,
}
