namespace ReleaseFunctions.Integrations.GitHub.Webhooks;

/// <summary>
/// One webhook delivery as received: its headers (names compared case-insensitively) and the raw body bytes, which
/// must be exactly what was received because the signature covers them.
/// </summary>
public sealed class WebhookRequest
{
    public const string EventHeader = "X-GitHub-Event";
    public const string DeliveryHeader = "X-GitHub-Delivery";
    public const string SignatureHeader = "X-Hub-Signature-256";
    public const string ContentTypeHeader = "Content-Type";

    private readonly Dictionary<string, string> _headers;

    public WebhookRequest(IEnumerable<KeyValuePair<string, string?>> headers, ReadOnlyMemory<byte> body)
    {
        ArgumentNullException.ThrowIfNull(headers);
        _headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, value) in headers)
        {
            if (!string.IsNullOrEmpty(name) && value is not null)
            {
                _headers[name] = value;
            }
        }

        Body = body;
    }

    public ReadOnlyMemory<byte> Body { get; }

    /// <summary>The header's value, or null when it is absent or blank.</summary>
    public string? Header(string name) =>
        _headers.TryGetValue(name, out var value) && !string.IsNullOrWhiteSpace(value) ? value.Trim() : null;
}
