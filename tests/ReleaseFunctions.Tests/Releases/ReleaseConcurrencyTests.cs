using ReleaseFunctions.Core.Releases;

namespace ReleaseFunctions.Tests.Releases;

/// <summary>Two merges to one service: one release in flight per service and stage.</summary>
public sealed class ReleaseConcurrencyTests
{
    [Fact]
    public async Task A_newer_release_queues_behind_the_one_in_flight_by_default()
    {
        await using var h = await ReleaseWorkflowHarness.StartAsync(Policies.Canary());
        var first = await h.StartReleaseAsync(ReleaseWorkflowHarness.Merge());
        await h.IdleAsync(first);
        var second = await h.StartReleaseAsync(ReleaseWorkflowHarness.LaterMerge());
        await h.IdleAsync(second, queued: true);
        Assert.Contains("waiting until no other release of shop", (await h.ProgressAsync(second))!.NextStep);
        Assert.DoesNotContain(await h.AuditAsync(second), r => r.Kind == "traffic-shifted");

        await h.RunAsync(first);
        Assert.Equal(ReleaseStatus.Promoted, (await h.OutcomeAsync(first)).Status);
        await h.RunAsync(second);
        Assert.Equal(ReleaseStatus.Promoted, (await h.OutcomeAsync(second)).Status);

        var promotedFirst = (await h.AuditAsync(first)).Single(r => r.Kind == "promoted").At;
        var secondTrail = await h.AuditAsync(second);
        Assert.True(secondTrail.First(r => r.Kind == "traffic-shifted").At >= promotedFirst);
        Assert.Contains(secondTrail, r => r.Kind == "lane-entered" && r.Reason.Contains("waiting"));
    }

    [Fact]
    public async Task With_supersede_the_newer_release_stops_the_older_one_and_goes_first()
    {
        await using var h = await ReleaseWorkflowHarness.StartAsync(Policies.Canary(extraPolicy: "concurrency: supersede"));
        var first = await h.StartReleaseAsync(ReleaseWorkflowHarness.Merge());
        await h.IdleAsync(first);
        Assert.Equal(5, h.Target.Weight);

        var second = await h.StartReleaseAsync(ReleaseWorkflowHarness.LaterMerge());
        var stopped = await h.OutcomeAsync(first);

        Assert.Equal(ReleaseStatus.Aborted, stopped.Status);
        Assert.Contains("superseded by fedcba987654", stopped.Reason);
        await h.RunAsync(second);
        Assert.Equal(ReleaseStatus.Promoted, (await h.OutcomeAsync(second)).Status);
        var firstTrail = await h.AuditAsync(first);
        Assert.Contains(firstTrail, r => r.Kind == "traffic-shifted" && r.Reason.Contains("rollback"));
    }
}
