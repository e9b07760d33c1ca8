using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;
using ReleaseFunctions.Core.Notifications;
using ReleaseFunctions.Integrations.Notifications;

namespace ReleaseFunctions.Integrations.Sandbox;

/// <summary>
/// One message the sandbox's inbox received, as <c>GET /api/sandbox/notifications</c> shows it: what a person would
/// read on the channel, taken from the body the app sent.
/// </summary>
/// <param name="Sequence">1, 2, … in the order received since the inbox started.</param>
/// <param name="Channel">The setting group the message was posted to (<c>POST /channels/{setting}</c>).</param>
/// <param name="Kind"><c>teams</c>, <c>slack</c> or <c>webhook</c>: what the request was, not what the policy said.</param>
/// <param name="Event">The event's policy name (e.g. <c>gate_failed</c>); for Teams and Slack read back from the headline's title.</param>
/// <param name="Headline">The message's first line: the card's first text block, Slack's header, the webhook's title, service and version.</param>
/// <param name="Text">The rest people read: the reason.</param>
/// <param name="Links">Where the message points: the pull request, then the release's page when configured.</param>
/// <param name="Delivery">The signed webhook's <c>X-ReleaseFunctions-Delivery</c>; Teams and Slack carry none.</param>
public sealed record SandboxNotification(
    long Sequence,
    string Channel,
    string Kind,
    DateTimeOffset ReceivedAt,
    string? Event,
    string Headline,
    string? Text,
    IReadOnlyList<Uri> Links,
    string? Delivery);

/// <summary>
/// The sandbox's notification inbox: a Kestrel server on 127.0.0.1 that takes what the notification channels send
/// (<see cref="TeamsWorkflowMessage"/>, <see cref="SlackWebhookMessage"/>, <see cref="SignedWebhookMessage"/>) at
/// <c>POST /channels/{setting}</c>, and answers as the real receivers do: a Teams Workflows flow 202 with no body,
/// Slack 200 <c>ok</c>, a signed webhook 200 once its signature (under a secret random per start) and its timestamp
/// (within 5 minutes of the injected clock, so a replay is refused) check out. A repeated delivery id is stored once,
/// as a receiver that drops retries would. The newest <c>capacity</c> messages are kept in memory, so a local run
/// shows what a release told its channels without a Teams or Slack workspace.
/// </summary>
internal sealed partial class SandboxNotificationInbox : IAsyncDisposable
{
    private const string Title = "Notification inbox";

    /// <summary>How far a signed webhook's timestamp may be from now, either way.</summary>
    public static readonly TimeSpan TimestampTolerance = TimeSpan.FromMinutes(5);

    private const string Prefix = "/channels/";
    private readonly TimeProvider _time;
    private readonly int _capacity;
    private readonly object _gate = new();
    // Oldest first; Received reverses it.
    private readonly List<SandboxNotification> _received = new();
    private readonly Dictionary<(string Channel, string Delivery), SandboxNotification> _deliveries = new();
    private long _sequence;
    private LocalHttpServer? _server;

    private SandboxNotificationInbox(TimeProvider time, int capacity)
    {
        _time = time;
        _capacity = capacity;
        Secret = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
    }

    /// <summary>The inbox's address; a channel posts to <c>{Address}channels/{setting}</c>.</summary>
    public Uri Address => _server?.Address ?? throw new InvalidOperationException("The sandbox's notification inbox is not running.");

    /// <summary>The secret signed webhooks sign with, random per start (64 hex characters).</summary>
    public string Secret { get; }

    public static async Task<SandboxNotificationInbox> StartAsync(TimeProvider time, CancellationToken cancellationToken, int capacity = 500)
    {
        ArgumentNullException.ThrowIfNull(time);
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        var inbox = new SandboxNotificationInbox(time, capacity);
        inbox._server = await LocalHttpServer.StartAsync(inbox.HandleAsync, cancellationToken).ConfigureAwait(false);
        return inbox;
    }

