using ReleaseFunctions.Tests.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using ReleaseFunctions.Core.Ports;
using ReleaseFunctions.Core.Releases;
using ReleaseFunctions.Hosting.Functions;
using ReleaseFunctions.Reviews;
using ReleaseFunctions.Tests.Releases;

namespace ReleaseFunctions.Tests.Reviews;

public sealed class PostReleaseReviewTests
{
    private static readonly DateTimeOffset Released = TestClock.At(2026, 11, 20, 12, 0, 0);

    private sealed class RecordingPublisher : IReviewPublisher
    {
        public List<(ReleaseRecord Release, ReleaseReview Review)> Published { get; } = new();

        public Task PublishAsync(ReleaseRecord release, ReleaseReview review, CancellationToken cancellationToken)
        {
            Published.Add((release, review));
            return Task.CompletedTask;
        }
    }

    private static ReleaseRecord Release(int pr, ReleaseStatus status, DateTimeOffset? completedAt, string summary)
    {
        var sha = pr.ToString("x40", System.Globalization.CultureInfo.InvariantCulture);
        var id = new ReleaseId("contoso/shop", pr, sha);
        return new ReleaseRecord(id.InstanceId, "contoso/shop", pr, sha, "shop", sha[..12], $"PR {pr}", "carol",
            Released.AddHours(-2), Released, status, "production", 3, status == ReleaseStatus.Promoted ? 100 : 0, summary,
            completedAt ?? Released, completedAt, status == ReleaseStatus.RolledBack, null);
    }

    private static (PostReleaseReviewFunction Timer, InMemoryLedger Ledger, RecordingPublisher Publisher, FakeTimeProvider Clock, FakeSliSource Sli) Build()
    {
        var clock = new FakeTimeProvider(Released.AddHours(1));
        var ledger = new InMemoryLedger();
        ledger.Put(Release(1, ReleaseStatus.Promoted, Released.AddMinutes(40), "promoted"));
        ledger.Put(Release(2, ReleaseStatus.RolledBack, Released.AddMinutes(20), "rolled back: gate failed at 25%"));
        ledger.Put(Release(3, ReleaseStatus.Failed, Released.AddMinutes(10), "failed: rollback could not be verified"));
        ledger.Put(Release(4, ReleaseStatus.Aborted, Released.AddMinutes(5), "aborted by alice"));
        ledger.Put(Release(5, ReleaseStatus.Running, null, "production step 2"));
        var sli = new FakeSliSource();
        var publisher = new RecordingPublisher();
        var policies = new FakePolicySource(Policies.Canary());
        var reviewer = new ReleaseReviewer(policies, [sli]);
        var timer = new PostReleaseReviewFunction(ledger, reviewer, new MigrationContract(policies, ledger, [], clock), [publisher], clock, NullLogger<PostReleaseReviewFunction>.Instance);
        return (timer, ledger, publisher, clock, sli);
    }

    private static TimerInvocation Tick(FakeTimeProvider clock) => new(PostReleaseReviewFunction.Name, clock.GetUtcNow(), false, null);

    [Fact]
    public async Task Nothing_is_reviewed_before_the_policy_delay_has_passed()
    {
        var (timer, ledger, publisher, clock, _) = Build();
        clock.Advance(TimeSpan.FromHours(20));

        await timer.RunAsync(Tick(clock), default);

        Assert.Empty(publisher.Published);
        Assert.Null(await ledger.GetAsync(Release(1, ReleaseStatus.Promoted, null, "").InstanceId, default));
    }

    [Fact]
    public async Task Each_finished_release_in_every_end_state_is_reviewed_once_even_when_the_timer_fires_twice()
    {
        var (timer, ledger, publisher, clock, sli) = Build();
        sli.Canary = (_, _) => 0.002;
        clock.Advance(TimeSpan.FromHours(24));

        await timer.RunAsync(Tick(clock), default);
        await timer.RunAsync(Tick(clock), default);

        Assert.Equal(4, publisher.Published.Count);
        Assert.Equal(
            [ReleaseStatus.Aborted, ReleaseStatus.Failed, ReleaseStatus.RolledBack, ReleaseStatus.Promoted],
            publisher.Published.Select(p => p.Review.Outcome));
        var rolledBack = publisher.Published.Single(p => p.Review.Outcome == ReleaseStatus.RolledBack).Review;
        Assert.True(rolledBack.ChangeFailure);
        Assert.Contains("gate failed at 25%", rolledBack.OutcomeReason);
        Assert.Equal(TimeSpan.FromHours(2) + TimeSpan.FromMinutes(20), rolledBack.LeadTime);
        var sliComparison = Assert.Single(rolledBack.Slis);
        Assert.Equal("error_rate", sliComparison.Objective);
        Assert.Equal(0.002, sliComparison.Before!.Value, 9);
        Assert.False(publisher.Published.Single(p => p.Review.Outcome == ReleaseStatus.Promoted).Review.ChangeFailure);
        Assert.NotNull((await ledger.GetAsync(rolledBack.InstanceId, default))!.PublishedAt);
    }

