using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace ReleaseFunctions.Integrations.Tests.Support;

/// <summary>
/// TLS for fake servers whose clients send bearer tokens (the Azure SDK sends them over https only): a self-signed
/// certificate for 127.0.0.1, and a client that trusts exactly that certificate.
/// </summary>
public static class TestTls
{
    private static readonly Lazy<X509Certificate2> Certificate = new(Create);

    public static X509Certificate2 ServerCertificate => Certificate.Value;

    /// <summary>An HttpClient that accepts the test certificate and nothing else untrusted.</summary>
    public static HttpClient TrustingClient() => new(new HttpClientHandler
    {
        ServerCertificateCustomValidationCallback = (_, certificate, _, errors)
            => errors == System.Net.Security.SslPolicyErrors.None || certificate?.Thumbprint == ServerCertificate.Thumbprint,
    });

    private static X509Certificate2 Create()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        using var created = request.CreateSelfSigned(DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch.AddYears(100));
        // Kestrel needs the private key in a form it can use on every platform: round-trip through PKCS#12.
        return X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pfx), null);
    }
}
