using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using ReleaseFunctions.Core.Releases;

namespace ReleaseFunctions.Integrations.GitHub.Webhooks;

/// <summary>
/// Turns one GitHub webhook delivery into a typed <see cref="WebhookOutcome"/>. The checks run cheapest and most
/// telling first: body size (413), signature (401), event and delivery headers (400), content type (415), duplicate
/// delivery, then the payload (400 for broken JSON, 422 for a shape other than GitHub documents). Bad input never
/// throws; only a failing <see cref="IWebhookDeliveryLog"/> or cancellation does.
/// </summary>
public sealed class GitHubWebhookHandler
{
    /// <summary>The <see cref="ReleaseCommand.Source"/> of commands that came from PR comments.</summary>
    public const string CommandSource = "github-comment";

    private readonly WebhookSignature _signature;
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
        _signature = new WebhookSignature(options.Secrets);
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

        if (_signature.Check(request.Header(WebhookRequest.SignatureHeader), body.Span) is { } unauthorized)
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

        var context = GitHubWebhookJsonContext.Default;
        if (!await _deliveries.TryRecordAsync(deliveryId, _time.GetUtcNow(), cancellationToken).ConfigureAwait(false))
        {
            return new WebhookDuplicate(deliveryId, eventName == "pull_request" ? RedeliveredMerge(body, context, deliveryId) : null);
        }

