using Microsoft.AspNetCore.Http.HttpResults;
using ReleaseFunctions.Api.Access;
using ReleaseFunctions.Core.Releases;

namespace ReleaseFunctions.Api;

/// <summary>
/// <c>GET /api/me</c>: who the caller is signed in as, how, with which release roles, as which GitHub login, and the
/// commands those allow, so the dashboard shows only what its user may do. Needs a sign-in, not a role: a person
/// without one learns here which role to ask for.
/// </summary>
public static class OperatorAccessApi
{
    public static IEndpointRouteBuilder MapOperatorAccessApi(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/api/me", GetSignedInOperator).WithTags("Access").WithName("GetSignedInOperator")
            .WithSummary("Who the caller is signed in as, their release roles and the commands they may send.")
            .RequireAuthorization(OperatorAuthentication.SignedInPolicy)
            .ProducesProblem(StatusCodes.Status401Unauthorized);
        return endpoints;
    }

    public static Ok<SignedInOperatorResponse> GetSignedInOperator(System.Security.Claims.ClaimsPrincipal user)
    {
        var signedIn = SignedInOperator.From(user) ?? new SignedInOperator(user.Identity?.Name ?? "unknown", "unknown", [], null);
        var commands = Enum.GetValues<ReleaseCommandKind>()
            .Where(kind => kind != ReleaseCommandKind.Status && ReleaseRoles.Grants(user, ReleaseRoles.RequiredFor(kind)))
            .Where(kind => kind is not (ReleaseCommandKind.Approve or ReleaseCommandKind.Reject) || signedIn.GitHubLogin is not null)
            .Select(kind => kind.ToString().ToLowerInvariant())
            .ToArray();
        return TypedResults.Ok(new SignedInOperatorResponse(
            signedIn.Name, signedIn.SignIn, signedIn.Roles, signedIn.GitHubLogin, ReleaseRoles.Grants(user, ReleaseRoles.Read), commands));
    }
}

/// <summary>The signed-in caller: <see cref="CanRead"/> false means they hold no release role; <see cref="Commands"/> are the command words they may send.</summary>
public sealed record SignedInOperatorResponse(string Name, string SignIn, IReadOnlyList<string> Roles, string? GitHubLogin, bool CanRead, IReadOnlyList<string> Commands);
