using System.Text.Json;
using Azure.Core.Serialization;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.DurableTask.Worker;
using ReleaseFunctions.Hosting;
using ReleaseFunctions.Releases;

namespace ReleaseFunctions.Composition;

/// <summary>
/// The app as an Azure Functions .NET isolated worker: <c>FunctionsApplication.CreateBuilder(args).AddReleaseFunctionsWorker()</c>.
/// The HTTP functions run on the worker's ASP.NET Core integration, the timer functions on the host's timer triggers,
/// and the release workflow on the host's Durable extension; the services are the standalone app's
/// (<see cref="ReleaseFunctionsComposition.AddReleaseFunctions"/>), without its engine and its timer scheduler.
/// </summary>
public static class FunctionsWorkerComposition
{
    public static FunctionsApplicationBuilder AddReleaseFunctionsWorker(this FunctionsApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.ConfigureFunctionsWebApplication();
        builder.AddFunctionsHost();
        builder.AddReleaseFunctions();

        // The release workflow's orchestrators and activities, as the Durable extension's functions (it lists them to
        // the host from the registry at start, beside the [Function]s of functions.metadata). Their payloads are the
        // workflow's JSON (web defaults, camelCase), which the extension takes from the worker's serializer.
        // ConfigureDurableExtension is what the extension's own startup code does when the worker runs from this
        // assembly; it is idempotent, and calling it here keeps the composition whole wherever it is built (tests).
        // The two activities that call the engine's client are activity functions here (ReleaseLaneFunctions).
        builder.ConfigureDurableExtension();
        builder.ConfigureDurableWorker().AddTasks(tasks => tasks.AddReleaseWorkflowForFunctions());
        builder.Services.Configure<WorkerOptions>(worker => worker.Serializer = new JsonObjectSerializer(new JsonSerializerOptions(JsonSerializerDefaults.Web)));

        // The OpenAPI document describes the app's minimal API definitions, as standalone. Here they are built into the
        // endpoint data source that ApiExplorer (and link generation) read, never into the worker's routing, whose
        // only endpoints are the functions' (routing reads the route builder's own data sources, not this service).
        builder.Services.AddSingleton<EndpointDataSource>(services =>
        {
            var described = new DescribedEndpoints(services);
            described.MapReleaseFunctions();
            return new CompositeEndpointDataSource(described.DataSources);
        });
        return builder;
    }

    /// <summary>
    /// Parameters of the handlers that the standalone app resolves as services and a function gets from its bindings
    /// (the workflow's client: <c>[DurableClient]</c>); for the description they are services, not a body.
    /// </summary>
    private static readonly Type[] BoundByFunctions = [typeof(Microsoft.DurableTask.Client.DurableTaskClient)];

    /// <summary>A route builder whose endpoints are only described, never routed to.</summary>
    private sealed class DescribedEndpoints(IServiceProvider services) : IEndpointRouteBuilder, IServiceProvider, IServiceProviderIsService
    {
        private readonly IServiceProviderIsService? _isService = services.GetService<IServiceProviderIsService>();

        public IServiceProvider ServiceProvider => this;

        public ICollection<EndpointDataSource> DataSources { get; } = [];

        public IApplicationBuilder CreateApplicationBuilder() => new ApplicationBuilder(this);

        public object? GetService(Type serviceType) => serviceType == typeof(IServiceProviderIsService) ? this : services.GetService(serviceType);

        public bool IsService(Type serviceType) => BoundByFunctions.Contains(serviceType) || _isService?.IsService(serviceType) == true;
    }
}
