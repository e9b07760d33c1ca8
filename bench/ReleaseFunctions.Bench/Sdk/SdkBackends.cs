using System.Net;
using System.Text.Json.Nodes;
using DurableTask.AzureStorage;
using DurableTask.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Testing;
using Microsoft.DurableTask.Testing.Sidecar.Grpc;
using Microsoft.DurableTask.Worker;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ReleaseFunctions.Bench.Sdk;

/// <summary>A running backend with the official SDK worker attached; <see cref="Client"/> is the SDK's client.</summary>
internal interface ISdkBackend : IAsyncDisposable
{
    DurableTaskClient Client { get; }

    /// <summary>What the figures depend on (concurrency limits, partitions), written next to them.</summary>
    JsonObject Settings { get; }
}

/// <summary>Microsoft's in-memory reference backend: <c>DurableTaskTestHost</c> (its sidecar and the SDK worker).</summary>
internal sealed class InProcessTestHostBackend(DurableTaskTestHost host) : ISdkBackend
{
    public DurableTaskClient Client => host.Client;

    public JsonObject Settings { get; } = new() { ["package"] = "Microsoft.DurableTask.InProcessTestHost 0.2.3-preview.1", ["worker"] = "SDK defaults" };

    public static async Task<ISdkBackend> StartAsync()
    {
        var host = await DurableTaskTestHost.StartAsync(SdkTasks.Register, new DurableTaskTestHostOptions { Port = Ports.Free() });
        return new InProcessTestHostBackend(host);
    }

    public ValueTask DisposeAsync() => host.DisposeAsync();
}

/// <summary>
/// DTFx's Azure Storage backend (the one Durable Functions uses by default) on Azurite, served to the SDK worker by
/// the test host's gRPC sidecar (<see cref="TaskHubGrpcServer"/>), built as <c>DurableTaskTestHost.StartAsync</c>
/// builds its own, with <see cref="AzureStorageOrchestrationService"/> in place of the in-memory service.
/// </summary>
internal sealed class AzureStorageBackend : ISdkBackend
{
    private readonly Azurite _azurite;
    private readonly WebApplication _sidecar;
    private readonly GrpcChannel _channel;
    private readonly IHost _worker;

    private AzureStorageBackend(Azurite azurite, WebApplication sidecar, GrpcChannel channel, IHost worker, JsonObject settings)
    {
        _azurite = azurite;
        _sidecar = sidecar;
        _channel = channel;
        _worker = worker;
        Settings = settings;
        Client = worker.Services.GetRequiredService<DurableTaskClient>();
    }

    public DurableTaskClient Client { get; }

    public JsonObject Settings { get; }

    /// <summary>
    /// How long an idle queue's poller may back off (DTFx's and Durable Functions' default is 30 s). A run smaller
    /// than BENCHMARKS.md's sizes moves in waves with idle gaps between them, where the default back-off would be
    /// measured rather than the storage: set with --azurestorage-polling (seconds).
    /// </summary>
    public static TimeSpan PollingInterval { get; set; } = TimeSpan.FromSeconds(30);

    public static async Task<ISdkBackend> StartAsync()
    {
        var azurite = await Azurite.StartAsync();
        // The sidecar's dispatchers take their limits from the service and, at the limit, look again only every
        // 500 ms; DTFx's own dispatchers (in Durable Functions) wait on a semaphore instead. The limits are set as
        // high as the SDK worker's (100 per core) so that back-off never engages and the storage backend is measured,
        // not the test sidecar's throttle. DTFx's defaults (100 orchestrations, 10 activities) would cut W1 severalfold.
        var settings = new AzureStorageOrchestrationServiceSettings
        {
            TaskHubName = "bench" + Guid.NewGuid().ToString("N")[..10],
            StorageAccountClientProvider = new StorageAccountClientProvider(azurite.ConnectionString),
            MaxConcurrentTaskOrchestrationWorkItems = 100 * Environment.ProcessorCount,
            MaxConcurrentTaskActivityWorkItems = 100 * Environment.ProcessorCount,
            MaxQueuePollingInterval = PollingInterval,
        };
        var service = new AzureStorageOrchestrationService(settings);
        await service.CreateIfNotExistsAsync();
        var (sidecar, channel) = await StartSidecarAsync(service, service);
        var worker = await StartWorkerAsync(channel);
        return new AzureStorageBackend(azurite, sidecar, channel, worker, new JsonObject
        {
            ["package"] = "Microsoft.Azure.DurableTask.AzureStorage 2.11.2 on azurite " + Azurite.Version + " (in-memory persistence)",
            ["sidecar"] = "Microsoft.DurableTask.Testing.Sidecar.Grpc.TaskHubGrpcServer (InProcessTestHost 0.2.3-preview.1)",
            ["partitions"] = settings.PartitionCount,
            ["control_queue_batch_size"] = settings.ControlQueueBatchSize,
            ["max_concurrent_orchestration_work_items"] = settings.MaxConcurrentTaskOrchestrationWorkItems,
            ["max_concurrent_activity_work_items"] = settings.MaxConcurrentTaskActivityWorkItems,
            ["extended_sessions"] = settings.ExtendedSessionsEnabled,
            ["max_queue_polling_interval_s"] = settings.MaxQueuePollingInterval.TotalSeconds,
            ["worker"] = "SDK defaults",
        });
    }

    /// <summary>The gRPC sidecar on a free port of 127.0.0.1 (HTTP/2 without TLS), serving the given service.</summary>
    internal static async Task<(WebApplication Sidecar, GrpcChannel Channel)> StartSidecarAsync(IOrchestrationService service, IOrchestrationServiceClient client)
    {
        var port = Ports.Free();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, port, listen => listen.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpc(grpc => grpc.MaxReceiveMessageSize = 16 * 1024 * 1024);
        builder.Services.AddSingleton(service);
        builder.Services.AddSingleton(client);
        builder.Services.AddSingleton<TaskHubGrpcServer>();
        var sidecar = builder.Build();
        sidecar.MapGrpcService<TaskHubGrpcServer>();
        await sidecar.StartAsync();
        return (sidecar, GrpcChannel.ForAddress($"http://127.0.0.1:{port}"));
    }

    /// <summary>The SDK worker and client, connected to a sidecar.</summary>
    internal static async Task<IHost> StartWorkerAsync(GrpcChannel channel)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddDurableTaskWorker(worker =>
        {
            worker.UseGrpc(channel);
            worker.AddTasks(SdkTasks.Register);
        });
        builder.Services.AddDurableTaskClient(client =>
        {
            client.UseGrpc(channel);
            client.RegisterDirectly();
        });
        var host = builder.Build();
        await host.StartAsync();
        return host;
    }

    public async ValueTask DisposeAsync()
    {
        await _worker.StopAsync();
        _worker.Dispose();
        await _channel.ShutdownAsync();
        _channel.Dispose();
        await _sidecar.StopAsync();
        await _sidecar.DisposeAsync();
        await _azurite.DisposeAsync();
    }
}
