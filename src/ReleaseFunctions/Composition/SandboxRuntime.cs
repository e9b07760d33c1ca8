using Microsoft.Extensions.Options;
using ReleaseFunctions.Ledger;
using ReleaseFunctions.Core.Ports;
using ReleaseFunctions.Core.Sli;
using ReleaseFunctions.Integrations.Sandbox;

namespace ReleaseFunctions.Composition;

/// <summary>
/// The local sandbox (a service in two versions behind a weighted router, under steady load) for the app's lifetime:
/// started with the app, stopped with it. Its deployment target and SLI source (both provider "sandbox") are the
/// app's while it runs.
/// </summary>
/// <remarks>The router's split is kept in <c>sandbox-router.json</c> beside the release ledger, and the sandbox's App
/// Configuration store's feature flag in <c>sandbox-flags.json</c>, and its database's migration history in
/// <c>sandbox-migrations.json</c> (its notification inbox is kept in memory only), so a restart of the app finds traffic (and the flag)
/// where the release left it.</remarks>
internal sealed partial class SandboxRuntime(TimeProvider time, IOptions<ReleaseLedgerOptions> ledger, ILogger<SandboxRuntime> logger) : IHostedService, IAsyncDisposable
{
    private SandboxEnvironment? _environment;

    /// <summary>The running sandbox; an <see cref="IntegrationException"/> when it is not running.</summary>
    public SandboxEnvironment Environment => Volatile.Read(ref _environment)
        ?? throw new IntegrationException("Sandbox", IntegrationFailureKind.Unavailable, "the sandbox is not running (it starts with the app when ReleaseFunctions__Sandbox__Enabled is true)");

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(ledger.Value.Path))!;
        var options = new SandboxOptions
        {
            StateFile = Path.Combine(folder, "sandbox-router.json"),
            FeatureFlagStateFile = Path.Combine(folder, "sandbox-flags.json"),
            MigrationStateFile = Path.Combine(folder, "sandbox-migrations.json"),
        };
        var environment = await SandboxEnvironment.StartAsync(options, time, cancellationToken);
        Volatile.Write(ref _environment, environment);
        Log.Started(logger, environment.RouterAddress, environment.StableAddress, environment.CandidateAddress);
        Log.FlagStore(logger, environment.FeatureFlagStoreAddress, options.FeatureFlagName, environment.FeatureFlagPercentage);
        Log.MigrationHook(logger, environment.MigrationHookUrl);
        Log.NotificationInbox(logger, environment.NotificationInboxAddress);
    }

    public async Task StopAsync(CancellationToken cancellationToken) => await DisposeAsync();

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _environment, null) is { } environment)
        {
            await environment.DisposeAsync();
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 7401, Level = LogLevel.Information, Message = "Sandbox running: router {Router}, stable {Stable}, candidate {Candidate}")]
        public static partial void Started(ILogger logger, Uri router, Uri stable, Uri candidate);

        [LoggerMessage(EventId = 7402, Level = LogLevel.Information, Message = "Sandbox App Configuration store at {Store} (endpoint 'sandbox' in a policy): feature flag {Flag} at {Percentage}%")]
        public static partial void FlagStore(ILogger logger, Uri store, string flag, double percentage);

        [LoggerMessage(EventId = 7403, Level = LogLevel.Information, Message = "Sandbox database's migration hook at {Hook} (ReleaseFunctions__Migrations__Url 'sandbox')")]
        public static partial void MigrationHook(ILogger logger, Uri hook);

        [LoggerMessage(EventId = 7404, Level = LogLevel.Information, Message = "Sandbox notification inbox at {Inbox} (a channel's ReleaseFunctions__Notifications__Channels__{{setting}}__Url 'sandbox'; GET /api/sandbox/notifications)")]
        public static partial void NotificationInbox(ILogger logger, Uri inbox);
    }
}

/// <summary>The sandbox's deployment target, once the sandbox runs.</summary>
internal sealed class SandboxDeploymentTarget(SandboxRuntime sandbox) : IDeploymentTarget
{
    public string Provider => "sandbox";

    public Task<TrafficState> ApplyAsync(TrafficShift shift, CancellationToken cancellationToken) => sandbox.Environment.Target.ApplyAsync(shift, cancellationToken);

    public Task<TrafficState> ReadAsync(TrafficShift shift, CancellationToken cancellationToken) => sandbox.Environment.Target.ReadAsync(shift, cancellationToken);
}

/// <summary>The sandbox's SLI source, once the sandbox runs.</summary>
internal sealed class SandboxSlis(SandboxRuntime sandbox) : ISliSource
{
    public string Provider => "sandbox";

    public Task<SliReading> QueryAsync(SliQuery query, CancellationToken cancellationToken) => sandbox.Environment.SliSource.QueryAsync(query, cancellationToken);
}

/// <summary>The sandbox database's migrations (setting <c>ReleaseFunctions__Migrations__Url</c> = <c>sandbox</c>), once the sandbox runs.</summary>
internal sealed class SandboxMigrationRunner(SandboxRuntime? sandbox) : IMigrationRunner
{
    public Task<MigrationReport> StartAsync(MigrationRequest request, CancellationToken cancellationToken) => Database.StartAsync(request, cancellationToken);

    public Task<MigrationReport> ReadAsync(MigrationRequest request, CancellationToken cancellationToken) => Database.ReadAsync(request, cancellationToken);

    private IMigrationRunner Database => (sandbox ?? throw new IntegrationException("Sandbox", IntegrationFailureKind.Unavailable,
        "ReleaseFunctions__Migrations__Url is 'sandbox' but the sandbox is off (ReleaseFunctions__Sandbox__Enabled is false)")).Environment.Migrations;
}
