using System.Net.Http.Headers;
using Octokit.Webhooks;
using Octokit.Webhooks.Events;
using ReleaseFunctions.Core.Releases;
using static ReleaseFunctions.Integrations.GitHub.Webhooks.WebhookEventReader;

namespace ReleaseFunctions.Integrations.GitHub.Webhooks;

/// <summary>
/// Turns one GitHub webhook delivery into a typed <see cref="WebhookOutcome"/>. The checks run cheapest and most
/// telling first: body size (413), signature (401, Octokit.Webhooks' validator under each configured secret), event
/// and delivery headers (400), content type (415), duplicate delivery, then the payload, read into Octokit.Webhooks'
/// event types (400 for broken JSON, 422 for a shape other than GitHub documents). An action the app does not act on
/// is ignored before its payload is read. Bad input never throws; only a failing <see cref="IWebhookDeliveryLog"/>
/// or cancellation does.
/// </summary>
/// <remarks>
/// Octokit.Webhooks' event types, their deserializer and its <c>WebhookSignatureValidator</c> are used; its
/// <c>WebhookEventProcessor</c> and the ASP.NET Core <c>MapGitHubWebhooks</c> over it are not: the processor's
/// overrides return no outcome to answer with (it would have to be smuggled out through state), and
/// <c>MapGitHubWebhooks</c> checks one secret (no rotation), answers a bad signature 400 and a payload that does not
/// read 500, and is an ASP.NET Core route the Functions HTTP trigger cannot share. This one handler serves both.
/// </remarks>
public sealed class GitHubWebhookHandler
{
    /// <summary>The <see cref="ReleaseCommand.Source"/> of commands that came from PR comments.</summary>
    public const string CommandSource = "github-comment";

    private readonly string[] _secrets;
    private readonly ReleaseBranchMatcher _releaseBranches;
    private readonly IWebhookDeliveryLog _deliveries;
    private readonly TimeProvider _time;
    private readonly int _maxBodyBytes;

    public GitHubWebhookHandler(GitHubWebhookOptions options, IWebhookDeliveryLog deliveries, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(deliveries);
        ArgumentNullException.ThrowIfNull(time);
        options.Validate();
        // Validate refuses an empty secret: Octokit's validator takes an unsigned delivery under an empty secret as valid.
        _secrets = options.Secrets.ToArray();
        _releaseBranches = new ReleaseBranchMatcher(options.EffectiveReleaseBranches);
        _maxBodyBytes = options.MaxBodyBytes;
        _deliveries = deliveries;
        _time = time;
    }

    /// <summary>The body limit in bytes, so the endpoint can stop reading a longer body early.</summary>
    public int MaxBodyBytes => _maxBodyBytes;

    public async ValueTask<WebhookOutcome> HandleAsync(WebhookRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var body = request.Body;
        if (body.Length > _maxBodyBytes)
        {
            return new WebhookRejected(413, $"body is {body.Length} bytes; the limit is {_maxBodyBytes} bytes");
        }

        if (SignatureProblem(request.Header(WebhookRequest.SignatureHeader), body.Span) is { } unauthorized)
        {
            return new WebhookUnauthorized(unauthorized);
        }

        var eventName = request.Header(WebhookRequest.EventHeader);
        if (eventName is null)
        {
            return new WebhookRejected(400, "missing X-GitHub-Event header; expected the event name, e.g. 'pull_request'");
        }

        var deliveryId = request.Header(WebhookRequest.DeliveryHeader);
        if (deliveryId is null || deliveryId.Length > 100)
        {
            return new WebhookRejected(400, "missing or overlong X-GitHub-Delivery header; expected the delivery GUID GitHub sends");
        }

        if (ContentTypeProblem(request.Header(WebhookRequest.ContentTypeHeader)) is { } contentType)
        {
            return new WebhookRejected(415, contentType);
        }

        if (!await _deliveries.TryRecordAsync(deliveryId, _time.GetUtcNow(), cancellationToken).ConfigureAwait(false))
        {
            return new WebhookDuplicate(deliveryId, eventName == "pull_request" ? RedeliveredMerge(body, deliveryId) : null);
        }

        try
        {
            return eventName switch
            {
                "ping" => Pong(Read<PingEvent>(body)),
                "pull_request" => RoutePullRequest(body, deliveryId),
                "issue_comment" => RouteIssueComment(body, deliveryId),
                "deployment_protection_rule" => RouteProtectionRule(body, deliveryId),
                _ => new WebhookIgnored(eventName, $"event '{eventName}' is not used; handled: pull_request, issue_comment, deployment_protection_rule, ping"),
            };
        }
        catch (WebhookPayloadException e)
        {
            return new WebhookRejected(e.StatusCode, e.StatusCode == 400 ? e.Message : $"the {eventName} payload does not have the shape GitHub documents: {e.Message}");
        }
        catch (ArgumentException e)
        {
            var what = e.Message.ReplaceLineEndings(" ");
            return new WebhookRejected(422, $"the {eventName} payload has a value outside what GitHub documents: {what}");
        }
    }

