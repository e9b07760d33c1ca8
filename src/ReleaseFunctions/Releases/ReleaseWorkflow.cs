using ReleaseFunctions.Durable;

namespace ReleaseFunctions.Releases;

/// <summary>The release workflow's orchestrator and activities, registered with the engine by name.</summary>
public static class ReleaseWorkflow
{
    public const string OrchestratorName = "ReleaseOrchestrator";

    public static TaskRegistry AddReleaseWorkflow(this TaskRegistry registry) => registry
        .AddOrchestrator<ReleaseOrchestrator>(OrchestratorName)
        .AddOrchestrator<ReleaseLaneOrchestrator>(ReleaseLaneOrchestrator.Name)
        .AddActivity<RequestLane>()
        .AddActivity<SignalRelease>()
        .AddActivity<RescueStrandedRelease>()
        .AddActivity<ResolveReleasePolicy>()
        .AddActivity<ShiftTraffic>()
        .AddActivity<ReadTraffic>()
        .AddActivity<ReadReleaseRuntime>()
        .AddActivity<MeasureGate>()
        .AddActivity<ReadErrorBudget>()
        .AddActivity<ResolveApproverTeams>()
        .AddActivity<RecordReleaseEvent>()
        .AddActivity<PublishReleaseStatus>();
}