    /// <summary>Where the channel of one setting group posts, with the secret a signed webhook signs with (Teams and Slack ignore it).</summary>
    public NotificationEndpoint EndpointFor(string setting)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(setting);
        return new NotificationEndpoint(new Uri(Address, "channels/" + Uri.EscapeDataString(setting)), Secret);
    }

    /// <summary>What was received, newest first; on one setting group (case-insensitive, as app settings are) or on all.</summary>
    public IReadOnlyList<SandboxNotification> Received(string? channel = null)
    {
        lock (_gate)
        {
            var newestFirst = Enumerable.Reverse(_received);
            return (channel is null ? newestFirst : newestFirst.Where(n => string.Equals(n.Channel, channel, StringComparison.OrdinalIgnoreCase))).ToList();
        }
    }

    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        var path = request.Path.Value ?? "";
        var channel = path.StartsWith(Prefix, StringComparison.Ordinal) ? path[Prefix.Length..] : "";
        if (channel.Length == 0 || channel.Contains('/', StringComparison.Ordinal))
        {
            await LocalHttpServer.ProblemAsync(context, StatusCodes.Status404NotFound, Title, $"There is nothing at {request.Path}; expected POST /channels/{{setting}}.").ConfigureAwait(false);
            return;
        }

        if (!LocalHttpServer.IsPostElseRefused(context))
        {
            return;
        }

        var body = Encoding.UTF8.GetString(await LocalHttpServer.ReadBodyAsync(context).ConfigureAwait(false));

        // The signature header is what makes a request a signed webhook: Teams and Slack send none.
        if (request.Headers.ContainsKey(SignedWebhookMessage.SignatureHeader))
        {
            await WebhookAsync(context, channel, body).ConfigureAwait(false);
            return;
        }

        const string Expected = "expected a Teams Workflows message {\"type\": \"message\", \"attachments\": [{\"contentType\": \"application/vnd.microsoft.card.adaptive\", \"content\": {...}}]}, "
                                + "a Slack message {\"text\", \"blocks\"}, or a signed webhook (with " + SignedWebhookMessage.SignatureHeader + ")";
        if (Parse(body, out var error) is not { } parsed)
        {
            await LocalHttpServer.ProblemAsync(context, StatusCodes.Status400BadRequest, Title, $"{error}; {Expected}.").ConfigureAwait(false);
            return;
        }

        if (AdaptiveCard(parsed) is { } card)
        {
            Store(channel, "teams", null, FromTeams(card));
            // What a Workflows flow answers: accepted, nothing to read.
            context.Response.StatusCode = StatusCodes.Status202Accepted;
            return;
        }

        if (parsed["text"] is JsonValue || parsed["blocks"] is JsonArray)
        {
            Store(channel, "slack", null, FromSlack(parsed));
            context.Response.StatusCode = StatusCodes.Status200OK;
            context.Response.ContentType = "text/plain; charset=utf-8";
            await context.Response.WriteAsync("ok", context.RequestAborted).ConfigureAwait(false);
            return;
        }

        await LocalHttpServer.ProblemAsync(context, StatusCodes.Status400BadRequest, Title, $"The body is neither a Teams nor a Slack message; {Expected}.").ConfigureAwait(false);
    }

    private async Task WebhookAsync(HttpContext context, string channel, string body)
    {
        var headers = context.Request.Headers;
        var signature = headers[SignedWebhookMessage.SignatureHeader].ToString();
        var timestamp = headers[SignedWebhookMessage.TimestampHeader].ToString();
        if (!long.TryParse(timestamp, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
        {
            await LocalHttpServer.ProblemAsync(context, StatusCodes.Status401Unauthorized, Title,
                $"{(timestamp.Length == 0 ? "The request has no" : "The request's")} {SignedWebhookMessage.TimestampHeader} {(timestamp.Length == 0 ? "header" : "is not Unix seconds")}; it is signed with the body, so a replay can be refused.").ConfigureAwait(false);
            return;
        }

        if (!CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(signature), Encoding.ASCII.GetBytes(SignedWebhookMessage.Sign(Secret, timestamp, body))))
        {
            await LocalHttpServer.ProblemAsync(context, StatusCodes.Status401Unauthorized, Title,
                $"The request's {SignedWebhookMessage.SignatureHeader} does not match its timestamp and body; expected sha256=<hex HMAC-SHA256 of \"{{timestamp}}.{{body}}\"> under the inbox's secret.").ConfigureAwait(false);
            return;
        }

        var now = _time.GetUtcNow();
        var at = seconds <= DateTimeOffset.MaxValue.ToUnixTimeSeconds() ? DateTimeOffset.FromUnixTimeSeconds(seconds) : DateTimeOffset.MaxValue;
        if ((at - now).Duration() > TimestampTolerance)
        {
            await LocalHttpServer.ProblemAsync(context, StatusCodes.Status401Unauthorized, Title,
                $"The request's {SignedWebhookMessage.TimestampHeader} {timestamp} ({Time(at)}) is not within {TimestampTolerance.TotalMinutes.ToString(CultureInfo.InvariantCulture)} minutes of the inbox's clock ({Time(now)}): a stale request may be a replay; expected a timestamp within {TimestampTolerance.TotalMinutes.ToString(CultureInfo.InvariantCulture)} minutes of now, in Unix seconds.").ConfigureAwait(false);
            return;
        }

        if (Parse(body, out var error) is not { } parsed)
        {
            await LocalHttpServer.ProblemAsync(context, StatusCodes.Status400BadRequest, Title,
                $"{error}; expected {{\"id\", \"event\", \"title\", \"service\", \"version\", \"reason\", \"pullRequestUrl\", ...}}.").ConfigureAwait(false);
            return;
        }

        var delivery = headers[SignedWebhookMessage.DeliveryHeader].ToString() is { Length: > 0 } d ? d : String(parsed["id"]);
        var headerEvent = headers[SignedWebhookMessage.EventHeader].ToString();
        Store(channel, "webhook", delivery, FromWebhook(parsed, headerEvent.Length > 0 ? headerEvent : null));
        context.Response.StatusCode = StatusCodes.Status200OK;
    }

    /// <summary>Keeps a message, unless its delivery was kept already (a retry); drops the oldest past the capacity.</summary>
    private void Store(string channel, string kind, string? delivery, (string? Event, string Headline, string? Text, IReadOnlyList<Uri> Links) message)
    {
        var now = _time.GetUtcNow();
        lock (_gate)
        {
            var key = (channel.ToUpperInvariant(), delivery ?? "");
            if (delivery is not null && _deliveries.ContainsKey(key))
            {
                return;
            }

            var notification = new SandboxNotification(++_sequence, channel, kind, now, message.Event, message.Headline, message.Text, message.Links, delivery);
            _received.Add(notification);
            if (delivery is not null)
            {
                _deliveries[key] = notification;
            }

            while (_received.Count > _capacity)
            {
                var oldest = _received[0];
                _received.RemoveAt(0);
                if (oldest.Delivery is not null)
                {
                    _deliveries.Remove((oldest.Channel.ToUpperInvariant(), oldest.Delivery));
                }
            }
        }
    }

    private static JsonObject? Parse(string body, out string error)
    {
        try
        {
            error = "The body is not a JSON object";
            return JsonNode.Parse(body) as JsonObject;
        }
        catch (JsonException ex)
        {
            error = $"The body is not valid JSON ({ex.Message})";
            return null;
        }
    }

    /// <summary>The Adaptive Card of a Teams Workflows message, or null when the body is not one.</summary>
    private static JsonObject? AdaptiveCard(JsonObject message)
        => String(message["type"]) == "message" && message["attachments"] is JsonArray attachments
            ? attachments.OfType<JsonObject>().FirstOrDefault(a => String(a["contentType"]) == "application/vnd.microsoft.card.adaptive")?["content"] as JsonObject
            : null;

    /// <summary>The first text block is the headline, the others the text; the Action.OpenUrl buttons the links.</summary>
    private static (string? Event, string Headline, string? Text, IReadOnlyList<Uri> Links) FromTeams(JsonObject card)
    {
        var blocks = (card["body"] as JsonArray ?? []).OfType<JsonObject>()
            .Where(b => String(b["type"]) == "TextBlock").Select(b => String(b["text"])).OfType<string>().ToList();
        var links = Links((card["actions"] as JsonArray ?? []).OfType<JsonObject>()
            .Where(a => String(a["type"]) == "Action.OpenUrl").Select(a => String(a["url"])));
        var headline = blocks.FirstOrDefault() ?? "(a card without text)";
        return (EventOf(headline), headline, blocks.Count > 1 ? string.Join('\n', blocks.Skip(1)) : null, links);
    }

    /// <summary>The header block is the headline (else the text's first line), the sections' text the text; buttons and mrkdwn links the links.</summary>
    private static (string? Event, string Headline, string? Text, IReadOnlyList<Uri> Links) FromSlack(JsonObject payload)
    {
        var blocks = (payload["blocks"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        var fallback = String(payload["text"]) is { } text ? Unescape(text) : null;
        var header = blocks.Where(b => String(b["type"]) == "header").Select(b => String(b["text"]?["text"])).FirstOrDefault(t => t is not null);
        var headline = header ?? fallback?.Split('\n')[0] ?? "(a message without text)";
        var sections = blocks.Where(b => String(b["type"]) == "section").Select(b => String(b["text"]?["text"])).OfType<string>().Select(Unescape).ToList();
        // Without sections, the text is the fallback: what follows its first line when that line is the headline.
        var rest = header is null ? fallback?.Split('\n', 2).ElementAtOrDefault(1) : fallback;
        var body = sections.Count > 0 ? string.Join('\n', sections) : rest;
        var buttons = blocks.SelectMany(b => (b["elements"] as JsonArray ?? []).OfType<JsonObject>()).Select(e => String(e["url"]));
        var mrkdwn = blocks.SelectMany(b => (b["fields"] as JsonArray ?? []).Append(b["text"])).Select(t => String(t?["text"])).OfType<string>()
            .SelectMany(t => SlackLink().Matches(t).Select(m => (string?)m.Groups[1].Value));
        var urls = buttons.Concat(mrkdwn);
        return (EventOf(headline), headline, body, Links(urls));
    }

    /// <summary>The headline as the other channels write it (title: service version), the reason as text, the pull request and release URLs as links.</summary>
    private static (string? Event, string Headline, string? Text, IReadOnlyList<Uri> Links) FromWebhook(JsonObject body, string? headerEvent)
    {
        var name = headerEvent ?? String(body["event"]);
        var title = String(body["title"]) ?? (name is not null && NotificationEvents.ByPolicyName.TryGetValue(name, out var e) ? NotificationEvents.Title(e) : name) ?? "(a webhook without a title)";
        var subject = string.Join(' ', new[] { String(body["service"]), String(body["version"]) }.OfType<string>());
        return (name, subject.Length > 0 ? $"{title}: {subject}" : title, String(body["reason"]), Links([String(body["pullRequestUrl"]), String(body["releaseUrl"])]));
    }

    /// <summary>The event whose title starts the headline (<c>Gate failed: shop 1.2.0</c> is gate_failed); null when none does.</summary>
    private static string? EventOf(string headline)
        => NotificationEvents.ByPolicyName.FirstOrDefault(p => headline.StartsWith(NotificationEvents.Title(p.Value) + ":", StringComparison.Ordinal)).Key;

    private static IReadOnlyList<Uri> Links(IEnumerable<string?> urls)
        => urls.Select(u => Uri.TryCreate(u, UriKind.Absolute, out var uri) ? uri : null).OfType<Uri>().Distinct().ToList();

    private static string? String(JsonNode? node) => node is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;

    /// <summary>Slack's three control characters back as people read them.</summary>
    private static string Unescape(string text) => text.Replace("&lt;", "<", StringComparison.Ordinal).Replace("&gt;", ">", StringComparison.Ordinal).Replace("&amp;", "&", StringComparison.Ordinal);

    private static string Time(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>A mrkdwn link, <c>&lt;url|label&gt;</c> or <c>&lt;url&gt;</c>.</summary>
    [GeneratedRegex(@"<(https?://[^|>\s]+)(?:\|[^>]*)?>")]
    private static partial Regex SlackLink();
}