    /// <summary>The release a redelivered merge asks for, or null when the delivery is not a merge that starts one (or no longer reads).</summary>
    private StartReleaseRequested? RedeliveredMerge(ReadOnlyMemory<byte> body, string deliveryId)
    {
        try
        {
            return RoutePullRequest(body, deliveryId) as StartReleaseRequested;
        }
        catch (Exception e) when (e is WebhookPayloadException or ArgumentException)
        {
            return null;
        }
    }

    private static string? ContentTypeProblem(string? header)
    {
        const string expected = "expected 'application/json' (set the webhook's content type to application/json)";
        if (header is null)
        {
            return $"missing Content-Type; {expected}";
        }

        return MediaTypeHeaderValue.TryParse(header, out var parsed)
            && string.Equals(parsed.MediaType, "application/json", StringComparison.OrdinalIgnoreCase)
            ? null
            : $"Content-Type '{header}' is not supported; {expected}";
    }

    /// <summary>
    /// Null when the signature is valid under any configured secret (Octokit.Webhooks decides); otherwise why not,
    /// without revealing the expected value. Every secret is tried, so the time taken does not tell which one matched.
    /// </summary>
    private string? SignatureProblem(string? header, ReadOnlySpan<byte> body)
    {
        var valid = false;
        foreach (var secret in _secrets)
        {
            valid |= WebhookSignatureValidator.Verify(header, secret, body) == WebhookSignatureValidationResult.Valid;
        }

        const string prefix = "sha256=";
        return valid ? null
            : string.IsNullOrEmpty(header) ? "missing X-Hub-Signature-256 header; expected 'sha256=' followed by the hex HMAC-SHA256 of the body"
            : !header.StartsWith(prefix, StringComparison.OrdinalIgnoreCase) ? "X-Hub-Signature-256 does not start with 'sha256='"
            : header.Length != prefix.Length + 64 ? "X-Hub-Signature-256 is not 64 hex digits after 'sha256='"
            : "X-Hub-Signature-256 does not match the body under any configured secret";
    }

    private static WebhookPong Pong(PingEvent ping) => new(ping.HookId, ping.Zen);

    /// <summary>The delivery's <c>action</c>, which every event the app routes has.</summary>
    private static string ActionOf(ReadOnlyMemory<byte> body) =>
        Action(body.Span) ?? throw new WebhookPayloadException(422, "the payload lacks required field(s) 'action'");

    private WebhookOutcome RoutePullRequest(ReadOnlyMemory<byte> body, string deliveryId)
    {
        const string name = "pull_request";
        var action = ActionOf(body);
        if (action != "closed")
        {
            return new WebhookIgnored(name, $"action '{action}' does not start a release; only 'closed' with merged=true does");
        }

        var e = Read<PullRequestEvent>(body);
        var pr = Present(e.PullRequest, "$.pull_request", "an object");
        var number = Number(pr.Number, "$.pull_request.number");
        if (pr.Merged != true)
        {
            return new WebhookIgnored(name, $"pull request #{number} was closed without being merged");
        }

        var baseRef = Present(Present(pr.Base, "$.pull_request.base", "an object").Ref, "$.pull_request.base.ref", "a string");
        if (!_releaseBranches.IsReleaseBranch(baseRef))
        {
            return new WebhookIgnored(name, $"base branch '{baseRef}' is not a release branch (configured: {_releaseBranches.Describe})");
        }

        if (pr.MergeCommitSha is null || pr.MergedAt is null)
        {
            var lacking = pr.MergeCommitSha is null ? "merge_commit_sha" : "merged_at";
            return new WebhookRejected(422, $"a merged pull_request needs $.pull_request.{lacking}, which is missing or null; expected {(pr.MergeCommitSha is null ? "the merge commit's SHA" : "the merge's ISO 8601 date-time")}");
        }

        return new StartReleaseRequested(
            new ReleaseId(RepositoryOf(e), number, pr.MergeCommitSha),
            Present(pr.Title, "$.pull_request.title", "a string"),
            Present(Present(pr.User, "$.pull_request.user", "an object").Login, "$.pull_request.user.login", "a string"),
            baseRef,
            Present(Present(pr.Head, "$.pull_request.head", "an object").Sha, "$.pull_request.head.sha", "a string"),
            pr.MergedAt.Value,
            pr.MergedBy?.Login,
            Present(pr.Labels, "$.pull_request.labels", "an array")
                .Select((label, i) => Present(Present(label, $"$.pull_request.labels[{i}]", "an object").Name, $"$.pull_request.labels[{i}].name", "a string"))
                .ToArray(),
            e.Installation?.Id,
            deliveryId);
    }

