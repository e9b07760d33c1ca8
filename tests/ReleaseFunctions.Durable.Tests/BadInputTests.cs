namespace ReleaseFunctions.Durable.Tests;

using Grpc.Core;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using ReleaseFunctions.Durable.Embedded;
using ReleaseFunctions.Durable.Tests.Support;

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
    public async Task Starting_an_unknown_orchestrator_fails_the_instance_naming_it()
    {
        await using var engine = await Engine();
        var id = await engine.Client.ScheduleNewOrchestrationInstanceAsync("ReleaseOrchestratr");
        var done = await engine.Completion(id);
        Assert.Equal(OrchestrationRuntimeStatus.Failed, done.RuntimeStatus);
        Assert.Contains("ReleaseOrchestratr", done.FailureDetails!.ErrorMessage);
    }

    [Fact]
    public async Task Calling_an_unknown_activity_fails_the_call_with_a_message_naming_it()
    {
        await using var engine = await Engine();
        var id = await engine.Client.ScheduleNewOrchestrationInstanceAsync(nameof(CallsMissingActivity));
        var done = await engine.Completion(id);
        Assert.Equal(OrchestrationRuntimeStatus.Failed, done.RuntimeStatus);
        Assert.Contains("NoSuchActivity", done.FailureDetails!.ErrorMessage);
    }

    [Fact]
    public async Task An_event_for_an_instance_that_does_not_exist_is_refused()
    {
        await using var engine = await Engine();
        var error = await Assert.ThrowsAnyAsync<Exception>(() => engine.Client.RaiseEventAsync("release-missing", "approve", "alice"));
        Assert.Contains("'release-missing'", error.Message);
        await Assert.ThrowsAnyAsync<Exception>(() => engine.Client.TerminateInstanceAsync("release-missing"));
    }

    [Fact]
    public async Task Input_that_does_not_deserialize_fails_the_instance_with_what_was_expected()
    {
        await using var engine = await Engine();
        var id = await engine.Client.ScheduleNewOrchestrationInstanceAsync(nameof(SequenceOrchestrator), new { cities = 3 });
        var done = await engine.Completion(id);
        Assert.Equal(OrchestrationRuntimeStatus.Failed, done.RuntimeStatus);
        Assert.Contains("String[]", done.FailureDetails!.ErrorMessage);
    }

    [Theory]
    [InlineData("has space")]
    [InlineData("line\nbreak")]
    public async Task A_malformed_instance_id_is_refused(string instanceId)
    {
        await using var engine = await Engine();
        var error = await Assert.ThrowsAnyAsync<Exception>(() => engine.Client.ScheduleNewOrchestrationInstanceAsync(nameof(SequenceOrchestrator), new StartOrchestrationOptions(instanceId)));
        Assert.Contains("instance id", error.Message);
    }

    [Fact]
    public void Backend_options_are_validated_when_the_backend_is_added()
    {
        var error = Assert.Throws<ArgumentException>(() => new ServiceCollection().AddEmbeddedDurableTaskBackend(b => b.Options.MaxConcurrentActivities = 0));
        Assert.Contains("MaxConcurrentActivities", error.Message);
    }

    [Fact]
    public async Task Work_items_without_this_process_s_key_are_refused()
    {
        await using var engine = await Engine();
        var endpoint = engine.Services.GetRequiredService<EmbeddedBackendEndpoint>();
        // The socket, reached without the key: what another local program would try.
        using var channel = Grpc.Net.Client.GrpcChannel.ForAddress("http://embedded-backend", new Grpc.Net.Client.GrpcChannelOptions
        {
            HttpHandler = new SocketsHttpHandler
            {
                ConnectCallback = async (_, ct) =>
                {
                    var socket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified);
                    await socket.ConnectAsync(new System.Net.Sockets.UnixDomainSocketEndPoint(endpoint.SocketPath), ct);
                    return new System.Net.Sockets.NetworkStream(socket, ownsSocket: true);
                },
            },
        });
        var keyless = new Microsoft.DurableTask.Protobuf.TaskHubSidecarService.TaskHubSidecarServiceClient(channel);
        var error = await Assert.ThrowsAsync<RpcException>(async () => await keyless.StartInstanceAsync(new Microsoft.DurableTask.Protobuf.CreateInstanceRequest { InstanceId = "x", Name = nameof(SequenceOrchestrator) }));
        Assert.Equal(StatusCode.Unauthenticated, error.StatusCode);
        Assert.Null(await engine.Client.GetInstanceAsync("x"));
    }

    [Fact]
    public async Task Purge_and_query_through_the_client()
    {
        await using var engine = await Engine();
        var id = await engine.Client.ScheduleNewOrchestrationInstanceAsync(nameof(SequenceOrchestrator), new[] { "Rome" });
        await engine.Completion(id);
        var completed = new List<string>();
        await foreach (var instance in engine.Client.GetAllInstancesAsync(new OrchestrationQuery { Statuses = [OrchestrationRuntimeStatus.Completed] }))
        {
            completed.Add(instance.InstanceId);
        }

        Assert.Equal(id, Assert.Single(completed));
        Assert.Equal(1, (await engine.Client.PurgeInstanceAsync(id)).PurgedInstanceCount);
        Assert.Null(await engine.Client.GetInstanceAsync(id));
        Assert.Empty(await engine.HistoryAsync(id));
    }
}
