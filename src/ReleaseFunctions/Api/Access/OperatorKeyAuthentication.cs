using System.Security.Cryptography;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using ReleaseFunctions.Hosting.Settings;

namespace ReleaseFunctions.Api.Access;

/// <summary>
/// Authenticates operators by API key: <c>Authorization: Bearer KEY</c> or <c>X-Api-Key: KEY</c>. Keys come from
/// <c>ReleaseFunctions__Operator__ApiKeys</c> (<see cref="OperatorApiKey"/>: each names its operator and roles). Keys
/// are compared through their SHA-256 in constant time, against every configured key. With no key configured nothing
/// is accepted. The operator acts as the GitHub login their name maps to, else as their name.
/// </summary>
internal sealed class OperatorKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    OperatorKeys keys,
    OperatorGitHubLogins gitHubLogins,
    IOptions<ReleaseFunctionsOptions> settings)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "OperatorKey";
    public const string ApiKeyHeader = "X-Api-Key";
    private const string FailureReasonKey = "operator-auth-failure";

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

        if (keys.Match(presented) is not { } key)
        {
            return Task.FromResult(Fail("the API key is not valid"));
        }

        var signedIn = new SignedInOperator(key.Name, SignedInOperator.ApiKey, key.Roles, gitHubLogins.Of([key.Name], []) ?? key.Name);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(signedIn.ToPrincipal(SchemeName), SchemeName)));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var reason = Context.Items.TryGetValue(FailureReasonKey, out var value) && value is string text ? text : "authentication is required";
        var @operator = settings.Value.Operator;
        var others = (@operator.TrustsAppServicePrincipal ? $", or sign in with Microsoft Entra ID at {AppServicePrincipalAuthenticationHandler.SignInPath}" : "")
            + (@operator.Jwt.Enabled ? $", or 'Authorization: Bearer <token>' from {@operator.Jwt.Authority}" : "");
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = "Bearer";
        await TypedResults.Problem(
            title: "Unauthorized",
            detail: $"{reason}; expected 'Authorization: Bearer <operator API key>' or '{ApiKeyHeader}: <operator API key>'{others}.",
            statusCode: StatusCodes.Status401Unauthorized,
            extensions: @operator.TrustsAppServicePrincipal ? new Dictionary<string, object?> { ["signIn"] = AppServicePrincipalAuthenticationHandler.SignInPath } : null)
            .ExecuteAsync(Context);
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

/// <summary>The configured operator keys (hashed), whose they are and what they may do.</summary>
internal sealed class OperatorKeys
{
    private readonly OperatorApiKey[] _keys;

    public OperatorKeys(IOptions<ReleaseFunctionsOptions> options)
    {
        // Entries that do not read are reported by the settings validator, which stops the app from starting.
        _keys = options.Value.Operator.ApiKeys.Select((entry, index) => OperatorApiKey.TryParse(entry, index, out _)).OfType<OperatorApiKey>().ToArray();
    }

    public int Count => _keys.Length;

    /// <summary>The key presented, or null. Every key is compared, so the time taken says nothing about which matched.</summary>
    public OperatorApiKey? Match(string presented)
    {
        var hash = OperatorApiKey.HashOf(presented);
        OperatorApiKey? match = null;
        foreach (var key in _keys)
        {
            if (CryptographicOperations.FixedTimeEquals(hash, key.Hash))
            {
                match ??= key;
            }
        }

        return match;
    }
}
