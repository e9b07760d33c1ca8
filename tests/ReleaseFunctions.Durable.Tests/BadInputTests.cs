using Microsoft.Extensions.DependencyInjection;
using ReleaseFunctions.Durable.Tests.Support;

namespace ReleaseFunctions.Durable.Tests;

public sealed class BadInputTests
{
    private sealed class CallsMissingActivity : TaskOrchestrator<string?, string>
    {
        public override async Task<string> RunAsync(TaskOrchestrationContext context, string? input)
            => await context.CallActivityAsync<string>("NoSuchActivity", "x");
    }

    private static Task<EngineHarness> Engine() => EngineHarness.StartAsync(r => r
        .AddActivity<Greet>().AddOrchestrator<SequenceOrchestrator>().AddOrchestrator<CallsMissingActivity>());

    [Fact]
    public async Task Starting_an_unknown_orchestrator_names_it_and_lists_the_registered_ones()
    {
        await using var engine = await Engine();
        var error = await Assert.ThrowsAsync<ArgumentException>(() => engine.Client.ScheduleNewOrchestrationInstanceAsync("ReleaseOrchestratr"));
        Assert.Contains("'ReleaseOrchestratr'", error.Message);
        Assert.Contains("SequenceOrchestrator", error.Message);
    }

    [Fact]
    public async Task Calling_an_unknown_activity_fails_the_call_with_a_message_naming_it()
    {
        await using var engine = await Engine();
        var id = await engine.Client.ScheduleNewOrchestrationInstanceAsync(nameof(CallsMissingActivity));
        var done = await engine.Completion(id);
        Assert.Equal(OrchestrationRuntimeStatus.Failed, done.RuntimeStatus);
        Assert.Contains("No activity named 'NoSuchActivity'", done.FailureDetails!.ErrorMessage);
        Assert.Contains("Greet", done.FailureDetails.ErrorMessage);
    }

    [Fact]
    public async Task An_event_for_an_instance_that_does_not_exist_is_refused()
    {
        await using var engine = await Engine();
        var error = await Assert.ThrowsAsync<OrchestrationInstanceNotFoundException>(() => engine.Client.RaiseEventAsync("release-missing", "approve", "alice"));
        Assert.Contains("'release-missing'", error.Message);
        await Assert.ThrowsAsync<OrchestrationInstanceNotFoundException>(() => engine.Client.TerminateInstanceAsync("release-missing"));
    }

    [Fact]
    public async Task Input_that_does_not_deserialize_fails_the_instance_with_what_was_expected()
    {
        await using var engine = await Engine();
        var id = await engine.Client.ScheduleNewOrchestrationInstanceAsync(nameof(SequenceOrchestrator), new { cities = 3 });
        var done = await engine.Completion(id);
        Assert.Equal(OrchestrationRuntimeStatus.Failed, done.RuntimeStatus);
        Assert.Contains("could not be read as String[]", done.FailureDetails!.ErrorMessage);
        Assert.Contains(nameof(SequenceOrchestrator), done.FailureDetails.ErrorMessage);
    }

    [Theory]
    [InlineData("")]
    [InlineData("has space")]
    [InlineData("line\nbreak")]
    public async Task A_malformed_instance_id_is_refused(string instanceId)
    {
        await using var engine = await Engine();
        var error = await Assert.ThrowsAsync<ArgumentException>(() => engine.Client.ScheduleNewOrchestrationInstanceAsync(nameof(SequenceOrchestrator), options: new StartOrchestrationOptions(instanceId)));
        Assert.Contains("instance id", error.Message);
    }

    [Fact]
    public void Worker_options_are_validated_when_the_engine_is_added()
    {
        var error = Assert.Throws<ArgumentException>(() => new ServiceCollection().AddDurableTask(b => b.Worker.MaxConcurrentActivities = 0));
        Assert.Contains("MaxConcurrentActivities", error.Message);
    }

    [Fact]
    public void A_retry_policy_with_impossible_values_is_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new RetryPolicy(0, TimeSpan.FromSeconds(1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new RetryPolicy(3, TimeSpan.Zero));
        Assert.Throws<ArgumentOutOfRangeException>(() => new RetryPolicy(3, TimeSpan.FromSeconds(1), 0.5));
        var policy = new RetryPolicy(5, TimeSpan.FromSeconds(10), 3, TimeSpan.FromSeconds(60));
        Assert.Equal([10, 30, 60, 60], Enumerable.Range(2, 4).Select(a => policy.DelayBeforeAttempt(a).TotalSeconds));
    }

    [Fact]
    public async Task Purge_and_query_through_the_client()
    {
        await using var engine = await Engine();
        var id = await engine.Client.ScheduleNewOrchestrationInstanceAsync(nameof(SequenceOrchestrator), new[] { "Rome" });
        await engine.Completion(id);
        var page = await engine.Client.QueryInstancesAsync(new InstanceQuery([OrchestrationRuntimeStatus.Completed]));
        Assert.Equal(id, Assert.Single(page.Instances).InstanceId);

        Assert.True(await engine.Client.PurgeInstanceAsync(id));
        Assert.Null(await engine.Client.GetInstanceAsync(id));
        await Assert.ThrowsAsync<OrchestrationInstanceNotFoundException>(() => engine.Client.GetHistoryAsync(id));
    }
}
