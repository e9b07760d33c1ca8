using System.Globalization;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using ReleaseFunctions.Api;
using ReleaseFunctions.Core.Ports;
using ReleaseFunctions.Dora;
using ReleaseFunctions.GitHub;
using ReleaseFunctions.Health;
using Microsoft.Azure.Functions.Worker.Builder;
using ReleaseFunctions.Hosting.Functions;
using ReleaseFunctions.Hosting.Settings;
using ReleaseFunctions.Integrations.AzureMonitor;
using ReleaseFunctions.Integrations.GitHub;
using ReleaseFunctions.Integrations.GitHub.Client;
using ReleaseFunctions.Integrations.GitHub.Webhooks;
using ReleaseFunctions.Ledger;
using ReleaseFunctions.Ledger.Tables;
using ReleaseFunctions.Notifications;
using Azure.Core;
using Azure.Identity;
using ReleaseFunctions.Policy;
using ReleaseFunctions.Releases;
using ReleaseFunctions.Reviews;
using ReleaseFunctions.Telemetry;
using Azure.Monitor.OpenTelemetry.Exporter;
using Microsoft.Azure.Functions.Worker.OpenTelemetry;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace ReleaseFunctions.Composition;

/// <summary>
/// Puts the release app together, for both hosts: <c>builder.AddReleaseFunctions()</c> registers the ledger, the ports
/// the workflow's activities need, GitHub, the review and DORA timers, the operator API, health checks and the OpenAPI
/// document, and, standalone, the engine that runs the release workflow (under the Functions host the Durable
/// extension runs it: see <see cref="FunctionsWorkerComposition"/>); <c>app.MapReleaseFunctions()</c> maps the
/// standalone app's endpoints.
/// </summary>
public static class ReleaseFunctionsComposition
{
    public static TBuilder AddReleaseFunctions<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        var standalone = builder is not FunctionsApplicationBuilder;

        // The engine's store is chosen here, when it is registered, from the same settings the host validates at start.
        var settings = new ReleaseFunctionsOptions();
        new ReleaseFunctionsOptionsSetup(builder.Configuration).Configure(settings);
        if (standalone)
        {
            services.AddReleaseEngine(settings, builder.Environment.ContentRootPath);
        }

        // An engine whose store cannot be reached stops its worker, not the app: the webhook keeps answering (429, so
        // GitHub redelivers) and /readyz names the failure, instead of the process exiting in a restart loop.
        services.Configure<HostOptions>(host => host.BackgroundServiceExceptionBehavior = BackgroundServiceExceptionBehavior.Ignore);

        services.AddSingleton<AppSettingsSetup>();
        AddValidatedOptions<ReleaseLedgerOptions>(services);
        AddValidatedOptions<DefaultReleasePolicyOptions>(services);
        AddValidatedOptions<ApproverTeamsOptions>(services);
        AddValidatedOptions<WebhookRoutingOptions>(services);
        AddValidatedOptions<IntegrationEndpointsOptions>(services);
        AddValidatedOptions<PolicyFolderOptions>(services);
        AddValidatedOptions<ReleaseTelemetryOptions>(services);
        AddTelemetry(services, AppSettingsSetup.ReadTelemetry(builder.Configuration, builder.Environment), standalone);

        // The ledger's store is chosen here too: SQLite standalone, Table storage (every instance shares it) on the worker.
        var ledgerDefaults = new ReleaseLedgerDefaults(standalone ? ReleaseLedgerProvider.Sqlite : ReleaseLedgerProvider.Tables);
        services.AddSingleton(ledgerDefaults);
        if (AppSettingsSetup.ReadLedger(builder.Configuration, builder.Environment, ledgerDefaults).Provider == ReleaseLedgerProvider.Tables)
        {
            AddTablesLedger(services);
        }
        else
        {
            AddLedger<SqliteReleaseLedger>(services, sp => new SqliteReleaseLedger(sp.GetRequiredService<IOptions<ReleaseLedgerOptions>>().Value), ledger => ledger.ChainKeys);
            services.AddSingleton<IWebhookDeliveryLog>(sp => new SqliteWebhookDeliveryLog(sp.GetRequiredService<IOptions<ReleaseLedgerOptions>>().Value, sp.GetRequiredService<TimeProvider>()));
        }

