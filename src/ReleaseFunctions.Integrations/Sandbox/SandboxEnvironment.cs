using ReleaseFunctions.Core.Ports;
using ReleaseFunctions.Integrations.Deployment;
using ReleaseFunctions.Integrations.Migrations;
using ReleaseFunctions.Integrations.Notifications;

namespace ReleaseFunctions.Integrations.Sandbox;

/// <summary>
/// The whole sandbox on this machine: the service in two versions (stable and candidate, each a Kestrel server on
/// 127.0.0.1), the weighted router in front of them, a steady load generator, and the SLI source and deployment target
/// that the release workflow uses (both provider "sandbox"); and an App Configuration store (HMAC-signed REST, on
/// 127.0.0.1) with one feature flag, which the stable version reads to run that share of requests on the candidate's code,
/// for provider "app-configuration-flag" with endpoint "sandbox"; and a database behind a signed migration hook (on
/// 127.0.0.1), for the migration setting "sandbox"; and an inbox that takes Teams, Slack and signed-webhook messages (on
/// 127.0.0.1), for the notification channels whose URL setting is "sandbox". Dispose to stop everything.
/// </summary>
public sealed class SandboxEnvironment : IAsyncDisposable
{
    private readonly SandboxServiceVersion _stable;
    private readonly SandboxServiceVersion _candidate;
    private readonly SandboxRouter _router;
    private readonly SandboxTrafficLog _log;
    private readonly HttpClient _client;
    private readonly SandboxLoadGenerator? _load;
    private readonly SandboxAppConfigurationStore _flags;
    private readonly SandboxMigrationDatabase _database;
    private readonly SandboxNotificationInbox _inbox;

    private SandboxEnvironment(SandboxOptions options, SandboxServiceVersion stable, SandboxServiceVersion candidate, SandboxRouter router,
        SandboxTrafficLog log, HttpClient client, SandboxLoadGenerator? load, TimeProvider time, SandboxAppConfigurationStore flags, SandboxMigrationDatabase database,
        SandboxNotificationInbox inbox)
    {
        _inbox = inbox;
        _flags = flags;
        _database = database;
        // The same client and signed protocol as a migration hook on Azure; only its URL and secret are the sandbox's.
        Migrations = new MigrationHook(client, new HttpHookOptions(database.HookUrl, database.Secret), time);
        Options = options;
        _stable = stable;
        _candidate = candidate;
        _router = router;
        _log = log;
        _client = client;
        _load = load;
        Target = new SandboxTarget(router, time, options.StateFile);
        SliSource = new SandboxSliSource(log, options.BucketInterval, time);
    }

    public SandboxOptions Options { get; }

    /// <summary>The router's address; <c>GET {RouterAddress}work</c> is the service as its users see it.</summary>
    public Uri RouterAddress => _router.Address;

    public Uri StableAddress => _stable.Address;
    public Uri CandidateAddress => _candidate.Address;

    /// <summary>The sandbox's App Configuration store (<c>GET {address}kv/.appconfig.featureflag%2F{flag}?api-version=2023-11-01</c>, HMAC-signed).</summary>
    public Uri FeatureFlagStoreAddress => _flags.Address;

    /// <summary>The store's access key (random per start); the feature-flag target signs with it for endpoint "sandbox".</summary>
    public AppConfigurationAccessKey FeatureFlagStoreKey => _flags.AccessKey;

    /// <summary>The feature flag's default rollout percentage now, 0 when it is disabled or missing.</summary>
    public double FeatureFlagPercentage => _flags.Rollout(Options.FeatureFlagName) is { Enabled: true } rollout ? rollout.Percentage : 0;

    /// <summary>The migration runner for the migration setting "sandbox": the signed hook, calling the sandbox's database.</summary>
    public IMigrationRunner Migrations { get; }

    /// <summary>The sandbox database's migration hook (<c>POST {MigrationHookUrl}</c>, signed with its secret, random per start).</summary>
    public Uri MigrationHookUrl => _database.HookUrl;

    /// <summary>How migrations started from now on run (default: 20 seconds, then applied).</summary>
    public SandboxMigrationBehaviour MigrationBehaviour
    {
        get => _database.Behaviour;
        set => _database.Behaviour = value;
    }

