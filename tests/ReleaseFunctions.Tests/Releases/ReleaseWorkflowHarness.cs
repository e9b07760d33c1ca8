using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using ReleaseFunctions.Core.Audit;
using ReleaseFunctions.Core.Ports;
using ReleaseFunctions.Core.Releases;
using ReleaseFunctions.Releases;
using ReleaseFunctions.Tests.Support;
using HistoryEvent = ReleaseFunctions.Durable.HistoryEvent;

namespace ReleaseFunctions.Tests.Releases;

/// <summary>
/// The release workflow on the Durable Task SDK's worker and client over the embedded backend (SQLite in a temp
/// folder), with fake ports and a manual clock. The test moves the clock from one durable timer to the next; nothing
/// waits on real time for a timer. History is read from the backend's store.
/// </summary>
internal sealed class ReleaseWorkflowHarness : IAsyncDisposable
{
    public static readonly DateTimeOffset Start = TestClock.At(2026, 11, 23, 10, 0, 0); // a Monday

    private readonly ServiceProvider _services;
    private readonly List<IHostedService> _hosted;
    private readonly string _folder;

    private ReleaseWorkflowHarness(ServiceProvider services, string folder)
    {
        _services = services;
        _folder = folder;
        _hosted = services.GetServices<IHostedService>().ToList();
        Client = services.GetRequiredService<DurableTaskClient>();
    }

    public FakeTimeProvider Clock { get; private init; } = null!;
    public FakeTarget Target { get; private init; } = null!;
    public FakeSliSource Sli { get; private init; } = null!;
    public FakeAlertSource Alerts { get; private init; } = null!;
    public FakePreflightSource Preflight { get; private init; } = null!;
    public FakeReleasePublisher Publisher { get; private init; } = null!;
    public FakePolicySource Policy { get; private init; } = null!;
    public FakeApproverDirectory Directory { get; private init; } = null!;
    public InMemoryLedger Ledger { get; private init; } = null!;
    public RecordingNotifier Notifier { get; private init; } = null!;
    public DurableTaskClient Client { get; }

    /// <param name="decorateActivity">Wraps every activity the worker creates (e.g. with injected faults).</param>
    /// <param name="addServices">Adds services the activities need beyond the fakes (e.g. notification channels).</param>
    public static async Task<ReleaseWorkflowHarness> StartAsync(string policyYaml, DateTimeOffset? start = null, Func<string, ITaskActivity, ITaskActivity>? decorateActivity = null,
        Action<IServiceCollection>? addServices = null)
    {
        var folder = System.IO.Directory.CreateTempSubdirectory("rf-release-").FullName;
        var clock = new FakeTimeProvider(start ?? Start);
        var target = new FakeTarget();
        var sli = new FakeSliSource();
        var alerts = new FakeAlertSource();
        var preflight = new FakePreflightSource();
        var publisher = new FakeReleasePublisher();
        var directory = new FakeApproverDirectory();
        var ledger = new InMemoryLedger();
        var notifier = new RecordingNotifier();
        var services = new ServiceCollection();
        services.AddLogging(b => b.SetMinimumLevel(LogLevel.Warning));
        services.AddSingleton<TimeProvider>(clock);
        var policy = new FakePolicySource(policyYaml);
        services.AddSingleton<IPolicySource>(policy);
        services.AddSingleton<IDeploymentTarget>(target);
        services.AddSingleton<ISliSource>(sli);
        services.AddSingleton<IAlertSource>(alerts);
        services.AddSingleton<IPreflightSource>(preflight);
        services.AddSingleton<IReleasePublisher>(publisher);
        services.AddSingleton<IApproverDirectory>(directory);
        services.AddSingleton<IReleaseLedger>(ledger);
        services.AddSingleton<IReleaseNotifier>(notifier);
        addServices?.Invoke(services);
        services.AddReleaseEngineOnSqlite(Path.Combine(folder, "engine.db"), decorateActivity);
        var harness = new ReleaseWorkflowHarness(services.BuildServiceProvider(), folder)
        {
            Clock = clock, Target = target, Sli = sli, Alerts = alerts, Preflight = preflight, Publisher = publisher, Policy = policy, Directory = directory, Ledger = ledger, Notifier = notifier,
        };
        foreach (var hosted in harness._hosted)
        {
            await hosted.StartAsync(CancellationToken.None);
        }

        return harness;
    }

    public static ReleaseRequest Merge(string author = "carol", params string[] labels)
        => new("contoso/shop", 42, "0123456789abcdef0123456789abcdef01234567", "shop", "Faster checkout", author, Start.AddMinutes(-30), labels);

    /// <summary>A second merge to the same service.</summary>
    public static ReleaseRequest LaterMerge()
        => new("contoso/shop", 43, "fedcba9876543210fedcba9876543210fedcba98", "shop", "Cheaper shipping", "erin", Start.AddMinutes(-5), []);

    public async Task<string> StartReleaseAsync(ReleaseRequest request)
        => await Client.ScheduleNewOrchestrationInstanceAsync(ReleaseWorkflow.OrchestratorName, request, new StartOrchestrationOptions(request.Id.InstanceId));

    public Task SendAsync(string instanceId, ReleaseCommandKind kind, string actor, string? comment = null)
        => Client.RaiseEventAsync(instanceId, ReleaseEvents.Command, new ReleaseCommand(kind, actor, "github-comment", Clock.GetUtcNow(), comment));

    /// <summary>The instance's history, from the backend's store.</summary>
    public Task<IReadOnlyList<HistoryEvent>> HistoryAsync(string instanceId) => EngineHistory.OfAsync(_services, instanceId);

