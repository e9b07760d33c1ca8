using ReleaseFunctions.Durable.Storage;

namespace ReleaseFunctions.Durable.Tests.Storage;

/// <summary>
/// What every store must do. A store's test class derives from this and says how to make a fresh, empty store;
/// the tests are the same for all stores.
/// </summary>
public abstract class OrchestrationStoreContract : IAsyncLifetime
{
    protected static readonly DateTimeOffset T0 = TestClock.At(2026, 11, 23, 9, 0, 0);
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(1);

    protected IOrchestrationStore Store { get; private set; } = null!;

    protected abstract Task<IOrchestrationStore> CreateEmptyStoreAsync();

    public async Task InitializeAsync()
    {
        Store = await CreateEmptyStoreAsync();
        await Store.InitializeAsync(CancellationToken.None);
    }

    public async Task DisposeAsync() => await Store.DisposeAsync();

    private static NewInstance Instance(string id, DateTimeOffset? created = null, string name = "Release")
        => new(id, name, "exec-1", "\"input\"", created ?? T0, created ?? T0);

    [Fact]
    public async Task Creating_an_instance_twice_creates_it_once_with_one_start_message()
    {
        Assert.True(await Store.CreateInstanceAsync(Instance("a"), default));
        Assert.False(await Store.CreateInstanceAsync(Instance("a") with { Input = "\"other\"" }, default));

        var item = await Store.TryLockNextOrchestrationAsync(T0, Lease, default);
        Assert.NotNull(item);
        Assert.Equal("\"input\"", item.Instance.Input);
        Assert.IsType<ExecutionStartedEvent>(Assert.Single(item.Messages).Event);
    }

    [Fact]
    public async Task A_message_to_an_unknown_instance_is_refused()
        => Assert.False(await Store.SendMessageAsync("nobody", new EventRaisedEvent("x", null), T0, default));

    [Fact]
    public async Task A_leased_instance_is_not_handed_out_again_until_its_lease_expires_and_the_old_holder_cannot_commit()
    {
        await Store.CreateInstanceAsync(Instance("a"), default);
        var first = await Store.TryLockNextOrchestrationAsync(T0, Lease, default);
        Assert.NotNull(first);
        Assert.Null(await Store.TryLockNextOrchestrationAsync(T0.AddSeconds(30), Lease, default));

        var second = await Store.TryLockNextOrchestrationAsync(T0.AddMinutes(2), Lease, default);
        Assert.NotNull(second);
        Assert.NotEqual(first.LeaseToken, second.LeaseToken);

        await Assert.ThrowsAsync<LeaseLostException>(() => Store.CommitEpisodeAsync(Commit(first), T0.AddMinutes(2), default));
        await Store.CommitEpisodeAsync(Commit(second), T0.AddMinutes(2), default);
        Assert.Equal(OrchestrationRuntimeStatus.Running, (await Store.GetInstanceAsync("a", false, default))!.Status);
    }

    [Fact]
    public async Task A_commit_after_the_lease_expired_is_refused_even_when_nobody_took_it()
    {
        await Store.CreateInstanceAsync(Instance("a"), default);
        var item = (await Store.TryLockNextOrchestrationAsync(T0, Lease, default))!;
        await Assert.ThrowsAsync<LeaseLostException>(() => Store.CommitEpisodeAsync(Commit(item), T0 + Lease, default));
    }

