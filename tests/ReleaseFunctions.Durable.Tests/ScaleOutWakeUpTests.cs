namespace ReleaseFunctions.Durable.Tests;

using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Worker;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using ReleaseFunctions.Durable.Storage;
using ReleaseFunctions.Durable.Tests.Support;

/// <summary>
/// Two app instances in one test process, each with its own engine (<c>UsePostgres</c>) on one schema: one only
/// takes requests (no worker), the other only works. The clock is manual and the worker's idle wait is an hour, so
/// the worker can only learn of new work through PostgreSQL's NOTIFY, and of due timers through its own sleep.
/// </summary>
public sealed class ScaleOutWakeUpTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _clock = new(EngineHarness.Start);
    private readonly string _schema = PostgresTestServer.NewSchema();
    private readonly List<ServiceProvider> _apps = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var app in _apps)
        {
            foreach (var hosted in app.GetServices<IHostedService>())
            {
                await hosted.StopAsync(CancellationToken.None);
            }

            await app.DisposeAsync();
        }
    }

    private async Task<(DurableTaskClient Client, IOrchestrationStore Store)> AppInstanceAsync(bool runWorker)
    {
        var connectionString = await PostgresTestServer.ConnectionStringAsync();
        var services = new ServiceCollection();
        services.AddLogging(b => b.SetMinimumLevel(LogLevel.Warning));
        services.AddSingleton<TimeProvider>(_clock);
        services.AddEmbeddedDurableTaskBackend(d =>
        {
            d.UsePostgres(o =>
            {
                o.ConnectionString = connectionString;
                o.Schema = _schema;
            });
            d.Options.MaxIdleWait = TimeSpan.FromHours(1);
        });
        if (runWorker)
        {
            services.AddDurableTaskWorker(w =>
            {
                w.AddTasks(r => r.AddActivity<Greet>().AddOrchestrator<SequenceOrchestrator>().AddOrchestrator<SoakOrchestrator>());
                w.UseEmbeddedBackend();
            });
        }

        services.AddDurableTaskClient(c => c.UseEmbeddedBackend());
        var app = services.BuildServiceProvider();
        _apps.Add(app);
        foreach (var hosted in app.GetServices<IHostedService>())
        {
            await hosted.StartAsync(CancellationToken.None);
        }

        return (app.GetRequiredService<DurableTaskClient>(), app.GetRequiredService<IOrchestrationStore>());
    }

    [Fact]
    public async Task Work_started_in_one_app_instance_is_run_promptly_by_the_worker_in_another()
    {
        var (front, _) = await AppInstanceAsync(runWorker: false);
        var (_, worker) = await AppInstanceAsync(runWorker: true);

        // One after another, so each start finds the worker idle and only a notification can wake it.
        for (var i = 0; i < 3; i++)
        {
            var id = await front.ScheduleNewOrchestrationInstanceAsync(nameof(SequenceOrchestrator), new[] { "Oslo", "Lima" });
            await EngineHarness.Eventually(async () => (await front.GetInstanceAsync(id))?.RuntimeStatus == OrchestrationRuntimeStatus.Completed,
                $"release {i} to complete on the other app instance", timeoutMs: 10_000);
            Assert.Equal(["Hello, Oslo!", "Hello, Lima!"], (await front.GetInstanceAsync(id, getInputsAndOutputs: true))!.ReadOutputAs<List<string>>());
        }

        // Timers are found by the worker's own sleep until the nearest due time, not by notifications.
        var soak = await front.ScheduleNewOrchestrationInstanceAsync(nameof(SoakOrchestrator), 30);
        await EngineHarness.Eventually(async () => (await worker.GetHistoryAsync(soak, default)).OfType<TimerCreatedEvent>().Any(), "the soak timer to be created");
        _clock.Advance(TimeSpan.FromMinutes(30));
        await EngineHarness.Eventually(async () => (await front.GetInstanceAsync(soak))?.RuntimeStatus == OrchestrationRuntimeStatus.Completed, "the soak to end when due");
    }
}
