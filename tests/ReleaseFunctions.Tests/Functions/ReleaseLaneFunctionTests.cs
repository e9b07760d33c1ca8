using System.Reflection;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using Moq;
using ReleaseFunctions.Core.Policy;
using ReleaseFunctions.Functions;
using ReleaseFunctions.Releases;

namespace ReleaseFunctions.Tests.Functions;

/// <summary>
/// On the Functions worker the workflow's activities are made from the worker's services, which hold no
/// <see cref="DurableTaskClient"/>: the two that call the engine are activity functions with a <c>[DurableClient]</c>.
/// </summary>
public sealed class ReleaseLaneFunctionTests
{
    private readonly Mock<DurableTaskClient> _client = new(MockBehavior.Strict, "releasefunctions-test");
    private readonly Mock<FunctionContext> _context = new();

    [Fact]
    public void Every_activity_the_worker_registers_is_made_from_its_services_which_have_no_engine_client()
    {
        using var app = new FunctionsWorkerApp();
        using var scope = app.Services.CreateScope();

        Assert.Null(scope.ServiceProvider.GetService<DurableTaskClient>());
        foreach (var (name, type) in ReleaseWorkflow.Activities)
        {
            // What the registry's factory does per call, on the invocation's services.
            var activity = ActivatorUtilities.CreateInstance(scope.ServiceProvider, type);
            Assert.True(activity is ITaskActivity, name);
        }

        // The engine's activities would not be made there: they are functions, bound to the host's client.
        foreach (var (name, type) in ReleaseWorkflow.EngineActivities)
        {
            Assert.Throws<InvalidOperationException>(() => ActivatorUtilities.CreateInstance(scope.ServiceProvider, type));
            var function = typeof(ReleaseLaneFunctions).GetMethods().Single(m => m.GetCustomAttribute<FunctionAttribute>()?.Name == name);
            var parameters = function.GetParameters();
            Assert.Contains(parameters, p => p.GetCustomAttribute<ActivityTriggerAttribute>() is not null);
            Assert.Contains(parameters, p => p.GetCustomAttribute<DurableClientAttribute>() is not null && p.ParameterType == typeof(DurableTaskClient));
        }
    }

    [Fact]
    public async Task RequestLane_starts_the_lane_once_and_sends_it_the_request()
    {
        var laneId = ReleaseLaneOrchestrator.InstanceIdFor("Shop", "prod");
        var started = false;
        _client.Setup(c => c.GetInstanceAsync(laneId, false, It.IsAny<CancellationToken>()))
            .ReturnsAsync(() => started ? new OrchestrationMetadata(ReleaseLaneOrchestrator.Name, laneId) { RuntimeStatus = OrchestrationRuntimeStatus.Running } : null);
        _client.Setup(c => c.ScheduleNewOrchestrationInstanceAsync(It.Is<TaskName>(n => n.Name == ReleaseLaneOrchestrator.Name), It.IsAny<object?>(),
                It.Is<StartOrchestrationOptions?>(o => o!.InstanceId == laneId), It.IsAny<CancellationToken>()))
            .Callback(() => started = true)
            .ReturnsAsync(laneId);
        var sent = new List<LaneRequest>();
        _client.Setup(c => c.RaiseEventAsync(laneId, ReleaseLaneOrchestrator.RequestEvent, It.IsAny<object?>(), It.IsAny<CancellationToken>()))
            .Callback((string _, string _, object? payload, CancellationToken _) => sent.Add((LaneRequest)payload!))
            .Returns(Task.CompletedTask);
        var enter = new LaneRequest(true, "release-1", "1.2.3", ConcurrencyMode.Queue);
        var leave = enter with { Enter = false };

        var first = await new ReleaseLaneFunctions().RequestLane(new LaneEntry("Shop", "prod", enter), _client.Object, _context.Object);
        var second = await new ReleaseLaneFunctions().RequestLane(new LaneEntry("Shop", "prod", leave), _client.Object, _context.Object);

        Assert.Equal("lane-shop-prod", first);
        Assert.Equal(first, second);
        Assert.Equal([enter, leave], sent);
        _client.Verify(c => c.ScheduleNewOrchestrationInstanceAsync(It.IsAny<TaskName>(), It.IsAny<object?>(), It.IsAny<StartOrchestrationOptions?>(), It.IsAny<CancellationToken>()), Times.Once);
    }

    [Theory]
    [InlineData(OrchestrationRuntimeStatus.Running, "Running")]
    [InlineData(OrchestrationRuntimeStatus.Terminated, "Terminated")]
    [InlineData(null, "Missing")]
    public async Task ReadReleaseRuntime_answers_the_holders_status_by_name_or_missing(OrchestrationRuntimeStatus? status, string expected)
    {
        _client.Setup(c => c.GetInstanceAsync("release-1", false, It.IsAny<CancellationToken>()))
            .ReturnsAsync(status is { } s ? new OrchestrationMetadata(ReleaseWorkflow.OrchestratorName, "release-1") { RuntimeStatus = s } : null);

        Assert.Equal(expected, await new ReleaseLaneFunctions().ReadReleaseRuntime("release-1", _client.Object, _context.Object));
    }
}
