using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using ReleaseFunctions.Core.Ports;
using ReleaseFunctions.Core.Releases;
using ReleaseFunctions.Dora;
using ReleaseFunctions.Hosting.Functions;
using ReleaseFunctions.Reviews;
using ReleaseFunctions.Tests.Support;

namespace ReleaseFunctions.Tests.Dora;

/// <summary>The weekly DORA summary timer and the post-release review timer as the app registers them, on its real ledger.</summary>
public sealed class DoraSummaryTests
{
    // The app's clock starts on Monday 2026-11-23 14:10 UTC; the last whole week is [2026-11-16, 2026-11-23).
    private static readonly DateTimeOffset LastMonday = TestClock.At(2026, 11, 16);

    [Theory]
    [InlineData("2026-11-23T00:00:00Z", "2026-11-16T00:00:00Z")] // Monday midnight starts a new week
    [InlineData("2026-11-23T06:00:00Z", "2026-11-16T00:00:00Z")]
    [InlineData("2026-11-29T23:59:59Z", "2026-11-16T00:00:00Z")] // Sunday night: still the same week to summarise
    [InlineData("2026-11-22T23:59:59Z", "2026-11-09T00:00:00Z")]
    public void The_period_is_the_last_whole_week_monday_to_monday_utc(string now, string expectedStart)
    {
        var (start, end) = DoraSummaryFunction.LastWholeWeek(TestClock.At(now));

        Assert.Equal(TestClock.At(expectedStart), start);
        Assert.Equal(start.AddDays(7), end);
        Assert.Equal(DayOfWeek.Monday, start.DayOfWeek);
    }

    [Fact]
    public void Both_timers_are_declared_with_their_schedules()
    {
        using var app = new ReleaseAppFactory();

        var timers = app.Services.GetRequiredService<FunctionCatalog>().All.OfType<TimerFunctionDeclaration>()
            .ToDictionary(t => t.Name, t => t.Schedule.ToString());

        Assert.Equal(PostReleaseReviewFunction.Schedule, timers[PostReleaseReviewFunction.Name]);
        Assert.Equal(DoraSummaryFunction.Schedule, timers[DoraSummaryFunction.Name]);
    }

    [Fact]
    public async Task A_summary_per_repository_is_kept_once_when_the_timer_fires_twice_or_late_and_the_api_lists_it()
    {
        using var app = new ReleaseAppFactory();
        await SeedAsync(app, "octo/shop", 1, ReleaseStatus.Promoted, LastMonday.AddDays(1));
        await SeedAsync(app, "octo/shop", 2, ReleaseStatus.RolledBack, LastMonday.AddDays(2));
        await SeedAsync(app, "octo/shop", 3, ReleaseStatus.Promoted, LastMonday.AddDays(3));
        await SeedAsync(app, "octo/cart", 4, ReleaseStatus.Promoted, LastMonday.AddDays(4));
        await SeedAsync(app, "octo/cart", 5, ReleaseStatus.Promoted, LastMonday.AddDays(8)); // this week: the next summary's
        await SeedAsync(app, "octo/cart", 6, ReleaseStatus.Running, LastMonday.AddDays(5));

        await FireAsync(app, DoraSummaryFunction.Name);
        await FireAsync(app, DoraSummaryFunction.Name);
        app.Time.Advance(TimeSpan.FromDays(2)); // late, still in the same week
        await FireAsync(app, DoraSummaryFunction.Name);

        var summaries = (await Json(await app.CreateOperatorClient().GetAsync("/api/dora/summaries"))).GetProperty("summaries").EnumerateArray().ToArray();
        Assert.Equal(["octo/cart", "octo/shop"], summaries.Select(s => s.GetProperty("repository").GetString()).Order(StringComparer.Ordinal));
        var shop = summaries.Single(s => s.GetProperty("repository").GetString() == "octo/shop");
        Assert.Equal(LastMonday, shop.GetProperty("periodStart").GetDateTimeOffset());
        Assert.Equal(3, shop.GetProperty("deployments").GetInt32());
        Assert.Equal(1, shop.GetProperty("failedChanges").GetInt32());
        Assert.Equal(1.0 / 3, shop.GetProperty("changeFailureRate").GetDouble(), 6);
        var cart = summaries.Single(s => s.GetProperty("repository").GetString() == "octo/cart");
        Assert.Equal(1, cart.GetProperty("deployments").GetInt32());

        app.Time.Advance(TimeSpan.FromDays(6)); // the next week
        await FireAsync(app, DoraSummaryFunction.Name);

        var cartOnly = (await Json(await app.CreateOperatorClient().GetAsync("/api/dora/summaries?repository=OCTO/CART"))).GetProperty("summaries").EnumerateArray().ToArray();
        Assert.Equal([LastMonday.AddDays(7), LastMonday], cartOnly.Select(s => s.GetProperty("periodStart").GetDateTimeOffset()));
    }

