namespace ReleaseFunctions.Durable.Tests;

using Microsoft.DurableTask;
using ReleaseFunctions.Durable.Starting;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using ReleaseFunctions.Durable.Tests.Support;

/// <summary>What the official SDK's orchestrations do on the embedded backend with a fake clock: the engine-level behaviours the release workflow relies on.</summary>
public sealed class OrchestrationBehaviourTests
{
    private static void All(DurableTaskRegistry r) => r
        .AddActivity<Greet>().AddActivity<Flaky>()
        .AddOrchestrator<SequenceOrchestrator>().AddOrchestrator<FanOutOrchestrator>().AddOrchestrator<SoakOrchestrator>()
        .AddOrchestrator<ApprovalOrchestrator>().AddOrchestrator<EventsOrchestrator>().AddOrchestrator<RetryOrchestrator>()
        .AddOrchestrator<CounterOrchestrator>().AddOrchestrator<StatusOrchestrator>().AddOrchestrator<ParentOrchestrator>()
        .AddOrchestrator<GuidOrchestrator>().AddOrchestrator<ChangingOrchestrator>();

    private static Task<EngineHarness> Engine(Action<IServiceCollection>? services = null)
        => EngineHarness.StartAsync(All, s =>
        {
            s.AddSingleton<FlakyState>();
            services?.Invoke(s);
        });

    [Fact]
    public async Task A_sequence_of_activities_runs_in_order_and_returns_their_results()
    {
        await using var engine = await Engine();
        var id = await engine.Client.ScheduleNewOrchestrationInstanceAsync(nameof(SequenceOrchestrator), new[] { "Tokyo", "Seattle", "London" });

        var done = await engine.Completion(id);

        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        Assert.Equal(["Hello, Tokyo!", "Hello, Seattle!", "Hello, London!"], done.ReadOutputAs<List<string>>());
        var history = await engine.HistoryAsync(id);
        Assert.Equal([0, 1, 2], history.OfType<TaskScheduledEvent>().Select(e => e.TaskId));
        Assert.Single(history.OfType<ExecutionCompletedEvent>());
    }

    [Fact]
    public async Task Fan_out_runs_every_activity_and_fan_in_collects_all_results()
    {
        await using var engine = await Engine();
        var id = await engine.Client.ScheduleNewOrchestrationInstanceAsync(nameof(FanOutOrchestrator), 25);

        var done = await engine.Completion(id);

        var output = done.ReadOutputAs<string[]>()!;
        Assert.Equal(25, output.Length);
        Assert.Equal(Enumerable.Range(0, 25).Select(i => $"Hello, city{i}!"), output);
        var history = await engine.HistoryAsync(id);
        Assert.Equal(25, history.OfType<TaskScheduledEvent>().Select(e => e.TaskId).Distinct().Count());
    }

    [Fact]
    public async Task Activities_run_in_parallel_up_to_the_worker_s_maximum_and_no_further()
    {
        var gate = new ConcurrencyGate();
        await using var engine = await EngineHarness.StartAsync(
            r => r.AddActivity<Gated>().AddOrchestrator<GatedFanOutOrchestrator>(),
            s => s.AddSingleton(gate),
            backend: o => o.MaxConcurrentActivities = 3);
        var id = await engine.Client.ScheduleNewOrchestrationInstanceAsync(nameof(GatedFanOutOrchestrator), 8);

        await EngineHarness.Eventually(() => Task.FromResult(gate.Running == 3), "three activities running at once");
        gate.Open.SetResult();
        var done = await engine.Completion(id);

        Assert.Equal(Enumerable.Range(0, 8), done.ReadOutputAs<int[]>());
        Assert.Equal(3, gate.Most);
    }

    [Fact]
    public async Task A_thirty_minute_durable_timer_fires_when_the_clock_reaches_it_and_not_before()
    {
        await using var engine = await Engine();
        var id = await engine.Client.ScheduleNewOrchestrationInstanceAsync(nameof(SoakOrchestrator), 30);
        await engine.WaitForHistory<TimerCreatedEvent>(id);

        engine.Time.Advance(TimeSpan.FromMinutes(29));
        await Task.Delay(50);
        Assert.Equal(OrchestrationRuntimeStatus.Running, (await engine.Client.GetInstanceAsync(id))!.RuntimeStatus);

        engine.Time.Advance(TimeSpan.FromMinutes(1));
        var done = await engine.Completion(id);

        var times = done.ReadOutputAs<string>()!.Split('|').Select(DateTime.Parse).Select(d => d.ToUniversalTime()).ToArray();
        Assert.Equal(EngineHarness.Start.UtcDateTime, times[0]);
        Assert.True(times[1] >= EngineHarness.Start.UtcDateTime.AddMinutes(30), $"episode time after the soak was {times[1]:O}");
        var fired = (await engine.HistoryAsync(id)).OfType<TimerFiredEvent>().Single();
        Assert.Equal(EngineHarness.Start.AddMinutes(30), fired.FireAt);
    }

