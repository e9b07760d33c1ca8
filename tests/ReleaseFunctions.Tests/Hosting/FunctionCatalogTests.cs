using Microsoft.Extensions.DependencyInjection;
using ReleaseFunctions.Hosting.Cron;
using ReleaseFunctions.Hosting.Functions;

namespace ReleaseFunctions.Tests.Hosting;

public sealed class FunctionCatalogTests
{
    [Fact]
    public void Declarations_are_found_by_name_case_insensitively_in_registration_order()
    {
        using var provider = new ServiceCollection()
            .AddSingleton(new TimerProbe())
            .AddTimerFunction<ProbeFunction>("PostReleaseReview", "0 */15 * * * *", runOnStartup: true)
            .AddHttpFunction("GitHubWebhook", "api/github/webhook", "POST", "post")
            .BuildServiceProvider();

        var catalog = provider.GetRequiredService<FunctionCatalog>();

        Assert.Equal(["PostReleaseReview", "GitHubWebhook"], catalog.All.Select(f => f.Name));
        var timer = Assert.IsType<TimerFunctionDeclaration>(catalog.Find("postreleasereview"));
        Assert.True(timer.RunOnStartup);
        Assert.Equal(typeof(ProbeFunction), timer.FunctionType);
        Assert.Equal(["POST"], Assert.Single(catalog.Http).Methods);
        Assert.Null(catalog.Find("Other"));
    }

    [Fact]
    public void A_name_can_be_declared_once()
    {
        var services = new ServiceCollection().AddHttpFunction("Releases", "api/releases", "GET");

        var error = Assert.Throws<InvalidOperationException>(() => services.AddTimerFunction<ProbeFunction>("releases", "0 * * * * *"));

        Assert.Equal("Function 'releases' is already declared; expected unique names (case-insensitive).", error.Message);
    }

    [Theory]
    [InlineData("1stFunction", "api/x", "GET", "Function name '1stFunction' is not valid; expected a letter followed by")]
    [InlineData("Api", "/api/x", "GET", "Route '/api/x' of HTTP function 'Api' is not valid; expected a non-empty path without a leading or trailing '/'")]
    [InlineData("Api", "admin/host/status", "GET", "Route 'admin/host/status' of HTTP function 'Api' starts with 'admin', which the Functions host reserves")]
    [InlineData("Api", "api/x", "FETCH", "HTTP function 'Api' has method 'FETCH'; expected one of GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS, TRACE.")]
    public void Invalid_http_declarations_say_what_is_expected(string name, string route, string method, string message)
    {
        var error = Assert.Throws<ArgumentException>(() => new ServiceCollection().AddHttpFunction(name, route, method));

        Assert.StartsWith(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_timer_schedule_must_parse()
    {
        var error = Assert.Throws<CronFormatException>(() => new ServiceCollection().AddTimerFunction<ProbeFunction>("Review", "0 */15 * * *  * *"));

        Assert.Equal("expression", error.Field);
        Assert.Equal("Review", error.Function);
        Assert.StartsWith("Timer function 'Review': Invalid NCRONTAB expression '0 */15 * * *  * *': expression field has", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_timer_schedule_restricting_both_day_fields_is_refused_because_the_hosts_would_disagree()
    {
        var error = Assert.Throws<ArgumentException>(() => new ServiceCollection().AddTimerFunction<ProbeFunction>("Review", "0 0 6 1 * MON"));

        Assert.StartsWith("Schedule '0 0 6 1 * MON' of timer function 'Review' restricts both day-of-month and day-of-week", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_timer_schedule_naming_sunday_as_seven_is_refused_because_the_functions_host_rejects_it()
    {
        var error = Assert.Throws<ArgumentException>(() => new ServiceCollection().AddTimerFunction<ProbeFunction>("Review", "0 0 6 * * 1-7"));

        Assert.StartsWith("Schedule '0 0 6 * * 1-7' of timer function 'Review' names Sunday as 7 in day-of-week, which the Functions host rejects; expected 0 or SUN.", error.Message, StringComparison.Ordinal);
        Assert.True(CronSchedule.Parse("0 0 6 * * 1-7").UsesSevenForSunday);
        Assert.False(CronSchedule.Parse("0 0 6 * * 0-6").UsesSevenForSunday);
    }
}
