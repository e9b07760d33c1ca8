namespace ReleaseFunctions.Durable.Tests.Conformance;

using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Testing;
using Microsoft.DurableTask.Worker;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using ReleaseFunctions.Durable.Tests.Support;

/// <summary>
/// A Durable Task backend with the official SDK worker and client on it. The embedded backend runs on a fake clock
/// the test moves; Microsoft's in-process test host has no clock to inject, so there durable timers are real and
/// the scenarios keep them to a second or two.
/// </summary>
public abstract class BackendUnderTest : IAsyncDisposable
{
    public static readonly DateTimeOffset Start = TestClock.At(2026, 11, 23, 9, 0, 0);

    public abstract string Name { get; }

    public abstract DurableTaskClient Client { get; }

    /// <summary>Whether <see cref="PassAsync"/> moves a clock (embedded) or time passes by itself (in-process host).</summary>
    public abstract bool ControlsTime { get; }

    /// <summary>Lets <paramref name="duration"/> of orchestration time pass: moves the fake clock, or does nothing when time is real.</summary>
    public abstract void Pass(TimeSpan duration);

    /// <summary>
    /// Waits for the instance to finish, moving the fake clock a second at a time when the backend has one, so
    /// timers fire without any real wait on them. Bounded by 60 s of real time.
    /// </summary>
    public async Task<OrchestrationMetadata> FinishAsync(string instanceId)
    {
        var deadline = Environment.TickCount64 + 60_000;
        while (true)
        {
            var instance = await Client.GetInstanceAsync(instanceId, getInputsAndOutputs: true);
            if (instance is { IsCompleted: true })
            {
                return instance;
            }

            if (Environment.TickCount64 > deadline)
            {
                throw new TimeoutException($"{Name}: instance {instanceId} did not finish; it is {instance?.RuntimeStatus.ToString() ?? "missing"}.");
            }

            if (ControlsTime)
            {
                Pass(TimeSpan.FromSeconds(1));
            }

            await Task.Delay(20);
        }
    }

    /// <summary>Waits (real time, bounded) until the instance reaches <paramref name="status"/>.</summary>
    public async Task<OrchestrationMetadata> ReachAsync(string instanceId, OrchestrationRuntimeStatus status)
    {
        OrchestrationMetadata? instance = null;
        await EngineHarness.Eventually(async () =>
        {
            instance = await Client.GetInstanceAsync(instanceId, getInputsAndOutputs: true);
            return instance?.RuntimeStatus == status;
        }, $"{Name}: instance {instanceId} to be {status}");
        return instance!;
    }

    public abstract ValueTask DisposeAsync();

    public override string ToString() => Name;
}

/// <summary>The project's embedded backend on SQLite or PostgreSQL, reached through its private gRPC endpoint.</summary>
public sealed class EmbeddedBackendUnderTest : BackendUnderTest
{
    private readonly ServiceProvider _services;
    private readonly List<IHostedService> _hosted;
    private readonly FakeTimeProvider _time;

    private EmbeddedBackendUnderTest(string name, ServiceProvider services, FakeTimeProvider time)
    {
        Name = name;
        _services = services;
        _time = time;
        _hosted = services.GetServices<IHostedService>().ToList();
        Client = services.GetRequiredService<DurableTaskClient>();
    }

    public override string Name { get; }

    public override DurableTaskClient Client { get; }

    public override bool ControlsTime => true;

    public IServiceProvider Services => _services;

    public override void Pass(TimeSpan duration) => _time.Advance(duration);

    public static async Task<EmbeddedBackendUnderTest> StartAsync(string store, Action<DurableTaskRegistry> tasks)
    {
        var time = new FakeTimeProvider(Start);
        var services = new ServiceCollection();
        services.AddLogging(b => b.SetMinimumLevel(LogLevel.Warning));
        services.AddSingleton<TimeProvider>(time);
        string? folder = null;
        if (store == "sqlite")
        {
            folder = Directory.CreateTempSubdirectory("rf-conformance-").FullName;
            services.AddEmbeddedDurableTaskBackend(b => b.UseSqlite(o => o.Path = Path.Combine(folder, "engine.db")));
        }
        else
        {
            var connection = await PostgresTestServer.ConnectionStringAsync();
            var schema = PostgresTestServer.NewSchema();
            services.AddEmbeddedDurableTaskBackend(b => b.UsePostgres(o =>
            {
                o.ConnectionString = connection;
                o.Schema = schema;
            }));
        }

        services.AddDurableTaskWorker(w =>
        {
            w.AddTasks(tasks);
            w.UseEmbeddedBackend();
        });
        services.AddDurableTaskClient(c => c.UseEmbeddedBackend());
        var backend = new EmbeddedBackendUnderTest($"embedded {store}", services.BuildServiceProvider(), time);
        foreach (var hosted in backend._hosted)
        {
            await hosted.StartAsync(CancellationToken.None);
        }

        return backend;
    }

    public override async ValueTask DisposeAsync()
    {
        for (var i = _hosted.Count - 1; i >= 0; i--)
        {
            await _hosted[i].StopAsync(CancellationToken.None);
        }

        await _services.DisposeAsync();
    }
}

/// <summary>Microsoft's reference in-memory backend and gRPC server (<c>Microsoft.DurableTask.InProcessTestHost</c>).</summary>
public sealed class InProcessTestHostUnderTest : BackendUnderTest
{
    private readonly DurableTaskTestHost _host;

    private InProcessTestHostUnderTest(DurableTaskTestHost host)
    {
        _host = host;
    }

    public override string Name => "InProcessTestHost";

    public override DurableTaskClient Client => _host.Client;

    public override bool ControlsTime => false;

    public override void Pass(TimeSpan duration)
    {
    }

    public static async Task<InProcessTestHostUnderTest> StartAsync(Action<DurableTaskRegistry> tasks)
    {
        // Its sidecar logs every request at Information through its own default host, which reads this.
        Environment.SetEnvironmentVariable("Logging__LogLevel__Default", "Warning");
        return new(await DurableTaskTestHost.StartAsync(tasks, new DurableTaskTestHostOptions
        {
            LoggerFactory = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Warning)),
        }));
    }

    public override ValueTask DisposeAsync() => _host.DisposeAsync();
}
