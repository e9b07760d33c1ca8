using ReleaseFunctions.Core.Freeze;

namespace ReleaseFunctions.Core.Tests.Freeze;

public class FreezeCalendarTests
{
    private static readonly TimeZoneInfo Berlin = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");
    private static readonly TimeZoneInfo NewYork = TimeZoneInfo.FindSystemTimeZoneById("America/New_York");
    private static readonly string[] NoLabels = [];

    private static DateTimeOffset Utc(int y, int mo, int d, int h, int mi = 0, int s = 0) => new(y, mo, d, h, mi, s, TimeSpan.Zero);

    private static WeeklyFreezeWindow Weekend(TimeZoneInfo zone) =>
        new("weekend", zone, [new WeeklySpan(new WeeklyTime(DayOfWeek.Friday, new TimeOnly(16, 0)), new WeeklyTime(DayOfWeek.Monday, new TimeOnly(8, 0)))]);

    [Fact]
    public void Start_is_included_and_end_excluded()
    {
        var calendar = new FreezeCalendar([Weekend(Berlin)], []);

        // Fri 2026-11-20 16:00 CET = 15:00Z; Mon 2026-11-23 08:00 CET = 07:00Z.
        Assert.False(calendar.Check(Utc(2026, 11, 20, 15).AddTicks(-1), NoLabels).Frozen);
        var atStart = calendar.Check(Utc(2026, 11, 20, 15), NoLabels);
        Assert.True(atStart.Blocked);
        Assert.Equal("weekend", atStart.Window);
        Assert.Equal(Utc(2026, 11, 23, 7), atStart.AllowedFrom);
        Assert.True(calendar.Check(Utc(2026, 11, 23, 7).AddTicks(-1), NoLabels).Frozen);
        Assert.False(calendar.Check(Utc(2026, 11, 23, 7), NoLabels).Frozen);
    }

    [Fact]
    public void Wall_clock_times_hold_across_the_autumn_daylight_saving_change()
    {
        var calendar = new FreezeCalendar([Weekend(Berlin)], []);

        // Clocks go back on Sun 2026-10-25: Friday 16:00 is CEST (14:00Z), Monday 08:00 is CET (07:00Z).
        var status = calendar.Check(Utc(2026, 10, 23, 14), NoLabels);

        Assert.True(status.Frozen);
        Assert.Equal(Utc(2026, 10, 26, 7), status.AllowedFrom);
        Assert.False(calendar.Check(Utc(2026, 10, 23, 14).AddTicks(-1), NoLabels).Frozen);
        Assert.True(calendar.Check(Utc(2026, 10, 26, 6, 59, 59), NoLabels).Frozen);
    }

    [Fact]
    public void Wall_clock_times_hold_across_the_spring_daylight_saving_change()
    {
        var calendar = new FreezeCalendar([Weekend(Berlin)], []);

        // Clocks go forward on Sun 2026-03-29: Friday 16:00 is CET (15:00Z), Monday 08:00 is CEST (06:00Z).
        var status = calendar.Check(Utc(2026, 3, 27, 15), NoLabels);

        Assert.True(status.Frozen);
        Assert.Equal(Utc(2026, 3, 30, 6), status.AllowedFrom);
        Assert.False(calendar.Check(Utc(2026, 3, 30, 6), NoLabels).Frozen);
    }

    [Fact]
    public void An_end_inside_the_spring_gap_ends_when_the_clock_jumps()
    {
        var window = new WeeklyFreezeWindow("night", Berlin, [new WeeklySpan(new WeeklyTime(DayOfWeek.Saturday, new TimeOnly(22, 0)), new WeeklyTime(DayOfWeek.Sunday, new TimeOnly(2, 30)))]);
        var calendar = new FreezeCalendar([window], []);

        // 02:30 does not exist on 2026-03-29 in Berlin; the clock jumps from 02:00 CET to 03:00 CEST at 01:00Z.
        Assert.Equal(Utc(2026, 3, 29, 1), calendar.Check(Utc(2026, 3, 28, 22), NoLabels).AllowedFrom);
    }

