using System.Globalization;
using ReleaseFunctions.Hosting.Cron;

namespace ReleaseFunctions.Tests.Hosting;

public sealed class CronScheduleTests
{
    [Theory]
    [InlineData("0 */15 * * * *", "2026-01-01T10:07:30Z", "2026-01-01T10:15:00Z")]
    [InlineData("*/5 * * * * *", "2026-01-01T10:00:03Z", "2026-01-01T10:00:05Z")]
    [InlineData("*/5 * * * * *", "2026-01-01T10:00:04.999Z", "2026-01-01T10:00:05Z")]
    [InlineData("*/5 * * * * *", "2026-01-01T10:00:05Z", "2026-01-01T10:00:10Z")]
    [InlineData("5/20 * * * * *", "2026-01-01T10:00:06Z", "2026-01-01T10:00:25Z")]
    [InlineData("5/20 * * * * *", "2026-01-01T10:00:45Z", "2026-01-01T10:01:05Z")]
    [InlineData("0 5-10/2 * * * *", "2026-01-01T10:05:00Z", "2026-01-01T10:07:00Z")]
    [InlineData("0 5-10/2 * * * *", "2026-01-01T10:09:00Z", "2026-01-01T11:05:00Z")]
    [InlineData("0 0 0 1 1 *", "2026-12-31T23:59:59.5Z", "2027-01-01T00:00:00Z")]
    [InlineData("0 0 0 31 * *", "2026-04-15T00:00:00Z", "2026-05-31T00:00:00Z")]
    [InlineData("0 0 0 31 * *", "2026-01-31T00:00:00Z", "2026-03-31T00:00:00Z")]
    [InlineData("0 0 0 30 * *", "2027-01-30T00:00:00Z", "2027-03-30T00:00:00Z")]
    [InlineData("0 0 0 29 2 *", "2026-03-01T00:00:00Z", "2028-02-29T00:00:00Z")]
    [InlineData("0 0 0 29 2 *", "2096-03-01T00:00:00Z", "2104-02-29T00:00:00Z")]
    [InlineData("0 0 12 * * MON-FRI", "2026-11-21T13:00:00Z", "2026-11-23T12:00:00Z")]
    [InlineData("0 0 0 * * 7", "2026-11-23T00:00:00Z", "2026-11-29T00:00:00Z")]
    [InlineData("0 0 8 * jan,JUL sun", "2026-11-23T00:00:00Z", "2027-01-03T08:00:00Z")]
    [InlineData("0 0 0 */2 * MON", "2026-11-23T00:00:00Z", "2026-12-07T00:00:00Z")]
    [InlineData("0 0 0 * * 5/2", "2026-11-27T00:00:00Z", "2026-12-04T00:00:00Z")]
    [InlineData("0 0 0 * * 5-7", "2026-11-28T00:00:00Z", "2026-11-29T00:00:00Z")]
    public void Next_occurrence_in_utc(string expression, string after, string expected)
    {
        var schedule = CronSchedule.Parse(expression);

        var next = schedule.NextAfter(Instant(after));

        Assert.Equal(Instant(expected), next);
        Assert.Equal(TimeSpan.Zero, next.Offset);
    }

    [Theory]
    // Both day fields restricted: the 1st, the 15th, or any Monday.
    [InlineData("0 30 9 1,15 * MON", "2026-11-03T00:00:00Z", "2026-11-09T09:30:00Z")]
    [InlineData("0 30 9 1,15 * MON", "2026-11-10T00:00:00Z", "2026-11-15T09:30:00Z")]
    [InlineData("0 30 9 1,15 * MON", "2026-11-16T10:00:00Z", "2026-11-23T09:30:00Z")]
    // crontab(5)'s own example in five-field form: 04:30 on the 1st and 15th, plus every Friday.
    [InlineData("30 4 1,15 * 5", "2026-11-28T00:00:00Z", "2026-12-01T04:30:00Z")]
    [InlineData("30 4 1,15 * 5", "2026-12-01T05:00:00Z", "2026-12-04T04:30:00Z")]
    public void Day_of_month_and_day_of_week_combine_with_or_when_both_are_restricted(string expression, string after, string expected)
    {
        var schedule = CronSchedule.Parse(expression);

        Assert.True(schedule.CombinesDayFieldsWithOr);
        Assert.Equal(Instant(expected), schedule.NextAfter(Instant(after)));
    }

