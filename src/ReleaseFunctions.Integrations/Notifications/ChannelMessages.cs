using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using ReleaseFunctions.Core.Notifications;
using ReleaseFunctions.Integrations.Http;

namespace ReleaseFunctions.Integrations.Notifications;

/// <summary>How one kind of channel wants a release event written and sent.</summary>
internal interface IChannelMessage
{
    NotificationChannelKind Kind { get; }

    /// <summary>The outside system's name in failure messages.</summary>
    string System { get; }

    /// <summary>What a 401/403 means for this kind of channel.</summary>
    string RequiredAccess { get; }

    /// <summary>A fresh request for one attempt, made at <paramref name="now"/> (a signed one is signed per attempt).</summary>
    HttpRequestMessage Create(ReleaseNotification notification, NotificationLinks links, NotificationEndpoint endpoint, DateTimeOffset now);
}

/// <summary>The words every channel uses for an event.</summary>
internal static class MessageText
{
    public static string Headline(ReleaseNotification n) => $"{NotificationEvents.Title(n.Event)}: {n.Service} {n.Version}";

    public static string Where(ReleaseNotification n)
        => n.Stage is null ? "-" : n.WeightPercent is { } weight ? $"{n.Stage} at {weight.ToString(CultureInfo.InvariantCulture)}%" : n.Stage;

    public static string PullRequest(ReleaseNotification n) => $"#{n.PullRequest.ToString(CultureInfo.InvariantCulture)} {n.Title}";

    /// <summary>Cuts text to a channel's limit, saying so.</summary>
    public static string Cut(string text, int limit) => text.Length <= limit ? text : text[..(limit - 1)] + "…";

    public static HttpRequestMessage Post(Uri url, string json)
        => new(HttpMethod.Post, url) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
}

/// <summary>
/// A Microsoft Teams Workflows webhook (the "Post to a channel when a webhook request is received" flow, which replaces
/// Office 365 connectors): a <c>message</c> whose one attachment is an Adaptive Card 1.4 with the headline, the reason,
/// the release's facts, and buttons to the pull request and the release's page. The flow answers 202 Accepted.
/// </summary>
internal sealed class TeamsWorkflowMessage : IChannelMessage
{
    public NotificationChannelKind Kind => NotificationChannelKind.Teams;

    public string System => "Microsoft Teams";

    public string RequiredAccess => "a valid Workflows webhook URL (the flow may have been turned off or deleted, or its URL regenerated)";

    public HttpRequestMessage Create(ReleaseNotification notification, NotificationLinks links, NotificationEndpoint endpoint, DateTimeOffset now)
        => MessageText.Post(endpoint.Url, Card(notification, links).ToJsonString());

    public static JsonObject Card(ReleaseNotification n, NotificationLinks links)
    {
        var actions = new JsonArray { OpenUrl($"Pull request #{n.PullRequest.ToString(CultureInfo.InvariantCulture)}", links.PullRequest) };
        if (links.ReleasePage is { } page)
        {
            actions.Add(OpenUrl("Release page", page));
        }

        var card = new JsonObject
        {
            ["$schema"] = "http://adaptivecards.io/schemas/adaptive-card.json",
            ["type"] = "AdaptiveCard",
            ["version"] = "1.4",
            ["msteams"] = new JsonObject { ["width"] = "Full" },
            ["body"] = new JsonArray
            {
                new JsonObject { ["type"] = "TextBlock", ["text"] = MessageText.Headline(n), ["size"] = "Medium", ["weight"] = "Bolder", ["color"] = Color(n.Event), ["wrap"] = true },
                new JsonObject { ["type"] = "TextBlock", ["text"] = n.Reason, ["wrap"] = true },
                new JsonObject
                {
                    ["type"] = "FactSet",
                    ["facts"] = new JsonArray
                    {
                        Fact("Service", n.Service), Fact("Version", n.Version), Fact("Repository", n.Repository), Fact("Pull request", MessageText.PullRequest(n)),
                        Fact("Status", n.Status), Fact("Stage", MessageText.Where(n)), Fact("By", n.Actor), Fact("Release", n.Release),
                    },
                },
            },
            ["actions"] = actions,
        };
        return new JsonObject
        {
            ["type"] = "message",
            ["attachments"] = new JsonArray { new JsonObject { ["contentType"] = "application/vnd.microsoft.card.adaptive", ["contentUrl"] = null, ["content"] = card } },
        };
    }

