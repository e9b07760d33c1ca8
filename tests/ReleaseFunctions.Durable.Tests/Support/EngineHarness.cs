namespace ReleaseFunctions.Durable.Tests.Support;

using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Worker;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using ReleaseFunctions.Durable.Embedded;
using ReleaseFunctions.Durable.Storage;

/// <summary>
/// The official SDK worker and client on the embedded backend, on a fresh SQLite file in a temp folder, with a
/// fake clock. Each test gets its own, so tests share no data. History is read from the store: the SDK's client
/// has no history call.
/// </summary>
public sealed class EngineHarness : IAsyncDisposable
{
    public static readonly DateTimeOffset Start = TestClock.At(2026, 11, 23, 9, 0, 0);

    private readonly ServiceProvider _services;
    private readonly List<IHostedService> _hosted;

    private EngineHarness(ServiceProvider services, string folder, FakeTimeProvider time)
    {
        _services = services;
        Folder = folder;
        Time = time;
        Client = services.GetRequiredService<DurableTaskClient>();
        Store = services.GetRequiredService<IOrchestrationStore>();
        _hosted = services.GetServices<IHostedService>().ToList();
    }

    public string Folder { get; }
    public string DatabasePath => Path.Combine(Folder, "engine.db");
    public FakeTimeProvider Time { get; }
    public DurableTaskClient Client { get; }
    public IOrchestrationStore Store { get; }
    public IServiceProvider Services => _services;

    /// <summary>Waits (on real time, with a bound) for a condition the engine makes true. Not a wait on a durable timer.</summary>
    public static async Task Eventually(Func<Task<bool>> condition, string what, int timeoutMs = 60_000)
    {
        var deadline = Environment.TickCount64 + timeoutMs;
        while (!await condition())
        {
            if (Environment.TickCount64 > deadline)
            {
                throw new TimeoutException($"Timed out waiting for: {what}");
            }

            await Task.Delay(5);
        }
    }

    public static async Task<EngineHarness> StartAsync(
        Action<DurableTaskRegistry> register,
        Action<IServiceCollection>? services = null,
        string? folder = null,
        Action<EmbeddedBackendOptions>? backend = null,
        Action<DurableTaskWorkerOptions>? worker = null)
    {
        folder ??= Directory.CreateTempSubdirectory("rf-durable-").FullName;
        var time = new FakeTimeProvider(Start);
        var collection = new ServiceCollection();
        collection.AddLogging(b => b.SetMinimumLevel(LogLevel.Warning));
        collection.AddSingleton<TimeProvider>(time);
        // camelCase JSON, as the app uses: payloads read by either side whatever the casing of their types.
        collection.AddSingleton<Microsoft.DurableTask.DataConverter>(new Microsoft.DurableTask.Converters.JsonDataConverter(new System.Text.Json.JsonSerializerOptions(System.Text.Json.JsonSerializerDefaults.Web)));
        services?.Invoke(collection);
        collection.AddEmbeddedDurableTaskBackend(b =>
        {
            b.UseSqlite(o => o.Path = Path.Combine(folder, "engine.db"));
            backend?.Invoke(b.Options);
        });
        collection.AddDurableTaskWorker(w =>
        {
            w.AddTasks(register);
            w.UseEmbeddedBackend();
            if (worker is not null)
            {
                w.Configure(worker);
            }
        });
        collection.AddDurableTaskClient(c => c.UseEmbeddedBackend());
        var provider = collection.BuildServiceProvider();
        var harness = new EngineHarness(provider, folder, time);
        foreach (var hosted in harness._hosted)
        {
            await hosted.StartAsync(CancellationToken.None);
        }

        return harness;
    }

    public Task<IReadOnlyList<HistoryEvent>> HistoryAsync(string instanceId) => Store.GetHistoryAsync(instanceId, CancellationToken.None);

    /// <summary>Waits until the instance's history holds an event of type <typeparamref name="T"/> that matches.</summary>
    public Task WaitForHistory<T>(string instanceId, Func<T, bool>? match = null, int count = 1) where T : HistoryEvent
        => Eventually(async () => (await HistoryAsync(instanceId)).OfType<T>().Count(e => match?.Invoke(e) ?? true) >= count,
            $"{typeof(T).Name} x{count} in the history of {instanceId}");

    public Task WaitForStatus(string instanceId, OrchestrationRuntimeStatus status)
        => Eventually(async () => (await Client.GetInstanceAsync(instanceId))?.RuntimeStatus == status, $"{instanceId} to be {status}");

    public async Task<OrchestrationMetadata> Completion(string instanceId)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        return await Client.WaitForInstanceCompletionAsync(instanceId, getInputsAndOutputs: true, cts.Token);
    }

    public async ValueTask DisposeAsync()
    {
        for (var i = _hosted.Count - 1; i >= 0; i--)
        {
            await _hosted[i].StopAsync(CancellationToken.None);
        }

        await _services.DisposeAsync();
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
