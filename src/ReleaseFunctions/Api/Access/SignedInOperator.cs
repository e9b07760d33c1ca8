using System.Security.Claims;

namespace ReleaseFunctions.Api.Access;

/// <summary>
/// The person (or automation) behind a request to the operator API, as their sign-in names them: the name the audit
/// trail records, how they signed in, the release roles they hold, and the GitHub login they act as for approvals
/// (null when none is known).
/// </summary>
public sealed record SignedInOperator
{
    /// <summary>An operator API key from <c>ReleaseFunctions__Operator__ApiKeys</c>; the name is the key's.</summary>
    public const string ApiKey = "api-key";

    /// <summary>Microsoft Entra ID through App Service Authentication (the platform's <c>X-MS-CLIENT-PRINCIPAL</c>).</summary>
    public const string EntraId = "entra-id";

    /// <summary>A bearer token (JWT) from the configured issuer, for automation.</summary>
    public const string BearerToken = "bearer-token";

    private const string SignInClaim = "releasefunctions/sign-in";
    private const string GitHubLoginClaim = "releasefunctions/github-login";

    public SignedInOperator(string name, string signIn, IReadOnlyCollection<string> roles, string? gitHubLogin)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentException.ThrowIfNullOrWhiteSpace(signIn);
        ArgumentNullException.ThrowIfNull(roles);
        Name = name.Trim();
        SignIn = signIn;
        Roles = roles.Select(role => ReleaseRoles.Parse(role) ?? throw new ArgumentException($"'{role}' is not a release role; expected one of {string.Join(", ", ReleaseRoles.All)}", nameof(roles)))
            .Distinct(StringComparer.Ordinal).OrderBy(ReleaseRoles.Rank).ToArray();
        GitHubLogin = string.IsNullOrWhiteSpace(gitHubLogin) ? null : gitHubLogin.Trim();
    }

    public string Name { get; }

    /// <summary><see cref="ApiKey"/>, <see cref="EntraId"/> or <see cref="BearerToken"/>.</summary>
    public string SignIn { get; }

    public IReadOnlyList<string> Roles { get; }

    public string? GitHubLogin { get; }

    /// <summary>The principal an authentication handler returns for this operator.</summary>
    public ClaimsPrincipal ToPrincipal(string scheme)
    {
        var claims = new List<Claim> { new(ClaimTypes.Name, Name), new(SignInClaim, SignIn) };
        claims.AddRange(Roles.Select(role => new Claim(ClaimTypes.Role, role)));
        if (GitHubLogin is not null)
        {
            claims.Add(new Claim(GitHubLoginClaim, GitHubLogin));
        }

        return new ClaimsPrincipal(new ClaimsIdentity(claims, scheme, ClaimTypes.Name, ClaimTypes.Role));
    }

    /// <summary>The operator an authenticated principal of <see cref="ToPrincipal"/> stands for, or null.</summary>
    public static SignedInOperator? From(ClaimsPrincipal user)
    {
        ArgumentNullException.ThrowIfNull(user);
        if (user.Identity is not { IsAuthenticated: true, Name: { Length: > 0 } name } || user.FindFirst(SignInClaim) is not { } signIn)
        {
            return null;
        }

        return new SignedInOperator(name, signIn.Value, ReleaseRoles.Held(user).ToArray(), user.FindFirst(GitHubLoginClaim)?.Value);
    }

    /// <summary>"alice@contoso.com (entra-id)": how the trail and messages name the sender.</summary>
    public override string ToString() => $"{Name} ({SignIn})";
}
