using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ReleaseFunctions.Durable.Tests.Support;

/// <summary>
/// A real engine on a fresh SQLite file in a temp folder, with a manual clock. Each test gets its own, so tests
/// share no data.
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
        _hosted = services.GetServices<IHostedService>().ToList();
    }

    public string Folder { get; }
    public string DatabasePath => Path.Combine(Folder, "engine.db");
    public FakeTimeProvider Time { get; }
    public DurableTaskClient Client { get; }
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

    public static async Task<EngineHarness> StartAsync(Action<TaskRegistry> register, Action<IServiceCollection>? services = null, string? folder = null, Action<DurableTaskWorkerOptions>? worker = null)
    {
        folder ??= Directory.CreateTempSubdirectory("rf-durable-").FullName;
        var time = new FakeTimeProvider(Start);
        var collection = new ServiceCollection();
        collection.AddLogging(b => b.SetMinimumLevel(LogLevel.Warning));
        collection.AddSingleton<TimeProvider>(time);
        services?.Invoke(collection);
        collection.AddDurableTask(b =>
        {
            register(b.Registry);
            b.UseSqlite(o => o.Path = Path.Combine(folder, "engine.db"));
            worker?.Invoke(b.Worker);
        });
        var provider = collection.BuildServiceProvider();
        var harness = new EngineHarness(provider, folder, time);
        foreach (var hosted in harness._hosted)
        {
            await hosted.StartAsync(CancellationToken.None);
        }

        return harness;
    }

    /// <summary>Waits until the instance's history holds an event of type <typeparamref name="T"/> that matches.</summary>
    public Task WaitForHistory<T>(string instanceId, Func<T, bool>? match = null, int count = 1) where T : HistoryEvent
        => Eventually(async () =>
        {
            var instance = await Client.GetInstanceAsync(instanceId);
            if (instance is null)
            {
                return false;
            }

            var history = await Client.GetHistoryAsync(instanceId);
            return history.OfType<T>().Count(e => match?.Invoke(e) ?? true) >= count;
        }, $"{typeof(T).Name} x{count} in the history of {instanceId}");

    public Task WaitForStatus(string instanceId, OrchestrationRuntimeStatus status)
        => Eventually(async () => (await Client.GetInstanceAsync(instanceId))?.RuntimeStatus == status, $"{instanceId} to be {status}");

    public async Task<OrchestrationMetadata> Completion(string instanceId)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        return await Client.WaitForInstanceCompletionAsync(instanceId, getInputsAndOutputs: true, cts.Token);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var hosted in _hosted)
        {
            await hosted.StopAsync(CancellationToken.None);
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