    [Theory]
    [InlineData("/api/dora/summaries?limit=0")]
    [InlineData("/api/dora/summaries?limit=many")]
    public async Task A_bad_limit_is_a_400_naming_it(string url)
    {
        using var app = new ReleaseAppFactory();

        using var response = await app.CreateOperatorClient().GetAsync(url);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("expected a whole number from 1 to 500", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Summaries_need_an_operator_key()
    {
        using var app = new ReleaseAppFactory();

        using var response = await app.CreateClient().GetAsync("/api/dora/summaries");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task A_finished_release_s_review_appears_in_its_detail_once_the_review_timer_has_run()
    {
        using var app = new ReleaseAppFactory();
        var release = await SeedAsync(app, "octo/shop", 7, ReleaseStatus.RolledBack, app.Time.GetUtcNow().AddDays(-2));
        var client = app.CreateOperatorClient();
        Assert.Equal(JsonValueKind.Null, (await Json(await client.GetAsync($"/api/releases/{release.InstanceId}"))).GetProperty("review").ValueKind);

        await FireAsync(app, PostReleaseReviewFunction.Name);
        await FireAsync(app, PostReleaseReviewFunction.Name);

        var review = (await Json(await client.GetAsync($"/api/releases/{release.InstanceId}"))).GetProperty("review");
        Assert.Equal("RolledBack", review.GetProperty("outcome").GetString());
        Assert.True(review.GetProperty("changeFailure").GetBoolean());
        Assert.NotEqual(JsonValueKind.Null, review.GetProperty("publishedAt").ValueKind);
    }

    private static async Task<ReleaseRecord> SeedAsync(ReleaseAppFactory app, string repository, int pullRequest, ReleaseStatus status, DateTimeOffset completedAt)
    {
        // LedgerSeed completes a release 30 minutes after it starts.
        var release = LedgerSeed.Release(repository, pullRequest, status, completedAt - TimeSpan.FromMinutes(30), sha: pullRequest.ToString("x40", System.Globalization.CultureInfo.InvariantCulture));
        await LedgerSeed.RecordAsync(app.Ledger, release, $"seed-{repository}-{pullRequest}");
        return release;
    }

    /// <summary>Runs a timer function the way the standalone scheduler does: resolved in its own scope.</summary>
    private static async Task FireAsync(ReleaseAppFactory app, string name)
    {
        var declaration = app.Services.GetRequiredService<FunctionCatalog>().All.OfType<TimerFunctionDeclaration>().Single(t => t.Name == name);
        await using var scope = app.Services.CreateAsyncScope();
        var function = (ITimerFunction)scope.ServiceProvider.GetRequiredService(declaration.FunctionType);
        await function.RunAsync(new TimerInvocation(name, app.Time.GetUtcNow(), false, null), CancellationToken.None);
    }

    private static async Task<JsonElement> Json(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {text}");
        using var document = JsonDocument.Parse(text);
        return document.RootElement.Clone();
    }
}