    /// <summary>Waits until the release has nothing left to do but wait (on a timer or an event), then returns its history.</summary>
    /// <param name="queued">True when the release is expected to wait in its lane behind another one.</param>
    public async Task<IReadOnlyList<HistoryEvent>> IdleAsync(string instanceId, bool queued = false)
    {
        IReadOnlyList<HistoryEvent> history = [];
        var seen = "nothing";
        await Eventually(async () =>
        {
            var instance = await Client.GetInstanceAsync(instanceId);
            if (instance is null)
            {
                return false;
            }

            history = await HistoryAsync(instanceId);
            if (instance.IsCompleted)
            {
                return true;
            }

            var (lanesRequested, lanesGranted) = EngineHistory.Lanes(history);
            seen = $"{instance.RuntimeStatus}, {history.Count} events, activities answered: {EngineHistory.ActivitiesAnswered(history)}, timer due: {EngineHistory.TimerDue(history, Clock.GetUtcNow())}, "
                   + $"commands {EngineHistory.EventsRaised(history, ReleaseEvents.Command)} of {_eventsSent.GetValueOrDefault(instanceId)}, lanes granted {lanesGranted} of {lanesRequested}, last: {history.LastOrDefault()}";
            return EngineHistory.ActivitiesAnswered(history) && !EngineHistory.TimerDue(history, Clock.GetUtcNow())
                   && instance.RuntimeStatus == OrchestrationRuntimeStatus.Running
                   && EngineHistory.EventsRaised(history, ReleaseEvents.Command) >= _eventsSent.GetValueOrDefault(instanceId)
                   && (queued ? lanesGranted < lanesRequested : lanesGranted >= lanesRequested);
        }, () => $"release {instanceId} to be idle (it stands: {seen})");
        return history;
    }

    private readonly Dictionary<string, int> _eventsSent = new();

    /// <summary>Sends a command and waits until the release has taken it in and settled.</summary>
    public async Task CommandAsync(string instanceId, ReleaseCommandKind kind, string actor, string? comment = null)
    {
        await IdleAsync(instanceId);
        _eventsSent[instanceId] = _eventsSent.GetValueOrDefault(instanceId) + 1;
        await SendAsync(instanceId, kind, actor, comment);
        await IdleAsync(instanceId);
    }

    /// <summary>Counts a command sent with <see cref="SendAsync"/> directly, so <see cref="IdleAsync"/> waits until the release has it.</summary>
    public void CountSent(string instanceId) => _eventsSent[instanceId] = _eventsSent.GetValueOrDefault(instanceId) + 1;

    /// <summary>Moves the clock to the earliest pending durable timer of the release. Returns false when it has none (or finished).</summary>
    public async Task<bool> AdvanceToNextTimerAsync(string instanceId)
    {
        _eventsSent.TryAdd(instanceId, 0);
        var history = await IdleAsync(instanceId);
        var now = Clock.GetUtcNow();
        var next = EngineHistory.PendingTimers(history).FirstOrDefault(t => t.FireAt > now);
        if (next is null || (await Client.GetInstanceAsync(instanceId))!.IsCompleted)
        {
            return false;
        }

        Clock.Advance(next.FireAt - now);
        await Eventually(async () => EngineHistory.TimerFired(await HistoryAsync(instanceId), next.TaskId), () => $"timer #{next.TaskId} to fire");
        await IdleAsync(instanceId);
        return true;
    }

    /// <summary>Moves the clock timer by timer until the release finishes or <paramref name="until"/> holds.</summary>
    public async Task RunAsync(string instanceId, Func<ReleaseProgress?, bool>? until = null, int maxTimers = 200)
    {
        for (var i = 0; i < maxTimers; i++)
        {
            await IdleAsync(instanceId);
            if (until?.Invoke(await ProgressAsync(instanceId)) == true || !await AdvanceToNextTimerAsync(instanceId))
            {
                return;
            }
        }

        throw new InvalidOperationException($"The release did not settle within {maxTimers} timers.");
    }

    public async Task<ReleaseProgress?> ProgressAsync(string instanceId)
        => (await Client.GetInstanceAsync(instanceId, getInputsAndOutputs: true))?.ReadCustomStatusAs<ReleaseProgress>();

    public async Task<bool> IsCompletedAsync(string instanceId) => (await Client.GetInstanceAsync(instanceId))?.IsCompleted == true;

    public async Task<ReleaseOutcome> OutcomeAsync(string instanceId)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var done = await Client.WaitForInstanceCompletionAsync(instanceId, getInputsAndOutputs: true, cts.Token);
        Assert.True(done.RuntimeStatus == OrchestrationRuntimeStatus.Completed, $"the orchestration ended {done.RuntimeStatus}: {done.FailureDetails}");
        return done.ReadOutputAs<ReleaseOutcome>()!;
    }

    public async Task<IReadOnlyList<AuditRecord>> AuditAsync(string instanceId) => await Ledger.GetAuditTrailAsync(instanceId, default);

    private static async Task Eventually(Func<Task<bool>> condition, Func<string> what)
    {
        var deadline = Environment.TickCount64 + 60_000;
        while (!await condition())
        {
            if (Environment.TickCount64 > deadline)
            {
                throw new TimeoutException($"Timed out waiting for {what()}.");
            }

            await Task.Delay(5);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var hosted in Enumerable.Reverse(_hosted))
        {
            await hosted.StopAsync(CancellationToken.None);
        }

        await _services.DisposeAsync();
        try
        {
            System.IO.Directory.Delete(_folder, true);
        }
        catch (IOException)
        {
        }
    }
}