    /// <summary>The sandbox database's migration history, the latest started first.</summary>
    public IReadOnlyList<SandboxMigration> MigrationHistory() => _database.History();

    /// <summary>The sandbox inbox's address (<c>POST {NotificationInboxAddress}channels/{setting}</c>).</summary>
    public Uri NotificationInboxAddress => _inbox.Address;

    /// <summary>Where the notification channel of one setting group posts on the sandbox's inbox, and the secret a signed webhook signs with.</summary>
    public NotificationEndpoint NotificationEndpointFor(string setting) => _inbox.EndpointFor(setting);

    /// <summary>The messages the sandbox's inbox received, newest first; of one setting group or of all.</summary>
    public IReadOnlyList<SandboxNotification> ReceivedNotifications(string? channel = null) => _inbox.Received(channel);

    /// <summary>The deployment target for provider "sandbox".</summary>
    public IDeploymentTarget Target { get; }

    /// <summary>The SLI source for provider "sandbox".</summary>
    public ISliSource SliSource { get; }

    /// <summary>Requests the router has seen and still keeps.</summary>
    public int ObservedRequests => _log.Count;

    /// <summary>Requests the load generator has sent (0 when it is off).</summary>
    public long GeneratedRequests => _load?.Sent ?? 0;

    /// <summary>Load-generator ticks skipped because too many requests were in flight (a sign the service is too slow).</summary>
    public long SkippedLoadTicks => _load?.Skipped ?? 0;

    /// <summary>Makes the candidate misbehave (or behave again) from now on.</summary>
    public void SetCandidateBehaviour(CandidateBehaviour behaviour) => _candidate.Behaviour = behaviour;

    public static async Task<SandboxEnvironment> StartAsync(SandboxOptions options, TimeProvider time, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        var client = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) }) { Timeout = TimeSpan.FromSeconds(60) };
        var started = new List<IAsyncDisposable>();
        try
        {
            var flags = await SandboxAppConfigurationStore.StartAsync(options.FeatureFlagName, options.FeatureFlagStateFile, time, cancellationToken).ConfigureAwait(false);
            started.Add(flags);
            var database = await SandboxMigrationDatabase.StartAsync(options.MigrationStateFile, time, cancellationToken).ConfigureAwait(false);
            started.Add(database);
            var inbox = await SandboxNotificationInbox.StartAsync(time, cancellationToken).ConfigureAwait(false);
            started.Add(inbox);
            var candidate = await SandboxServiceVersion.StartAsync(SandboxTarget.CandidateSlot, options.CandidateVersion, time, cancellationToken).ConfigureAwait(false);
            started.Add(candidate);
            // The stable version runs the candidate's code for the share of requests the flag rolls out.
            var stable = await SandboxServiceVersion.StartAsync(SandboxTarget.StableSlot, options.StableVersion, time, cancellationToken,
                new FlaggedCodePath(candidate, () => flags.Rollout(options.FeatureFlagName))).ConfigureAwait(false);
            started.Add(stable);
            var log = new SandboxTrafficLog(options.Retention);
            var random = options.RandomSeed is { } seed ? new Random(seed) : new Random();
            var router = await SandboxRouter.StartAsync(stable, candidate, log, time, client, random, cancellationToken).ConfigureAwait(false);
            started.Add(router);
            var load = options.LoadRatePerSecond > 0
                ? new SandboxLoadGenerator(client, router.Address, options.LoadRatePerSecond, options.MaxRequestsInFlight, time)
                : null;
            return new SandboxEnvironment(options, stable, candidate, router, log, client, load, time, flags, database, inbox);
        }
        catch
        {
            foreach (var part in Enumerable.Reverse(started))
            {
                await part.DisposeAsync().ConfigureAwait(false);
            }

            client.Dispose();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_load is not null)
        {
            await _load.DisposeAsync().ConfigureAwait(false);
        }

        await _router.DisposeAsync().ConfigureAwait(false);
        await _candidate.DisposeAsync().ConfigureAwait(false);
        await _stable.DisposeAsync().ConfigureAwait(false);
        await _flags.DisposeAsync().ConfigureAwait(false);
        await _database.DisposeAsync().ConfigureAwait(false);
        await _inbox.DisposeAsync().ConfigureAwait(false);
        _client.Dispose();
    }
}
