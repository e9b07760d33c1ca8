using ReleaseFunctions.Core.Policy;

namespace ReleaseFunctions.Core.Tests.Policy;

public class PolicyValuesTests
{
    [Theory]
    [InlineData(0, "0s")]
    [InlineData(45, "45s")]
    [InlineData(120, "2m")]
    [InlineData(5400, "1h30m")]
    [InlineData(93_784, "1d2h3m4s")]
    [InlineData(2_419_200, "28d")]
    public void A_duration_is_written_as_a_policy_writes_it_and_reads_back_the_same(int seconds, string expected)
    {
        var duration = TimeSpan.FromSeconds(seconds);

        Assert.Equal(expected, PolicyValues.FormatDuration(duration));
        Assert.Equal(duration, PolicyValues.ParseDuration(expected));
    }

    [Fact]
    public void Below_a_second_a_duration_is_written_in_milliseconds() => Assert.Equal("500ms", PolicyValues.FormatDuration(TimeSpan.FromMilliseconds(500)));

    [Theory]
    [InlineData("10m", 0, 10, 0)]
    [InlineData("1h30m", 1, 30, 0)]
    [InlineData("24h", 24, 0, 0)]
    [InlineData("28d", 28 * 24, 0, 0)]
    [InlineData("90s", 0, 1, 30)]
    [InlineData("PT5M", 0, 5, 0)]
    [InlineData("pt1h30m", 1, 30, 0)]
    [InlineData("P1DT2H", 26, 0, 0)]
    [InlineData("PT1.5S", 0, 0, 1.5)]
    [InlineData("0s", 0, 0, 0)]
    public void Durations_parse(string text, int hours, int minutes, double seconds)
    {
        Assert.Equal(TimeSpan.FromHours(hours) + TimeSpan.FromMinutes(minutes) + TimeSpan.FromSeconds(seconds), PolicyValues.ParseDuration(text));
    }

    [Theory]
    [InlineData("")]
    [InlineData("10")]
    [InlineData("10 minutes")]
    [InlineData("30m1h")]
    [InlineData("P")]
    [InlineData("PT")]
    [InlineData("P1Y")]
    [InlineData("-5m")]
    [InlineData("1000000d")]
    public void Non_durations_are_refused(string text)
    {
        Assert.Null(PolicyValues.ParseDuration(text));
    }

    [Theory]
    [InlineData("1%", 1)]
    [InlineData("99.9%", 99.9)]
    [InlineData(" 0.5 % ", 0.5)]
    public void Percentages_parse(string text, double expected) => Assert.Equal(expected, PolicyValues.ParsePercent(text));

    [Theory]
    [InlineData("1")]
    [InlineData("%")]
    [InlineData("-1%")]
    [InlineData("one%")]
    public void Non_percentages_are_refused(string text) => Assert.Null(PolicyValues.ParsePercent(text));
}
