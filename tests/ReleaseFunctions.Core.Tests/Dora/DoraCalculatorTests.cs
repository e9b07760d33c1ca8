using ReleaseFunctions.Core.Dora;

namespace ReleaseFunctions.Core.Tests.Dora;

public class DoraCalculatorTests
{
    private const string Shop = "contoso/shop";
    private static readonly DateTimeOffset Start = new(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset End = new(2026, 11, 15, 0, 0, 0, TimeSpan.Zero); // 14 days

    private static DateTimeOffset Nov(int day, int hour, int minute = 0) => new(2026, 11, day, hour, minute, 0, TimeSpan.Zero);

    private static readonly DeploymentRecord[] Records =
    [
        // Lead time 26h (from the first commit).
        new(Shop, mergedAt: Nov(2, 10), startedAt: Nov(2, 10, 5), completedAt: Nov(2, 12), DeploymentOutcome.Promoted, firstCommitAt: Nov(1, 10)),
        // Lead time 2h (from the merge: no first commit known).
        new(Shop, Nov(3, 9), Nov(3, 9), Nov(3, 11), DeploymentOutcome.Promoted),
        // Failed change, restored 30m after it started.
        new(Shop, Nov(5, 8), Nov(5, 8, 10), Nov(5, 9), DeploymentOutcome.RolledBack, restoredAt: Nov(5, 8, 40)),
        // Lead time 96h.
        new(Shop, Nov(8, 0), Nov(8, 0), Nov(10, 0), DeploymentOutcome.Promoted, firstCommitAt: Nov(6, 0)),
        // Failed change, restored 2h30m after it started.
        new(Shop, Nov(11, 10), Nov(11, 10), Nov(11, 13), DeploymentOutcome.Failed, restoredAt: Nov(11, 12, 30)),
        // Failed change not restored yet.
        new(Shop, Nov(14, 9), Nov(14, 9), Nov(14, 10), DeploymentOutcome.RolledBack),
        // Aborted: not a deployment.
        new(Shop, Nov(12, 9), Nov(12, 9), Nov(12, 10), DeploymentOutcome.Aborted),
        // Completed exactly at the period's start: included; lead time 4h.
        new(Shop, new DateTimeOffset(2026, 10, 31, 20, 0, 0, TimeSpan.Zero), new DateTimeOffset(2026, 10, 31, 20, 0, 0, TimeSpan.Zero), Start, DeploymentOutcome.Promoted),
        // Completed exactly at the period's end: excluded.
        new(Shop, Nov(14, 20), Nov(14, 20), End, DeploymentOutcome.Promoted),
        // Still running: excluded.
        new(Shop, Nov(14, 22), Nov(14, 22), null, DeploymentOutcome.Promoted),
        // Another repository.
        new("contoso/billing", Nov(4, 9), Nov(4, 9), Nov(4, 10), DeploymentOutcome.RolledBack, restoredAt: Nov(4, 9, 5)),
    ];

    [Fact]
    public void Metrics_match_the_hand_computed_figures()
    {
        var metrics = DoraCalculator.Compute(Records, "Contoso/Shop", Start, End);

        // Deployments: 4 promoted + 3 failed changes = 7.
        Assert.Equal((7, 4, 3), (metrics.Deployments, metrics.SuccessfulDeployments, metrics.FailedChanges));
        // 4 successful deployments over 14 days.
        Assert.Equal(4 / 14.0, metrics.DeploymentsPerDay, 12);
        // Lead times 2h, 4h, 26h, 96h → median (4h + 26h) / 2 = 15h.
        Assert.Equal(TimeSpan.FromHours(15), metrics.MedianLeadTime);
        // 3 failed of 7.
        Assert.Equal(3 / 7.0, metrics.ChangeFailureRate!.Value, 12);
        // Restores 30m and 150m → median 90m; one failure not restored.
        Assert.Equal(TimeSpan.FromMinutes(90), metrics.MedianTimeToRestore);
        Assert.Equal(1, metrics.UnrestoredFailures);
        Assert.Equal(new DoraBands(DoraBand.High, DoraBand.Elite, DoraBand.Low, DoraBand.High), metrics.Bands);
    }

    [Fact]
    public void Metrics_are_per_repository()
    {
        var all = DoraCalculator.ComputeByRepository(Records, Start, End);

        Assert.Equal(2, all.Count);
        var billing = all["contoso/billing"];
        Assert.Equal((1, 0, 1.0), (billing.Deployments, billing.SuccessfulDeployments, billing.ChangeFailureRate));
        Assert.Null(billing.MedianLeadTime);
        Assert.Equal(TimeSpan.FromMinutes(5), billing.MedianTimeToRestore);
        Assert.Equal(new DoraBands(DoraBand.Low, null, DoraBand.Low, DoraBand.Elite), billing.Bands);
    }

    [Fact]
    public void An_empty_period_has_no_rates()
    {
        var metrics = DoraCalculator.Compute(Records, Shop, End.AddDays(30), End.AddDays(37));

        Assert.Equal(0, metrics.Deployments);
        Assert.Equal(0, metrics.DeploymentsPerDay);
        Assert.Null(metrics.ChangeFailureRate);
        Assert.Null(metrics.MedianLeadTime);
        Assert.Null(metrics.MedianTimeToRestore);
    }

    [Fact]
    public void Impossible_records_and_periods_are_refused()
    {
        Assert.Throws<ArgumentException>(() => new DeploymentRecord(Shop, Nov(2, 10), Nov(2, 9), null, DeploymentOutcome.Promoted));
        Assert.Throws<ArgumentException>(() => new DeploymentRecord(Shop, Nov(2, 10), Nov(2, 10), Nov(2, 9), DeploymentOutcome.Promoted));
        Assert.Throws<ArgumentException>(() => new DeploymentRecord(Shop, Nov(2, 10), Nov(2, 10), Nov(2, 11), DeploymentOutcome.Promoted, restoredAt: Nov(2, 12)));
        Assert.Throws<ArgumentException>(() => new DeploymentRecord(Shop, Nov(2, 10), Nov(2, 10), Nov(2, 11), DeploymentOutcome.Promoted, firstCommitAt: Nov(3, 0)));
        Assert.Throws<ArgumentException>(() => DoraCalculator.Compute(Records, Shop, End, Start));
    }
}