    private static string Color(NotificationEvent e) => e switch
    {
        NotificationEvent.Promoted => "Good",
        NotificationEvent.GateFailed or NotificationEvent.RollbackFailed => "Attention",
        NotificationEvent.RolledBack or NotificationEvent.WaitingForApproval => "Warning",
        _ => "Accent",
    };

    private static JsonObject Fact(string title, string value) => new() { ["title"] = title, ["value"] = value };

    private static JsonObject OpenUrl(string title, Uri url) => new() { ["type"] = "Action.OpenUrl", ["title"] = title, ["url"] = url.AbsoluteUri };
}

/// <summary>
/// A Slack incoming webhook: <c>text</c> (what notifications and clients without blocks show) and Block Kit
/// <c>blocks</c>: a header, the reason, the release's facts, and buttons to the pull request and the release's page.
/// Slack answers 200 <c>ok</c>; 429 with Retry-After when posting too fast.
/// </summary>
internal sealed class SlackWebhookMessage : IChannelMessage
{
    public NotificationChannelKind Kind => NotificationChannelKind.Slack;

    public string System => "Slack";

    public string RequiredAccess => "a valid incoming webhook URL (the app may have been removed from the workspace, or the channel archived)";

    public HttpRequestMessage Create(ReleaseNotification notification, NotificationLinks links, NotificationEndpoint endpoint, DateTimeOffset now)
        => MessageText.Post(endpoint.Url, Payload(notification, links).ToJsonString());

    public static JsonObject Payload(ReleaseNotification n, NotificationLinks links)
    {
        var pullRequest = $"<{links.PullRequest.AbsoluteUri}|{Escape(MessageText.PullRequest(n))}>";
        var buttons = new JsonArray { Button($"Pull request #{n.PullRequest.ToString(CultureInfo.InvariantCulture)}", links.PullRequest, "pull-request") };
        if (links.ReleasePage is { } page)
        {
            buttons.Add(Button("Release page", page, "release-page"));
        }

        // Limits Slack documents: 150 characters in a header, 3000 in a section's text, 2000 in a field.
        return new JsonObject
        {
            // The fallback is mrkdwn too: escaped like the blocks.
            ["text"] = MessageText.Cut(Escape($"{MessageText.Headline(n)} ({n.Repository} #{n.PullRequest.ToString(CultureInfo.InvariantCulture)}): {n.Reason}"), 3000),
            ["blocks"] = new JsonArray
            {
                new JsonObject { ["type"] = "header", ["text"] = new JsonObject { ["type"] = "plain_text", ["text"] = MessageText.Cut(MessageText.Headline(n), 150) } },
                new JsonObject { ["type"] = "section", ["text"] = Markdown(MessageText.Cut(Escape(n.Reason), 3000)) },
                new JsonObject
                {
                    ["type"] = "section",
                    ["fields"] = new JsonArray
                    {
                        Field("Repository", Escape(n.Repository)), Field("Pull request", pullRequest), Field("Status", Escape(n.Status)),
                        Field("Stage", Escape(MessageText.Where(n))), Field("By", Escape(n.Actor)), Field("Release", Escape(n.Release)),
                    },
                },
                new JsonObject { ["type"] = "actions", ["elements"] = buttons },
            },
        };
    }

