using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Worker;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using ReleaseFunctions.Durable.Embedded;
using ReleaseFunctions.Durable.Storage;
using ReleaseFunctions.Durable.Storage.Postgres;
using ReleaseFunctions.Durable.Storage.Sqlite;

namespace ReleaseFunctions.Durable;

/// <summary>What <see cref="EmbeddedBackendServiceCollectionExtensions.AddEmbeddedDurableTaskBackend"/> configures: the store and how work is handed out.</summary>
public sealed class EmbeddedBackendBuilder
{
    internal EmbeddedBackendBuilder()
    {
    }

    public EmbeddedBackendOptions Options { get; } = new();

    internal Func<IServiceProvider, IOrchestrationStore>? StoreFactory { get; private set; }

    internal string StoreName { get; private set; } = "SQLite";

    /// <summary>Stores instances in a SQLite file (the default: <c>data/releasefunctions.db</c>).</summary>
    public EmbeddedBackendBuilder UseSqlite(Action<SqliteStoreOptions>? configure = null)
    {
        var options = new SqliteStoreOptions();
        configure?.Invoke(options);
        options.Validate();
        StoreFactory = _ => new SqliteOrchestrationStore(options);
        StoreName = $"SQLite {options.Path}";
        return this;
    }

    /// <summary>
    /// Stores instances in PostgreSQL, so several processes on one database share the work (leases with
    /// <c>FOR UPDATE SKIP LOCKED</c>, wake-ups with <c>LISTEN/NOTIFY</c>). The schema is created and migrated on
    /// first use. Options are validated here.
    /// </summary>
    public EmbeddedBackendBuilder UsePostgres(Action<PostgresStoreOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        var options = new PostgresStoreOptions();
        configure(options);
        options.Validate();
        StoreFactory = sp => new PostgresOrchestrationStore(
            options,
            sp.GetService<TimeProvider>(),
            sp.GetService<ILoggerFactory>()?.CreateLogger("ReleaseFunctions.Durable.Storage.Postgres"));
        StoreName = "PostgreSQL";
        return this;
    }

    /// <summary>Uses a store built by the caller.</summary>
    public EmbeddedBackendBuilder UseStore(Func<IServiceProvider, IOrchestrationStore> factory)
    {
        StoreFactory = factory ?? throw new ArgumentNullException(nameof(factory));
        StoreName = "custom";
        return this;
    }
}

public static class EmbeddedBackendServiceCollectionExtensions
{
    /// <summary>
    /// Adds the embedded Durable Task backend: the store (SQLite unless configured) served in this process through
    /// the Durable Task backend protocol, for the SDK's gRPC worker and client (<see cref="UseEmbeddedBackend(IDurableTaskWorkerBuilder)"/>).
    /// Time comes from the registered <see cref="TimeProvider"/> (the system clock unless one is registered).
    /// Options are validated here.
    /// </summary>
    public static IServiceCollection AddEmbeddedDurableTaskBackend(this IServiceCollection services, Action<EmbeddedBackendBuilder>? configure = null)
    {
        var builder = new EmbeddedBackendBuilder();
        configure?.Invoke(builder);
        builder.Options.Validate();
        if (builder.StoreFactory is null)
        {
            builder.UseSqlite();
        }

        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(builder.Options);
        services.AddSingleton<IOrchestrationStore>(builder.StoreFactory!);
        services.AddSingleton<WorkSignals>();
        services.AddSingleton<ConnectedWorkers>();
        services.AddSingleton<StoreReadiness>();
        services.AddSingleton<EmbeddedTaskHubService>();
        services.AddSingleton(sp => new EmbeddedBackendEndpoint(
            sp.GetRequiredService<EmbeddedTaskHubService>(), sp.GetRequiredService<ILoggerFactory>(), builder.StoreName));
        services.AddSingleton<IHostedService>(sp => sp.GetRequiredService<EmbeddedBackendEndpoint>());
        services.AddSingleton<IHostedService, WorkItemDispatcher>();
        return services;
    }

    /// <summary>Connects the SDK worker to this process's embedded backend (added by <see cref="AddEmbeddedDurableTaskBackend"/>).</summary>
    public static IDurableTaskWorkerBuilder UseEmbeddedBackend(this IDurableTaskWorkerBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.UseGrpc();
        builder.Services.AddOptions<Microsoft.DurableTask.Worker.Grpc.GrpcDurableTaskWorkerOptions>(builder.Name)
            .Configure<EmbeddedBackendEndpoint>((options, endpoint) => options.Channel = endpoint.Channel);
        return builder;
    }

    /// <summary>Connects the SDK client to this process's embedded backend (added by <see cref="AddEmbeddedDurableTaskBackend"/>).</summary>
    public static IDurableTaskClientBuilder UseEmbeddedBackend(this IDurableTaskClientBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.UseGrpc();
        builder.Services.AddOptions<Microsoft.DurableTask.Client.Grpc.GrpcDurableTaskClientOptions>(builder.Name)
            .Configure<EmbeddedBackendEndpoint>((options, endpoint) => options.Channel = endpoint.Channel);
        return builder;
    }
}
