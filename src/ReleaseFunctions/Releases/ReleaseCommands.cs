using ReleaseFunctions.Core.Releases;

namespace ReleaseFunctions.Releases;

/// <summary>
/// Commands (pause, resume, promote, rollback, abort, status; approvals are counted by their waits) and the waits
/// they apply to: soaks, and the pause itself.
/// </summary>
/// <remarks>
/// One command wait lives as long as no command has come: it is reused by every wait and raced against every timer,
/// and a new one is made only once a command was taken from it. The SDK keeps a cancelled event wait in place, and
/// that wait would swallow the next command (durabletask-dotnet #508), so no command wait is ever cancelled.
/// The timer that loses a race is cancelled (#713).
/// </remarks>
internal sealed class ReleaseCommands(ReleaseRun run, ReleaseTrail trail)
{
    private Task<ReleaseCommand>? _arrival;

    /// <summary>The wait for the next command: completes when one comes, and stays the same task until it is taken.</summary>
    public Task<ReleaseCommand> Arrival => _arrival ??= run.Context.WaitForExternalEvent<ReleaseCommand>(ReleaseEvents.Command);

    /// <summary>Waits for the next command and takes it, so the next wait listens for the one after.</summary>
    public async Task<ReleaseCommand> TakeAsync()
    {
        var command = await Arrival;
        _arrival = null;
        return command;
    }

    /// <summary>The next command, or null when <paramref name="until"/> comes first (never, when null).</summary>
    public async Task<ReleaseCommand?> NextAsync(DateTimeOffset? until)
    {
        if (until is null)
        {
            return await TakeAsync();
        }

        if (until <= run.Now)
        {
            return null;
        }

        var arrival = Arrival;
        if (arrival.IsCompleted)
        {
            return await TakeAsync(); // it came while an activity ran: no timer to race
        }

        using var timerCancel = new CancellationTokenSource();
        var timer = run.Context.CreateTimer(until.Value.UtcDateTime, timerCancel.Token);
        if (await Task.WhenAny(arrival, timer) != arrival)
        {
            return null; // the command wait is kept for the next wait
        }

        timerCancel.Cancel();
        return await TakeAsync();
    }

    /// <summary>Waits until <paramref name="until"/> while handling commands; null when the time was served.</summary>
    public async Task<Interruption?> SoakAsync(DateTimeOffset until, bool acceptPromote)
    {
        while (true)
        {
            var command = await NextAsync(until);
            if (command is null)
            {
                return null;
            }

            var (interruption, pausedFor) = await HandleControlAsync(command, acceptPromote);
            if (interruption is not null)
            {
                return interruption;
            }

            until += pausedFor; // time spent paused does not count as soak
        }
    }

    /// <summary>Pause (until resume), promote, rollback, abort and status; approvals outside an approval wait are refused.</summary>
    public async Task<(Interruption? Interruption, TimeSpan PausedFor)> HandleControlAsync(ReleaseCommand command, bool acceptPromote)
    {
        switch (command.Kind)
        {
            case ReleaseCommandKind.Rollback:
                return (Interruption.Rollback(command.Actor, $"rollback requested by {command.Actor}" + command.Because(), command), TimeSpan.Zero);
            case ReleaseCommandKind.Abort:
                return (Interruption.Aborted(command, $"aborted by {command.Actor}" + command.Because()), TimeSpan.Zero);
            case ReleaseCommandKind.Promote when acceptPromote:
                return (new Interruption(InterruptionKind.Promote, command.Actor, $"promoted by {command.Actor}", command, command.Comment), TimeSpan.Zero);
            case ReleaseCommandKind.Pause:
                return await PauseAsync(command);
            case ReleaseCommandKind.Status:
                await trail.PublishAsync(run.Summary);
                return (null, TimeSpan.Zero);
            default:
                await trail.RefuseAsync(command, command.Kind switch
                {
                    ReleaseCommandKind.Resume => "the release is not paused",
                    ReleaseCommandKind.Promote => "there is no soak to cut short here",
                    _ => "no approval is pending",
                });
                return (null, TimeSpan.Zero);
        }
    }

    private async Task<(Interruption?, TimeSpan)> PauseAsync(ReleaseCommand pause)
    {
        var pausedAt = run.Now;
        run.Release = run.Release.Pause(pause.Actor, pausedAt, $"paused by {pause.Actor}" + pause.Because());
        await trail.RecordAsync("paused", pause.Actor, $"paused by {pause.Actor}" + pause.Because(), pause);
        await trail.PublishAsync("paused: /resume continues, /rollback or /abort stops");
        while (true)
        {
            var command = await TakeAsync();
            switch (command.Kind)
            {
                case ReleaseCommandKind.Resume:
                    run.Release = run.Release.Resume(command.Actor, run.Now, $"resumed by {command.Actor}");
                    await trail.RecordAsync("resumed", command.Actor, $"resumed by {command.Actor} after {run.Now - pausedAt}", command);
                    await trail.PublishAsync("resumed");
                    return (null, run.Now - pausedAt);
                case ReleaseCommandKind.Rollback:
                    return (Interruption.Rollback(command.Actor, $"rollback requested by {command.Actor}" + command.Because(), command), run.Now - pausedAt);
                case ReleaseCommandKind.Abort:
                    return (Interruption.Aborted(command, $"aborted by {command.Actor}" + command.Because()), run.Now - pausedAt);
                case ReleaseCommandKind.Status:
                    await trail.PublishAsync("paused: /resume continues, /rollback or /abort stops");
                    break;
                default:
                    await trail.RefuseAsync(command, "the release is paused; send /resume first");
                    break;
            }
        }
    }
}
