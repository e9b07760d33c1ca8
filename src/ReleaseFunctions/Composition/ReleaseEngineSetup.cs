using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Worker;
using ReleaseFunctions.Hosting.Settings;
using ReleaseFunctions.Releases;

namespace ReleaseFunctions.Composition;

/// <summary>
/// The engine of the standalone app: the Durable Task SDK's worker (running the release workflow) and client, with
/// the workflow's JSON (camelCase, as stored instances were written).
/// </summary>
internal static class ReleaseEngineSetup
{
    public static IServiceCollection AddReleaseEngine(this IServiceCollection services, ReleaseFunctionsOptions settings, string contentRoot)
    {
        ArgumentNullException.ThrowIfNull(settings);
        // Picked up by the worker and every client that does not set a converter of its own.
        services.AddSingleton<Microsoft.DurableTask.DataConverter>(ReleaseWorkflow.DataConverter);
        services.AddDurableTaskWorker(worker => worker.AddTasks(registry => registry.AddReleaseWorkflow()));
        services.AddDurableTaskClient(_ => { });
        _ = contentRoot;
        return services;
    }
}
