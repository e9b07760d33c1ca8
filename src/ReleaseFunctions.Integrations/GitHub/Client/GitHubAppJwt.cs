using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace ReleaseFunctions.Integrations.GitHub.Client;

/// <summary>
/// The JSON Web Token a GitHub App signs to ask for installation tokens: RS256 over
/// <c>{"iat": now - 60 s, "exp": now + 9 min, "iss": app id}</c>. The issued-at is back-dated a minute for clock
/// drift and the expiry kept under GitHub's 10-minute maximum, as GitHub recommends.
/// </summary>
internal sealed class GitHubAppJwt : IDisposable
{
    private static readonly byte[] Header = Base64Url.EncodeToUtf8("""{"alg":"RS256","typ":"JWT"}"""u8);
    private readonly RSA _key;
    private readonly string _appId;
    private readonly TimeProvider _time;

    public GitHubAppJwt(long appId, string privateKeyPem, TimeProvider time)
    {
        _key = RSA.Create();
        try
        {
            _key.ImportFromPem(privateKeyPem.Replace("\\n", "\n", StringComparison.Ordinal));
        }
        catch (Exception e) when (e is ArgumentException or CryptographicException)
        {
            _key.Dispose();
            throw new ArgumentException("GitHub:AppPrivateKeyPem is not a PEM RSA private key; expected '-----BEGIN RSA PRIVATE KEY-----' (PKCS#1) or '-----BEGIN PRIVATE KEY-----' (PKCS#8), as downloaded from the App's settings.", e);
        }

        _appId = appId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        _time = time;
    }

    public string Create()
    {
        var now = _time.GetUtcNow().ToUnixTimeSeconds();
        var claims = new System.Buffers.ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(claims))
        {
            json.WriteStartObject();
            json.WriteNumber("iat", now - 60);
            json.WriteNumber("exp", now + (9 * 60));
            json.WriteString("iss", _appId);
            json.WriteEndObject();
        }

        var payload = Base64Url.EncodeToUtf8(claims.WrittenSpan);
        var signingInput = new byte[Header.Length + 1 + payload.Length];
        Header.CopyTo(signingInput, 0);
        signingInput[Header.Length] = (byte)'.';
        payload.CopyTo(signingInput, Header.Length + 1);
        var signature = _key.SignData(signingInput, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return Encoding.ASCII.GetString(signingInput) + "." + Base64Url.EncodeToString(signature);
    }

    public void Dispose() => _key.Dispose();
}
