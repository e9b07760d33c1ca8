using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Azure.Core;
using Azure.Core.Pipeline;

namespace ReleaseFunctions.Integrations.Deployment;

/// <summary>
/// Signs every attempt of an App Configuration request with an access key, as the REST API's HMAC authentication documents
/// it: <c>x-ms-date</c> (from the injected clock; the store refuses a date more than 15 minutes off),
/// <c>x-ms-content-sha256</c> (base64 SHA-256 of the body, also of an empty one), and
/// <c>Authorization: HMAC-SHA256 Credential={id}&amp;SignedHeaders=x-ms-date;host;x-ms-content-sha256&amp;Signature={base64 HMAC-SHA256}</c>
/// over <c>METHOD \n path_and_query \n date;host;content-hash</c>, keyed with the base64-decoded secret. It stands after the
/// retry policy, so each retry is signed afresh.
/// </summary>
internal sealed class AppConfigurationHmacPolicy(AppConfigurationAccessKey key, TimeProvider time) : HttpPipelinePolicy
{
    public const string SignedHeaders = "x-ms-date;host;x-ms-content-sha256";

    public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
        => ProcessAsync(message, pipeline).AsTask().GetAwaiter().GetResult();

    public override async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        byte[] body = [];
        if (message.Request.Content is { } content)
        {
            using var buffer = new MemoryStream();
            await content.WriteToAsync(buffer, message.CancellationToken).ConfigureAwait(false);
            body = buffer.ToArray();
        }

        var uri = message.Request.Uri.ToUri();
        var date = time.GetUtcNow().ToString("r", CultureInfo.InvariantCulture);
        var contentHash = ContentHash(body);
        message.Request.Headers.SetValue("x-ms-date", date);
        message.Request.Headers.SetValue("x-ms-content-sha256", contentHash);
        message.Request.Headers.SetValue(HttpHeader.Names.Authorization,
            Authorization(key.Id, key.SecretBytes, message.Request.Method.Method, uri.PathAndQuery, uri.Authority, date, contentHash));
        await ProcessNextAsync(message, pipeline).ConfigureAwait(false);
    }

    /// <summary><c>base64(SHA256(body))</c>.</summary>
    public static string ContentHash(ReadOnlySpan<byte> body) => Convert.ToBase64String(SHA256.HashData(body));

    /// <summary>The documented String-To-Sign for the signed headers x-ms-date, host, x-ms-content-sha256.</summary>
    public static string StringToSign(string method, string pathAndQuery, string date, string host, string contentHash)
        => $"{method.ToUpperInvariant()}\n{pathAndQuery}\n{date};{host};{contentHash}";

    /// <summary><c>base64(HMACSHA256(stringToSign, secret))</c>.</summary>
    public static string Signature(byte[] secret, string stringToSign) => Convert.ToBase64String(HMACSHA256.HashData(secret, Encoding.ASCII.GetBytes(stringToSign)));

    public static string Authorization(string id, byte[] secret, string method, string pathAndQuery, string host, string date, string contentHash)
        => $"HMAC-SHA256 Credential={id}&SignedHeaders={SignedHeaders}&Signature={Signature(secret, StringToSign(method, pathAndQuery, date, host, contentHash))}";
}
