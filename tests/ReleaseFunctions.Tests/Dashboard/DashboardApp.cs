using Microsoft.Extensions.DependencyInjection.Extensions;
using System.Net;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using ReleaseFunctions.Core.Audit;
using ReleaseFunctions.Core.Ports;
using ReleaseFunctions.Releases;
using ReleaseFunctions.Tests.Releases;
using HistoryEvent = ReleaseFunctions.Durable.HistoryEvent;

namespace ReleaseFunctions.Tests.Dashboard;

/// <summary>
/// The real app on Kestrel at 127.0.0.1 (a dynamic port) so a browser can reach it, with its data in a fresh temp
/// folder, a hand-moved clock, and fake policy, target and SLI ports, so a test moves a release step by step.
/// </summary>
internal sealed class DashboardApp : WebApplicationFactory<Program>
{
    public const string OperatorKey = "alice-dashboard-0123456789abcdef";

    /// <summary>A read-only key (Release.Read), of operator "reader".</summary>
    public const string ReaderKey = "reader-dashboard-0123456789abcdef";

    /// <summary>A key of operator "oncall" with Release.Operate: no approvals.</summary>
    public const string OncallKey = "oncall-dashboard-0123456789abcdef";

    public static readonly DateTimeOffset Start = TestClock.At(2026, 11, 23, 10, 0, 0);

    /// <summary>
    /// Two canary steps; each step's gate measures twice, five minutes apart, an absolute and a relative objective.
    /// With <see cref="ApprovalByAlice"/>, operator alice must approve before the stage starts.
    /// </summary>
    public const string Policy = """
        version: 1
        stages:
          - name: production
            target: { provider: sandbox }
            strategy:
              canary:
                steps:
                  - { weight: 10, soak: 10m }
                  - { weight: 50, soak: 10m }
            gate:
              provider: prometheus
              compare_to: baseline
              analysis: { interval: 5m, count: 2, failure_limit: 0, inconclusive_limit: 0, consecutive_error_limit: 1 }
              objectives:
                - name: error_rate
                  query: error_rate
                  aggregation: mean
                  unit: ratio
                  pass: "< 1%"
                  critical: true
                - name: p99_latency_ms
                  query: p99_latency_ms
                  aggregation: p99
                  pass: ["<= 300", "<= +10%"]
        """;

    public const string ApprovalByAlice = Policy + """

            approvals:
              - { users: [alice], quorum: 1, timeout: 1h, on_timeout: reject }
        """;

    private readonly string _policy;
    private readonly IReadOnlyDictionary<string, string?> _settings;

    private DashboardApp(string policy, IReadOnlyDictionary<string, string?>? settings)
    {
        _policy = policy;
        _settings = settings ?? new Dictionary<string, string?>();
        ContentRoot = Directory.CreateTempSubdirectory("releasefunctions-dashboard-").FullName;
        UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
    }

    public string ContentRoot { get; }

    public Uri BaseAddress { get; private set; } = null!;

    public FakeTimeProvider Clock { get; } = new(Start);

    public FakeTarget Target { get; } = new();

    public FakeSliSource Sli { get; } = new()
    {
        Canary = (query, weight) => query == "error_rate" ? 0.002 + weight / 10_000.0 : 180 + weight,
    };

    public DurableTaskClient Engine => Services.GetRequiredService<DurableTaskClient>();

    public IReleaseLedger Ledger => Services.GetRequiredService<IReleaseLedger>();

    /// <summary>An instance's history, from the embedded backend's store.</summary>
    public Task<IReadOnlyList<HistoryEvent>> HistoryAsync(string instanceId) => Support.EngineHistory.OfAsync(Services, instanceId);

    /// <param name="settings">App settings on top of the tests' own (e.g. to trust App Service Authentication).</param>
    public static DashboardApp Launch(string policy = Policy, IReadOnlyDictionary<string, string?>? settings = null)
    {
        var app = new DashboardApp(policy, settings);
        app.StartServer();
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        app.BaseAddress = new Uri(addresses.Single());
        return app;
    }

