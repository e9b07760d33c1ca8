using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using ReleaseFunctions.Hosting.Settings;

namespace ReleaseFunctions.Api.Access;

/// <summary>
/// Who may use the dashboard and the operator API. One scheme, <see cref="SchemeName"/>, picks per request how the
/// caller signed in: App Service Authentication's principal (Entra ID; only when trusted), a bearer token from the
/// configured issuer (a JWT), or an operator API key. Each role in <see cref="ReleaseRoles"/> is an authorization policy
/// of that name; a caller without it gets a 403 problem naming the role.
/// </summary>
public static class OperatorAuthentication
{
    /// <summary>The scheme endpoints authenticate with; it forwards to the one the request's credentials are for.</summary>
    public const string SchemeName = "Operator";

    /// <summary>The policy of <c>GET /api/me</c>: signed in, whatever the roles.</summary>
    public const string SignedInPolicy = "signed-in";

    internal const string BearerTokenScheme = "OperatorBearerToken";

    public static IServiceCollection AddOperatorAuthentication(this IServiceCollection services)
    {
        services.AddSingleton<OperatorKeys>();
        services.AddSingleton<OperatorGitHubLogins>();
        services.AddSingleton<IAuthorizationHandler, ReleaseRoleHandler>();
        services.AddSingleton<IAuthorizationMiddlewareResultHandler, ReleaseRoleForbiddenResultHandler>();
        services.AddAuthentication(SchemeName)
            .AddPolicyScheme(SchemeName, "Operator sign-in", scheme => scheme.ForwardDefaultSelector = SchemeFor)
            .AddScheme<AuthenticationSchemeOptions, OperatorKeyAuthenticationHandler>(OperatorKeyAuthenticationHandler.SchemeName, null)
            .AddScheme<AuthenticationSchemeOptions, AppServicePrincipalAuthenticationHandler>(AppServicePrincipalAuthenticationHandler.SchemeName, null)
            .AddJwtBearer(BearerTokenScheme);
        services.AddOptions<JwtBearerOptions>(BearerTokenScheme)
            .Configure<IOptions<ReleaseFunctionsOptions>, TimeProvider>((jwt, app, time) => OperatorBearerTokens.Configure(jwt, app.Value.Operator, time));

        var authorization = services.AddAuthorizationBuilder()
            .AddPolicy(SignedInPolicy, policy => policy.AddAuthenticationSchemes(SchemeName).RequireAuthenticatedUser());
        foreach (var role in ReleaseRoles.All)
        {
            authorization.AddPolicy(role, policy => policy.AddAuthenticationSchemes(SchemeName).RequireAuthenticatedUser().AddRequirements(new ReleaseRoleRequirement(role)));
        }

        return services;
    }

    /// <summary>
    /// What <c>RequireAuthorization(role)</c> does for a minimal API endpoint, for an HTTP function: null with
    /// <see cref="HttpContext.User"/> set to the operator, else the 401 challenge or the 403 naming the role.
    /// </summary>
    public static async Task<IResult?> AuthorizeAsync(HttpContext http, string? role)
    {
        ArgumentNullException.ThrowIfNull(http);
        var result = await http.AuthenticateAsync(SchemeName);
        if (!result.Succeeded)
        {
            return TypedResults.Challenge(authenticationSchemes: [SchemeName]);
        }

        http.User = result.Principal;
        return role is null ? null : Forbidden(http.User, role);
    }

    /// <summary>Null when <paramref name="user"/> holds <paramref name="role"/>; else the 403 problem naming it and the roles held.</summary>
    public static ProblemHttpResult? Forbidden(ClaimsPrincipal user, string role)
    {
        ArgumentNullException.ThrowIfNull(user);
        if (ReleaseRoles.Grants(user, role))
        {
            return null;
        }

        var who = SignedInOperator.From(user)?.ToString() ?? user.Identity?.Name ?? "the caller";
        var held = ReleaseRoles.Held(user).OrderBy(ReleaseRoles.Rank).ToArray();
        return TypedResults.Problem(
            title: "Forbidden",
            statusCode: StatusCodes.Status403Forbidden,
            detail: $"{who} holds {(held.Length == 0 ? "no release role" : string.Join(", ", held))}; this needs the role {role} (or {ReleaseRoles.Admin})",
            extensions: new Dictionary<string, object?> { ["requiredRole"] = role, ["heldRoles"] = held });
    }

    private static string SchemeFor(HttpContext context)
    {
        var settings = context.RequestServices.GetRequiredService<IOptions<ReleaseFunctionsOptions>>().Value.Operator;
        if (settings.TrustsAppServicePrincipal && context.Request.Headers.ContainsKey(AppServicePrincipalAuthenticationHandler.PrincipalHeader))
        {
            return AppServicePrincipalAuthenticationHandler.SchemeName;
        }

        return settings.Jwt.Enabled && OperatorBearerTokens.IsPresented(context.Request) ? BearerTokenScheme : OperatorKeyAuthenticationHandler.SchemeName;
    }

    private sealed record ReleaseRoleRequirement(string Role) : IAuthorizationRequirement;

    private sealed class ReleaseRoleHandler : AuthorizationHandler<ReleaseRoleRequirement>
    {
        protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, ReleaseRoleRequirement requirement)
        {
            if (ReleaseRoles.Grants(context.User, requirement.Role))
            {
                context.Succeed(requirement);
            }

            return Task.CompletedTask;
        }
    }

    /// <summary>Turns a refusal for a missing role into the 403 problem naming it (the default answers an empty 403).</summary>
    private sealed class ReleaseRoleForbiddenResultHandler : IAuthorizationMiddlewareResultHandler
    {
        private readonly AuthorizationMiddlewareResultHandler _default = new();

        public async Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
        {
            if (authorizeResult.Forbidden && policy.Requirements.OfType<ReleaseRoleRequirement>().FirstOrDefault() is { } missing
                && Forbidden(context.User, missing.Role) is { } problem)
            {
                await problem.ExecuteAsync(context);
                return;
            }

            await _default.HandleAsync(next, context, policy, authorizeResult);
        }
    }
}
