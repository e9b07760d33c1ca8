using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Worker;
using ReleaseFunctions.Durable;
using ReleaseFunctions.Hosting.Settings;
using ReleaseFunctions.Releases;

namespace ReleaseFunctions.Composition;

/// <summary>
/// The engine of the standalone app: the project's embedded Durable Task backend on the configured store (SQLite, or
/// PostgreSQL for several instances on one database), the SDK's worker running the release workflow, and the SDK's
/// client, all with the workflow's JSON (camelCase, as stored instances were written).
/// </summary>
internal static class ReleaseEngineSetup
{
    public static IServiceCollection AddReleaseEngine(this IServiceCollection services, ReleaseFunctionsOptions settings, string contentRoot)
    {
        ArgumentNullException.ThrowIfNull(settings);
        services.AddEmbeddedDurableTaskBackend(backend =>
        {
            if (StoreOptions.IsValidLease(settings.Store.LeaseDuration))
            {
                // Work renews its lease while it runs: the lease only says how soon another instance takes over from a dead one.
                backend.Options.OrchestrationLease = settings.Store.LeaseDuration;
                backend.Options.ActivityLease = settings.Store.LeaseDuration;
            }

            if (settings.Store.UsesPostgres)
            {
                try
                {
                    backend.UsePostgres(o => o.ConnectionString = settings.Store.PostgresConnectionString ?? "");
                }
                catch (ArgumentException)
                {
                    // A missing or malformed connection string: the settings validator reports it and the app does not start.
                }
            }
            else
            {
                backend.UseSqlite(o => o.Path = Path.GetFullPath(settings.Store.SqlitePath, contentRoot));
            }
        });

        // Picked up by the worker and every client that does not set a converter of its own.
        services.AddSingleton<Microsoft.DurableTask.DataConverter>(ReleaseWorkflow.DataConverter);
        services.AddDurableTaskWorker(worker =>
        {
            worker.AddTasks(registry => registry.AddReleaseWorkflow());
            worker.UseEmbeddedBackend();
        });
        services.AddDurableTaskClient(client => client.UseEmbeddedBackend());
        return services;
    }
}
