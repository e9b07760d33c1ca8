using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using ReleaseFunctions.Hosting.Settings;

namespace ReleaseFunctions.Api;

/// <summary>
/// Authenticates operators by API key: <c>Authorization: Bearer KEY</c> or <c>X-Api-Key: KEY</c>. Keys come from
/// <c>ReleaseFunctions__Operator__ApiKeys</c>; an entry <c>alice:KEY</c> names its operator (an entry without a name is
/// operator <c>api-key-N</c>, N from 1). Keys are compared through their SHA-256 in constant time, against every
/// configured key. With no key configured nothing is accepted.
/// </summary>
internal sealed class OperatorKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    OperatorKeys keys)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "OperatorKey";
    public const string ApiKeyHeader = "X-Api-Key";
    private const string FailureReasonKey = "operator-auth-failure";

    /// <summary>
    /// What <c>RequireAuthorization(OperatorPolicy)</c> does for a minimal API endpoint, for an HTTP function: null with
    /// <see cref="HttpContext.User"/> set to the operator, or the 401 challenge (a problem naming what was wrong).
    /// </summary>
    public static async Task<IResult?> ChallengeUnlessOperatorAsync(HttpContext http)
    {
        ArgumentNullException.ThrowIfNull(http);
        var result = await http.AuthenticateAsync(SchemeName);
        if (result.Succeeded)
        {
            http.User = result.Principal;
            return null;
        }

        return TypedResults.Challenge(authenticationSchemes: [SchemeName]);
    }

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var presented = Presented(out var problem);
        if (presented is null)
        {
            return Task.FromResult(Fail(problem));
        }

        if (keys.Count == 0)
        {
            return Task.FromResult(Fail($"no operator API key is configured; set {SettingKeys.Of("Operator", "ApiKeys")}"));
        }

        if (keys.Match(presented) is not { } operatorName)
        {
            return Task.FromResult(Fail("the API key is not valid"));
        }

        var identity = new ClaimsIdentity([new Claim(ClaimTypes.Name, operatorName)], SchemeName);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName)));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var reason = Context.Items.TryGetValue(FailureReasonKey, out var value) && value is string text ? text : "authentication is required";
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = "Bearer";
        await TypedResults.Problem(
            title: "Unauthorized",
            detail: $"{reason}; expected 'Authorization: Bearer <operator API key>' or '{ApiKeyHeader}: <operator API key>'.",
            statusCode: StatusCodes.Status401Unauthorized).ExecuteAsync(Context);
    }

    private string? Presented(out string problem)
    {
        problem = "no API key was presented";
        var authorization = Request.Headers.Authorization.ToString();
        if (!string.IsNullOrWhiteSpace(authorization))
        {
            const string Bearer = "Bearer ";
            if (!authorization.StartsWith(Bearer, StringComparison.OrdinalIgnoreCase) || authorization.Length == Bearer.Length)
            {
                problem = "the Authorization header is not a bearer token";
                return null;
            }

            return authorization[Bearer.Length..].Trim();
        }

        var header = Request.Headers[ApiKeyHeader].ToString();
        return string.IsNullOrWhiteSpace(header) ? null : header.Trim();
    }

    private AuthenticateResult Fail(string reason)
    {
        Context.Items[FailureReasonKey] = reason;
        return AuthenticateResult.Fail(reason);
    }
}

/// <summary>The configured operator keys (hashed) and whose they are.</summary>
internal sealed class OperatorKeys
{
    private readonly (string Operator, byte[] Hash)[] _keys;

    public OperatorKeys(IOptions<ReleaseFunctionsOptions> options)
    {
        _keys = options.Value.Operator.ApiKeys.Select(Parse).ToArray();
    }

    public int Count => _keys.Length;

    /// <summary>The operator whose key this is, or null. Every key is compared, so the time taken says nothing about which matched.</summary>
    public string? Match(string presented)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(presented));
        string? match = null;
        foreach (var (name, keyHash) in _keys)
        {
            if (CryptographicOperations.FixedTimeEquals(hash, keyHash))
            {
                match ??= name;
            }
        }

        return match;
    }

    private static (string Operator, byte[] Hash) Parse(string entry, int index)
    {
        var colon = entry.IndexOf(':', StringComparison.Ordinal);
        var named = colon > 0 && colon < entry.Length - 1 && entry[..colon].All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '@');
        var name = named ? entry[..colon] : $"api-key-{index + 1}";
        var key = named ? entry[(colon + 1)..] : entry;
        return (name, SHA256.HashData(Encoding.UTF8.GetBytes(key)));
    }
}