    [Fact]
    public async Task An_episode_commit_writes_history_status_activities_and_timers_together()
    {
        await Store.CreateInstanceAsync(Instance("a"), default);
        var item = (await Store.TryLockNextOrchestrationAsync(T0, Lease, default))!;
        var timerDue = T0.AddMinutes(30);
        var commit = Commit(item) with
        {
            NewHistory = [new OrchestratorStartedEvent { Timestamp = T0 }, item.Messages[0].Event, new TaskScheduledEvent(0, "Shift", null, "a/exec-1/0"), new TimerCreatedEvent(1, timerDue)],
            Activities = [new NewActivity(0, "Shift", "25", "a/exec-1/0")],
            Messages = [new OutboundMessage("a", new TimerFiredEvent(1, timerDue), timerDue)],
        };

        await Store.CommitEpisodeAsync(commit, T0, default);

        Assert.Equal(4, (await Store.GetHistoryAsync("a", default)).Count);
        var activity = await Store.TryLockNextActivityAsync(T0, Lease, default);
        Assert.Equal(("Shift", "25", "a/exec-1/0", 1), (activity!.Name, activity.Input, activity.IdempotencyKey, activity.DeliveryCount));
        Assert.Null(await Store.TryLockNextOrchestrationAsync(T0, Lease, default));
        Assert.Equal(timerDue, await Store.GetNextWakeUpAsync(T0.AddMinutes(5), default));
        var fired = await Store.TryLockNextOrchestrationAsync(timerDue, Lease, default);
        Assert.IsType<TimerFiredEvent>(Assert.Single(fired!.Messages).Event);
    }

    [Fact]
    public async Task An_activity_whose_lease_expired_is_delivered_again_and_the_first_worker_cannot_complete_it()
    {
        var (first, _) = await ScheduleOneActivityAsync();
        var second = await Store.TryLockNextActivityAsync(T0.AddMinutes(2), Lease, default);
        Assert.Equal(2, second!.DeliveryCount);
        Assert.Equal(first.IdempotencyKey, second.IdempotencyKey);

        await Assert.ThrowsAsync<LeaseLostException>(() => Store.CompleteActivityAsync(first, new TaskCompletedEvent(0, "\"late\""), T0.AddMinutes(2), default));
        await Store.CompleteActivityAsync(second, new TaskCompletedEvent(0, "\"ok\""), T0.AddMinutes(2), default);

        var item = await Store.TryLockNextOrchestrationAsync(T0.AddMinutes(2), Lease, default);
        var result = Assert.IsType<TaskCompletedEvent>(Assert.Single(item!.Messages).Event);
        Assert.Equal("\"ok\"", result.Result);
    }

    [Fact]
    public async Task A_renewed_activity_lease_keeps_the_work_from_other_workers()
    {
        var (first, _) = await ScheduleOneActivityAsync();
        Assert.True(await Store.RenewActivityLeaseAsync(first, T0.AddSeconds(50), Lease, default));
        Assert.Null(await Store.TryLockNextActivityAsync(T0.AddSeconds(100), Lease, default));
        Assert.NotNull(await Store.TryLockNextActivityAsync(T0.AddSeconds(111), Lease, default));
        Assert.False(await Store.RenewActivityLeaseAsync(first, T0.AddSeconds(112), Lease, default));
    }

    [Fact]
    public async Task Continue_as_new_replaces_the_history()
    {
        await Store.CreateInstanceAsync(Instance("a"), default);
        var item = (await Store.TryLockNextOrchestrationAsync(T0, Lease, default))!;
        await Store.CommitEpisodeAsync(Commit(item) with { NewHistory = [new OrchestratorStartedEvent(), item.Messages[0].Event] }, T0, default);
        await Store.SendMessageAsync("a", new EventRaisedEvent("go", null), T0, default);
        item = (await Store.TryLockNextOrchestrationAsync(T0, Lease, default))!;
        await Store.CommitEpisodeAsync(Commit(item) with { ReplaceHistory = true, NewHistory = [] }, T0, default);

        Assert.Empty(await Store.GetHistoryAsync("a", default));
    }

