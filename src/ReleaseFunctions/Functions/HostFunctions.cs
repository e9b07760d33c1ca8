using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using ReleaseFunctions.Api;
using ReleaseFunctions.Health;

namespace ReleaseFunctions.Functions;

/// <summary>Liveness, readiness, the OpenAPI document and the dashboard: what the standalone endpoints answer.</summary>
public sealed class HostFunctions(HealthCheckService health, IWebHostEnvironment environment)
{
    [Function("Healthz")]
    public Task<IActionResult> HealthzAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "healthz")] HttpRequest request, FunctionContext context)
        => ReleaseHealthChecks.CheckAsync(health, readiness: false, context.CancellationToken).AsActionAsync();

    [Function("Readyz")]
    public Task<IActionResult> ReadyzAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "readyz")] HttpRequest request, FunctionContext context)
        => ReleaseHealthChecks.CheckAsync(health, readiness: true, context.CancellationToken).AsActionAsync();

    [Function("OpenApiDocument")]
    public Task<IActionResult> OpenApiDocumentAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "openapi/v1.json")] HttpRequest request, FunctionContext context)
        => OperatorApiDocument.GetDocumentAsync(request.HttpContext, context.CancellationToken).AsActionAsync();

    /// <summary>
    /// The dashboard's files. The catch-all route ranks below every function with a literal first segment, so the API
    /// routes are never taken for a file.
    /// </summary>
    [Function(DashboardHosting.FunctionName)]
    public IActionResult Dashboard(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "{*path}")] HttpRequest request, string? path, FunctionContext context)
        => DashboardHosting.Serve(DashboardHosting.Files(environment), path).AsAction();
}