    private static WebhookOutcome RouteIssueComment(ReadOnlyMemory<byte> body, string deliveryId)
    {
        const string name = "issue_comment";
        var action = ActionOf(body);
        if (action != "created")
        {
            return new WebhookIgnored(name, $"action '{action}' is not read; only newly 'created' comments carry commands");
        }

        var e = Read<IssueCommentEvent>(body);
        var issue = Present(e.Issue, "$.issue", "an object");
        var number = Number(issue.Number, "$.issue.number");
        if (issue.PullRequest is null)
        {
            return new WebhookIgnored(name, $"#{number} is an issue, not a pull request");
        }

        var comment = Present(e.Comment, "$.comment", "an object");
        var user = Present(comment.User, "$.comment.user", "an object");
        var login = Present(user.Login, "$.comment.user.login", "a string");
        if (string.Equals(user.Type?.StringValue, "Bot", StringComparison.OrdinalIgnoreCase))
        {
            // Bots (this app's own status comment among them) do not give commands.
            return new WebhookIgnored(name, $"comment {comment.Id} is by the bot '{login}'");
        }

        if (ReleaseCommandParser.Parse(comment.Body) is not { } parsed)
        {
            return new WebhookIgnored(name, $"comment {comment.Id} has no release command (a line starting with /approve, /reject, /promote, /pause, /resume, /rollback, /abort or /status)");
        }

        if (comment.CreatedAt == default)
        {
            // Octokit.Webhooks reads an absent created_at as 0001-01-01; a command needs when it was given.
            throw new WebhookPayloadException(422, "$.comment lacks required field(s) 'created_at'; expected an ISO 8601 date-time");
        }

        var repository = GitHubRepositoryName.Parse(RepositoryOf(e)).ToString().ToLowerInvariant();
        return new ReleaseCommandReceived(
            repository,
            number,
            new ReleaseCommand(parsed.Kind, login, CommandSource, comment.CreatedAt, parsed.Comment),
            comment.Id,
            comment.AuthorAssociation?.StringValue ?? "NONE",
            e.Installation?.Id,
            deliveryId);
    }

    private static WebhookOutcome RouteProtectionRule(ReadOnlyMemory<byte> body, string deliveryId)
    {
        const string name = "deployment_protection_rule";
        var action = ActionOf(body);
        if (action != "requested")
        {
            return new WebhookIgnored(name, $"action '{action}' is not handled; only 'requested'");
        }

        var e = Read<DeploymentProtectionRuleEvent>(body);
        if (string.IsNullOrWhiteSpace(e.Environment) || e.Deployment is not { } deployment
            || !Uri.TryCreate(e.DeploymentCallbackUrl, UriKind.Absolute, out var callback)
            || callback.Scheme is not ("https" or "http"))
        {
            return new WebhookRejected(422, "a requested deployment_protection_rule needs 'environment', 'deployment' (id, sha) and an absolute http(s) 'deployment_callback_url'");
        }

        return new DeploymentProtectionRuleRequested(
            GitHubRepositoryName.Parse(RepositoryOf(e)).ToString().ToLowerInvariant(),
            e.Environment,
            callback,
            deployment.Id,
            Present(deployment.Sha, "$.deployment.sha", "a string"),
            deployment.Ref,
            e.Event,
            (e.PullRequests ?? [])
                .Select((pr, i) => Number(Present(pr, $"$.pull_requests[{i}]", "an object").Number, $"$.pull_requests[{i}].number"))
                .ToArray(),
            e.Installation?.Id,
            deliveryId);
    }

    /// <summary>The repository's <c>owner/name</c>; optional on Octokit's base event type, always sent with the events the app routes.</summary>
    private static string RepositoryOf(WebhookEvent e) =>
        Present(Present(e.Repository, "$.repository", "an object", "is missing or null").FullName, "$.repository.full_name", "a string");
}