        AddGitHub(services, builder.Configuration);
        services.AddSingleton(sp => new DefaultPolicyDocument(new PolicyDocument(
            DefaultReleasePolicy.Location,
            DefaultReleasePolicy.Render(sp.GetRequiredService<IOptions<DefaultReleasePolicyOptions>>().Value, DefaultReleasePolicy.SliSourceFor(sp.GetRequiredService<IOptions<ReleaseFunctionsOptions>>().Value.Sli.DefaultProvider)),
            IsDefault: true)));
        services.AddSingleton<IPolicySource>(sp => sp.GetRequiredService<GitHubAccess>().Client is { } github
            ? new GitHubPolicySource(github, sp.GetRequiredService<DefaultPolicyDocument>())
            : new FolderPolicySource(sp.GetRequiredService<IOptions<PolicyFolderOptions>>().Value, sp.GetRequiredService<DefaultPolicyDocument>()));
        services.AddSingleton<IApproverDirectory>(sp => sp.GetRequiredService<GitHubAccess>().Client is { } github
            ? new GitHubApproverDirectory(github)
            : new SettingsApproverDirectory(sp.GetRequiredService<IOptions<ApproverTeamsOptions>>().Value));
        services.AddSingleton<IPreflightSource>(sp => new GitHubPreflightSource(sp.GetRequiredService<GitHubAccess>()));
        services.AddSingleton<IReleasePublisher>(sp => new GitHubReleasePublisher(sp.GetRequiredService<GitHubAccess>()));
        services.AddSingleton<IReleaseNotifier, LoggingReleaseNotifier>();
        if (HasGitHubCredentials(settings.GitHub))
        {
            services.AddSingleton<IReleaseNotifier>(sp => new GitHubReleaseNotifier(sp.GetRequiredService<GitHubAccess>().Client!, sp.GetRequiredService<IReleaseExternalIds>()));
        }

        AddTimers(services, settings);
        services.AddReleaseNotifications();

        if (settings.Sandbox.Enabled)
        {
            AddSandbox(services);
        }

        var endpoints = AppSettingsSetup.ReadIntegrationEndpoints(builder.Configuration, builder.Environment);
        services.AddReleaseTargets(endpoints);
        services.AddSliSources(endpoints);