    [Fact]
    public void Five_fields_mean_second_zero()
    {
        var schedule = CronSchedule.Parse(" */10 * * * * ");

        Assert.Equal("0 */10 * * * *", schedule.SixFieldExpression);
        Assert.Equal(Instant("2026-01-01T10:10:00Z"), schedule.NextAfter(Instant("2026-01-01T10:00:00Z")));
    }

    [Fact]
    public void Successive_occurrences_step_through_month_ends_and_leap_day()
    {
        var schedule = CronSchedule.Parse("0 0 6 28-31 2 *");
        var occurrences = new List<DateTimeOffset>();
        var at = Instant("2027-01-01T00:00:00Z");
        for (var i = 0; i < 4; i++)
        {
            at = schedule.NextAfter(at);
            occurrences.Add(at);
        }

        Assert.Equal(
            [Instant("2027-02-28T06:00:00Z"), Instant("2028-02-28T06:00:00Z"), Instant("2028-02-29T06:00:00Z"), Instant("2029-02-28T06:00:00Z")],
            occurrences);
    }

    [Theory]
    [InlineData("", "expression", "", "six fields")]
    [InlineData("* * * *", "expression", "* * * *", "found 4")]
    [InlineData("* * * * * * *", "expression", "* * * * * * *", "found 7")]
    [InlineData("60 * * * * *", "second", "60", "seconds 0-59")]
    [InlineData("* 5-1 * * * *", "minute", "5-1", "range")]
    [InlineData("* * 24 * * *", "hour", "24", "hours 0-23")]
    [InlineData("* * * 0 * *", "day-of-month", "0", "days 1-31")]
    [InlineData("* * * 1,,2 * *", "day-of-month", "", "empty list item")]
    [InlineData("* * * * 13 *", "month", "13", "JAN-DEC")]
    [InlineData("* * * * FOO *", "month", "FOO", "JAN-DEC")]
    [InlineData("* * * * * 8", "day-of-week", "8", "SUN-SAT")]
    [InlineData("* * * * * MON-", "day-of-week", "MON-", "SUN-SAT")]
    [InlineData("*/0 * * * * *", "second", "*/0", "step")]
    [InlineData("* */x * * * *", "minute", "*/x", "step")]
    [InlineData("0 0 0 30 2 *", "day-of-month", "30", "never run")]
    [InlineData("0 0 0 31 4,6 *", "day-of-month", "31", "never run")]
    public void Invalid_expressions_name_the_field_the_token_and_what_is_expected(string expression, string field, string token, string expected)
    {
        var error = Assert.Throws<CronFormatException>(() => CronSchedule.Parse(expression));

        Assert.Equal(field, error.Field);
        Assert.Equal(token, error.Token);
        Assert.Contains(expected, error.Expected, StringComparison.Ordinal);
        Assert.Contains($"{field} field has '{token}'", error.Message, StringComparison.Ordinal);
        Assert.False(CronSchedule.TryParse(expression, out var schedule, out var tried));
        Assert.Null(schedule);
        Assert.Equal(error.Message, tried!.Message);
    }

    [Fact]
    public void A_time_skipped_by_spring_forward_runs_once_when_the_gap_ends()
    {
        var zone = CentralEuropeanLikeZone();
        var daily = CronSchedule.Parse("0 30 2 * * *");

        // 2026-03-29 02:00 local jumps to 03:00; 02:30 does not exist that day.
        var first = daily.NextAfter(Instant("2026-03-28T12:00:00Z"), zone);
        var second = daily.NextAfter(first, zone);

        Assert.Equal(Instant("2026-03-29T01:00:00Z"), first);
        Assert.Equal(TimeSpan.FromHours(2), first.Offset);
        Assert.Equal(Instant("2026-03-30T00:30:00Z"), second);
    }