    [Fact]
    public async Task Events_raised_before_the_wait_are_buffered_and_delivered_in_order_as_are_events_after_it()
    {
        await using var engine = await Engine();
        var id = await engine.Client.ScheduleNewOrchestrationInstanceAsync(nameof(EventsOrchestrator), 3, new StartOrchestrationOptions(StartAt: EngineHarness.Start.AddMinutes(1)));
        await engine.Client.RaiseEventAsync(id, "note", "first");
        await engine.Client.RaiseEventAsync(id, "note", "second");

        engine.Time.Advance(TimeSpan.FromMinutes(1));
        await engine.WaitForHistory<EventRaisedEvent>(id, count: 2);
        Assert.False((await engine.Client.GetInstanceAsync(id))!.IsCompleted);
        await engine.Client.RaiseEventAsync(id, "note", "third");

        var done = await engine.Completion(id);
        Assert.Equal(["first", "second", "third"], done.ReadOutputAs<List<string>>());
    }

    [Fact]
    public async Task An_event_that_wins_the_race_cancels_the_timer_and_a_late_timer_changes_nothing()
    {
        await using var engine = await Engine();
        var id = await engine.Client.ScheduleNewOrchestrationInstanceAsync(nameof(ApprovalOrchestrator), 60);
        await engine.WaitForHistory<TimerCreatedEvent>(id);

        await engine.Client.RaiseEventAsync(id, "approve", "alice");
        var done = await engine.Completion(id);
        Assert.Equal("approved by alice", done.ReadOutputAs<string>());

        engine.Time.Advance(TimeSpan.FromHours(2));
        await Task.Delay(50);
        var after = await engine.Client.GetInstanceAsync(id, true);
        Assert.Equal(OrchestrationRuntimeStatus.Completed, after!.RuntimeStatus);
        Assert.Equal("approved by alice", after.ReadOutputAs<string>());
        Assert.Empty((await engine.HistoryAsync(id)).OfType<TimerFiredEvent>());
    }

    [Fact]
    public async Task A_timer_that_wins_the_race_times_out_the_wait_and_a_late_event_changes_nothing()
    {
        await using var engine = await Engine();
        var id = await engine.Client.ScheduleNewOrchestrationInstanceAsync(nameof(ApprovalOrchestrator), 60);
        await engine.WaitForHistory<TimerCreatedEvent>(id);

        engine.Time.Advance(TimeSpan.FromMinutes(60));
        var done = await engine.Completion(id);
        Assert.Equal("timed out", done.ReadOutputAs<string>());

        await engine.Client.RaiseEventAsync(id, "approve", "too-late");
        await Task.Delay(50);
        Assert.Equal("timed out", (await engine.Client.GetInstanceAsync(id, true))!.ReadOutputAs<string>());
    }

    [Fact]
    public async Task Retries_wait_on_durable_timers_with_backoff_and_share_one_idempotency_key()
    {
        await using var engine = await Engine();
        var state = engine.Services.GetRequiredService<FlakyState>();
        var id = await engine.Client.ScheduleNewOrchestrationInstanceAsync(nameof(RetryOrchestrator), 2);

        await engine.WaitForHistory<TimerCreatedEvent>(id);
        var first = (await engine.HistoryAsync(id)).OfType<TimerCreatedEvent>().Single();
        Assert.Equal(EngineHarness.Start.AddSeconds(10), first.FireAt);
        engine.Time.Advance(TimeSpan.FromSeconds(10));

        await engine.WaitForHistory<TimerCreatedEvent>(id, count: 2);
        var second = (await engine.HistoryAsync(id)).OfType<TimerCreatedEvent>().Last();
        Assert.Equal(EngineHarness.Start.AddSeconds(10 + 20), second.FireAt);
        engine.Time.Advance(TimeSpan.FromSeconds(20));

        var done = await engine.Completion(id);
        Assert.Equal("ok after 3", done.ReadOutputAs<string>());
        Assert.Single(state.Keys.Distinct());
        Assert.Equal(3, (await engine.HistoryAsync(id)).OfType<TaskScheduledEvent>().Count());
    }

