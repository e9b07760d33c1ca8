namespace ReleaseFunctions.Durable.Tests.Conformance;

using Microsoft.DurableTask;
using ReleaseFunctions.Durable.Starting;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Worker;

/// <summary>
/// One scenario suite, run by the official SDK worker and client against each backend: the embedded backend on
/// SQLite and on PostgreSQL, and Microsoft's in-process test host. Every scenario expects the same outcome from
/// all three; where the protocol leaves a behaviour to the backend (starting an id that exists) the test says so.
/// Each test starts its own backend, so no test sees another's data.
/// </summary>
public sealed class BackendConformanceTests
{
    public static TheoryData<string> Backends => ["sqlite", "postgres", "in-process"];

    private static async Task<BackendUnderTest> StartAsync(string backend, Action<DurableTaskRegistry> tasks)
        => backend == "in-process"
            ? await InProcessTestHostUnderTest.StartAsync(tasks)
            : await EmbeddedBackendUnderTest.StartAsync(backend, tasks);

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task An_activity_that_fails_is_retried_by_its_policy_and_a_failure_reaches_the_orchestrator(string backend)
    {
        var attempts = 0;
        await using var host = await StartAsync(backend, r => r
            .AddActivityFunc<string, string>("Flaky", (_, name) => Interlocked.Increment(ref attempts) < 3 ? throw new InvalidOperationException("not yet") : Task.FromResult($"hello {name}"))
            .AddActivityFunc<string, string>("Broken", (_, _) => Task.FromException<string>(new InvalidOperationException("broken for good")))
            .AddOrchestratorFunc<string, string[]>("Retries", async (context, name) =>
            {
                var retry = TaskOptions.FromRetryPolicy(new RetryPolicy(3, TimeSpan.FromSeconds(1)));
                var greeting = await context.CallActivityAsync<string>("Flaky", name, retry);
                try
                {
                    await context.CallActivityAsync<string>("Broken", name);
                    return [greeting, "no failure"];
                }
                catch (TaskFailedException failed)
                {
                    return [greeting, failed.FailureDetails.ErrorMessage];
                }
            }));

        var id = await host.Client.ScheduleNewOrchestrationInstanceAsync("Retries", "Oslo");
        var done = await host.FinishAsync(id);

        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        Assert.Equal(["hello Oslo", "broken for good"], done.ReadOutputAs<string[]>()!);
        Assert.Equal(3, attempts);
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task A_durable_timer_fires_at_its_due_time_in_orchestration_time(string backend)
    {
        await using var host = await StartAsync(backend, r => r
            .AddOrchestratorFunc<int, double>("Sleeper", async (context, seconds) =>
            {
                var before = context.CurrentUtcDateTime;
                await context.CreateTimer(TimeSpan.FromSeconds(seconds), CancellationToken.None);
                return (context.CurrentUtcDateTime - before).TotalSeconds;
            }));

        var id = await host.Client.ScheduleNewOrchestrationInstanceAsync("Sleeper", 2);
        var done = await host.FinishAsync(id);

        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        Assert.InRange(done.ReadOutputAs<double>(), 2, 30);
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task Events_raised_before_the_orchestration_waits_are_buffered_and_taken_in_order(string backend)
    {
        await using var host = await StartAsync(backend, r => r
            .AddOrchestratorFunc<object?, int[]>("Listener", async (context, _) =>
            {
                // The events are raised while the orchestration waits for this; it takes them afterwards.
                await context.WaitForExternalEvent<string>("go");
                var taken = new List<int>();
                for (var i = 0; i < 3; i++)
                {
                    taken.Add(await context.WaitForExternalEvent<int>("number"));
                }

                return [.. taken];
            }));

        var id = await host.Client.ScheduleNewOrchestrationInstanceAsync("Listener");
        await host.ReachAsync(id, OrchestrationRuntimeStatus.Running);
        foreach (var n in new[] { 1, 2, 3 })
        {
            await host.Client.RaiseEventAsync(id, "number", n);
        }

        await host.Client.RaiseEventAsync(id, "go", "now");
        var done = await host.FinishAsync(id);

        Assert.Equal([1, 2, 3], done.ReadOutputAs<int[]>()!);
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task An_event_sent_by_an_orchestration_reaches_the_other_instance_and_one_to_a_missing_id_is_dropped(string backend)
    {
        // How a release's lane grants and stops releases: no client inside the orchestration, only its own send.
        await using var host = await StartAsync(backend, r => r
            .AddOrchestratorFunc<string, string>("Sender", async (context, target) =>
            {
                context.SendEvent("nobody-has-this-id", "grant", "lost");
                context.SendEvent(target, "grant", context.InstanceId);
                return await context.WaitForExternalEvent<string>("thanks");
            })
            .AddOrchestratorFunc<object?, string>("Receiver", async (context, _) =>
            {
                var from = await context.WaitForExternalEvent<string>("grant");
                context.SendEvent(from, "thanks", $"granted by {from}");
                return from;
            }));

        var receiver = await host.Client.ScheduleNewOrchestrationInstanceAsync("Receiver");
        await host.ReachAsync(receiver, OrchestrationRuntimeStatus.Running);
        var sender = await host.Client.ScheduleNewOrchestrationInstanceAsync("Sender", receiver);

        Assert.Equal(sender, (await host.FinishAsync(receiver)).ReadOutputAs<string>());
        Assert.Equal($"granted by {sender}", (await host.FinishAsync(sender)).ReadOutputAs<string>());
        Assert.Null(await host.Client.GetInstanceAsync("nobody-has-this-id"));
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task WhenAny_of_an_event_and_a_timer_takes_whichever_comes_first_and_the_loser_is_cancelled(string backend)
    {
        await using var host = await StartAsync(backend, r => r
            .AddOrchestratorFunc<int, string>("Race", async (context, seconds) =>
            {
                using var timeout = new CancellationTokenSource();
                var approval = context.WaitForExternalEvent<string>("approve");
                var timer = context.CreateTimer(TimeSpan.FromSeconds(seconds), timeout.Token);
                var winner = await Task.WhenAny(approval, timer);
                if (winner == approval)
                {
                    timeout.Cancel(); // the losing timer. Cancel, not CancelAsync: orchestrator code runs on the replay thread only.
                    return $"approved by {approval.Result}";
                }

                return "timed out";
            }));

        var approved = await host.Client.ScheduleNewOrchestrationInstanceAsync("Race", 600);
        await host.ReachAsync(approved, OrchestrationRuntimeStatus.Running);
        await host.Client.RaiseEventAsync(approved, "approve", "dana");
        var timedOut = await host.Client.ScheduleNewOrchestrationInstanceAsync("Race", 2);

        var first = await host.Client.WaitForInstanceCompletionAsync(approved, getInputsAndOutputs: true, Bounded());
        var second = await host.FinishAsync(timedOut);

        Assert.Equal("approved by dana", first.ReadOutputAs<string>());
        Assert.Equal("timed out", second.ReadOutputAs<string>());
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task A_sub_orchestration_returns_its_output_and_its_failure_to_the_parent(string backend)
    {
        await using var host = await StartAsync(backend, r => r
            .AddOrchestratorFunc<int, int>("Square", (_, n) => n < 0 ? throw new ArgumentOutOfRangeException(nameof(n), "no negatives") : Task.FromResult(n * n))
            .AddOrchestratorFunc<int, string>("Parent", async (context, n) =>
            {
                var square = await context.CallSubOrchestratorAsync<int>("Square", n, new SubOrchestrationOptions { InstanceId = $"{context.InstanceId}-child" });
                try
                {
                    await context.CallSubOrchestratorAsync<int>("Square", -1);
                    return "no failure";
                }
                catch (TaskFailedException failed)
                {
                    return $"{square}; child failed: {failed.FailureDetails.ErrorType}";
                }
            }));

        var id = await host.Client.ScheduleNewOrchestrationInstanceAsync("Parent", 7);
        var done = await host.FinishAsync(id);

        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        Assert.Equal($"49; child failed: {typeof(ArgumentOutOfRangeException).FullName}", done.ReadOutputAs<string>());
        Assert.Equal(OrchestrationRuntimeStatus.Completed, (await host.Client.GetInstanceAsync($"{id}-child"))!.RuntimeStatus);
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task Continue_as_new_restarts_with_the_new_input_and_keeps_unprocessed_events(string backend)
    {
        await using var host = await StartAsync(backend, r => r
            .AddOrchestratorFunc<int, int>("Counter", async (context, n) =>
            {
                if (n < 5)
                {
                    context.ContinueAsNew(n + 1);
                    return n;
                }

                return n + await context.WaitForExternalEvent<int>("bonus");
            }));

        var id = await host.Client.ScheduleNewOrchestrationInstanceAsync("Counter", 0);
        await host.Client.RaiseEventAsync(id, "bonus", 100);
        var done = await host.FinishAsync(id);

        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        Assert.Equal(105, done.ReadOutputAs<int>());
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task A_terminated_instance_ends_terminated_with_the_given_output(string backend)
    {
        await using var host = await StartAsync(backend, r => r
            .AddOrchestratorFunc<object?, string>("Waiter", async (context, _) => await context.WaitForExternalEvent<string>("never")));

        var id = await host.Client.ScheduleNewOrchestrationInstanceAsync("Waiter");
        await host.ReachAsync(id, OrchestrationRuntimeStatus.Running);
        await host.Client.TerminateInstanceAsync(id, "stopped by an operator");
        var done = await host.Client.WaitForInstanceCompletionAsync(id, getInputsAndOutputs: true, Bounded());

        Assert.Equal(OrchestrationRuntimeStatus.Terminated, done.RuntimeStatus);
        Assert.Equal("stopped by an operator", done.ReadOutputAs<string>());
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task A_suspended_instance_takes_no_event_until_it_is_resumed(string backend)
    {
        await using var host = await StartAsync(backend, r => r
            .AddOrchestratorFunc<object?, string>("Waiter", async (context, _) => await context.WaitForExternalEvent<string>("answer")));

        var id = await host.Client.ScheduleNewOrchestrationInstanceAsync("Waiter");
        await host.ReachAsync(id, OrchestrationRuntimeStatus.Running);
        await host.Client.SuspendInstanceAsync(id, "hold on");
        await host.ReachAsync(id, OrchestrationRuntimeStatus.Suspended);
        await host.Client.RaiseEventAsync(id, "answer", "42");
        await Task.Delay(300); // room for a wrong delivery: the event must not complete a suspended instance
        Assert.Equal(OrchestrationRuntimeStatus.Suspended, (await host.Client.GetInstanceAsync(id))!.RuntimeStatus);

        await host.Client.ResumeInstanceAsync(id, "go on");
        var done = await host.Client.WaitForInstanceCompletionAsync(id, getInputsAndOutputs: true, Bounded());

        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        Assert.Equal("42", done.ReadOutputAs<string>());
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task A_query_pages_through_every_instance_with_a_prefix_and_purge_deletes_finished_ones(string backend)
    {
        await using var host = await StartAsync(backend, r => r
            .AddOrchestratorFunc<int, int>("Echo", (_, n) => Task.FromResult(n)));

        var ids = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            ids.Add(await host.Client.ScheduleNewOrchestrationInstanceAsync("Echo", i, new StartOrchestrationOptions($"batch-{i}")));
        }

        await host.Client.ScheduleNewOrchestrationInstanceAsync("Echo", 99, new StartOrchestrationOptions("other-1"));
        foreach (var id in ids)
        {
            await host.FinishAsync(id);
        }

        var pages = new List<int>();
        var seen = new List<string>();
        var query = new OrchestrationQuery { InstanceIdPrefix = "batch-", PageSize = 2, FetchInputsAndOutputs = true };
        await foreach (var page in host.Client.GetAllInstancesAsync(query).AsPages())
        {
            pages.Add(page.Values.Count);
            seen.AddRange(page.Values.Select(v => v.InstanceId));
        }

        Assert.Equal(ids.Order(), seen.Order());
        Assert.All(pages, count => Assert.InRange(count, 0, 2));

        var purged = await host.Client.PurgeInstanceAsync("batch-0");
        Assert.Equal(1, purged.PurgedInstanceCount);
        Assert.Null(await host.Client.GetInstanceAsync("batch-0"));
        Assert.NotNull(await host.Client.GetInstanceAsync("batch-1"));
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task Starting_an_id_that_exists_once_is_explicit_and_never_runs_it_twice(string backend)
    {
        var runs = 0;
        await using var host = await StartAsync(backend, r => r
            .AddActivityFunc<int, int>("Count", (_, n) => Task.FromResult(Interlocked.Increment(ref runs) + n - n))
            .AddOrchestratorFunc<int, int>("Once", async (context, n) => await context.CallActivityAsync<int>("Count", n)));

        Assert.True(await host.Client.StartOnceAsync("Once", "release-1", 1));
        await host.FinishAsync("release-1");
        Assert.False(await host.Client.StartOnceAsync("Once", "release-1", 2));
        await Task.Delay(200);

        var done = await host.Client.GetInstanceAsync("release-1", getInputsAndOutputs: true);
        Assert.Equal(OrchestrationRuntimeStatus.Completed, done!.RuntimeStatus);
        Assert.Equal(1, done.ReadInputAs<int>());
        Assert.Equal(1, runs);
    }

    private static CancellationToken Bounded() => new CancellationTokenSource(TimeSpan.FromSeconds(60)).Token;
}
