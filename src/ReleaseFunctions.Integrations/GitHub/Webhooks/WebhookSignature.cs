using System.Security.Cryptography;
using System.Text;

namespace ReleaseFunctions.Integrations.GitHub.Webhooks;

/// <summary>
/// Checks <c>X-Hub-Signature-256</c>: <c>sha256=</c> followed by the lowercase hex HMAC-SHA256 of the raw body under
/// the webhook secret. Any of several secrets may match, so a secret can be rotated without dropping deliveries.
/// </summary>
internal sealed class WebhookSignature
{
    internal const string Prefix = "sha256=";
    private readonly byte[][] _keys;

    public WebhookSignature(IEnumerable<string> secrets)
    {
        _keys = secrets.Select(Encoding.UTF8.GetBytes).ToArray();
    }

    /// <summary>Null when the signature is valid; otherwise why it is not (without revealing the expected value).</summary>
    public string? Check(string? header, ReadOnlySpan<byte> body)
    {
        if (string.IsNullOrEmpty(header))
        {
            return "missing X-Hub-Signature-256 header; expected 'sha256=' followed by the hex HMAC-SHA256 of the body";
        }

        if (!header.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return "X-Hub-Signature-256 does not start with 'sha256='";
        }

        var hex = header.AsSpan(Prefix.Length);
        Span<byte> given = stackalloc byte[HMACSHA256.HashSizeInBytes];
        if (hex.Length != HMACSHA256.HashSizeInBytes * 2 || Convert.FromHexString(hex, given, out _, out var written) != System.Buffers.OperationStatus.Done || written != given.Length)
        {
            return "X-Hub-Signature-256 is not 64 hex digits after 'sha256='";
        }

        Span<byte> expected = stackalloc byte[HMACSHA256.HashSizeInBytes];
        var matched = false;
        foreach (var key in _keys)
        {
            HMACSHA256.HashData(key, body, expected);
            // Every key is tried, so the time taken does not tell which one (if any) matched.
            matched |= CryptographicOperations.FixedTimeEquals(expected, given);
        }

        return matched ? null : "X-Hub-Signature-256 does not match the body under any configured secret";
    }

    /// <summary>The header value GitHub would send for <paramref name="body"/> under <paramref name="secret"/>.</summary>
    public static string Sign(string secret, ReadOnlySpan<byte> body) =>
        Prefix + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body));
}
