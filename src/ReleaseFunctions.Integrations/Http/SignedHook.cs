using System.Net;
using System.Security.Cryptography;
using System.Text;
using ReleaseFunctions.Core.Ports;
using ReleaseFunctions.Integrations.Deployment;

namespace ReleaseFunctions.Integrations.Http;

/// <summary>
/// A hook the app posts signed JSON to (the deployment hook, the migration hook): the URL and secret come from
/// settings, each body carries <c>X-ReleaseFunctions-Signature-256: sha256=&lt;hex HMAC-SHA256 of the body&gt;</c> (as GitHub
/// signs webhooks) and an <c>Idempotency-Key</c>, and calls are retried as the resilience options say.
/// </summary>
internal sealed class SignedHook(HttpClient http, HttpHookOptions options, TimeProvider time, string system)
{
    public const string SignatureHeader = "X-ReleaseFunctions-Signature-256";

    private readonly ResilientHttpClient _http = new(http, options.Resilience, time, system);

    public Uri Url => options.Url;

    /// <summary>The signature header value for a body: <c>sha256=</c> and the lower-case hex HMAC-SHA256 under the secret.</summary>
    public static string Sign(string secret, byte[] body)
        => "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body));

    /// <summary>What a call is, for its errors: the hook's URL, and that a refusal is most likely the secret.</summary>
    public IntegrationCall Call(string operation) => new(operation, options.Url.AbsoluteUri, "the hook's secret to match (check the shared secret on both sides)");

    /// <summary>Posts the body signed; a 2xx answer's status and text (a failure after the retries throws <see cref="IntegrationException"/>).</summary>
    public async Task<(HttpStatusCode Status, string Body)> PostAsync(byte[] body, string idempotencyKey, IntegrationCall call, CancellationToken cancellationToken)
    {
        var signature = Sign(options.Secret, body);
        using var response = await _http.SendAsync(
            _ =>
            {
                var message = new HttpRequestMessage(HttpMethod.Post, options.Url) { Content = new ByteArrayContent(body) };
                message.Content.Headers.ContentType = new("application/json") { CharSet = "utf-8" };
                message.Headers.Add(SignatureHeader, signature);
                message.Headers.Add("Idempotency-Key", idempotencyKey);
                return ValueTask.FromResult(message);
            },
            call,
            cancellationToken).ConfigureAwait(false);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false));
    }

    public IntegrationException Malformed(IntegrationCall call, string what, string? body = null, Exception? inner = null) => _http.Malformed(call, what, body, inner);

    public T ParseJson<T>(string body, IntegrationCall call, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type) => _http.ParseJson(body, call, type);
}
