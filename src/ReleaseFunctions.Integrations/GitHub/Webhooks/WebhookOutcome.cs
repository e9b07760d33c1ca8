using ReleaseFunctions.Core.Releases;

namespace ReleaseFunctions.Integrations.GitHub.Webhooks;

/// <summary>
/// What the webhook endpoint decided about one delivery, with the HTTP status to answer. Only 2xx and 4xx: bad input
/// is refused with a reason, never answered with a 5xx.
/// </summary>
public abstract record WebhookOutcome(int StatusCode);

/// <summary>401: the signature is missing or does not match any configured secret.</summary>
public sealed record WebhookUnauthorized(string Reason) : WebhookOutcome(401);

/// <summary>
/// 200: this delivery id was already recorded, so its work is not done again. <paramref name="Release"/> is the release
/// a merge delivery asks for: starting a release is idempotent (one instance per merge commit), so the app makes sure
/// it exists. A process killed between recording a delivery and starting its release would otherwise lose the
/// release, since GitHub's redelivery carries the same id.
/// </summary>
public sealed record WebhookDuplicate(string DeliveryId, StartReleaseRequested? Release = null) : WebhookOutcome(200);

/// <summary>202: authentic and well-formed, but nothing for the release workflow to do; the reason says why.</summary>
public sealed record WebhookIgnored(string Event, string Reason) : WebhookOutcome(202);

/// <summary>200: GitHub's <c>ping</c> on webhook creation.</summary>
public sealed record WebhookPong(long? HookId, string? Zen) : WebhookOutcome(200);

/// <summary>400, 413, 415 or 422: the delivery is malformed; the reason names what was wrong and what was expected.</summary>
public sealed record WebhookRejected : WebhookOutcome
{
    public WebhookRejected(int statusCode, string reason)
        : base(statusCode)
    {
        if (statusCode is not (400 or 413 or 415 or 422))
        {
            throw new ArgumentOutOfRangeException(nameof(statusCode), statusCode, "A rejected delivery is answered 400, 413, 415 or 422.");
        }

        ArgumentException.ThrowIfNullOrWhiteSpace(reason);
        Reason = reason;
    }

    public string Reason { get; }
}

/// <summary>202: a pull request was merged into a release branch; start (or find) its release.</summary>
public sealed record StartReleaseRequested(
    ReleaseId Release,
    string Title,
    string Author,
    string BaseBranch,
    string HeadSha,
    DateTimeOffset MergedAt,
    string? MergedBy,
    IReadOnlyList<string> Labels,
    long? InstallationId,
    string DeliveryId) : WebhookOutcome(202)
{
    public string Repository => Release.Repository;
    public int PullRequest => Release.PullRequest;
    public string MergeCommitSha => Release.MergeCommitSha;
}

/// <summary>
/// 202: someone commented a release command on a pull request. The release is found by repository and pull request
/// (a comment does not name the merge commit); the app checks whether the commenter may give this command.
/// </summary>
public sealed record ReleaseCommandReceived(
    string Repository,
    int PullRequest,
    ReleaseCommand Command,
    long CommentId,
    string CommenterAssociation,
    long? InstallationId,
    string DeliveryId) : WebhookOutcome(202);

/// <summary>202: GitHub asks the app (a custom deployment protection rule) to approve or reject a deployment.</summary>
public sealed record DeploymentProtectionRuleRequested(
    string Repository,
    string Environment,
    Uri DeploymentCallbackUrl,
    long DeploymentId,
    string DeploymentSha,
    string? DeploymentRef,
    string? TriggeringEvent,
    IReadOnlyList<int> PullRequests,
    long? InstallationId,
    string DeliveryId) : WebhookOutcome(202);