    [Fact]
    public async Task A_timer_that_fires_late_reviews_what_is_due_and_no_more()
    {
        var (timer, _, publisher, clock, _) = Build();
        clock.Advance(TimeSpan.FromDays(3));

        await timer.RunAsync(new TimerInvocation(PostReleaseReviewFunction.Name, clock.GetUtcNow().AddDays(-2), true, null), default);

        Assert.Equal(4, publisher.Published.Count);
        Assert.DoesNotContain(publisher.Published, p => p.Review.Outcome == ReleaseStatus.Running);
    }

    [Fact]
    public async Task A_review_saved_but_not_published_is_published_on_the_next_run_without_being_rewritten()
    {
        var (timer, ledger, publisher, clock, _) = Build();
        clock.Advance(TimeSpan.FromHours(25));
        var release = Release(2, ReleaseStatus.RolledBack, Released.AddMinutes(20), "rolled back");
        var earlier = new ReleaseReview(release.InstanceId, clock.GetUtcNow().AddMinutes(-30), ReleaseStatus.RolledBack, "written before a crash", [], null, TimeSpan.Zero, true, []);
        await ledger.SaveAsync(earlier, default);

        await timer.RunAsync(Tick(clock), default);

        var published = publisher.Published.Single(p => p.Release.InstanceId == release.InstanceId).Review;
        Assert.Equal("written before a crash", published.OutcomeReason);
    }

    [Fact]
    public async Task A_release_whose_review_fails_is_logged_and_retried_next_run_and_the_others_are_reviewed_meanwhile()
    {
        var (_, ledger, publisher, clock, _) = Build();
        var failing = Release(3, ReleaseStatus.Failed, Released.AddMinutes(10), "").InstanceId;
        var flaky = new FlakyPublisher(publisher, failing);
        using var logs = new RecordingLoggerProvider();
        using var loggerFactory = LoggerFactory.Create(b => b.AddProvider(logs));
        var policies = new FakePolicySource(Policies.Canary());
        var timer = new PostReleaseReviewFunction(ledger, new ReleaseReviewer(policies, [new FakeSliSource()]), new MigrationContract(policies, ledger, [], clock), [flaky], clock,
            loggerFactory.CreateLogger<PostReleaseReviewFunction>());
        clock.Advance(TimeSpan.FromHours(24));

        await timer.RunAsync(Tick(clock), default);

        Assert.Equal([ReleaseStatus.Aborted, ReleaseStatus.RolledBack, ReleaseStatus.Promoted], publisher.Published.Select(p => p.Review.Outcome));
        Assert.Null((await ledger.GetAsync(failing, default))!.PublishedAt);
        var failure = Assert.Single(logs.Entries, e => e.EventId.Id == PostReleaseReviewFunction.ReviewFailedEventId);
        Assert.Equal(LogLevel.Error, failure.Level);
        Assert.Contains(failing, failure.Message, StringComparison.Ordinal);
        Assert.IsType<IOException>(failure.Exception);

        flaky.Fails = false;
        await timer.RunAsync(Tick(clock), default);

        Assert.Equal(failing, publisher.Published.Last().Release.InstanceId);
        Assert.Equal(4, publisher.Published.Count);
        Assert.NotNull((await ledger.GetAsync(failing, default))!.PublishedAt);
    }

    private sealed class FlakyPublisher(IReviewPublisher inner, string failsFor) : IReviewPublisher
    {
        public bool Fails { get; set; } = true;

        public Task PublishAsync(ReleaseRecord release, ReleaseReview review, CancellationToken cancellationToken) => Fails && release.InstanceId == failsFor
            ? throw new IOException($"GitHub refused the review of {release.InstanceId}")
            : inner.PublishAsync(release, review, cancellationToken);
    }

    [Fact]
    public void The_markdown_states_outcome_slis_and_lead_time()
    {
        var release = Release(2, ReleaseStatus.RolledBack, Released.AddMinutes(20), "rolled back: gate failed");
        var review = new ReleaseReview(release.InstanceId, Released.AddDays(1), ReleaseStatus.RolledBack, "rolled back: gate failed",
            [new SliComparison("error_rate", 0.001, 0.004, "+300% (0.001 → 0.004)")], new ErrorBudgetBurn(80, 62.5), TimeSpan.FromHours(2), true, ["note"]);

        var markdown = ReviewMarkdown.Render(release, review);

        Assert.Contains("RolledBack", markdown);
        Assert.Contains("| error_rate | 0.001 | 0.004 | +300%", markdown);
        Assert.Contains("17.5 points", markdown);
        Assert.Contains("Change failure:** yes", markdown);
    }
}
