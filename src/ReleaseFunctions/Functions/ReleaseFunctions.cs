using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using ReleaseFunctions.Api;
using ReleaseFunctions.Api.Access;
using ReleaseFunctions.Core.Ports;
using ReleaseFunctions.GitHub;
using ReleaseFunctions.Ledger;

namespace ReleaseFunctions.Functions;

/// <summary>
/// The functions that start and steer releases: the GitHub webhook, and the operator API's release detail, timeline
/// and commands. The workflow's client is the host's <c>[DurableClient]</c> (the Durable extension's task hub);
/// everything else is the standalone endpoints' handler.
/// </summary>
public sealed class ReleaseFunctions(
    WebhookServices webhook,
    IReleaseLedger ledger,
    IReleaseReviews reviews,
    AuditChainKeySource chainKeys,
    TimeProvider time,
    ILoggerFactory loggers)
{
    /// <summary>GitHub's deliveries: verified by their signature (so anonymous to the host), answered as standalone.</summary>
    [Function(GitHubWebhookEndpoint.FunctionName)]
    public async Task<IActionResult> GitHubWebhooksAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/github/webhook")] HttpRequest request,
        [DurableClient] DurableTaskClient client,
        FunctionContext context)
        => (await GitHubWebhookEndpoint.HandleDeliveryAsync(request.HttpContext, webhook, client)).AsAction();

    [Function("GetRelease")]
    public async Task<IActionResult> GetReleaseAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/releases/{id}")] HttpRequest request, string id,
        [DurableClient] DurableTaskClient client,
        FunctionContext context)
    {
        if (await OperatorAuthentication.AuthorizeAsync(request.HttpContext, ReleaseRoles.Read) is { } challenge)
        {
            return challenge.AsAction();
        }

        return (await ReleasesApi.GetReleaseAsync(id, ledger, reviews, chainKeys, client, context.CancellationToken)).AsAction();
    }

    [Function("GetReleaseTimeline")]
    public async Task<IActionResult> GetReleaseTimelineAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/releases/{id}/timeline")] HttpRequest request, string id,
        [DurableClient] DurableTaskClient client,
        FunctionContext context)
    {
        if (await OperatorAuthentication.AuthorizeAsync(request.HttpContext, ReleaseRoles.Read) is { } challenge)
        {
            return challenge.AsAction();
        }

        return (await ReleasesApi.GetTimelineAsync(id, ledger, chainKeys, client, context.CancellationToken)).AsAction();
    }

    [Function("SendReleaseCommand")]
    public async Task<IActionResult> SendReleaseCommandAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/releases/{id}/commands/{command}")] HttpRequest request, string id, string command,
        [DurableClient] DurableTaskClient client,
        FunctionContext context)
    {
        if (await OperatorAuthentication.AuthorizeAsync(request.HttpContext, ReleaseRoles.Read) is { } challenge)
        {
            return challenge.AsAction();
        }

        return (await ReleasesApi.SendCommandAsync(id, command, request, request.HttpContext.User, client, ledger, time, loggers, context.CancellationToken)).AsAction();
    }
}