        services.AddOperatorApi();
        services.AddReleaseHealthChecks(engineChecks: standalone);
        services.AddOperatorApiDocument();
        return builder;
    }

    public static TEndpoints MapReleaseFunctions<TEndpoints>(this TEndpoints endpoints)
        where TEndpoints : IEndpointRouteBuilder
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        endpoints.MapGitHubWebhook();
        endpoints.MapReleasesApi();
        endpoints.MapOperatorAccessApi();
        if (endpoints.ServiceProvider.GetRequiredService<IServiceProviderIsService>().IsService(typeof(SandboxRuntime)))
        {
            endpoints.MapSandboxApi();
        }

        endpoints.MapReleaseHealthChecks();
        endpoints.MapOperatorApiDocument();
        return endpoints;
    }

    /// <summary>The post-release review and the weekly DORA summary, run from their schedules standalone and by their timer triggers in Azure.</summary>
    private static void AddTimers(IServiceCollection services, ReleaseFunctionsOptions settings)
    {
        services.AddSingleton<ReleaseReviewer>();
        services.AddSingleton<MigrationContract>();
        services.AddSingleton<IReviewPublisher, LoggingReviewPublisher>();
        if (HasGitHubCredentials(settings.GitHub))
        {
            services.AddSingleton<IReviewPublisher>(sp => new GitHubReviewPublisher(sp.GetRequiredService<GitHubAccess>().Client!));
        }

        services.AddTimerFunction<PostReleaseReviewFunction>(PostReleaseReviewFunction.Name, PostReleaseReviewFunction.Schedule);
        services.AddTimerFunction<DoraSummaryFunction>(DoraSummaryFunction.Name, DoraSummaryFunction.Schedule);
    }

    /// <summary>
    /// The release workflow's traces and metrics, exported where the standard settings say. With neither set no SDK is
    /// registered: nothing listens, so the instruments stay no-ops. A malformed setting is left out here and fails the
    /// start through <see cref="AppSettingsSetup"/>, naming it.
    /// </summary>
    private static void AddTelemetry(IServiceCollection services, ReleaseTelemetryOptions telemetry, bool standalone)
    {
        if (!telemetry.Exports)
        {
            return;
        }

        var otel = services.AddOpenTelemetry()
            .WithTracing(tracing => tracing.AddSource(ReleaseTelemetry.Name))
            .WithMetrics(metrics => metrics.AddMeter(ReleaseTelemetry.Name));
        if (!standalone)
        {
            // The worker's own spans and resource attributes, correlated with the Functions host's.
            otel.UseFunctionsWorkerDefaults();
        }

        if (telemetry.ApplicationInsightsConnectionString is { } connectionString)
        {
            otel.UseAzureMonitorExporter(options => options.ConnectionString = connectionString);
        }

        if (telemetry.OtlpEndpoint is not null)
        {
            // Reads OTEL_EXPORTER_OTLP_ENDPOINT (and _PROTOCOL, _HEADERS) from configuration itself.
            otel.UseOtlpExporter();
        }
    }

    /// <summary>The local sandbox: its target and SLI source serve policies that name provider "sandbox".</summary>
    private static void AddSandbox(IServiceCollection services)
    {
        services.AddSingleton<SandboxRuntime>();
        services.AddHostedService(sp => sp.GetRequiredService<SandboxRuntime>());
        services.AddSingleton<IDeploymentTarget, SandboxDeploymentTarget>();
        services.AddSingleton<ISliSource, SandboxSlis>();
    }


    /// <summary>The ledger in Table storage, with the webhook delivery ids beside it, reached with the app's identity or a connection string.</summary>
    private static void AddTablesLedger(IServiceCollection services)
    {
        services.TryAddSingleton<TokenCredential>(_ => new DefaultAzureCredential());
        services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<ReleaseLedgerOptions>>().Value;
            return new LedgerTables(options, options.TableConnectionString is null ? sp.GetRequiredService<TokenCredential>() : null);
        });
        AddLedger<TableReleaseLedger>(services, sp => new TableReleaseLedger(
            sp.GetRequiredService<LedgerTables>(),
            new AuditChainKeySource(sp.GetRequiredService<IOptions<ReleaseLedgerOptions>>().Value),
            sp.GetRequiredService<ILogger<TableReleaseLedger>>()), ledger => ledger.ChainKeys);
        services.AddSingleton<IWebhookDeliveryLog, TableWebhookDeliveryLog>();
    }

    /// <summary>One ledger object behind every port it serves.</summary>
    private static void AddLedger<TLedger>(IServiceCollection services, Func<IServiceProvider, TLedger> create, Func<TLedger, AuditChainKeySource> chainKeys)
        where TLedger : class, IReleaseLedger, IReleaseReviews, IDoraSummaries, IReleaseExternalIds, IReleaseLedgerProbe
    {
        services.AddSingleton(create);
        services.AddSingleton<IReleaseLedger>(sp => sp.GetRequiredService<TLedger>());
        services.AddSingleton<IReleaseReviews>(sp => sp.GetRequiredService<TLedger>());
        services.AddSingleton<IDoraSummaries>(sp => sp.GetRequiredService<TLedger>());
        services.AddSingleton<IReleaseExternalIds>(sp => sp.GetRequiredService<TLedger>());
        services.AddSingleton<IReleaseLedgerProbe>(sp => sp.GetRequiredService<TLedger>());
        services.AddSingleton(sp => chainKeys(sp.GetRequiredService<TLedger>()));
    }

    internal static bool HasGitHubCredentials(GitHubOptions gitHub) => gitHub.UsesApp || !string.IsNullOrWhiteSpace(gitHub.Token);

    private static void AddGitHub(IServiceCollection services, IConfiguration configuration)
    {
        services.AddGitHubIntegration(configuration);
        // The integration binds its own section; the app's settings (ReleaseFunctions__GitHub__*) are what count.
        services.AddOptions<GitHubWebhookOptions>().Configure<IOptions<ReleaseFunctionsOptions>>((webhook, app) =>
        {
            webhook.Secrets = app.Value.GitHub.WebhookSecrets.ToList();
            webhook.ReleaseBranches = app.Value.GitHub.ReleaseBranches.ToList();
        });
        services.AddOptions<GitHubClientOptions>().Configure<IOptions<ReleaseFunctionsOptions>>((client, app) =>
        {
            var gitHub = app.Value.GitHub;
            client.BaseAddress = new Uri(gitHub.ApiBaseUrl.TrimEnd('/') + "/");
            client.Token = string.IsNullOrWhiteSpace(gitHub.Token) ? null : gitHub.Token;
            client.AppId = gitHub.UsesApp ? long.Parse(gitHub.AppId!, NumberStyles.None, CultureInfo.InvariantCulture) : null;
            client.AppPrivateKeyPem = gitHub.UsesApp ? gitHub.PrivateKey : null;
        });
        services.AddSingleton(sp => new GitHubAccess(HasGitHubCredentials(sp.GetRequiredService<IOptions<ReleaseFunctionsOptions>>().Value.GitHub)
            ? sp.GetRequiredService<GitHubClient>()
            : null));
        services.AddSingleton<WebhookServices>();
    }

    private static void AddValidatedOptions<TOptions>(IServiceCollection services)
        where TOptions : class
    {
        services.AddSingleton<IConfigureOptions<TOptions>>(sp => (IConfigureOptions<TOptions>)(object)sp.GetRequiredService<AppSettingsSetup>());
        services.AddSingleton<IValidateOptions<TOptions>>(sp => (IValidateOptions<TOptions>)(object)sp.GetRequiredService<AppSettingsSetup>());
        services.AddOptions<TOptions>().ValidateOnStart();
    }
}