    /// <summary>Slack's three control characters in mrkdwn text.</summary>
    internal static string Escape(string text) => text.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal);

    private static JsonObject Markdown(string text) => new() { ["type"] = "mrkdwn", ["text"] = text };

    private static JsonObject Field(string title, string value) => Markdown(MessageText.Cut($"*{title}*\n{value}", 2000));

    private static JsonObject Button(string text, Uri url, string actionId)
        => new() { ["type"] = "button", ["text"] = new JsonObject { ["type"] = "plain_text", ["text"] = text }, ["url"] = url.AbsoluteUri, ["action_id"] = actionId };
}

/// <summary>
/// Any receiver of signed JSON (provider "webhook"): the event's facts and links as JSON, with
/// <c>X-ReleaseFunctions-Event</c>, <c>X-ReleaseFunctions-Delivery</c> and <c>Idempotency-Key</c> (the delivery id,
/// the same on every retry), <c>X-ReleaseFunctions-Timestamp</c> (Unix seconds of this attempt) and
/// <c>X-ReleaseFunctions-Signature-256: sha256=&lt;hex HMAC-SHA256 of "{timestamp}.{body}"&gt;</c> under the shared
/// secret. The timestamp is inside what is signed, so a receiver that refuses old timestamps cannot be replayed to.
/// </summary>
internal sealed class SignedWebhookMessage : IChannelMessage
{
    public const string SignatureHeader = SignedHook.SignatureHeader;
    public const string TimestampHeader = "X-ReleaseFunctions-Timestamp";
    public const string DeliveryHeader = "X-ReleaseFunctions-Delivery";
    public const string EventHeader = "X-ReleaseFunctions-Event";

    public NotificationChannelKind Kind => NotificationChannelKind.Webhook;

    public string System => "notification webhook";

    public string RequiredAccess => "the receiver to accept the signature (check the shared secret on both sides, and that the receiver's clock is right)";

    public HttpRequestMessage Create(ReleaseNotification notification, NotificationLinks links, NotificationEndpoint endpoint, DateTimeOffset now)
    {
        var secret = endpoint.Secret ?? throw new InvalidOperationException("A signed webhook needs its secret.");
        var body = Body(notification, links).ToJsonString();
        var timestamp = now.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var request = MessageText.Post(endpoint.Url, body);
        request.Headers.Add(EventHeader, NotificationEvents.Name(notification.Event));
        request.Headers.Add(DeliveryHeader, notification.DeliveryId);
        request.Headers.Add("Idempotency-Key", notification.DeliveryId);
        request.Headers.Add(TimestampHeader, timestamp);
        request.Headers.Add(SignatureHeader, Sign(secret, timestamp, body));
        return request;
    }

    /// <summary><c>sha256=</c> and the lower-case hex HMAC-SHA256 under the secret of the timestamp, '.', and the body (UTF-8).</summary>
    public static string Sign(string secret, string timestamp, string body)
        => SignedHook.Sign(secret, Encoding.UTF8.GetBytes($"{timestamp}.{body}"));

    public static JsonObject Body(ReleaseNotification n, NotificationLinks links) => new()
    {
        ["id"] = n.DeliveryId,
        ["event"] = NotificationEvents.Name(n.Event),
        ["title"] = NotificationEvents.Title(n.Event),
        ["release"] = n.Release,
        ["service"] = n.Service,
        ["version"] = n.Version,
        ["repository"] = n.Repository,
        ["pullRequest"] = n.PullRequest,
        ["pullRequestTitle"] = n.Title,
        ["pullRequestUrl"] = links.PullRequest.AbsoluteUri,
        ["releaseUrl"] = links.ReleasePage?.AbsoluteUri,
        ["status"] = n.Status,
        ["stage"] = n.Stage,
        ["weight"] = n.WeightPercent,
        ["reason"] = n.Reason,
        ["actor"] = n.Actor,
        ["at"] = n.At.UtcDateTime.ToString("O", CultureInfo.InvariantCulture),
    };
}