    public static ReleaseRequest Merge(int pullRequest = 42, string service = "checkout") => new(
        "contoso/shop", pullRequest, $"{pullRequest:D4}456789abcdef0123456789abcdef01234567", service, "Faster checkout", "carol", Start.AddMinutes(-30), []);

    public async Task<string> StartReleaseAsync(ReleaseRequest request)
    {
        var id = await Engine.ScheduleNewOrchestrationInstanceAsync(ReleaseWorkflow.OrchestratorName, request, new StartOrchestrationOptions(request.Id.InstanceId));
        await IdleAsync(id);
        return id;
    }

    public async Task<IReadOnlyList<AuditRecord>> AuditAsync(string instanceId) => await Ledger.GetAuditTrailAsync(instanceId, CancellationToken.None);

    /// <summary>Waits until the release has nothing to do but wait on a timer or an event (or has finished); returns its history.</summary>
    public async Task<IReadOnlyList<HistoryEvent>> IdleAsync(string instanceId)
    {
        IReadOnlyList<HistoryEvent> history = [];
        await Until(async () =>
        {
            var instance = await Engine.GetInstanceAsync(instanceId);
            if (instance is null)
            {
                return false;
            }

            history = await Support.EngineHistory.OfAsync(Services, instanceId);
            if (instance.IsCompleted)
            {
                return true;
            }

            var (lanesRequested, lanesGranted) = Support.EngineHistory.Lanes(history);
            return instance.RuntimeStatus == OrchestrationRuntimeStatus.Running && Support.EngineHistory.ActivitiesAnswered(history)
                   && !Support.EngineHistory.TimerDue(history, Clock.GetUtcNow()) && lanesGranted >= lanesRequested;
        }, $"release {instanceId} to be idle");
        return history;
    }

    /// <summary>Moves the clock to the release's earliest pending durable timer and waits until the release settles again.</summary>
    public async Task AdvanceToNextTimerAsync(string instanceId)
    {
        var history = await IdleAsync(instanceId);
        var now = Clock.GetUtcNow();
        var next = Support.EngineHistory.PendingTimers(history).FirstOrDefault(t => t.FireAt > now)
                   ?? throw new InvalidOperationException($"Release {instanceId} waits on no timer.");
        Clock.Advance(next.FireAt - now);
        await Until(async () => Support.EngineHistory.TimerFired(await Support.EngineHistory.OfAsync(Services, instanceId), next.TaskId), $"timer #{next.TaskId} to fire");
        await IdleAsync(instanceId);
    }

    private static async Task Until(Func<Task<bool>> condition, string what)
    {
        var deadline = Environment.TickCount64 + 20_000;
        while (!await condition())
        {
            if (Environment.TickCount64 > deadline)
            {
                throw new TimeoutException($"Timed out waiting for {what}.");
            }

            await Task.Delay(10);
        }
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseContentRoot(ContentRoot);
        builder.UseWebRoot(Path.Combine(AppContext.BaseDirectory, "dashboard-wwwroot"));
        builder.UseSetting("ReleaseFunctions:Operator:ApiKeys", $"alice:{OperatorKey},reader:Release.Read:{ReaderKey},oncall:Release.Operate:{OncallKey}");
        builder.UseSetting("ReleaseFunctions:GitHub:WebhookSecrets", "dashboard-tests-secret");
        builder.UseSetting("Logging:LogLevel:Default", "Warning");
        foreach (var (key, value) in _settings)
        {
            builder.UseSetting(key, value);
        }

        builder.ConfigureTestServices(services =>
        {
            services.AddSingleton<TimeProvider>(Clock);
            services.AddSingleton<IPolicySource>(new FakePolicySource(_policy));
            services.RemoveAll<IDeploymentTarget>();
            services.RemoveAll<ISliSource>();
            services.AddSingleton<IDeploymentTarget>(Target);
            services.AddSingleton<ISliSource>(Sli);
        });
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing)
        {
            Support.ReleaseAppFactory.DeleteContentRoot(ContentRoot);
        }
    }
}