    [Fact]
    public void Several_times_in_the_spring_forward_gap_collapse_into_one_run()
    {
        var zone = CentralEuropeanLikeZone();
        var quarterly = CronSchedule.Parse("0 */15 * * * *");

        var runs = Occurrences(quarterly, zone, Instant("2026-03-29T00:40:00Z"), 4);

        // 01:45 (+01), then 02:00-02:45 do not exist and run once at 03:00 (+02), then 03:15 (+02).
        Assert.Equal(
            [Instant("2026-03-29T00:45:00Z"), Instant("2026-03-29T01:00:00Z"), Instant("2026-03-29T01:15:00Z"), Instant("2026-03-29T01:30:00Z")],
            runs);
    }

    [Fact]
    public void A_time_repeated_by_fall_back_runs_once_at_its_earlier_instant()
    {
        var zone = CentralEuropeanLikeZone();
        var daily = CronSchedule.Parse("0 30 2 * * *");

        // 2026-10-25 03:00 local goes back to 02:00, so 02:30 happens at 00:30Z and again at 01:30Z.
        var runs = Occurrences(daily, zone, Instant("2026-10-24T12:00:00Z"), 2);

        Assert.Equal([Instant("2026-10-25T00:30:00Z"), Instant("2026-10-26T01:30:00Z")], runs);
    }

    [Fact]
    public void An_hourly_schedule_skips_the_repeated_hour_after_fall_back()
    {
        var zone = CentralEuropeanLikeZone();
        var hourly = CronSchedule.Parse("0 0 * * * *");

        var runs = Occurrences(hourly, zone, Instant("2026-10-24T23:30:00Z"), 3);

        // 02:00 (+02) at 00:00Z; the second 02:00 (+01, 01:00Z) is the same wall-clock time and does not run again.
        Assert.Equal([Instant("2026-10-25T00:00:00Z"), Instant("2026-10-25T02:00:00Z"), Instant("2026-10-25T03:00:00Z")], runs);
    }

    [Fact]
    public void Starting_inside_the_repeated_hour_uses_the_later_instant()
    {
        var zone = CentralEuropeanLikeZone();
        var halfPast = CronSchedule.Parse("0 30 * * * *");

        // 01:10Z is 02:10 standard time, the second pass; 02:30's earlier instant (00:30Z) has passed.
        var next = halfPast.NextAfter(Instant("2026-10-25T01:10:00Z"), zone);

        Assert.Equal(Instant("2026-10-25T01:30:00Z"), next);
        Assert.Equal(TimeSpan.FromHours(1), next.Offset);
    }

    [Fact]
    public void Ordinary_days_in_a_zone_use_its_offset()
    {
        var zone = CentralEuropeanLikeZone();
        var schedule = CronSchedule.Parse("0 0 9 * * MON-FRI");

        Assert.Equal(Instant("2026-01-05T08:00:00Z"), schedule.NextAfter(Instant("2026-01-03T00:00:00Z"), zone));
        Assert.Equal(Instant("2026-07-06T07:00:00Z"), schedule.NextAfter(Instant("2026-07-04T00:00:00Z"), zone));
    }

    private static List<DateTimeOffset> Occurrences(CronSchedule schedule, TimeZoneInfo zone, DateTimeOffset from, int count)
    {
        var runs = new List<DateTimeOffset>();
        for (var i = 0; i < count; i++)
        {
            from = schedule.NextAfter(from, zone);
            runs.Add(from);
        }

        return runs;
    }

    /// <summary>UTC+1, with daylight time (+2) from the last Sunday of March 02:00 to the last Sunday of October 03:00.</summary>
    private static TimeZoneInfo CentralEuropeanLikeZone()
    {
        var start = TimeZoneInfo.TransitionTime.CreateFloatingDateRule(new DateTime(1, 1, 1, 2, 0, 0), 3, 5, DayOfWeek.Sunday);
        var end = TimeZoneInfo.TransitionTime.CreateFloatingDateRule(new DateTime(1, 1, 1, 3, 0, 0), 10, 5, DayOfWeek.Sunday);
        var rule = TimeZoneInfo.AdjustmentRule.CreateAdjustmentRule(new DateTime(2000, 1, 1), new DateTime(2099, 12, 31), TimeSpan.FromHours(1), start, end);
        return TimeZoneInfo.CreateCustomTimeZone("Test/CentralEurope", TimeSpan.FromHours(1), "Test Central Europe", "CET", "CEST", [rule]);
    }

    private static DateTimeOffset Instant(string text) => DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
}