    [Fact]
    public void An_end_in_the_repeated_autumn_hour_is_its_first_occurrence()
    {
        var window = new WeeklyFreezeWindow("night", Berlin, [new WeeklySpan(new WeeklyTime(DayOfWeek.Saturday, new TimeOnly(22, 0)), new WeeklyTime(DayOfWeek.Sunday, new TimeOnly(2, 30)))]);
        var calendar = new FreezeCalendar([window], []);

        // 02:30 happens at 00:30Z (CEST) and again at 01:30Z (CET) on 2026-10-25.
        Assert.Equal(Utc(2026, 10, 25, 0, 30), calendar.Check(Utc(2026, 10, 24, 21), NoLabels).AllowedFrom);
        Assert.False(calendar.Check(Utc(2026, 10, 25, 0, 45), NoLabels).Frozen);
    }

    [Fact]
    public void The_same_window_means_different_instants_in_different_time_zones()
    {
        var berlin = new FreezeCalendar([Weekend(Berlin)], []);
        var newYork = new FreezeCalendar([Weekend(NewYork)], []);
        var friday1700Z = Utc(2026, 11, 20, 17); // 18:00 in Berlin, 12:00 in New York

        Assert.True(berlin.Check(friday1700Z, NoLabels).Frozen);
        Assert.False(newYork.Check(friday1700Z, NoLabels).Frozen);
        Assert.True(newYork.Check(Utc(2026, 11, 20, 21), NoLabels).Frozen); // 16:00 EST
        Assert.Equal(Utc(2026, 11, 23, 13), newYork.Check(Utc(2026, 11, 20, 21), NoLabels).AllowedFrom); // Mon 08:00 EST
    }

    [Fact]
    public void Date_ranges_cover_whole_days_and_chain_into_touching_windows()
    {
        var holidays = new DateRangeFreezeWindow("year-end", Berlin, new DateOnly(2026, 12, 20), new DateOnly(2027, 1, 3));
        var alone = new FreezeCalendar([holidays], []);
        var withWeekend = new FreezeCalendar([holidays, Weekend(Berlin)], []);

        Assert.False(alone.Check(Utc(2026, 12, 19, 23).AddTicks(-1), NoLabels).Frozen);
        var first = alone.Check(Utc(2026, 12, 19, 23), NoLabels); // 2026-12-20 00:00 CET
        Assert.True(first.Frozen);
        Assert.Equal(Utc(2027, 1, 3, 23), first.AllowedFrom); // 2027-01-04 00:00 CET
        // 2027-01-04 is a Monday: the weekend window still holds until 08:00.
        Assert.Equal(Utc(2027, 1, 4, 7), withWeekend.Check(Utc(2026, 12, 28, 12), NoLabels).AllowedFrom);
    }

    [Fact]
    public void Exempt_labels_let_a_release_through_but_report_the_window()
    {
        var calendar = new FreezeCalendar([Weekend(Berlin)], ["hotfix"]);

        var status = calendar.Check(Utc(2026, 11, 21, 12), ["bug", "HotFix"]);

        Assert.True(status.Frozen);
        Assert.False(status.Blocked);
        Assert.Equal("HotFix", status.ExemptBy);
        Assert.Contains("exempts this release", status.Reason);
    }

    [Fact]
    public void Bad_definitions_are_refused_clearly()
    {
        Assert.Null(FreezeWindow.FindTimeZone("Mars/Olympus", out var error));
        Assert.Contains("expected an IANA time zone", error);
        Assert.Null(FreezeWindow.FindTimeZone("Europe/", out _));
        Assert.Null(FreezeWindow.FindTimeZone("../../etc/passwd", out _));
        Assert.Equal("Europe/Berlin", FreezeWindow.FindTimeZone("Europe/Berlin", out _)!.Id);
        Assert.Throws<ArgumentException>(() => new DateRangeFreezeWindow("x", Berlin, new DateOnly(2027, 1, 3), new DateOnly(2026, 12, 20)));
        var same = new WeeklyTime(DayOfWeek.Monday, new TimeOnly(8, 0));
        Assert.Throws<ArgumentException>(() => new WeeklySpan(same, same));
    }
}
