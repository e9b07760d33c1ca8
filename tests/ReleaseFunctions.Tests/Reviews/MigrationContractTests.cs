using Microsoft.Extensions.Logging.Abstractions;
using ReleaseFunctions.Core.Ports;
using ReleaseFunctions.Core.Releases;
using ReleaseFunctions.Hosting.Functions;
using ReleaseFunctions.Reviews;
using ReleaseFunctions.Tests.Releases;


namespace ReleaseFunctions.Tests.Reviews;

/// <summary>
/// The contract step of a policy's migrations, from the review timer: run for a promoted release whose review shows
/// no regression, read back applied, decided once; never for a release that was rolled back, nor after a regression;
/// the review is published once the step is decided.
/// </summary>
public sealed class MigrationContractTests
{
    private static readonly DateTimeOffset Released = TestClock.At(2026, 11, 20, 12, 0, 0);

    private const string Migrations = """
        migrations:
          expand: { migration: 2026-12-orders-add-currency }
          contract: { migration: 2026-12-orders-drop-legacy, timeout: 30m }
        """;

    private sealed class CountingPublisher : IReviewPublisher
    {
        public List<string> Published { get; } = new();

        public Task PublishAsync(ReleaseRecord release, ReleaseReview review, CancellationToken cancellationToken)
        {
            Published.Add(release.InstanceId);
            return Task.CompletedTask;
        }
    }

    private sealed record Setup(PostReleaseReviewFunction Timer, InMemoryLedger Ledger, FakeMigrationRunner Runner, FakeSliSource Sli, FakeTimeProvider Clock, CountingPublisher Publisher);

    private static ReleaseRecord Release(int pr, ReleaseStatus status)
    {
        var sha = pr.ToString("x40", System.Globalization.CultureInfo.InvariantCulture);
        var id = new ReleaseId("contoso/shop", pr, sha);
        return new ReleaseRecord(id.InstanceId, "contoso/shop", pr, sha, "shop", sha[..12], $"PR {pr}", "carol", Released.AddHours(-2), Released, status, "production", 3,
            status == ReleaseStatus.Promoted ? 100 : 0, $"{status}", Released.AddMinutes(40), Released.AddMinutes(40), status == ReleaseStatus.RolledBack, null);
    }

    private static Setup Build(params ReleaseRecord[] releases)
    {
        var clock = new FakeTimeProvider(Released.AddHours(1));
        var ledger = new InMemoryLedger();
        foreach (var release in releases)
        {
            ledger.Put(release);
        }

        var sli = new FakeSliSource();
        var runner = new FakeMigrationRunner { Clock = clock };
        var policies = new FakePolicySource(Policies.Canary(extraPolicy: Migrations));
        var publisher = new CountingPublisher();
        var timer = new PostReleaseReviewFunction(ledger, new ReleaseReviewer(policies, [sli]), new MigrationContract(policies, ledger, [runner], clock), [publisher], clock,
            NullLogger<PostReleaseReviewFunction>.Instance);
        clock.Advance(TimeSpan.FromHours(24)); // the review is due
        return new Setup(timer, ledger, runner, sli, clock, publisher);
    }

    private static TimerInvocation Tick(FakeTimeProvider clock) => new(PostReleaseReviewFunction.Name, clock.GetUtcNow(), false, null);

    [Fact]
    public async Task A_promoted_release_without_regression_contracts_once_and_its_review_is_published_after()
    {
        var release = Release(1, ReleaseStatus.Promoted);
        var s = Build(release);
        s.Sli.Canary = (_, _) => 0.002; // 0.2% errors before and after: below 1%
        var appliedAt = s.Clock.GetUtcNow().AddMinutes(15);
        s.Runner.State = _ => s.Clock.GetUtcNow() >= appliedAt ? MigrationState.Applied : MigrationState.Running;

        await s.Timer.RunAsync(Tick(s.Clock), default);

        var trail = await s.Ledger.GetAuditTrailAsync(release.InstanceId, default);
        Assert.Contains(trail, r => r.Kind == "migration-contract-started");
        Assert.DoesNotContain(trail, r => r.Kind == "migration-contracted");
        Assert.Empty(s.Publisher.Published); // not before the step is decided

        s.Clock.Advance(TimeSpan.FromMinutes(15)); // the next timer runs
        await s.Timer.RunAsync(Tick(s.Clock), default);
        await s.Timer.RunAsync(Tick(s.Clock), default);

        trail = await s.Ledger.GetAuditTrailAsync(release.InstanceId, default);
        var contracted = Assert.Single(trail, r => r.Kind == "migration-contracted");
        Assert.Contains("contract migration 2026-12-orders-drop-legacy read back applied", contracted.Reason, StringComparison.Ordinal);
        Assert.Contains("the expand step 2026-12-orders-add-currency did not complete", contracted.Reason, StringComparison.Ordinal); // this release's trail has no migration-applied
        Assert.Single(s.Runner.Calls, c => c.StartsWith("start Contract", StringComparison.Ordinal));
        Assert.Equal([release.InstanceId], s.Publisher.Published);
    }

    [Fact]
    public async Task A_rolled_back_release_never_contracts_and_its_trail_says_so()
    {
        var release = Release(2, ReleaseStatus.RolledBack);
        var s = Build(release);
        await ReleaseFunctions.Tests.Support.LedgerSeed.RecordAsync(s.Ledger, release, $"{release.InstanceId}/expand", "migration-applied", at: Released);

        await s.Timer.RunAsync(Tick(s.Clock), default);

        var skipped = Assert.Single(await s.Ledger.GetAuditTrailAsync(release.InstanceId, default), r => r.Kind == "migration-contract-skipped");
        Assert.Contains("the release ended RolledBack", skipped.Reason, StringComparison.Ordinal);
        Assert.Contains("the expand step 2026-12-orders-add-currency ran", skipped.Reason, StringComparison.Ordinal);
        Assert.Empty(s.Runner.Calls);
        Assert.Equal([release.InstanceId], s.Publisher.Published);
    }

    [Fact]
    public async Task A_regression_in_the_review_holds_the_contract_step()
    {
        var release = Release(3, ReleaseStatus.Promoted);
        var s = Build(release);
        s.Sli.CanaryOf = query => query.Window.Start >= Released ? 0.05 : 0.002; // 5% errors since the release

        await s.Timer.RunAsync(Tick(s.Clock), default);

        var skipped = Assert.Single(await s.Ledger.GetAuditTrailAsync(release.InstanceId, default), r => r.Kind == "migration-contract-skipped");
        Assert.Contains("the post-release review found a regression: error_rate", skipped.Reason, StringComparison.Ordinal);
        Assert.Empty(s.Runner.Calls);
    }
}