    [Fact]
    public async Task When_retries_run_out_the_failure_reaches_the_orchestrator_as_an_exception_it_can_catch()
    {
        await using var engine = await Engine();
        var id = await engine.Client.ScheduleNewOrchestrationInstanceAsync(nameof(RetryOrchestrator), 5);

        await engine.WaitForHistory<TimerCreatedEvent>(id);
        engine.Time.Advance(TimeSpan.FromSeconds(10));
        await engine.WaitForHistory<TimerCreatedEvent>(id, count: 2);
        engine.Time.Advance(TimeSpan.FromSeconds(20));

        var done = await engine.Completion(id);
        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        Assert.Equal("caught: transient failure 3", done.ReadOutputAs<string>());
        Assert.Equal(3, (await engine.HistoryAsync(id)).OfType<TaskFailedEvent>().Count());
    }

    [Fact]
    public async Task Continue_as_new_restarts_with_the_new_input_and_a_fresh_history()
    {
        await using var engine = await Engine();
        var id = await engine.Client.ScheduleNewOrchestrationInstanceAsync(nameof(CounterOrchestrator), 0);

        for (var i = 0; i < 3; i++)
        {
            await engine.WaitForHistory<TimerCreatedEvent>(id);
            engine.Time.Advance(TimeSpan.FromSeconds(1));
            var value = i + 1;
            await EngineHarness.Eventually(async () => (await engine.Client.GetInstanceAsync(id, true))?.ReadInputAs<int>() == value, $"input {value}");
        }

        var done = await engine.Completion(id);
        Assert.Equal(3, done.ReadOutputAs<int>());
        Assert.Equal(3, done.ReadInputAs<int>());
        var history = await engine.HistoryAsync(id);
        Assert.Single(history.OfType<ExecutionStartedEvent>());
        Assert.Empty(history.OfType<TimerCreatedEvent>());
    }

    [Fact]
    public async Task Terminate_ends_a_waiting_instance_with_the_reason()
    {
        await using var engine = await Engine();
        var id = await engine.Client.ScheduleNewOrchestrationInstanceAsync(nameof(EventsOrchestrator), 1);
        await engine.WaitForStatus(id, OrchestrationRuntimeStatus.Running);

        await engine.Client.TerminateInstanceAsync(id, "operator aborted the release");
        var done = await engine.Completion(id);

        Assert.Equal(OrchestrationRuntimeStatus.Terminated, done.RuntimeStatus);
        Assert.Equal("operator aborted the release", done.ReadOutputAs<string>());
        Assert.Single((await engine.HistoryAsync(id)).OfType<ExecutionTerminatedEvent>());
    }

    [Fact]
    public async Task A_suspended_instance_holds_its_events_until_resumed()
    {
        await using var engine = await Engine();
        var id = await engine.Client.ScheduleNewOrchestrationInstanceAsync(nameof(EventsOrchestrator), 1);
        await engine.WaitForStatus(id, OrchestrationRuntimeStatus.Running);

        await engine.Client.SuspendInstanceAsync(id, "investigating");
        await engine.WaitForStatus(id, OrchestrationRuntimeStatus.Suspended);
        await engine.Client.RaiseEventAsync(id, "note", "held");
        await Task.Delay(50);
        Assert.Equal(OrchestrationRuntimeStatus.Suspended, (await engine.Client.GetInstanceAsync(id))!.RuntimeStatus);
        Assert.Empty((await engine.HistoryAsync(id)).OfType<EventRaisedEvent>());

        await engine.Client.ResumeInstanceAsync(id, "all clear");
        var done = await engine.Completion(id);
        Assert.Equal(["held"], done.ReadOutputAs<List<string>>());
        var history = await engine.HistoryAsync(id);
        Assert.Single(history.OfType<ExecutionSuspendedEvent>());
        Assert.Single(history.OfType<ExecutionResumedEvent>());
    }

