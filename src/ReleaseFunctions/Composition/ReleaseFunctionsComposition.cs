using System.Globalization;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using ReleaseFunctions.Api;
using ReleaseFunctions.Core.Ports;
using ReleaseFunctions.Dora;
using ReleaseFunctions.GitHub;
using ReleaseFunctions.Health;
using ReleaseFunctions.Hosting.Functions;
using ReleaseFunctions.Hosting.Settings;
using ReleaseFunctions.Integrations.AzureMonitor;
using ReleaseFunctions.Integrations.GitHub;
using ReleaseFunctions.Integrations.GitHub.Client;
using ReleaseFunctions.Integrations.GitHub.Webhooks;
using ReleaseFunctions.Ledger;
using ReleaseFunctions.Policy;
using ReleaseFunctions.Releases;
using ReleaseFunctions.Reviews;

namespace ReleaseFunctions.Composition;

/// <summary>
/// Puts the release app together: <c>builder.AddReleaseFunctions()</c> registers the engine with the release workflow,
/// the ledger, the ports the workflow's activities need, GitHub, the review and DORA timers, the operator API, health
/// checks and the OpenAPI document; <c>app.MapReleaseFunctions()</c> maps the endpoints.
/// </summary>
public static class ReleaseFunctionsComposition
{
    public static WebApplicationBuilder AddReleaseFunctions(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;

        // The engine's store is chosen here, when it is registered, from the same settings the host validates at start.
        var settings = new ReleaseFunctionsOptions();
        new ReleaseFunctionsOptionsSetup(builder.Configuration).Configure(settings);
        services.AddReleaseEngine(settings, builder.Environment.ContentRootPath);

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

        services.AddSingleton<SqliteReleaseLedger>(sp => new SqliteReleaseLedger(sp.GetRequiredService<IOptions<ReleaseLedgerOptions>>().Value));
        services.AddSingleton<IReleaseLedger>(sp => sp.GetRequiredService<SqliteReleaseLedger>());
        services.AddSingleton<IReleaseReviews>(sp => sp.GetRequiredService<SqliteReleaseLedger>());
        services.AddSingleton<IDoraSummaries>(sp => sp.GetRequiredService<SqliteReleaseLedger>());
        services.AddSingleton<IReleaseExternalIds>(sp => sp.GetRequiredService<SqliteReleaseLedger>());
        services.AddSingleton(sp => sp.GetRequiredService<SqliteReleaseLedger>().ChainKeys);

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
        services.AddSingleton<IReleaseNotifier, LoggingReleaseNotifier>();
        if (HasGitHubCredentials(settings.GitHub))
        {
            services.AddSingleton<IReleaseNotifier>(sp => new GitHubReleaseNotifier(sp.GetRequiredService<GitHubAccess>().Client!, sp.GetRequiredService<IReleaseExternalIds>()));
        }

        AddTimers(services, settings);

        if (settings.Sandbox.Enabled)
        {
            AddSandbox(services);
        }

        var endpoints = AppSettingsSetup.ReadIntegrationEndpoints(builder.Configuration, builder.Environment);
        services.AddReleaseTargets(endpoints);
        services.AddSliSources(endpoints);

        services.AddOperatorApi();
        services.AddReleaseHealthChecks();
        services.AddOperatorApiDocument();
        services.AddHttpFunction(GitHubWebhookEndpoint.FunctionName, GitHubWebhookEndpoint.Route.TrimStart('/'), "POST");
        return builder;
    }

    public static WebApplication MapReleaseFunctions(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapGitHubWebhook();
        app.MapReleasesApi();
        if (app.Services.GetRequiredService<IServiceProviderIsService>().IsService(typeof(SandboxRuntime)))
        {
            app.MapSandboxApi();
        }

        app.MapReleaseHealthChecks();
        app.MapOpenApi();
        return app;
    }

    /// <summary>The post-release review and the weekly DORA summary, run from their schedules standalone and by the Functions host in Azure.</summary>
    private static void AddTimers(IServiceCollection services, ReleaseFunctionsOptions settings)
    {
        services.AddSingleton<ReleaseReviewer>();
        services.AddSingleton<IReviewPublisher, LoggingReviewPublisher>();
        if (HasGitHubCredentials(settings.GitHub))
        {
            services.AddSingleton<IReviewPublisher>(sp => new GitHubReviewPublisher(sp.GetRequiredService<GitHubAccess>().Client!));
        }

        services.AddTimerFunction<PostReleaseReviewFunction>(PostReleaseReviewFunction.Name, PostReleaseReviewFunction.Schedule);
        services.AddTimerFunction<DoraSummaryFunction>(DoraSummaryFunction.Name, DoraSummaryFunction.Schedule);
    }

    /// <summary>The local sandbox: its target and SLI source serve policies that name provider "sandbox".</summary>
    private static void AddSandbox(IServiceCollection services)
    {
        services.AddSingleton<SandboxRuntime>();
        services.AddHostedService(sp => sp.GetRequiredService<SandboxRuntime>());
        services.AddSingleton<IDeploymentTarget, SandboxDeploymentTarget>();
        services.AddSingleton<ISliSource, SandboxSlis>();
        services.AddSandboxApi();
    }


    internal static bool HasGitHubCredentials(GitHubOptions gitHub) => gitHub.UsesApp || !string.IsNullOrWhiteSpace(gitHub.Token);

    private static void AddGitHub(IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton<IWebhookDeliveryLog>(sp => new SqliteWebhookDeliveryLog(sp.GetRequiredService<IOptions<ReleaseLedgerOptions>>().Value, sp.GetRequiredService<TimeProvider>()));
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
