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
        (nameof(RequestLane), typeof(RequestLane)),
        (nameof(SignalRelease), typeof(SignalRelease)),
        (nameof(RescueStrandedRelease), typeof(RescueStrandedRelease)),
        (nameof(ResolveReleasePolicy), typeof(ResolveReleasePolicy)),
        (nameof(ShiftTraffic), typeof(ShiftTraffic)),
        (nameof(ReadTraffic), typeof(ReadTraffic)),
        (nameof(ReadReleaseRuntime), typeof(ReadReleaseRuntime)),
        (nameof(MeasureGate), typeof(MeasureGate)),
        (nameof(ReadErrorBudget), typeof(ReadErrorBudget)),
        (nameof(ResolveApproverTeams), typeof(ResolveApproverTeams)),
        (nameof(RecordReleaseEvent), typeof(RecordReleaseEvent)),
        (nameof(PublishReleaseStatus), typeof(PublishReleaseStatus)),
    ];

    public static DurableTaskRegistry AddReleaseWorkflow(this DurableTaskRegistry registry) => registry.AddReleaseWorkflow(decorateActivity: null);

    /// <summary>
    /// Registers the workflow; <paramref name="decorateActivity"/> wraps every activity created (given its name), for
    /// telemetry or, in tests, injected faults.
    /// </summary>
    internal static DurableTaskRegistry AddReleaseWorkflow(this DurableTaskRegistry registry, Func<string, ITaskActivity, ITaskActivity>? decorateActivity)
    {
        ArgumentNullException.ThrowIfNull(registry);
        registry
            .AddOrchestrator<ReleaseOrchestrator>(OrchestratorName)
            .AddOrchestrator<ReleaseLaneOrchestrator>(ReleaseLaneOrchestrator.Name);
        foreach (var (name, type) in Activities)
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
