using System.Security.Claims;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace ReleaseFunctions.Api.Access;

/// <summary>
/// Authenticates the person App Service Authentication signed in with Microsoft Entra ID: the platform validates the
/// sign-in and passes the principal in <c>X-MS-CLIENT-PRINCIPAL</c> (base64 JSON: <c>auth_typ</c>, <c>name_typ</c>,
/// <c>role_typ</c>, <c>claims</c> of <c>typ</c>/<c>val</c>). Registered only when the app is configured to trust it and
/// runs behind it (<see cref="Hosting.Settings.OperatorOptions.TrustsAppServicePrincipal"/>): elsewhere anyone can write the header.
/// </summary>
internal sealed class AppServicePrincipalAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    OperatorGitHubLogins gitHubLogins)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "AppServiceAuthentication";
    public const string PrincipalHeader = "X-MS-CLIENT-PRINCIPAL";

    /// <summary>Where App Service Authentication starts an Entra ID sign-in, coming back to the dashboard.</summary>
    public const string SignInPath = "/.auth/login/aad?post_login_redirect_uri=/";

    private const string FailureReasonKey = "app-service-principal-failure";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers[PrincipalHeader].ToString();
        if (string.IsNullOrWhiteSpace(header))
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        var signedIn = Read(header, out var problem);
        if (signedIn is null)
        {
            Context.Items[FailureReasonKey] = problem;
            return Task.FromResult(AuthenticateResult.Fail(problem!));
        }

        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(signedIn.ToPrincipal(SchemeName), SchemeName)));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var reason = Context.Items.TryGetValue(FailureReasonKey, out var value) && value is string text ? text : "no one is signed in";
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        await TypedResults.Problem(
            title: "Unauthorized",
            detail: $"{reason}; sign in with Microsoft Entra ID at {SignInPath}",
            statusCode: StatusCodes.Status401Unauthorized,
            extensions: new Dictionary<string, object?> { ["signIn"] = SignInPath })
            .ExecuteAsync(Context);
    }

    private SignedInOperator? Read(string header, out string? problem)
    {
        problem = null;
        try
        {
            using var document = JsonDocument.Parse(Convert.FromBase64String(header.Trim()));
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("claims", out var list) || list.ValueKind != JsonValueKind.Array)
            {
                problem = $"the {PrincipalHeader} header has no 'claims' array; expected App Service Authentication's principal";
                return null;
            }

            var claims = list.EnumerateArray()
                .Where(c => c.ValueKind == JsonValueKind.Object && c.TryGetProperty("typ", out var t) && t.ValueKind == JsonValueKind.String
                    && c.TryGetProperty("val", out var v) && v.ValueKind == JsonValueKind.String)
                .Select(c => new Claim(c.GetProperty("typ").GetString()!, c.GetProperty("val").GetString()!))
                .ToArray();
            var signedIn = EntraIdClaims.ToOperator(claims, SignedInOperator.EntraId, gitHubLogins, Text(root, "name_typ"), Text(root, "role_typ"));
            problem = signedIn is null ? $"the {PrincipalHeader} header names nobody (no name, object id or subject claim)" : null;
            return signedIn;
        }
        catch (Exception ex) when (ex is FormatException or JsonException or DecoderFallbackException)
        {
            problem = $"the {PrincipalHeader} header is not base64-encoded JSON ({ex.Message})";
            return null;
        }
    }

    private static string? Text(JsonElement root, string name)
        => root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
