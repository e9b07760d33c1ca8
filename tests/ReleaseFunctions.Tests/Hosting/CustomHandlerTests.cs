using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using ReleaseFunctions.Hosting;
using ReleaseFunctions.Hosting.Functions;

namespace ReleaseFunctions.Tests.Hosting;

public sealed class CustomHandlerTests : IDisposable
{
    private static readonly DateTimeOffset Now = TestClock.At("2026-11-23T18:45:00.5Z");

    private readonly TimerProbe _probe = new();
    private readonly FunctionsAppFactory _app;

    public CustomHandlerTests()
    {
        _app = new FunctionsAppFactory(
            new Dictionary<string, string?> { [FunctionsHostMode.CustomHandlerPortSetting] = "7071" },
            services =>
            {
                services.AddSingleton<TimeProvider>(new FakeTimeProvider(Now));
                services.AddSingleton(_probe);
                services.AddTimerFunction<ProbeFunction>("ReviewReleases", "0 */15 * * * *");
                services.AddTimerFunction<FailingFunction>("SummarizeDora", "0 0 6 * * MON");
                services.AddHttpFunction("GitHubWebhook", "api/github/webhook", "POST");
            });
    }

    public void Dispose() => _app.Dispose();

    [Fact]
    public async Task A_timer_invocation_runs_the_function_and_answers_in_the_protocol_shape()
    {
        using var client = _app.CreateClient();
        var body = TestClock.ShiftTimestamps("""
            {
              "Data": {
                "timer": {
                  "Schedule": { "AdjustForDST": true },
                  "ScheduleStatus": { "Last": "2026-11-23T18:30:00+00:00", "Next": "2026-11-23T18:45:00+00:00", "LastUpdated": "2026-11-23T18:30:00.0123+00:00" },
                  "IsPastDue": false
                }
              },
              "Metadata": { "sys": { "MethodName": "ReviewReleases", "UtcNow": "2026-11-23T18:45:00.01Z", "RandGuid": "5d5b0b8e-5b8a-4b8e-9f0e-2b7f6c0d1a11" } }
            }
            """);

        using var response = await client.PostAsync("/ReviewReleases", Json(body));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var answer = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(JsonValueKind.Object, answer.RootElement.GetProperty("Outputs").ValueKind);
        Assert.Empty(answer.RootElement.GetProperty("Outputs").EnumerateObject());
        Assert.Equal(JsonValueKind.Null, answer.RootElement.GetProperty("ReturnValue").ValueKind);
        var logs = answer.RootElement.GetProperty("Logs").EnumerateArray().Select(line => line.GetString()).ToList();
        Assert.Equal(2, logs.Count);
        Assert.StartsWith("ReviewReleases succeeded", logs[1], StringComparison.Ordinal);
        var invocation = await _probe.NextStartedAsync();
        Assert.Equal(
            new TimerInvocation("ReviewReleases", TestClock.At("2026-11-23T18:45:00Z"), false, TestClock.At("2026-11-23T18:30:00Z")),
            invocation);
    }

    [Fact]
    public async Task A_timer_value_sent_as_a_json_string_without_status_uses_the_current_time()
    {
        using var client = _app.CreateClient();
        var body = JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["Data"] = new Dictionary<string, object> { ["timer"] = """{"Schedule":{"AdjustForDST":true},"ScheduleStatus":null,"IsPastDue":true}""" },
            ["Metadata"] = new Dictionary<string, object>(),
        });

        using var response = await client.PostAsync("/reviewreleases", Json(body));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(new TimerInvocation("ReviewReleases", Now, true, null), await _probe.NextStartedAsync());
    }

    [Fact]
    public async Task An_unknown_function_is_404_with_the_known_timer_functions()
    {
        using var client = _app.CreateClient();

        using var response = await client.PostAsync("/PurgeEverything", Json("""{"Data":{},"Metadata":{}}"""));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        // The app's own timers are declared too; the message names every one.
        var message = await SingleLogAsync(response);
        Assert.StartsWith("No function named 'PurgeEverything'; expected one of the timer functions: ", message, StringComparison.Ordinal);
        Assert.All(new[] { "ReviewReleases", "SummarizeDora", "PostReleaseReview", "DoraSummary" }, name => Assert.Contains(name, message, StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_http_function_is_not_invoked_through_the_timer_protocol()
    {
        using var client = _app.CreateClient();

        using var response = await client.PostAsync("/GitHubWebhook", Json("""{"Data":{"req":{}},"Metadata":{}}"""));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("served at /api/github/webhook", await SingleLogAsync(response), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("not json", "the body is not JSON")]
    [InlineData("[1, 2]", "the body is a JSON Array; expected an object with \"Data\" and \"Metadata\".")]
    [InlineData("""{"Metadata":{}}""", "\"Data\" is missing or not an object")]
    [InlineData("""{"Data":{"myTimer":{}}}""", "\"Data\" has no \"timer\"; expected the timer trigger value under the binding name \"timer\".")]
    [InlineData("""{"Data":{"timer":42}}""", "\"Data.timer\" is a JSON Number; expected an object")]
    [InlineData("""{"Data":{"timer":{"IsPastDue":"yes"}}}""", "$.IsPastDue")]
    [InlineData("""{"Data":{"timer":{"ScheduleStatus":{"Next":"soon"}}}}""", "$.ScheduleStatus.Next")]
    public async Task A_malformed_body_is_400_naming_what_was_wrong(string body, string reason)
    {
        using var client = _app.CreateClient();

        using var response = await client.PostAsync("/ReviewReleases", Json(body));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var message = await SingleLogAsync(response);
        Assert.StartsWith("Invocation of 'ReviewReleases' has a malformed body: ", message, StringComparison.Ordinal);
        Assert.Contains(reason, message, StringComparison.Ordinal);
        Assert.Equal(0, _probe.InvocationCount);
    }

    [Fact]
    public async Task A_function_that_throws_is_500_with_the_failure_in_logs()
    {
        using var client = _app.CreateClient();

        using var response = await client.PostAsync("/SummarizeDora", Json("""{"Data":{"timer":{"ScheduleStatus":null,"IsPastDue":false}},"Metadata":{}}"""));

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        using var answer = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var logs = answer.RootElement.GetProperty("Logs").EnumerateArray().Select(line => line.GetString()).ToList();
        Assert.Equal("SummarizeDora failed after 0 ms: InvalidOperationException: no releases to summarize", logs[^1]);
    }

    [Fact]
    public async Task Standalone_the_timer_functions_cannot_be_triggered_over_http()
    {
        using var standalone = new FunctionsAppFactory(services: services =>
        {
            services.AddSingleton<TimeProvider>(new FakeTimeProvider(Now));
            services.AddSingleton(_probe);
            services.AddTimerFunction<ProbeFunction>("ReviewReleases", "0 */15 * * * *");
        });
        using var client = standalone.CreateClient();

        using var response = await client.PostAsync("/ReviewReleases", Json("""{"Data":{"timer":{}},"Metadata":{}}"""));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal(0, _probe.InvocationCount);
    }

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    private static async Task<string?> SingleLogAsync(HttpResponseMessage response)
    {
        using var answer = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return Assert.Single(answer.RootElement.GetProperty("Logs").EnumerateArray()).GetString();
    }

    private sealed class FailingFunction : ITimerFunction
    {
        public Task RunAsync(TimerInvocation invocation, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("no releases to summarize");
    }
}
