using System.Text.Json;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Converters;
using Microsoft.Extensions.DependencyInjection;

namespace ReleaseFunctions.Releases;

/// <summary>The release workflow's orchestrators and activities, registered with the Durable Task SDK by name.</summary>
public static class ReleaseWorkflow
{
    public const string OrchestratorName = "ReleaseOrchestrator";

    /// <summary>
    /// How inputs, outputs, events and custom status are written: System.Text.Json with web defaults (camelCase), as the
    /// project's own engine wrote them, so stored instances, the dashboard and the API read the same payloads. The
    /// worker and every client of the workflow need it (a singleton <see cref="DataConverter"/> in DI is picked up by both).
    /// </summary>
    public static DataConverter DataConverter { get; } = new JsonDataConverter(new JsonSerializerOptions(JsonSerializerDefaults.Web));

    /// <summary>The activities by name, each created from DI per call.</summary>
    internal static IReadOnlyList<(string Name, Type Type)> Activities { get; } =
    [
        (nameof(RescueStrandedRelease), typeof(RescueStrandedRelease)),
        (nameof(ResolveReleasePolicy), typeof(ResolveReleasePolicy)),
        (nameof(ShiftTraffic), typeof(ShiftTraffic)),
        (nameof(ReadTraffic), typeof(ReadTraffic)),
        (nameof(MeasureGate), typeof(MeasureGate)),
        (nameof(WatchSoak), typeof(WatchSoak)),
        (nameof(ReadErrorBudget), typeof(ReadErrorBudget)),
        (nameof(ReadPreflight), typeof(ReadPreflight)),
        (nameof(StartMigration), typeof(StartMigration)),
        (nameof(ReadMigration), typeof(ReadMigration)),
        (nameof(ResolveApproverTeams), typeof(ResolveApproverTeams)),
        (nameof(RecordReleaseEvent), typeof(RecordReleaseEvent)),
        (nameof(PublishReleaseStatus), typeof(PublishReleaseStatus)),
        (nameof(PublishReleaseVersion), typeof(PublishReleaseVersion)),
        (nameof(NotifyChannels), typeof(NotifyChannels)),
    ];

    /// <summary>
    /// The activities that call the workflow's engine through its <see cref="Microsoft.DurableTask.Client.DurableTaskClient"/>.
    /// Standalone the client is a service; the Functions worker's services have none (the host binds it to functions
    /// only, azure-functions-durable-extension #2736), so there they are activity functions taking a
    /// <c>[DurableClient]</c> (<see cref="Functions.ReleaseLaneFunctions"/>) and are left out of the registry.
    /// </summary>
    internal static IReadOnlyList<(string Name, Type Type)> EngineActivities { get; } =
    [
        (RequestLaneActivity.Name, typeof(RequestLaneActivity)),
        (ReadReleaseRuntimeActivity.Name, typeof(ReadReleaseRuntimeActivity)),
    ];

    /// <summary>Registers the whole workflow, for a host whose services include the workflow's <c>DurableTaskClient</c> (standalone).</summary>
    public static DurableTaskRegistry AddReleaseWorkflow(this DurableTaskRegistry registry) => registry.AddReleaseWorkflow(decorateActivity: null);

    /// <summary>Registers the workflow without <see cref="EngineActivities"/>, which the Functions worker runs as activity functions.</summary>
    internal static DurableTaskRegistry AddReleaseWorkflowForFunctions(this DurableTaskRegistry registry) => registry.AddReleaseWorkflow(decorateActivity: null, engineActivities: false);

    /// <summary>
    /// Registers the workflow; <paramref name="decorateActivity"/> wraps every activity created (given its name), for
    /// telemetry or, in tests, injected faults.
    /// </summary>
    internal static DurableTaskRegistry AddReleaseWorkflow(this DurableTaskRegistry registry, Func<string, ITaskActivity, ITaskActivity>? decorateActivity, bool engineActivities = true)
    {
        ArgumentNullException.ThrowIfNull(registry);
        registry
            .AddOrchestrator<ReleaseOrchestrator>(OrchestratorName)
            .AddOrchestrator<ReleaseLaneOrchestrator>(ReleaseLaneOrchestrator.Name);
        foreach (var (name, type) in engineActivities ? [.. Activities, .. EngineActivities] : Activities)
        {
            registry.AddActivity(name, services =>
            {
                var activity = (ITaskActivity)ActivatorUtilities.CreateInstance(services, type);
                return decorateActivity is null ? activity : decorateActivity(name, activity);
            });
        }

        return registry;
    }
}
