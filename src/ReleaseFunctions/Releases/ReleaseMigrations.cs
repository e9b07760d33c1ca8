using Microsoft.DurableTask;
using ReleaseFunctions.Core.Gates;
using ReleaseFunctions.Core.Migrations;
using ReleaseFunctions.Core.Ports;
using ReleaseFunctions.Core.Releases;
using ReleaseFunctions.Core.Policy;

namespace ReleaseFunctions.Releases;

/// <summary>
/// The expand step of a policy's migrations, before any traffic moves: started once, then read back until the hook
/// reports it applied; one that fails, or is not read back applied within its timeout, fails the release with
/// nothing moved. The contract step runs later, from the review timer (<see cref="Reviews.MigrationContract"/>).
/// </summary>
internal sealed class ReleaseMigrations(ReleaseRun run, ReleaseTrail trail, ReleaseCommands commands)
{
    /// <summary>How often a running step is read again.</summary>
    internal static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(15);

    public async Task<Interruption?> ExpandAsync()
    {
        if (run.Policy.Migrations?.Expand is not { } expand)
        {
            return null;
        }

        var request = new MigrationRequest(run.InstanceId, run.Request.Service, run.Request.Version, MigrationPhase.Expand, expand.Migration, run.NextIdempotencyKey("migration-expand"));
        var what = $"expand migration {expand.Migration}";
        var deadline = run.Now + expand.Timeout;
        MigrationReport report;
        try
        {
            report = await run.Context.CallActivityAsync<MigrationReport>(nameof(StartMigration), request, ReleaseRun.IoRetry);
        }
        catch (TaskFailedException ex)
        {
            return await FailAsync($"the {what} could not be started: {ex.FailureDetails.ErrorMessage}", new { phase = "expand", expand.Migration, error = ex.FailureDetails.ErrorMessage });
        }

        await trail.RecordAsync("migration-started", ReleaseRun.Workflow, $"{what} started: {report.Detail}", new { phase = "expand", expand.Migration, report });
        // What the start reported is not trusted on its own: the step counts once a separate read says it is applied.
        var readFirst = report.State != MigrationState.Running;
        while (true)
        {
            if (report.State == MigrationState.Failed)
            {
                return await FailAsync($"the {what} failed: {report.Detail}", new { phase = "expand", expand.Migration, report });
            }

            if (!readFirst)
            {
                if (run.Now >= deadline)
                {
                    return await FailAsync($"the {what} was not read back applied within {PolicyValues.FormatDuration(expand.Timeout)}; last read: {report.State.ToString().ToLowerInvariant()}, {report.Detail}", new { phase = "expand", expand.Migration, report });
                }

                await trail.PublishAsync($"running the {what} before any traffic moves");
                var stop = await WaitAsync(deadline < run.Now + PollInterval ? deadline : run.Now + PollInterval, what);
                if (stop is not null)
                {
                    return stop;
                }
            }

            readFirst = false;
            try
            {
                report = await run.Context.CallActivityAsync<MigrationReport>(nameof(ReadMigration), request, ReleaseRun.IoRetry);
            }
            catch (TaskFailedException ex)
            {
                return await FailAsync($"the {what} could not be read back: {ex.FailureDetails.ErrorMessage}", new { phase = "expand", expand.Migration, error = ex.FailureDetails.ErrorMessage });
            }

            if (report.State == MigrationState.Applied)
            {
                await trail.RecordAsync("migration-applied", ReleaseRun.Workflow, $"{what} read back applied: {report.Detail}", new { phase = "expand", expand.Migration, report });
                return null;
            }
        }
    }

    private async Task<Interruption> FailAsync(string reason, object evidence)
    {
        await trail.RecordAsync("migration-failed", ReleaseRun.Workflow, reason, evidence);
        return new Interruption(InterruptionKind.Fail, ReleaseRun.Workflow, reason, evidence, null);
    }

    /// <summary>Waits for the next read; a stop ends the release (nothing has moved), other commands are refused.</summary>
    private async Task<Interruption?> WaitAsync(DateTimeOffset until, string what)
    {
        while (await commands.NextAsync(until) is { } command)
        {
            if (command.Kind is ReleaseCommandKind.Abort or ReleaseCommandKind.Reject or ReleaseCommandKind.Rollback)
            {
                return Interruption.Aborted(command, $"stopped by {command.Actor} while the {what} ran" + command.Because());
            }

            await trail.RefuseAsync(command, $"the {what} is running before any traffic moves; only /abort applies");
        }

        return null;
    }
}

/// <summary>Starts a migration step once per idempotency key, through the configured migration hook.</summary>
internal sealed class StartMigration(IEnumerable<IMigrationRunner> runners) : TaskActivity<MigrationRequest, MigrationReport>
{
    public override Task<MigrationReport> RunAsync(TaskActivityContext context, MigrationRequest input)
        => runners.Configured().StartAsync(input, ActivityCancellation.None);
}

/// <summary>Reads where a migration step stands, without running anything.</summary>
internal sealed class ReadMigration(IEnumerable<IMigrationRunner> runners) : TaskActivity<MigrationRequest, MigrationReport>
{
    public override Task<MigrationReport> RunAsync(TaskActivityContext context, MigrationRequest input)
        => runners.Configured().ReadAsync(input, ActivityCancellation.None);
}

internal static class MigrationRunners
{
    /// <summary>The migration hook; an error naming its settings when none is configured.</summary>
    public static IMigrationRunner Configured(this IEnumerable<IMigrationRunner> runners)
        => runners.FirstOrDefault() ?? throw new InvalidOperationException(
            $"The policy names migrations, and no migration hook is configured: set {Hosting.Settings.SettingKeys.Of("Migrations", "Url")} and {Hosting.Settings.SettingKeys.Of("Migrations", "Secret")}.");
}
