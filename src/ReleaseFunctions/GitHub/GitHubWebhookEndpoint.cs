using ReleaseFunctions.Durable.Starting;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Options;
using ReleaseFunctions.Core.Ports;
using ReleaseFunctions.Core.Releases;
using ReleaseFunctions.Hosting.Settings;
using ReleaseFunctions.Integrations.GitHub.Webhooks;
using ReleaseFunctions.Releases;

namespace ReleaseFunctions.GitHub;

/// <summary>
/// <c>POST /api/github/webhook</c>: checks and parses the delivery with <see cref="GitHubWebhookHandler"/>, then hands
/// the work to the engine and answers at once with <c>{status, reason}</c>. Never a 5xx: when the engine (or GitHub,
/// for a protection rule) fails after the delivery was recorded, the delivery is forgotten so GitHub's redelivery is
/// handled, and the answer is 429 with <c>Retry-After</c>; when the delivery log itself cannot be written, nothing is
/// done and the answer is the same 429, so the redelivery is handled once it can.
/// </summary>
/// <remarks>
/// Deployment protection rule: the app approves a deployment unless the release it belongs to (the release of the
/// deployment's commit, or else the repository's newest release) is rolling back, rolled back, failed or aborted;
/// a repository with no release recorded is approved.
/// </remarks>
public static partial class GitHubWebhookEndpoint
{
    public const string Route = "/api/github/webhook";
    public const string FunctionName = "GitHubWebhooks";

    /// <summary>Seconds GitHub (or a person redelivering) should wait after a 429.</summary>
    internal const int RetryAfterSeconds = 30;

    private static readonly HashSet<string> CommandingAssociations = new(StringComparer.OrdinalIgnoreCase) { "OWNER", "MEMBER", "COLLABORATOR" };

    public static IEndpointRouteBuilder MapGitHubWebhook(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPost(Route, HandleDeliveryAsync)
            .WithName(FunctionName)
            .WithTags("GitHub")
            .WithSummary("Receives GitHub webhook deliveries (pull_request, issue_comment, deployment_protection_rule, ping).")
            .Produces<WebhookAnswer>(StatusCodes.Status200OK)
            .Produces<WebhookAnswer>(StatusCodes.Status202Accepted)
            .Produces<WebhookAnswer>(StatusCodes.Status400BadRequest)
            .Produces<WebhookAnswer>(StatusCodes.Status401Unauthorized)
            .Produces<WebhookAnswer>(StatusCodes.Status413PayloadTooLarge)
            .Produces<WebhookAnswer>(StatusCodes.Status415UnsupportedMediaType)
            .Produces<WebhookAnswer>(StatusCodes.Status422UnprocessableEntity)
            .Produces<WebhookAnswer>(StatusCodes.Status429TooManyRequests)
            .DisableAntiforgery();
        return endpoints;
    }

    /// <summary>Handles one delivery; <paramref name="engine"/> is the app's client of the workflow (or a Functions host's <c>[DurableClient]</c>).</summary>
    public static async Task<IResult> HandleDeliveryAsync(HttpContext http, WebhookServices services, DurableTaskClient engine)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(engine);
        var cancellationToken = http.RequestAborted;
        if (services.Options.Value.GitHub.WebhookSecrets.Count == 0)
        {
            return Answer(401, "refused", $"no webhook secret is configured, so no delivery can be verified; set {SettingKeys.Of("GitHub", "WebhookSecrets")} to the webhook's secret");
        }

        var handler = services.Provider.GetRequiredService<GitHubWebhookHandler>();
        var body = await ReadBodyAsync(http.Request, handler.MaxBodyBytes, cancellationToken);
        if (body is null)
        {
            return Answer(413, "rejected", $"the body is larger than the limit of {handler.MaxBodyBytes} bytes");
        }

