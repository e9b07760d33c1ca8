using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using ReleaseFunctions.Hosting.Functions;
using ReleaseFunctions.Hosting.Timers;

namespace ReleaseFunctions.Tests.Hosting;

public sealed class TimerFunctionSchedulerTests
{
    private static readonly DateTimeOffset Start = At("2026-01-01T10:07:30Z");

    [Fact]
    public async Task Runs_the_function_at_each_scheduled_time()
    {
        await using var host = new SchedulerHost("0 */15 * * * *");
        await host.Scheduler.StartAsync(CancellationToken.None);

        Assert.Equal(At("2026-01-01T10:15:00Z"), await host.Clock.AdvanceToNextTimerAsync());
        var first = await host.Probe.NextStartedAsync();
        Assert.Equal(At("2026-01-01T10:30:00Z"), await host.Clock.AdvanceToNextTimerAsync());
        var second = await host.Probe.NextStartedAsync();

        Assert.Equal(new TimerInvocation("Review", At("2026-01-01T10:15:00Z"), false, null), first);
        Assert.Equal(new TimerInvocation("Review", At("2026-01-01T10:30:00Z"), false, At("2026-01-01T10:15:00Z")), second);
        await host.Scheduler.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task A_run_that_overruns_later_occurrences_is_followed_by_one_past_due_run_and_never_overlaps()
    {
        await using var host = new SchedulerHost("0 */15 * * * *");
        var release = new TaskCompletionSource();
        host.Probe.Behavior = (_, number, _) => number == 1 ? release.Task : Task.CompletedTask;
        await host.Scheduler.StartAsync(CancellationToken.None);

        await host.Clock.AdvanceToNextTimerAsync();
        await host.Probe.NextStartedAsync();
        host.Clock.Advance(TimeSpan.FromMinutes(40)); // 10:55: the 10:30 and 10:45 occurrences pass while 10:15 runs
        Assert.Equal(1, host.Probe.InvocationCount);
        release.SetResult();
        var pastDue = await host.Probe.NextStartedAsync();
        Assert.Equal(At("2026-01-01T11:00:00Z"), await host.Clock.AdvanceToNextTimerAsync());
        var onTime = await host.Probe.NextStartedAsync();

        Assert.Equal(new TimerInvocation("Review", At("2026-01-01T10:45:00Z"), true, At("2026-01-01T10:15:00Z")), pastDue);
        Assert.Equal(new TimerInvocation("Review", At("2026-01-01T11:00:00Z"), false, At("2026-01-01T10:45:00Z")), onTime);
        Assert.Equal(1, host.Probe.MaxConcurrentInvocations);
        await host.Scheduler.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task A_failing_run_is_logged_and_the_schedule_goes_on()
    {
        await using var host = new SchedulerHost("0 */15 * * * *");
        host.Probe.Behavior = (_, number, _) => number == 1 ? throw new InvalidOperationException("GitHub is down") : Task.CompletedTask;
        await host.Scheduler.StartAsync(CancellationToken.None);

        await host.Clock.AdvanceToNextTimerAsync();
        await host.Probe.NextStartedAsync();
        Assert.Equal(At("2026-01-01T10:30:00Z"), await host.Clock.AdvanceToNextTimerAsync());
        var afterFailure = await host.Probe.NextStartedAsync();

        Assert.Equal(At("2026-01-01T10:30:00Z"), afterFailure.ScheduledTime);
        var failure = Assert.Single(host.Logs.Entries, entry => entry.EventId.Id == 6102);
        Assert.Equal(LogLevel.Error, failure.Level);
        Assert.Equal("GitHub is down", failure.Exception?.Message);
        Assert.Contains("Review", failure.Message, StringComparison.Ordinal);
        await host.Scheduler.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task Run_on_startup_runs_once_at_start_then_follows_the_schedule()
    {
        await using var host = new SchedulerHost("0 */15 * * * *", runOnStartup: true);
        await host.Scheduler.StartAsync(CancellationToken.None);

        var startup = await host.Probe.NextStartedAsync();
        await host.Clock.AdvanceToNextTimerAsync();
        var scheduled = await host.Probe.NextStartedAsync();

        Assert.Equal(new TimerInvocation("Review", Start, false, null), startup);
        Assert.Equal(new TimerInvocation("Review", At("2026-01-01T10:15:00Z"), false, Start), scheduled);
        await host.Scheduler.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task An_occurrence_further_away_than_a_timer_can_wait_is_reached_in_steps()
    {
        await using var host = new SchedulerHost("0 0 0 1 1 *");
        await host.Scheduler.StartAsync(CancellationToken.None);

        // The schedule names a calendar day, so the occurrence is the first 1 January after Start, however Start is shifted.
        var newYear = new DateTimeOffset(Start.Year + 1, 1, 1, 0, 0, 0, TimeSpan.Zero);
        Assert.Equal(Start.AddDays(1), await host.Clock.AdvanceToNextTimerAsync());
        host.Clock.Advance(newYear - host.Clock.GetUtcNow());
        var yearly = await host.Probe.NextStartedAsync();

        Assert.Equal(new TimerInvocation("Review", newYear, false, null), yearly);
        await host.Scheduler.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task Stopping_ends_a_wait_without_running_the_function()
    {
        await using var host = new SchedulerHost("0 0 0 1 1 *");
        await host.Scheduler.StartAsync(CancellationToken.None);
        await host.Clock.WhenTimersArmedAsync();

        await host.Scheduler.StopAsync(CancellationToken.None);

        Assert.True(host.Scheduler.ExecuteTask!.IsCompletedSuccessfully);
        Assert.Equal(0, host.Probe.InvocationCount);
    }

    [Fact]
    public async Task The_runner_makes_a_second_invocation_of_the_same_function_wait_for_the_first()
    {
        await using var host = new SchedulerHost("0 */15 * * * *");
        var release = new TaskCompletionSource();
        host.Probe.Behavior = (_, number, _) => number == 1 ? release.Task : Task.CompletedTask;
        var runner = host.Services.GetRequiredService<TimerFunctionRunner>();
        var function = host.Services.GetRequiredService<FunctionCatalog>().Timers.Single();

        var first = runner.RunAsync(function, new TimerInvocation("Review", Start, false, null), CancellationToken.None);
        await host.Probe.NextStartedAsync();
        var second = runner.RunAsync(function, new TimerInvocation("Review", Start, true, null), CancellationToken.None);

        Assert.False(second.IsCompleted);
        Assert.Equal(1, host.Probe.InvocationCount);
        release.SetResult();
        Assert.True((await first).Succeeded);
        Assert.True((await second).Succeeded);
        Assert.Equal(2, host.Probe.InvocationCount);
        Assert.Equal(1, host.Probe.MaxConcurrentInvocations);
    }

    private static DateTimeOffset At(string text) => TestClock.At(text);

    private sealed class SchedulerHost : IAsyncDisposable
    {
        public SchedulerHost(string schedule, bool runOnStartup = false)
        {
            var services = new ServiceCollection();
            services.AddLogging(logging => logging.AddProvider(Logs));
            services.AddSingleton<TimeProvider>(Clock);
            services.AddSingleton(Probe);
            services.AddSingleton<TimerFunctionRunner>();
            services.AddSingleton<TimerFunctionScheduler>();
            services.AddTimerFunction<ProbeFunction>("Review", schedule, runOnStartup);
            Services = services.BuildServiceProvider(new ServiceProviderOptions { ValidateScopes = true, ValidateOnBuild = true });
            Scheduler = Services.GetRequiredService<TimerFunctionScheduler>();
        }

        public TestTimeProvider Clock { get; } = new(Start);

        public TimerProbe Probe { get; } = new();

        public RecordingLoggerProvider Logs { get; } = new();

        public ServiceProvider Services { get; }

        public TimerFunctionScheduler Scheduler { get; }

        public ValueTask DisposeAsync() => Services.DisposeAsync();
    }
}