        try
        {
            return eventName switch
            {
                "ping" => Pong(Read(body, context.PingEvent)),
                "pull_request" => Route(Read(body, context.PullRequestEvent), deliveryId),
                "issue_comment" => Route(Read(body, context.IssueCommentEvent), deliveryId),
                "deployment_protection_rule" => Route(Read(body, context.DeploymentProtectionRuleEvent), deliveryId),
                _ => new WebhookIgnored(eventName, $"event '{eventName}' is not used; handled: pull_request, issue_comment, deployment_protection_rule, ping"),
            };
        }
        catch (JsonException e)
        {
            if (SyntaxProblem(body.Span) is { } syntax)
            {
                return new WebhookRejected(400, $"the body is not valid JSON: {syntax}");
            }

            JsonTypeInfo model = eventName switch
            {
                "pull_request" => context.PullRequestEvent,
                "issue_comment" => context.IssueCommentEvent,
                "deployment_protection_rule" => context.DeploymentProtectionRuleEvent,
                _ => context.PingEvent,
            };
            return new WebhookRejected(422, $"the {eventName} payload does not have the shape GitHub documents: {WebhookShapeError.Describe(e, model)}");
        }
        catch (ArgumentException e)
        {
            var what = e.Message.ReplaceLineEndings(" ");
            return new WebhookRejected(422, $"the {eventName} payload has a value outside what GitHub documents: {what}");
        }
    }

    /// <summary>The release a redelivered merge asks for, or null when the delivery is not a merge that starts one (or no longer reads).</summary>
    private StartReleaseRequested? RedeliveredMerge(ReadOnlyMemory<byte> body, GitHubWebhookJsonContext context, string deliveryId)
    {
        try
        {
            return Route(Read(body, context.PullRequestEvent), deliveryId) as StartReleaseRequested;
        }
        catch (Exception e) when (e is JsonException or ArgumentException)
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

    /// <summary>Null when the body is well-formed JSON (so a failed read was about its shape), else the syntax error.</summary>
    private static string? SyntaxProblem(ReadOnlySpan<byte> body)
    {
        var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = 64 });
        try
        {
            while (reader.Read())
            {
            }

            return null;
        }
        catch (JsonException e)
        {
            return e.Message;
        }
    }

    private static T Read<T>(ReadOnlyMemory<byte> body, JsonTypeInfo<T> type) =>
        JsonSerializer.Deserialize(body.Span, type) ?? throw new JsonException("the body is JSON null; expected an object");

    private static WebhookPong Pong(PingEvent ping) => new(ping.HookId, ping.Zen);

    private WebhookOutcome Route(PullRequestEvent e, string deliveryId)
    {
        const string name = "pull_request";
        var pr = e.PullRequest;
        if (e.Action != "closed")
        {
            return new WebhookIgnored(name, $"action '{e.Action}' does not start a release; only 'closed' with merged=true does");
        }

        if (pr.Merged != true)
        {
            return new WebhookIgnored(name, $"pull request #{pr.Number} was closed without being merged");
        }

        if (!_releaseBranches.IsReleaseBranch(pr.Base.Ref))
        {
            return new WebhookIgnored(name, $"base branch '{pr.Base.Ref}' is not a release branch (configured: {_releaseBranches.Describe})");
        }

        if (pr.MergeCommitSha is null || pr.MergedAt is null)
        {
            return new WebhookRejected(422, "a merged pull_request needs 'pull_request.merge_commit_sha' and 'pull_request.merged_at'; one is missing or null");
        }

        return new StartReleaseRequested(
            new ReleaseId(e.Repository.FullName, pr.Number, pr.MergeCommitSha),
            pr.Title,
            pr.User.Login,
            pr.Base.Ref,
            pr.Head.Sha,
            pr.MergedAt.Value,
            pr.MergedBy?.Login,
            pr.Labels?.Select(l => l.Name).ToArray() ?? [],
            e.Installation?.Id,
            deliveryId);
    }

    private static WebhookOutcome Route(IssueCommentEvent e, string deliveryId)
    {
        const string name = "issue_comment";
        if (e.Action != "created")
        {
            return new WebhookIgnored(name, $"action '{e.Action}' is not read; only newly 'created' comments carry commands");
        }

        if (e.Issue.PullRequest is null)
        {
            return new WebhookIgnored(name, $"#{e.Issue.Number} is an issue, not a pull request");
        }

        if (string.Equals(e.Comment.User.Type, "Bot", StringComparison.OrdinalIgnoreCase))
        {
            // Bots (this app's own status comment among them) do not give commands.
            return new WebhookIgnored(name, $"comment {e.Comment.Id} is by the bot '{e.Comment.User.Login}'");
        }

        if (ReleaseCommandParser.Parse(e.Comment.Body) is not { } parsed)
        {
            return new WebhookIgnored(name, $"comment {e.Comment.Id} has no release command (a line starting with /approve, /reject, /promote, /pause, /resume, /rollback, /abort or /status)");
        }

        var repository = GitHubRepositoryName.Parse(e.Repository.FullName).ToString().ToLowerInvariant();
        return new ReleaseCommandReceived(
            repository,
            e.Issue.Number,
            new ReleaseCommand(parsed.Kind, e.Comment.User.Login, CommandSource, e.Comment.CreatedAt, parsed.Comment),
            e.Comment.Id,
            e.Comment.AuthorAssociation ?? "NONE",
            e.Installation?.Id,
            deliveryId);
    }

    private static WebhookOutcome Route(DeploymentProtectionRuleEvent e, string deliveryId)
    {
        const string name = "deployment_protection_rule";
        if (e.Action != "requested")
        {
            return new WebhookIgnored(name, $"action '{e.Action}' is not handled; only 'requested'");
        }

        if (string.IsNullOrWhiteSpace(e.Environment) || e.Deployment is null
            || !Uri.TryCreate(e.DeploymentCallbackUrl, UriKind.Absolute, out var callback)
            || callback.Scheme is not ("https" or "http"))
        {
            return new WebhookRejected(422, "a requested deployment_protection_rule needs 'environment', 'deployment' (id, sha) and an absolute http(s) 'deployment_callback_url'");
        }

        return new DeploymentProtectionRuleRequested(
            GitHubRepositoryName.Parse(e.Repository.FullName).ToString().ToLowerInvariant(),
            e.Environment,
            callback,
            e.Deployment.Id,
            e.Deployment.Sha,
            e.Deployment.Ref,
            e.Event,
            e.PullRequests?.Select(p => p.Number).ToArray() ?? [],
            e.Installation?.Id,
            deliveryId);
    }
}
