using System.Reflection;
using System.Text.Json;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Core.FunctionMetadata;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.OpenApi;
using ReleaseFunctions.Hosting;
using ReleaseFunctions.Releases;

namespace ReleaseFunctions.Tests.Functions;

/// <summary>The worker's composition (the one Program.cs builds under the Functions host), built without a host.</summary>
public sealed class FunctionsWorkerTests
{
    /// <summary>Every class of the app with a <c>[Function]</c> method: what the worker activates per invocation.</summary>
    internal static readonly Type[] FunctionClasses = typeof(Program).Assembly.GetTypes()
        .Where(t => t.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static).Any(m => m.GetCustomAttribute<FunctionAttribute>() is not null))
        .OrderBy(t => t.Name, StringComparer.Ordinal)
        .ToArray();

    [Fact]
    public void Every_function_class_is_made_from_the_workers_services()
    {
        using var app = new FunctionsWorkerApp();
        using var scope = app.Services.CreateScope();

        Assert.NotEmpty(FunctionClasses);
        foreach (var type in FunctionClasses)
        {
            // The worker's default activator: ActivatorUtilities over the invocation's services.
            Assert.NotNull(ActivatorUtilities.GetServiceOrCreateInstance(scope.ServiceProvider, type));
        }
    }

    [Fact]
    public async Task The_worker_keeps_its_ledger_and_delivery_ids_in_the_function_apps_storage_account_by_default()
    {
        using var app = new FunctionsWorkerApp(new Dictionary<string, string?>
        {
            ["ReleaseFunctions:Ledger:Provider"] = null,
            ["AzureWebJobsStorage"] = await Support.AzuriteTestServer.ConnectionStringAsync(),
            ["ReleaseFunctions:Ledger:TableName"] = Support.AzuriteTestServer.NewTableName(),
            ["ReleaseFunctions:Audit:ChainKey"] = "the worker test's chain key, 32+ bytes",
        });
        app.Services.GetRequiredService<Microsoft.Extensions.Options.IStartupValidator>().Validate();
        var release = Support.LedgerSeed.Release("octo/shop", 7, Core.Releases.ReleaseStatus.Running, Support.ReleaseAppFactory.Start);

        await Support.LedgerSeed.RecordAsync(app.Ledger, release, "k1");
        var health = await app.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync(c => c.Name == "release-ledger");

        Assert.IsType<ReleaseFunctions.Ledger.Tables.TableReleaseLedger>(app.Ledger);
        Assert.IsType<ReleaseFunctions.GitHub.TableWebhookDeliveryLog>(app.Services.GetRequiredService<Integrations.GitHub.Webhooks.IWebhookDeliveryLog>());
        Assert.Equal(release, await app.Ledger.GetReleaseAsync(release.InstanceId, default));
        Assert.Equal(HealthStatus.Healthy, health.Status);
        Assert.Contains("table ", health.Entries["release-ledger"].Description, StringComparison.Ordinal);
    }

    [Fact]
    public void The_worker_runs_neither_the_standalone_engine_nor_the_timer_scheduler()
    {
        using var app = new FunctionsWorkerApp();

        var hosted = app.Services.GetServices<IHostedService>().Select(s => s.GetType().FullName).ToArray();

        Assert.DoesNotContain(hosted, name => name!.Contains("TimerFunctionScheduler", StringComparison.Ordinal));
        Assert.DoesNotContain(hosted, name => name!.StartsWith("ReleaseFunctions.Durable.", StringComparison.Ordinal));
        Assert.DoesNotContain(hosted, name => name!.StartsWith("Microsoft.DurableTask.Worker.Grpc", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_OpenAPI_document_describes_the_same_api_as_standalone()
    {
        using var app = new FunctionsWorkerApp();

        var document = await app.Services.GetRequiredKeyedService<IOpenApiDocumentProvider>("v1").GetOpenApiDocumentAsync();
        using var json = JsonDocument.Parse(await document.SerializeAsJsonAsync(OpenApiSpecVersion.OpenApi3_1));

        var paths = json.RootElement.GetProperty("paths").EnumerateObject().Select(p => p.Name).ToArray();
        Assert.Contains("/api/releases", paths);
        Assert.Contains("/api/releases/{id}", paths);
        Assert.Contains("/api/releases/{id}/commands/{command}", paths);
        Assert.Contains("/api/dora/summaries", paths);
        Assert.Contains("/api/github/webhook", paths);
        Assert.DoesNotContain("/readyz", paths);
        Assert.True(json.RootElement.GetProperty("paths").GetProperty("/api/releases").GetProperty("get").GetProperty("security")[0].TryGetProperty("operatorKey", out _));
    }

    [Fact]
    public void The_durable_extension_lists_the_workflows_orchestrators_and_activities_to_the_host()
    {
        using var app = new FunctionsWorkerApp();
        var functions = new List<IFunctionMetadata>();

        var transformers = app.Services.GetServices<IFunctionMetadataTransformer>().ToArray();
        foreach (var transformer in transformers)
        {
            transformer.Transform(functions);
        }

        Assert.NotEmpty(transformers);

        var triggers = functions.ToDictionary(f => f.Name!, f => Assert.Single(f.RawBindings!, b => b.Contains("Trigger", StringComparison.Ordinal)));
        Assert.Contains("orchestrationTrigger", triggers[ReleaseWorkflow.OrchestratorName], StringComparison.Ordinal);
        Assert.Contains("orchestrationTrigger", triggers[ReleaseLaneOrchestrator.Name], StringComparison.Ordinal);
        foreach (var (name, _) in ReleaseWorkflow.Activities)
        {
            Assert.Contains("activityTrigger", triggers[name], StringComparison.Ordinal);
        }

        // Those are [Function]s in functions.metadata (ReleaseLaneFunctions), listed once.
        foreach (var (name, _) in ReleaseWorkflow.EngineActivities)
        {
            Assert.DoesNotContain(name, triggers.Keys);
        }
    }

    [Theory]
    [InlineData(new[] { "--functions-uri", "http://127.0.0.1:50051/", "--functions-worker-id", "w1", "--functions-request-id", "r1", "--functions-grpc-max-message-length", "2147483647" }, null, true)]
    [InlineData(new[] { "--functions-uri=http://127.0.0.1:50051/" }, null, true)]
    [InlineData(new string[0], "http://127.0.0.1:50051/", true)] // FunctionsNetHost hands the endpoint over in the environment
    [InlineData(new string[0], null, false)]
    [InlineData(new[] { "--urls", "http://127.0.0.1:5087" }, null, false)]
    public void The_functions_host_is_recognised_by_the_grpc_endpoint_the_worker_needs(string[] args, string? endpoint, bool expected)
    {
        // FUNCTIONS_WORKER_RUNTIME is in every local.settings.json, which `dotnet run` reads too: it decides nothing.
        var environment = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["FUNCTIONS_WORKER_RUNTIME"] = "dotnet-isolated",
            [FunctionsHostExtensions.HostEndpointKey] = endpoint,
        }).Build();

        Assert.Equal(expected, FunctionsHostExtensions.IsLaunchedByFunctionsHost(args, environment));
    }
}
