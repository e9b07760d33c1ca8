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
    [InlineData("0 0 0 * * 1/2", "2026-11-27T00:00:00Z", "2026-11-30T00:00:00Z")]
    [InlineData("0 0 0 * * FRI/2", "2026-11-27T00:00:00Z", "2026-12-04T00:00:00Z")]
    [InlineData("0 0 0 * * */7", "2026-11-23T00:00:00Z", "2026-11-29T00:00:00Z")]
    public void Next_occurrence_in_utc(string expression, string after, string expected)
    {
        var schedule = CronSchedule.Parse(expression);

        var next = schedule.NextAfter(Instant(after));

        Assert.Equal(Instant(expected), next);
        Assert.Equal(TimeSpan.Zero, next.Offset);
    }

    [Theory]
    // Both day fields restricted: a day must match both, as in the Functions host's NCrontab (cron would take either).
    [InlineData("0 30 9 1,15 * MON", "2026-11-03T00:00:00Z", "2027-02-01T09:30:00Z")]
    [InlineData("30 4 1,15 * 5", "2026-11-28T00:00:00Z", "2027-01-01T04:30:00Z")]
    public void Day_of_month_and_day_of_week_combine_with_and_when_both_are_restricted(string expression, string after, string expected)
    {
        var schedule = CronSchedule.Parse(expression);

        Assert.True(schedule.RestrictsBothDayFields);
        Assert.Equal(Instant(expected), schedule.NextAfter(Instant(after)));
    }

    [Theory]
    [InlineData("0 0 0 * * MON")]
    [InlineData("0 0 0 1 * *")]
    [InlineData("0 0 0 */2 * MON")]
    public void A_day_field_starting_with_a_star_leaves_the_other_alone(string expression)
        => Assert.False(CronSchedule.Parse(expression).RestrictsBothDayFields);

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
    // Cronos would take these; the Functions host's NCrontab would not, so neither does the standalone scheduler.
    [InlineData("0 0 0 L * *", "day-of-month", "L", "days 1-31")]
    [InlineData("0 0 0 15W * *", "day-of-month", "15W", "days 1-31")]
    [InlineData("0 0 0 ? * MON", "day-of-month", "?", "days 1-31")]
    [InlineData("0 0 0 * * MON#2", "day-of-week", "MON#2", "SUN-SAT")]
    [InlineData("0 0 0 * * 5L", "day-of-week", "5L", "SUN-SAT")]
    [InlineData("0 0 22-2 * * *", "hour", "22-2", "range")]
    [InlineData("0 0 0 * * FRI-MON", "day-of-week", "FRI-MON", "range")]
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

    private static DateTimeOffset Instant(string text) => DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
}