    [Fact]
    public async Task Custom_status_is_visible_to_clients_as_the_orchestrator_sets_it()
    {
        await using var engine = await Engine();
        var id = await engine.Client.ScheduleNewOrchestrationInstanceAsync(nameof(StatusOrchestrator), "x");
        await EngineHarness.Eventually(async () => (await engine.Client.GetInstanceAsync(id, getInputsAndOutputs: true))?.SerializedCustomStatus is not null, "custom status");

        var waiting = (await engine.Client.GetInstanceAsync(id, getInputsAndOutputs: true))!.ReadCustomStatusAs<StepStatus>();
        Assert.Equal(new StepStatus("waiting", 25), waiting);

        await engine.Client.RaiseEventAsync(id, "go", "promoted");
        var done = await engine.Completion(id);
        Assert.Equal(new StepStatus("done", 100), done.ReadCustomStatusAs<StepStatus>());
    }

    private sealed record StepStatus(string Step, int Weight);

    [Fact]
    public async Task A_sub_orchestration_runs_as_its_own_instance_and_returns_to_its_parent()
    {
        await using var engine = await Engine();
        var id = await engine.Client.ScheduleNewOrchestrationInstanceAsync(nameof(ParentOrchestrator), "Lima");

        var done = await engine.Completion(id);

        Assert.Equal("Hello, Lima!;Hello, Oslo!", done.ReadOutputAs<string>());
        var created = (await engine.HistoryAsync(id)).OfType<SubOrchestrationCreatedEvent>().Single();
        var child = await engine.Client.GetInstanceAsync(created.InstanceId);
        Assert.Equal(OrchestrationRuntimeStatus.Completed, child!.RuntimeStatus);
        Assert.Equal(id, (await engine.Store.GetInstanceAsync(created.InstanceId, false, default))!.ParentInstanceId);
    }

    [Fact]
    public async Task New_guids_are_the_same_on_every_replay()
    {
        await using var engine = await Engine();
        var id = await engine.Client.ScheduleNewOrchestrationInstanceAsync(nameof(GuidOrchestrator));
        await engine.WaitForHistory<TimerCreatedEvent>(id);
        engine.Time.Advance(TimeSpan.FromSeconds(5));
        var done = await engine.Completion(id);
        var guids = done.ReadOutputAs<string>()!.Split('|');
        Assert.NotEqual(guids[0], guids[1]);

        // Run the same history again from scratch: same guids.
        var again = await engine.Client.ScheduleNewOrchestrationInstanceAsync(nameof(GuidOrchestrator), new StartOrchestrationOptions(id + "-2"));
        await engine.WaitForHistory<TimerCreatedEvent>(again);
        engine.Time.Advance(TimeSpan.FromSeconds(5));
        var second = (await engine.Completion(again)).ReadOutputAs<string>()!.Split('|');
        Assert.NotEqual(guids[0], second[0]); // a different instance id gives different guids
        Assert.Equal(36, second[0].Length);
    }

    [Fact]
    public async Task An_orchestrator_that_changes_what_it_schedules_fails_with_a_non_determinism_error()
    {
        await using var engine = await Engine();
        var id = await engine.Client.ScheduleNewOrchestrationInstanceAsync(nameof(ChangingOrchestrator));
        await engine.WaitForHistory<TaskCompletedEvent>(id);
        await engine.WaitForStatus(id, OrchestrationRuntimeStatus.Running);

        ChangingOrchestrator.Flag.Changed = true;
        await engine.Client.RaiseEventAsync(id, "continue", "go");
        var done = await engine.Completion(id);

        Assert.Equal(OrchestrationRuntimeStatus.Failed, done.RuntimeStatus);
        Assert.Contains("NonDeterministic", done.FailureDetails!.ErrorType);
        Assert.Contains("Greet", done.FailureDetails.ErrorMessage);
    }

    [Fact]
    public async Task Two_concurrent_starts_with_one_instance_id_create_one_instance()
    {
        await using var engine = await Engine();
        var starts = Enumerable.Range(0, 8).Select(i => Task.Run(() =>
            engine.Client.StartOnceAsync(nameof(SequenceOrchestrator), "release-1", new[] { $"caller{i}" })));

        var started = await Task.WhenAll(starts);

        Assert.Single(started, s => s);
        var done = await engine.Completion("release-1");
        Assert.Single(done.ReadOutputAs<List<string>>()!);
        var instances = new List<OrchestrationMetadata>();
        await foreach (var instance in engine.Client.GetAllInstancesAsync(new OrchestrationQuery()))
        {
            instances.Add(instance);
        }

        Assert.Single(instances);
        Assert.Single((await engine.HistoryAsync("release-1")).OfType<ExecutionStartedEvent>());
    }
}
