using System.Security.Claims;

namespace ReleaseFunctions.Api.Access;

/// <summary>
/// Reads a Microsoft Entra ID sign-in's claims (an ID or access token's, or App Service Authentication's principal)
/// into the operator they stand for: the person's name, their app roles (<c>roles</c>), and their GitHub login.
/// </summary>
internal static class EntraIdClaims
{
    private const string ObjectId = "oid";
    private const string ObjectIdUri = "http://schemas.microsoft.com/identity/claims/objectidentifier";

    /// <param name="nameClaimType">The claim the issuer says holds the name (App Service's <c>name_typ</c>), tried first.</param>
    /// <param name="roleClaimType">The claim the issuer says holds roles (App Service's <c>role_typ</c>), besides <c>roles</c>.</param>
    public static SignedInOperator? ToOperator(
        IReadOnlyCollection<Claim> claims, string signIn, OperatorGitHubLogins gitHubLogins, string? nameClaimType = null, string? roleClaimType = null)
    {
        string? First(params string?[] types) => types.OfType<string>()
            .Select(type => claims.FirstOrDefault(c => string.Equals(c.Type, type, StringComparison.OrdinalIgnoreCase) && !string.IsNullOrWhiteSpace(c.Value))?.Value)
            .FirstOrDefault(value => value is not null);

        var objectId = First(ObjectId, ObjectIdUri);
        var application = First("azp", "appid");
        var person = First(nameClaimType, "preferred_username", "upn", ClaimTypes.Upn, "email", ClaimTypes.Email, ClaimTypes.Name, "name");
        // An application (automation with an app role) has no user name: it is named by its client id.
        var name = person ?? (application is null ? null : $"app:{application}") ?? objectId ?? First("sub");
        if (name is null)
        {
            return null;
        }

        var roles = claims
            .Where(c => c.Type is "roles" or "role" or ClaimTypes.Role || (roleClaimType is not null && string.Equals(c.Type, roleClaimType, StringComparison.OrdinalIgnoreCase)))
            .Select(c => ReleaseRoles.Parse(c.Value))
            .OfType<string>()
            .ToArray();
        return new SignedInOperator(name, signIn, roles, gitHubLogins.Of([person, objectId, application], claims));
    }
}
