using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using ReleaseFunctions.Durable.Storage;
using ReleaseFunctions.Durable.Storage.Postgres;
using ReleaseFunctions.Durable.Storage.Sqlite;
using ReleaseFunctions.Durable.Worker;

namespace ReleaseFunctions.Durable;

/// <summary>What <see cref="DurableTaskServiceCollectionExtensions.AddDurableTask"/> configures.</summary>
public sealed class DurableTaskBuilder
{
    internal DurableTaskBuilder()
    {
    }

    public TaskRegistry Registry { get; } = new();

    public DurableTaskWorkerOptions Worker { get; } = new();

    /// <summary>Whether the worker runs in this process. Default: true. A client-only process sets false.</summary>
    public bool RunWorker { get; set; } = true;

    internal Func<IServiceProvider, IOrchestrationStore>? StoreFactory { get; private set; }

    /// <summary>Stores instances in a SQLite file (the default store).</summary>
    public DurableTaskBuilder UseSqlite(Action<SqliteStoreOptions>? configure = null)
    {
        var options = new SqliteStoreOptions();
        configure?.Invoke(options);
        options.Validate();
        StoreFactory = _ => new SqliteOrchestrationStore(options);
        return this;
    }

    /// <summary>
    /// Stores instances in PostgreSQL, so several app instances on one database share the work (leases with
    /// <c>FOR UPDATE SKIP LOCKED</c>, wake-ups with <c>LISTEN/NOTIFY</c>). The schema is created and migrated when the
    /// worker starts. Options are validated here.
    /// </summary>
    public DurableTaskBuilder UsePostgres(Action<PostgresStoreOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        var options = new PostgresStoreOptions();
        configure(options);
        options.Validate();
        StoreFactory = sp => new PostgresOrchestrationStore(
            options,
            sp.GetService<TimeProvider>(),
            sp.GetService<ILoggerFactory>()?.CreateLogger("ReleaseFunctions.Durable.Storage.Postgres"));
        return this;
    }

    /// <summary>Uses a store built by the caller.</summary>
    public DurableTaskBuilder UseStore(Func<IServiceProvider, IOrchestrationStore> factory)
    {
        StoreFactory = factory ?? throw new ArgumentNullException(nameof(factory));
        return this;
    }
}

public static class DurableTaskServiceCollectionExtensions
{
    /// <summary>
    /// Adds the engine: the registry, the store (SQLite at <c>data/releasefunctions.db</c> unless configured), a
    /// <see cref="DurableTaskClient"/>, and the worker as a hosted service. Options are validated here.
    /// Time comes from the registered <see cref="TimeProvider"/> (the system clock unless one is registered).
    /// </summary>
    public static IServiceCollection AddDurableTask(this IServiceCollection services, Action<DurableTaskBuilder> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        var builder = new DurableTaskBuilder();
        configure(builder);
        builder.Worker.Validate();
        if (builder.StoreFactory is null)
        {
            builder.UseSqlite();
        }

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(new DataConverter());
        services.AddSingleton(builder.Registry);
        services.AddSingleton(builder.Worker);
        services.AddSingleton<WorkSignals>();
        services.AddSingleton<IOrchestrationStore>(builder.StoreFactory!);
        services.AddSingleton(sp => new DurableTaskClient(
            sp.GetRequiredService<IOrchestrationStore>(),
            sp.GetRequiredService<TaskRegistry>(),
            sp.GetRequiredService<DataConverter>(),
            sp.GetRequiredService<WorkSignals>(),
            sp.GetRequiredService<TimeProvider>()));
        if (builder.RunWorker)
        {
            services.AddSingleton<IHostedService, DurableTaskWorker>();
        }

        return services;
    }
}