        var headers = http.Request.Headers.Select(h => new KeyValuePair<string, string?>(h.Key, h.Value.ToString()));
        WebhookOutcome outcome;
        try
        {
            outcome = await handler.HandleAsync(new WebhookRequest(headers, body), cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Only the delivery log throws here (bad input is an outcome): the delivery was not recorded and nothing
            // was done, so GitHub's redelivery is handled as new once the log can be written again.
            var deliveryId = http.Request.Headers[WebhookRequest.DeliveryHeader].ToString();
            Log.DeliveryNotRecorded(services.Logger, deliveryId, ex);
            return RetryLater(http, $"delivery {deliveryId} could not be recorded in the delivery log ({ex.GetType().Name}: {ex.Message}); nothing was done, redeliver it after {RetryAfterSeconds} s");
        }

        try
        {
            return outcome switch
            {
                StartReleaseRequested start => await StartReleaseAsync(start, services, engine, cancellationToken),
                ReleaseCommandReceived command => await SendCommandAsync(command, services, engine, cancellationToken),
                DeploymentProtectionRuleRequested rule => await ReviewDeploymentAsync(rule, services, cancellationToken),
                WebhookPong pong => Answer(pong.StatusCode, "pong", pong.Zen ?? "webhook reached ReleaseFunctions"),
                WebhookDuplicate { Release: { } merge } duplicate => await EnsureReleaseAsync(duplicate, merge, services, engine, cancellationToken),
                WebhookDuplicate duplicate => Answer(duplicate.StatusCode, "duplicate", $"delivery {duplicate.DeliveryId} was already handled"),
                WebhookIgnored ignored => Answer(ignored.StatusCode, "ignored", ignored.Reason),
                WebhookUnauthorized unauthorized => Answer(unauthorized.StatusCode, "unauthorized", unauthorized.Reason),
                WebhookRejected rejected => Answer(rejected.StatusCode, "rejected", rejected.Reason),
                _ => Answer(202, "ignored", $"the delivery led to {outcome.GetType().Name}, which this app does not act on"),
            };
        }
        catch (Exception ex) when (ex is not OperationCanceledException && DeliveryIdOf(outcome) is { } deliveryId)
        {
            // The delivery was recorded but its work was not: forget it so GitHub's redelivery is handled, not dropped.
            Log.DeliveryFailed(services.Logger, deliveryId, outcome.GetType().Name, ex);
            try
            {
                await services.Deliveries.ForgetAsync(deliveryId, CancellationToken.None);
            }
            catch (Exception forgetting) when (forgetting is not OperationCanceledException)
            {
                Log.DeliveryNotForgotten(services.Logger, deliveryId, forgetting);
                return RetryLater(http, $"delivery {deliveryId} could not be handed over ({ex.GetType().Name}: {ex.Message}), and it could not be forgotten in the delivery log ({forgetting.GetType().Name}: {forgetting.Message}); a redelivery with the same id is taken for a duplicate until then, so redeliver it after {RetryAfterSeconds} s and, if it answers 'duplicate', send the event again with a new delivery id");
            }

            return RetryLater(http, $"delivery {deliveryId} could not be handed over ({ex.GetType().Name}: {ex.Message}); it was not kept, redeliver it after {RetryAfterSeconds} s");
        }
    }

    /// <summary>429 with <c>Retry-After</c>: nothing of the delivery was kept, and GitHub (or a person) should redeliver it.</summary>
    private static IResult RetryLater(HttpContext http, string reason)
    {
        http.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return Answer(429, "retry-later", reason);
    }

    private static async Task<IResult> StartReleaseAsync(StartReleaseRequested start, WebhookServices services, DurableTaskClient engine, CancellationToken cancellationToken)
    {
        var (request, _) = await StartOnceAsync(start, services, engine, cancellationToken);
        return Answer(202, "started", $"release {start.Release.InstanceId} of {request.Service} {request.Version} started (or was already running)", start.Release.InstanceId);
    }

    /// <summary>A redelivered merge: the delivery was recorded, and its release is made sure of (started if a crash came between the two).</summary>
    private static async Task<IResult> EnsureReleaseAsync(WebhookDuplicate duplicate, StartReleaseRequested merge, WebhookServices services, DurableTaskClient engine, CancellationToken cancellationToken)
    {
        var (_, started) = await StartOnceAsync(merge, services, engine, cancellationToken);
        var id = merge.Release.InstanceId;
        return Answer(duplicate.StatusCode, "duplicate", started
            ? $"delivery {duplicate.DeliveryId} was already recorded but its release was missing; release {id} started now"
            : $"delivery {duplicate.DeliveryId} was already handled; release {id} is there", id);
    }

