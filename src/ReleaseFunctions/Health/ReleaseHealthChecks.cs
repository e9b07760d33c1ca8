using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Worker.Hosting;
using ReleaseFunctions.Hosting.Functions;
using ReleaseFunctions.Ledger;

namespace ReleaseFunctions.Health;

/// <summary>
/// <c>/healthz</c>: the process is up and serving (no dependency is checked, so a restart is never caused by a
/// store outage). <c>/readyz</c>: the app can do its work: the engine's store answers a query, the engine's worker
/// is running, and the release ledger answers a read. 200 with each check's status, or 503 naming what is not ready.
/// </summary>
public static class ReleaseHealthChecks
{
    public const string LivenessRoute = "/healthz";
    public const string ReadinessRoute = "/readyz";
    private const string ReadyTag = "ready";

    public static IServiceCollection AddReleaseHealthChecks(this IServiceCollection services)
    {
        services.AddHealthChecks()
            .AddCheck<EngineStoreHealthCheck>("engine-store", tags: [ReadyTag])
            .AddCheck<EngineWorkerHealthCheck>("engine-worker", tags: [ReadyTag])
            .AddCheck<ReleaseLedgerHealthCheck>("release-ledger", tags: [ReadyTag]);
        services.AddHttpFunction("Healthz", LivenessRoute.TrimStart('/'), "GET");
        services.AddHttpFunction("Readyz", ReadinessRoute.TrimStart('/'), "GET");
        return services;
    }

    public static IEndpointRouteBuilder MapReleaseHealthChecks(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapHealthChecks(LivenessRoute, new HealthCheckOptions { Predicate = _ => false, ResponseWriter = WriteAsync }).WithTags("Health");
        endpoints.MapHealthChecks(ReadinessRoute, new HealthCheckOptions { Predicate = check => check.Tags.Contains(ReadyTag), ResponseWriter = WriteAsync }).WithTags("Health");
        return endpoints;
    }

    private static Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json; charset=utf-8";
        var buffer = new MemoryStream();
        // Relaxed escaping: the report is JSON for operators and probes, never embedded in HTML.
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            json.WriteString("status", Name(report.Status));
            json.WriteStartObject("checks");
            foreach (var (name, entry) in report.Entries)
            {
                json.WriteStartObject(name);
                json.WriteString("status", Name(entry.Status));
                json.WriteString("description", entry.Description ?? entry.Exception?.Message ?? "");
                json.WriteEndObject();
            }

            json.WriteEndObject();
            json.WriteEndObject();
        }

        return context.Response.Body.WriteAsync(buffer.ToArray(), context.RequestAborted).AsTask();
    }

    private static string Name(HealthStatus status) => status switch
    {
        HealthStatus.Healthy => "healthy",
        HealthStatus.Degraded => "degraded",
        _ => "unhealthy",
    };
}

/// <summary>The engine's store answers a one-row query.</summary>
internal sealed class EngineStoreHealthCheck(IServiceProvider services) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            // Resolved here: a store that cannot even be built is reported, not thrown.
            await using var pages = services.GetRequiredService<DurableTaskClient>().GetAllInstancesAsync(new OrchestrationQuery(PageSize: 1)).AsPages().GetAsyncEnumerator(cancellationToken);
            await pages.MoveNextAsync();
            return HealthCheckResult.Healthy("the engine's store answers queries");
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return HealthCheckResult.Unhealthy($"the engine's store does not answer: {ex.Message}", ex);
        }
    }
}

/// <summary>The engine's worker (the Durable Task SDK's hosted worker) has started and has not stopped.</summary>
internal sealed class EngineWorkerHealthCheck(IEnumerable<IHostedService> hostedServices) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var worker = hostedServices.OfType<DurableTaskWorker>().FirstOrDefault();
        return Task.FromResult(worker?.ExecuteTask switch
        {
            null when worker is null => HealthCheckResult.Unhealthy("the engine's worker is not registered in this process"),
            null => HealthCheckResult.Unhealthy("the engine's worker has not started yet"),
            { IsCompleted: true } task => HealthCheckResult.Unhealthy($"the engine's worker has stopped ({task.Status}: {task.Exception?.GetBaseException().Message ?? "no error"})"),
            _ => HealthCheckResult.Healthy("the engine's worker is running"),
        });
    }
}

/// <summary>The release ledger's file answers a read.</summary>
internal sealed class ReleaseLedgerHealthCheck(SqliteReleaseLedger ledger) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await ledger.CheckReachableAsync(cancellationToken);
            return HealthCheckResult.Healthy("the release ledger answers reads");
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return HealthCheckResult.Unhealthy($"the release ledger at {ledger.FilePath} does not answer: {ex.Message}", ex);
        }
    }
}
