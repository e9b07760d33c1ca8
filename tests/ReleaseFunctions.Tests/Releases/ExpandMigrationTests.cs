using Microsoft.Extensions.DependencyInjection;
using ReleaseFunctions.Core.Ports;
using ReleaseFunctions.Core.Releases;

namespace ReleaseFunctions.Tests.Releases;

/// <summary>
/// The expand step of a policy's migrations, through the engine: started once and read back applied before any
/// traffic moves; one that fails or does not read back applied in time fails the release with nothing moved.
/// </summary>
public sealed class ExpandMigrationTests
{
    private const string Migrations = """
        migrations:
          expand: { migration: 2026-12-orders-add-currency, timeout: 2m }
          contract: { migration: 2026-12-orders-drop-legacy }
        """;

    private static async Task<(ReleaseWorkflowHarness Harness, FakeMigrationRunner Runner)> StartAsync(bool withRunner = true)
    {
        var runner = new FakeMigrationRunner();
        var h = await ReleaseWorkflowHarness.StartAsync(Policies.Canary(extraPolicy: Migrations), addServices: services =>
        {
            if (withRunner)
            {
                services.AddSingleton<IMigrationRunner>(sp => { runner.Clock = sp.GetRequiredService<TimeProvider>(); return runner; });
            }
        });
        return (h, runner);
    }

    [Fact]
    public async Task The_expand_step_is_read_back_applied_before_the_first_shift_and_the_contract_step_waits_for_the_review()
    {
        var (h, runner) = await StartAsync();
        await using var _h = h;
        var appliedAt = h.Clock.GetUtcNow().AddSeconds(30);
        runner.State = _ => h.Clock.GetUtcNow() >= appliedAt ? MigrationState.Applied : MigrationState.Running;
        var id = await h.StartReleaseAsync(ReleaseWorkflowHarness.Merge());

        await h.RunAsync(id);

        Assert.Equal(ReleaseStatus.Promoted, (await h.OutcomeAsync(id)).Status);
        var audit = await h.AuditAsync(id);
        var applied = Assert.Single(audit, r => r.Kind == "migration-applied");
        Assert.Equal(appliedAt, applied.At);
        Assert.Equal(appliedAt, audit.First(r => r.Kind == "traffic-shifted").At);
        Assert.True(audit.ToList().IndexOf(applied) < audit.ToList().FindIndex(r => r.Kind == "traffic-shifted"));
        // Started once (it reported running), read at 15 s and 30 s; the contract step is not the workflow's to run.
        Assert.Equal(["start Expand 2026-12-orders-add-currency " + id + "/migration-expand/", "read Expand 2026-12-orders-add-currency", "read Expand 2026-12-orders-add-currency"],
            runner.Calls.Select(c => c.StartsWith("start", StringComparison.Ordinal) ? c[..c.LastIndexOf('/')] + "/" : c));
        Assert.DoesNotContain(runner.Calls, c => c.Contains("Contract", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_expand_step_that_fails_fails_the_release_with_nothing_moved()
    {
        var (h, runner) = await StartAsync();
        await using var _h = h;
        runner.State = _ => MigrationState.Failed;
        var id = await h.StartReleaseAsync(ReleaseWorkflowHarness.Merge());

        await h.RunAsync(id);
        var outcome = await h.OutcomeAsync(id);

        Assert.Equal(ReleaseStatus.Failed, outcome.Status);
        Assert.Contains("the expand migration 2026-12-orders-add-currency failed: 2026-12-orders-add-currency is failed", outcome.Reason, StringComparison.Ordinal);
        Assert.Empty(h.Target.Applied);
        Assert.Single(await h.AuditAsync(id), r => r.Kind == "migration-failed");
    }

    [Fact]
    public async Task An_expand_step_not_read_back_applied_within_its_timeout_fails_the_release()
    {
        var (h, runner) = await StartAsync();
        await using var _h = h;
        var start = h.Clock.GetUtcNow();
        runner.State = _ => MigrationState.Running;
        var id = await h.StartReleaseAsync(ReleaseWorkflowHarness.Merge());

        await h.RunAsync(id);
        var outcome = await h.OutcomeAsync(id);

        Assert.Equal(ReleaseStatus.Failed, outcome.Status);
        Assert.Contains("was not read back applied within 2m", outcome.Reason, StringComparison.Ordinal);
        Assert.Equal(start.AddMinutes(2), Assert.Single(await h.AuditAsync(id), r => r.Kind == "migration-failed").At);
        Assert.Empty(h.Target.Applied);
    }

    [Fact]
    public async Task Without_a_migration_hook_the_release_fails_naming_the_settings()
    {
        var (h, _) = await StartAsync(withRunner: false);
        await using var _h = h;
        var id = await h.StartReleaseAsync(ReleaseWorkflowHarness.Merge());

        await h.RunAsync(id);
        var outcome = await h.OutcomeAsync(id);

        Assert.Equal(ReleaseStatus.Failed, outcome.Status);
        Assert.Contains("ReleaseFunctions__Migrations__Url", outcome.Reason, StringComparison.Ordinal);
        Assert.Empty(h.Target.Applied);
    }
}