    private static async Task<(ReleaseRequest Request, bool Started)> StartOnceAsync(StartReleaseRequested start, WebhookServices services, DurableTaskClient engine, CancellationToken cancellationToken)
    {
        var id = start.Release;
        var request = new ReleaseRequest(id.Repository, id.PullRequest, id.MergeCommitSha, services.Routing.Value.ServiceOf(id.Repository),
            start.Title, start.Author, start.MergedAt, start.Labels, start.InstallationId);
        // Once per merge commit: a second delivery of the same merge (a new delivery id) finds the release already there.
        var started = await engine.StartOnceAsync(ReleaseWorkflow.OrchestratorName, id.InstanceId, request, cancellationToken);
        if (started)
        {
            Log.ReleaseStarted(services.Logger, id.InstanceId, request.Service, start.DeliveryId);
        }

        return (request, started);
    }

    private static async Task<IResult> SendCommandAsync(ReleaseCommandReceived received, WebhookServices services, DurableTaskClient engine, CancellationToken cancellationToken)
    {
        var slash = ReleaseCommand.SlashWord(received.Command.Kind);
        if (!CommandingAssociations.Contains(received.CommenterAssociation))
        {
            return Answer(202, "ignored", $"{slash} from {received.Command.Actor} is ignored: their association with {received.Repository} is {received.CommenterAssociation}; only OWNER, MEMBER or COLLABORATOR may command a release");
        }

        var release = await PullRequestReleases.FindAsync(engine, received.Repository, received.PullRequest, cancellationToken);
        if (release is null)
        {
            return Answer(202, "ignored", $"{slash} on {received.Repository}#{received.PullRequest}: no release was started for this pull request");
        }

        if (release.IsCompleted)
        {
            return Answer(202, "ignored", $"{slash} on {received.Repository}#{received.PullRequest}: release {release.InstanceId} has already finished ({release.RuntimeStatus})", release.InstanceId);
        }

        await engine.RaiseEventAsync(release.InstanceId, ReleaseEvents.Command, received.Command, cancellationToken);
        Log.CommandSent(services.Logger, slash, received.Command.Actor, release.InstanceId, received.Command.Source);
        return Answer(202, "command-sent", $"{slash} from {received.Command.Actor} sent to release {release.InstanceId}", release.InstanceId);
    }

    private static async Task<IResult> ReviewDeploymentAsync(DeploymentProtectionRuleRequested rule, WebhookServices services, CancellationToken cancellationToken)
    {
        if (services.GitHub.Client is not { } github)
        {
            return Answer(202, "ignored", $"deployment {rule.DeploymentId} to {rule.Environment} cannot be reviewed: GitHub credentials are not configured ({SettingKeys.Of("GitHub", "Token")} or {SettingKeys.Of("GitHub", "AppId")})");
        }

        var (approve, reason) = await DecideDeploymentAsync(rule, services.Ledger, cancellationToken);
        await github.ReviewDeploymentProtectionRuleAsync(rule.DeploymentCallbackUrl, rule.Environment, approve, reason, rule.InstallationId, cancellationToken);
        return Answer(202, approve ? "approved" : "rejected-deployment", reason);
    }

    /// <summary>The protection rule (see the type's remarks), on the ledger's view of the repository's releases.</summary>
    internal static async Task<(bool Approve, string Reason)> DecideDeploymentAsync(DeploymentProtectionRuleRequested rule, IReleaseLedger ledger, CancellationToken cancellationToken)
    {
        var recent = await ledger.ListReleasesAsync(new ReleaseFilter(Repository: rule.Repository, PageSize: 50), cancellationToken);
        var release = recent.Releases.FirstOrDefault(r => string.Equals(r.MergeCommitSha, rule.DeploymentSha, StringComparison.OrdinalIgnoreCase))
                      ?? recent.Releases.FirstOrDefault();
        if (release is null)
        {
            return (true, $"no release of {rule.Repository} is recorded, so nothing holds deployment {rule.DeploymentId} to {rule.Environment}");
        }

        return release.Status is ReleaseStatus.RollingBack or ReleaseStatus.RolledBack or ReleaseStatus.Failed or ReleaseStatus.Aborted or ReleaseStatus.RollbackFailed
            ? (false, $"release {release.InstanceId} of {rule.Repository} is {release.Status}: {release.Summary}")
            : (true, $"release {release.InstanceId} of {rule.Repository} is {release.Status}");
    }

