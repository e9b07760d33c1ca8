using System.Security.Cryptography;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using WireMock.Logging;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;
using WireMock.Settings;

namespace ReleaseFunctions.Tests.Support;

/// <summary>
/// A test OpenID Connect issuer: a WireMock.Net server on 127.0.0.1 publishing its metadata and the public half of a
/// test RSA key pair, and minting tokens signed with the private half, so the app validates them as it would Entra
/// ID's (issuer from the metadata, signature against the published key). <see cref="Forge"/> signs with another key.
/// </summary>
internal sealed class FakeTokenIssuer : IDisposable
{
    public const string Audience = "api://release-functions-tests";
    private const string KeyId = "test-key-1";

    private readonly WireMockServer _server;
    private readonly RSA _key = RSA.Create(2048);
    private readonly RSA _forger = RSA.Create(2048);

    public FakeTokenIssuer()
    {
        var address = $"http://127.0.0.1:{LoopbackPort.Free()}";
        _server = WireMockServer.Start(new WireMockServerSettings { Urls = [address], Logger = new WireMockNullLogger() });
        Authority = address + "/tenant/v2.0";
        var parameters = _key.ExportParameters(includePrivateParameters: false);
        _server.Given(Request.Create().UsingGet().WithPath("/tenant/v2.0/.well-known/openid-configuration")).RespondWith(Response.Create()
            .WithHeader("Content-Type", "application/json")
            .WithBody($$"""{"issuer": "{{Authority}}", "jwks_uri": "{{Authority}}/keys", "id_token_signing_alg_values_supported": ["RS256"]}"""));
        _server.Given(Request.Create().UsingGet().WithPath("/tenant/v2.0/keys")).RespondWith(Response.Create()
            .WithHeader("Content-Type", "application/json")
            .WithBody($$"""{"keys": [{"kty": "RSA", "use": "sig", "alg": "RS256", "kid": "{{KeyId}}", "n": "{{Base64UrlEncoder.Encode(parameters.Modulus)}}", "e": "{{Base64UrlEncoder.Encode(parameters.Exponent)}}"}]}"""));
    }

    /// <summary>The issuer, as <c>ReleaseFunctions__Operator__Jwt__Authority</c> names it.</summary>
    public string Authority { get; }

    /// <summary>The settings that make the app accept this issuer's tokens.</summary>
    public Dictionary<string, string?> Settings => new()
    {
        ["ReleaseFunctions:Operator:Jwt:Authority"] = Authority,
        ["ReleaseFunctions:Operator:Jwt:Audience"] = Audience,
    };

    /// <summary>A token valid from <paramref name="now"/> for an hour (unless <paramref name="expires"/> says otherwise), with these claims.</summary>
    public string Issue(DateTimeOffset now, IDictionary<string, object> claims, string audience = Audience, DateTimeOffset? expires = null)
        => Sign(_key, now, claims, audience, expires);

    /// <summary>A token like <see cref="Issue"/>'s, under the issuer's key id, but signed with a key the issuer never published.</summary>
    public string Forge(DateTimeOffset now, IDictionary<string, object> claims) => Sign(_forger, now, claims, Audience, null);

    public void Dispose()
    {
        _server.Stop();
        _server.Dispose();
        _key.Dispose();
        _forger.Dispose();
    }

    private string Sign(RSA key, DateTimeOffset now, IDictionary<string, object> claims, string audience, DateTimeOffset? expires)
    {
        var end = expires ?? now.AddHours(1);
        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = Authority,
            Audience = audience,
            Claims = claims,
            IssuedAt = end.AddHours(-1).UtcDateTime,
            NotBefore = end.AddHours(-1).UtcDateTime,
            Expires = end.UtcDateTime,
            SigningCredentials = new SigningCredentials(new RsaSecurityKey(key) { KeyId = KeyId }, SecurityAlgorithms.RsaSha256),
        });
    }
}
