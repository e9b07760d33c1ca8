using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Worker.Hosting;
using ReleaseFunctions.Ledger;

namespace ReleaseFunctions.Health;

/// <summary>
/// <c>/healthz</c>: the process is up and serving (no dependency is checked, so a restart is never caused by a
/// store outage). <c>/readyz</c>: the app can do its work: the release ledger answers a read and, standalone, the
/// engine's store answers a query and the engine's worker is running (under the Functions host the Durable extension's
/// backend is the host's). 200 with each check's status, or 503 naming what is not ready. Both hosts answer through
/// <see cref="CheckAsync"/>.
/// </summary>
public static class ReleaseHealthChecks
{
    public const string LivenessRoute = "/healthz";
    public const string ReadinessRoute = "/readyz";
    private const string ReadyTag = "ready";

    public static IServiceCollection AddReleaseHealthChecks(this IServiceCollection services, bool engineChecks = true)
    {
        var checks = services.AddHealthChecks();
        if (engineChecks)
        {
            checks.AddCheck<EngineStoreHealthCheck>("engine-store", tags: [ReadyTag])
                .AddCheck<EngineWorkerHealthCheck>("engine-worker", tags: [ReadyTag]);
        }

        checks.AddCheck<ReleaseLedgerHealthCheck>("release-ledger", tags: [ReadyTag]);
        return services;
    }

    public static IEndpointRouteBuilder MapReleaseHealthChecks(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet(LivenessRoute, (HealthCheckService health, CancellationToken cancellationToken) => CheckAsync(health, readiness: false, cancellationToken))
            .WithTags("Health").ExcludeFromDescription();
        endpoints.MapGet(ReadinessRoute, (HealthCheckService health, CancellationToken cancellationToken) => CheckAsync(health, readiness: true, cancellationToken))
            .WithTags("Health").ExcludeFromDescription();
        return endpoints;
    }

    /// <summary>Runs no check (liveness) or the readiness checks, and answers 200, or 503 when one is unhealthy.</summary>
    internal static async Task<IResult> CheckAsync(HealthCheckService health, bool readiness, CancellationToken cancellationToken)
    {
        var report = await health.CheckHealthAsync(check => readiness && check.Tags.Contains(ReadyTag), cancellationToken);
        return new HealthReportResult(report);
    }

    /// <summary>The report as JSON, never cached (a probe must see the state of now).</summary>
    private sealed class HealthReportResult(HealthReport report) : IResult
    {
        public Task ExecuteAsync(HttpContext context)
        {
            var response = context.Response;
            response.StatusCode = report.Status == HealthStatus.Unhealthy ? StatusCodes.Status503ServiceUnavailable : StatusCodes.Status200OK;
            response.Headers.CacheControl = "no-store, no-cache";
            response.Headers.Pragma = "no-cache";
            response.ContentType = "application/json; charset=utf-8";
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

            return response.Body.WriteAsync(buffer.ToArray(), context.RequestAborted).AsTask();
        }
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

/// <summary>The release ledger (its file, or its tables) answers a read.</summary>
internal sealed class ReleaseLedgerHealthCheck(IReleaseLedgerProbe ledger) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await ledger.CheckReachableAsync(cancellationToken);
            return HealthCheckResult.Healthy($"the release ledger at {ledger.Location} answers reads");
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return HealthCheckResult.Unhealthy($"the release ledger at {ledger.Location} does not answer: {ex.Message}", ex);
        }
    }
}