    /// <summary>The body, or null when it exceeds <paramref name="limit"/> bytes (reading stops just past the limit).</summary>
    private static async Task<byte[]?> ReadBodyAsync(HttpRequest request, int limit, CancellationToken cancellationToken)
    {
        if (request.ContentLength > limit)
        {
            return null;
        }

        var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            buffer.Write(chunk, 0, read);
            if (buffer.Length > limit)
            {
                return null;
            }
        }

        return buffer.ToArray();
    }

    private static string? DeliveryIdOf(WebhookOutcome outcome) => outcome switch
    {
        StartReleaseRequested start => start.DeliveryId,
        WebhookDuplicate { Release: { } merge } => merge.DeliveryId,
        ReleaseCommandReceived command => command.DeliveryId,
        DeploymentProtectionRuleRequested rule => rule.DeliveryId,
        _ => null,
    };

    private static IResult Answer(int statusCode, string status, string reason, string? release = null)
        => TypedResults.Json(new WebhookAnswer(status, reason, release), WebhookJsonContext.Default.WebhookAnswer, statusCode: statusCode);

    private static partial class Log
    {
        [LoggerMessage(EventId = 7201, Level = LogLevel.Information, Message = "Release {Release} of {Service} started from delivery {DeliveryId}")]
        public static partial void ReleaseStarted(ILogger logger, string release, string service, string deliveryId);

        [LoggerMessage(EventId = 7202, Level = LogLevel.Information, Message = "{Command} from {Actor} sent to release {Release} via {Source}")]
        public static partial void CommandSent(ILogger logger, string command, string actor, string release, string source);

        [LoggerMessage(EventId = 7203, Level = LogLevel.Warning, Message = "Delivery {DeliveryId} ({Outcome}) could not be handed over; it was forgotten so a redelivery is handled")]
        public static partial void DeliveryFailed(ILogger logger, string deliveryId, string outcome, Exception exception);

        [LoggerMessage(EventId = 7204, Level = LogLevel.Error, Message = "Delivery {DeliveryId} could not be recorded in the webhook delivery log; it was answered 429 so GitHub redelivers it")]
        public static partial void DeliveryNotRecorded(ILogger logger, string deliveryId, Exception exception);

        [LoggerMessage(EventId = 7205, Level = LogLevel.Error, Message = "Delivery {DeliveryId} failed and could not be forgotten in the webhook delivery log; a redelivery with this id is taken for a duplicate")]
        public static partial void DeliveryNotForgotten(ILogger logger, string deliveryId, Exception exception);
    }
}

/// <summary>What the webhook endpoint answers: what it did and why; the release's instance id when one is concerned.</summary>
public sealed record WebhookAnswer(
    string Status,
    string Reason,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Release = null);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(WebhookAnswer))]
internal sealed partial class WebhookJsonContext : JsonSerializerContext;

/// <summary>The services one webhook delivery needs (the client of the workflow comes apart, from whoever hosts the endpoint).</summary>
public sealed class WebhookServices(
    IServiceProvider provider,
    IOptions<ReleaseFunctionsOptions> options,
    IOptions<WebhookRoutingOptions> routing,
    IReleaseLedger ledger,
    IWebhookDeliveryLog deliveries,
    GitHubAccess gitHub,
    ILogger<WebhookServices> logger)
{
    public IServiceProvider Provider { get; } = provider;
    public IOptions<ReleaseFunctionsOptions> Options { get; } = options;
    public IOptions<WebhookRoutingOptions> Routing { get; } = routing;
    public IReleaseLedger Ledger { get; } = ledger;
    public IWebhookDeliveryLog Deliveries { get; } = deliveries;
    public GitHubAccess GitHub { get; } = gitHub;
    public ILogger Logger { get; } = logger;
}
