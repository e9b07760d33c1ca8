using System.Text.Json;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.DependencyInjection;
using ReleaseFunctions.Core.Ports;
using ReleaseFunctions.Core.Releases;
using ReleaseFunctions.Functions;
using ReleaseFunctions.Tests.Support;

namespace ReleaseFunctions.Tests.Functions;

/// <summary>The timer functions called as the host's timer trigger calls them, on the worker's real services.</summary>
public sealed class TimerFunctionTests : IDisposable
{
    private static readonly DateTimeOffset LastMonday = TestClock.At(2026, 11, 16);
    private readonly FunctionsWorkerApp _app = new();

    public void Dispose() => _app.Dispose();

    [Fact]
    public async Task DoraSummary_summarises_the_last_whole_week_once()
    {
        await SeedAsync("octo/shop", 1, ReleaseStatus.Promoted, LastMonday.AddDays(1));
        await SeedAsync("octo/shop", 2, ReleaseStatus.RolledBack, LastMonday.AddDays(2));
        using var scope = _app.Services.CreateScope();
        var functions = _app.Function<TimerFunctions>(scope);
        var context = FunctionsWorkerApp.Context(scope);

        await functions.DoraSummaryAsync(Timer(LastMonday.AddDays(7).AddHours(6), LastMonday.AddHours(6)), context.Object);
        await functions.DoraSummaryAsync(Timer(LastMonday.AddDays(7).AddHours(6), LastMonday.AddHours(6), pastDue: true), context.Object);

        var summary = Assert.Single(await _app.Services.GetRequiredService<IDoraSummaries>().ListAsync(null, 10, CancellationToken.None));
        Assert.Equal("octo/shop", summary.Repository);
        Assert.Equal(2, summary.Deployments);
        Assert.Equal(LastMonday, summary.PeriodStart);
        context.VerifyGet(c => c.InstanceServices);
    }

    [Fact]
    public async Task PostReleaseReview_reviews_the_releases_whose_delay_has_passed()
    {
        var release = await SeedAsync("octo/shop", 3, ReleaseStatus.Promoted, _app.Time.GetUtcNow().AddDays(-2));
        using var scope = _app.Services.CreateScope();

        await _app.Function<TimerFunctions>(scope).PostReleaseReviewAsync(Timer(_app.Time.GetUtcNow(), null), FunctionsWorkerApp.Context(scope).Object);

        var review = await _app.Services.GetRequiredService<IReleaseReviews>().GetAsync(release.InstanceId, CancellationToken.None);
        Assert.NotNull(review);
        Assert.NotNull(review.PublishedAt);
    }

    [Fact]
    public async Task A_cancelled_invocation_stops_with_the_hosts_token()
    {
        await SeedAsync("octo/shop", 4, ReleaseStatus.Promoted, _app.Time.GetUtcNow().AddDays(-2));
        using var scope = _app.Services.CreateScope();
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            _app.Function<TimerFunctions>(scope).DoraSummaryAsync(Timer(_app.Time.GetUtcNow(), null), FunctionsWorkerApp.Context(scope, cancelled.Token).Object));
    }

    private static TimerInfo Timer(DateTimeOffset next, DateTimeOffset? last, bool pastDue = false) => new()
    {
        IsPastDue = pastDue,
        ScheduleStatus = new ScheduleStatus { Next = next.UtcDateTime, Last = last?.UtcDateTime ?? default, LastUpdated = (last ?? next).UtcDateTime },
    };

    private async Task<ReleaseRecord> SeedAsync(string repository, int pullRequest, ReleaseStatus status, DateTimeOffset completedAt)
    {
        var release = LedgerSeed.Release(repository, pullRequest, status, completedAt - TimeSpan.FromMinutes(30), sha: pullRequest.ToString("x40", System.Globalization.CultureInfo.InvariantCulture));
        await LedgerSeed.RecordAsync(_app.Ledger, release, $"seed-{repository}-{pullRequest}");
        return release;
    }
}