    [Fact]
    public async Task Queries_filter_by_status_name_and_creation_time_and_page_newest_first()
    {
        for (var i = 0; i < 7; i++)
        {
            await Store.CreateInstanceAsync(Instance($"r{i}", T0.AddMinutes(i), i % 2 == 0 ? "Release" : "Review"), default);
        }

        var all = new List<string>();
        string? token = null;
        do
        {
            var page = await Store.QueryInstancesAsync(new InstanceQuery(PageSize: 3, ContinuationToken: token), default);
            Assert.True(page.Instances.Count <= 3);
            all.AddRange(page.Instances.Select(i => i.InstanceId));
            token = page.ContinuationToken;
        }
        while (token is not null);

        Assert.Equal(["r6", "r5", "r4", "r3", "r2", "r1", "r0"], all);
        var reviews = await Store.QueryInstancesAsync(new InstanceQuery(NamePrefix: "Rev"), default);
        Assert.Equal(["r5", "r3", "r1"], reviews.Instances.Select(i => i.InstanceId));
        var window = await Store.QueryInstancesAsync(new InstanceQuery(CreatedFrom: T0.AddMinutes(2), CreatedTo: T0.AddMinutes(4)), default);
        Assert.Equal(["r3", "r2"], window.Instances.Select(i => i.InstanceId));
        var pending = await Store.QueryInstancesAsync(new InstanceQuery([OrchestrationRuntimeStatus.Pending]), default);
        Assert.Equal(7, pending.Instances.Count);
        var running = await Store.QueryInstancesAsync(new InstanceQuery([OrchestrationRuntimeStatus.Running]), default);
        Assert.Empty(running.Instances);
    }

    [Fact]
    public async Task A_continuation_token_from_elsewhere_is_refused_with_a_clear_error()
    {
        var error = await Assert.ThrowsAsync<ArgumentException>(() => Store.QueryInstancesAsync(new InstanceQuery(ContinuationToken: "not-a-token"), default));
        Assert.Contains("continuation token", error.Message);
    }

    [Fact]
    public async Task Purge_deletes_only_finished_instances()
    {
        await Store.CreateInstanceAsync(Instance("running"), default);
        await Store.CreateInstanceAsync(Instance("done"), default);
        foreach (var _ in Enumerable.Range(0, 2))
        {
            var item = (await Store.TryLockNextOrchestrationAsync(T0, Lease, default))!;
            var status = item.Instance.InstanceId == "done" ? OrchestrationRuntimeStatus.Completed : OrchestrationRuntimeStatus.Running;
            await Store.CommitEpisodeAsync(Commit(item) with { Update = Commit(item).Update with { Status = status, CompletedAt = status == OrchestrationRuntimeStatus.Completed ? T0 : null } }, T0, default);
        }

        Assert.False(await Store.PurgeInstanceAsync("running", default));
        Assert.True(await Store.PurgeInstanceAsync("done", default));
        Assert.Null(await Store.GetInstanceAsync("done", false, default));
        Assert.NotNull(await Store.GetInstanceAsync("running", false, default));
        Assert.Equal(0, await Store.PurgeInstancesAsync(T0.AddDays(-1), T0.AddDays(1), [OrchestrationRuntimeStatus.Completed], default));
    }

    private async Task<(ActivityWorkItem Item, string InstanceId)> ScheduleOneActivityAsync()
    {
        await Store.CreateInstanceAsync(Instance("a"), default);
        var item = (await Store.TryLockNextOrchestrationAsync(T0, Lease, default))!;
        await Store.CommitEpisodeAsync(Commit(item) with { Activities = [new NewActivity(0, "Shift", null, "a/exec-1/0")] }, T0, default);
        return ((await Store.TryLockNextActivityAsync(T0, Lease, default))!, "a");
    }

    private static EpisodeCommit Commit(OrchestrationWorkItem item)
        => new(item.Instance.InstanceId, item.LeaseToken, item.Messages.Select(m => m.Id).ToList(), false, [],
            new InstanceUpdate(OrchestrationRuntimeStatus.Running, item.Instance.ExecutionId, item.Instance.Input, null, null, null, null),
            [], [], []);
}
