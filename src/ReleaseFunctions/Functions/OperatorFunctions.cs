using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using ReleaseFunctions.Api;
using ReleaseFunctions.Api.Access;
using ReleaseFunctions.Composition;
using ReleaseFunctions.Core.Ports;

namespace ReleaseFunctions.Functions;

/// <summary>
/// The operator API's functions that need no engine: the release list, DORA metrics and summaries, the signed-in
/// operator, and the sandbox's candidate behaviour. Each authorizes the operator as the standalone endpoints' policy
/// does, then calls the same handler with the query the standalone endpoint binds.
/// </summary>
public sealed class OperatorFunctions(IReleaseLedger ledger, IDoraSummaries summaries, TimeProvider time, IServiceProvider services)
{
    [Function("ListReleases")]
    public async Task<IActionResult> ListReleasesAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/releases")] HttpRequest request, FunctionContext context)
    {
        if (await OperatorAuthentication.AuthorizeAsync(request.HttpContext, ReleaseRoles.Read) is { } challenge)
        {
            return challenge.AsAction();
        }

        var query = request.Query;
        return (await ReleasesApi.ListReleasesAsync(query["repository"], query["service"], query["status"], query["pageSize"], query["continuationToken"],
            ledger, context.CancellationToken)).AsAction();
    }

    [Function("GetDoraMetrics")]
    public async Task<IActionResult> GetDoraMetricsAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/dora")] HttpRequest request, FunctionContext context)
    {
        if (await OperatorAuthentication.AuthorizeAsync(request.HttpContext, ReleaseRoles.Read) is { } challenge)
        {
            return challenge.AsAction();
        }

        var query = request.Query;
        return (await ReleasesApi.GetDoraMetricsAsync(query["repository"], query["from"], query["to"], ledger, time, context.CancellationToken)).AsAction();
    }

    [Function("ListDoraSummaries")]
    public async Task<IActionResult> ListDoraSummariesAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/dora/summaries")] HttpRequest request, FunctionContext context)
    {
        if (await OperatorAuthentication.AuthorizeAsync(request.HttpContext, ReleaseRoles.Read) is { } challenge)
        {
            return challenge.AsAction();
        }

        var query = request.Query;
        return (await ReleasesApi.ListDoraSummariesAsync(query["repository"], query["limit"], summaries, context.CancellationToken)).AsAction();
    }

    [Function("GetSignedInOperator")]
    public async Task<IActionResult> GetSignedInOperatorAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/me")] HttpRequest request, FunctionContext context)
    {
        if (await OperatorAuthentication.AuthorizeAsync(request.HttpContext, role: null) is { } challenge)
        {
            return challenge.AsAction();
        }

        return OperatorAccessApi.GetSignedInOperator(request.HttpContext.User).AsAction();
    }

    /// <summary>The sandbox runs only where <c>ReleaseFunctions__Sandbox__Enabled</c> is true; elsewhere this is a 404 saying so.</summary>
    [Function("SetSandboxCandidateBehaviour")]
    public async Task<IActionResult> SetSandboxCandidateBehaviourAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = "api/sandbox/candidate")] HttpRequest request, FunctionContext context)
        => await SandboxAsync(request, ReleaseRoles.Operate, async sandbox => (await SandboxApi.SetCandidateBehaviourAsync(request, sandbox, context.CancellationToken)).AsAction());

    [Function("GetSandboxMigrations")]
    public async Task<IActionResult> GetSandboxMigrationsAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/sandbox/migrations")] HttpRequest request, FunctionContext context)
        => await SandboxAsync(request, ReleaseRoles.Read, sandbox => Task.FromResult(SandboxApi.GetMigrations(sandbox).AsAction()));

    [Function("SetSandboxMigrationBehaviour")]
    public async Task<IActionResult> SetSandboxMigrationBehaviourAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = "api/sandbox/migrations")] HttpRequest request, FunctionContext context)
        => await SandboxAsync(request, ReleaseRoles.Operate, async sandbox => (await SandboxApi.SetMigrationBehaviourAsync(request, sandbox, context.CancellationToken)).AsAction());

    [Function("GetSandboxNotifications")]
    public async Task<IActionResult> GetSandboxNotificationsAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/sandbox/notifications")] HttpRequest request, FunctionContext context)
        => await SandboxAsync(request, ReleaseRoles.Read, sandbox => Task.FromResult(SandboxApi.GetNotifications(sandbox, request.Query["channel"].ToString()).AsAction()));

    /// <summary>The caller's role checked, then the sandbox's handler; a 404 saying so where the sandbox is off.</summary>
    private async Task<IActionResult> SandboxAsync(HttpRequest request, string role, Func<SandboxRuntime, Task<IActionResult>> handle)
    {
        if (await OperatorAuthentication.AuthorizeAsync(request.HttpContext, role) is { } challenge)
        {
            return challenge.AsAction();
        }

        if (services.GetService<SandboxRuntime>() is not { } sandbox)
        {
            return TypedResults.Problem(title: "No sandbox", statusCode: StatusCodes.Status404NotFound,
                detail: "the sandbox is off in this app; it runs when ReleaseFunctions__Sandbox__Enabled is true").AsAction();
        }

        return await handle(sandbox);
    }
}
