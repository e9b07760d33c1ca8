using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Worker;
using Microsoft.Extensions.DependencyInjection;
using ReleaseFunctions.Releases;

namespace ReleaseFunctions.Tests.Support;

/// <summary>The SDK's worker (with the release workflow) and client on the project's embedded backend, for tests outside the app.</summary>
internal static class ReleaseEngine
{
    /// <param name="decorateActivity">Wraps every activity the worker creates (e.g. with injected faults).</param>
    public static IServiceCollection AddReleaseEngineOnSqlite(this IServiceCollection services, string path, Func<string, ITaskActivity, ITaskActivity>? decorateActivity = null)
    {
        Durable.EmbeddedBackendServiceCollectionExtensions.AddEmbeddedDurableTaskBackend(services, b => b.UseSqlite(o => o.Path = path));
        services.AddSingleton(ReleaseWorkflow.DataConverter);
        services.AddDurableTaskWorker(worker =>
        {
            worker.AddTasks(registry => registry.AddReleaseWorkflow(decorateActivity));
            Durable.EmbeddedBackendServiceCollectionExtensions.UseEmbeddedBackend(worker);
        });
        services.AddDurableTaskClient(client => Durable.EmbeddedBackendServiceCollectionExtensions.UseEmbeddedBackend(client));
        return services;
    }
}
