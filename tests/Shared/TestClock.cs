using System.Globalization;
using System.Text.RegularExpressions;

namespace ReleaseFunctions.Testing;

/// <summary>
/// Where every fixed date of the tests comes from. A fixture is written as the date it was written for
/// (<c>TestClock.At(2026, 11, 23, 14, 30)</c>) and comes out moved by <see cref="Shift"/>, zero unless the environment
/// variable <see cref="ShiftVariable"/> gives a number of days (whole weeks). Running the suite with the fixtures moved (e.g.
/// <c>RELEASEFUNCTIONS_TEST_EPOCH_SHIFT_DAYS=-364</c>, 52 weeks back, so weekdays stay what the fixtures say) proves
/// that no test depends on today's date or mixes the real clock with a fixture's. Test support only: nothing under
/// src/ reads the variable.
/// </summary>
internal static partial class TestClock
{
    public const string ShiftVariable = "RELEASEFUNCTIONS_TEST_EPOCH_SHIFT_DAYS";

    /// <summary>How far every fixture date is moved; whole days.</summary>
    public static TimeSpan Shift { get; } = ReadShift();

    /// <summary>A fixture instant, given in UTC as written, moved by <see cref="Shift"/>.</summary>
    public static DateTimeOffset At(int year, int month, int day, int hour = 0, int minute = 0, int second = 0, int millisecond = 0)
        => new DateTimeOffset(year, month, day, hour, minute, second, millisecond, TimeSpan.Zero) + Shift;

    /// <summary>A fixture instant written in ISO 8601 (UTC unless it says otherwise), moved by <see cref="Shift"/>.</summary>
    public static DateTimeOffset At(string iso)
        => DateTimeOffset.Parse(iso, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal) + Shift;

    /// <summary>A fixture calendar day, moved by <see cref="Shift"/>.</summary>
    public static DateOnly Day(int year, int month, int day) => new DateOnly(year, month, day).AddDays((int)Shift.TotalDays);

    /// <summary>
    /// Moves by <see cref="Shift"/> every date written with a time of day in a text fixture (a recorded webhook payload,
    /// a scripted HTTP answer, an expected query): <c>2026-11-23T18:00:00Z</c>, <c>2026-11-23T18:00:00.0000000+00:00</c>,
    /// <c>2026-11-23 14:30 UTC</c>. The shift is whole days, so only the date changes and the format stays; the text is
    /// returned as is when there is no shift.
    /// </summary>
    public static string ShiftTimestamps(string text) => Shift == TimeSpan.Zero
        ? text
        : DateBeforeTime().Replace(text, m => DateOnly.ParseExact(m.Value, "yyyy-MM-dd", CultureInfo.InvariantCulture)
            .AddDays((int)Shift.TotalDays).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));

    private static TimeSpan ReadShift()
    {
        var value = Environment.GetEnvironmentVariable(ShiftVariable);
        if (string.IsNullOrWhiteSpace(value))
        {
            return TimeSpan.Zero;
        }

        // Whole weeks: fixtures name weekdays (a Monday's DORA week, a freeze on the harness's first day).
        return int.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var days) && days % 7 == 0
            ? TimeSpan.FromDays(days)
            : throw new InvalidOperationException($"{ShiftVariable} must be a whole number of weeks in days (e.g. -364), got '{value}'.");
    }

    [GeneratedRegex(@"\b\d{4}-\d{2}-\d{2}(?=[T ]\d{2}:\d{2})")]
    private static partial Regex DateBeforeTime();
}
