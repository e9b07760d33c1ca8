using ReleaseFunctions.Durable.Starting;
using ReleaseFunctions.Core.Releases;
using ReleaseFunctions.Releases;

namespace ReleaseFunctions.Tests.Releases;

/// <summary>A merge starts one release: a start of an instance id that exists neither starts a second one nor fails.</summary>
public sealed class ReleaseStartTests
{
    [Fact]
    public async Task Starts_of_one_release_at_once_start_it_once_and_none_fails()
    {
        await using var h = await ReleaseWorkflowHarness.StartAsync(Policies.Canary());
        var request = ReleaseWorkflowHarness.Merge();
        var id = request.Id.InstanceId;

        // Racing starts get past the existence check together: the backend's AlreadyExists tells them apart.
        var started = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => h.Client.StartOnceAsync(ReleaseWorkflow.OrchestratorName, id, request, CancellationToken.None)));
        await h.IdleAsync(id);
        var later = await h.Client.StartOnceAsync(ReleaseWorkflow.OrchestratorName, id, request, CancellationToken.None);

        Assert.Single(started, s => s);
        Assert.False(later);
        Assert.Equal(5, h.Target.Weight);
        Assert.Single(await h.AuditAsync(id), r => r.Kind == "release-received");
        Assert.Equal(ReleaseStatus.Running, (await h.ProgressAsync(id))!.Status);
    }
}
