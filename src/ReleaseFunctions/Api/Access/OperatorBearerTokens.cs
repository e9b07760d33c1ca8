using System.Globalization;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.IdentityModel.Tokens;
using ReleaseFunctions.Hosting.Settings;

namespace ReleaseFunctions.Api.Access;

/// <summary>
/// Bearer tokens for automation (a pipeline, a bot) from the configured OpenID Connect issuer, e.g. Entra ID's v2.0
/// endpoint: JwtBearer validates the issuer (from the issuer's metadata), the audience, the signature (the issuer's
/// published keys) and the lifetime, on the app's clock. The token's <c>roles</c> are the caller's release roles.
/// </summary>
internal static class OperatorBearerTokens
{
    /// <summary>How far a token's times may be off the app's clock.</summary>
    private static readonly TimeSpan ClockSkew = TimeSpan.FromMinutes(1);

    /// <summary>Whether the request presents a JWT (three dot-separated parts) as its bearer token; an API key has no dots.</summary>
    public static bool IsPresented(HttpRequest request)
    {
        var authorization = request.Headers.Authorization.ToString();
        const string Bearer = "Bearer ";
        return authorization.StartsWith(Bearer, StringComparison.OrdinalIgnoreCase)
            && authorization.AsSpan(Bearer.Length).Trim().Count('.') == 2;
    }

    public static void Configure(JwtBearerOptions jwt, OperatorOptions settings, TimeProvider time)
    {
        if (!settings.Jwt.Enabled)
        {
            return;
        }

        var authority = new Uri(settings.Jwt.Authority!.Trim());
        jwt.Authority = authority.ToString();
        // The metadata names the keys signatures are checked with, so it comes over TLS; a loopback issuer (a test's,
        // or a local one) is on this machine.
        jwt.RequireHttpsMetadata = !authority.IsLoopback;
        jwt.MapInboundClaims = false;
        jwt.TimeProvider = time;
        jwt.TokenValidationParameters = new TokenValidationParameters
        {
            ValidateIssuer = true,
            ValidateAudience = true,
            ValidAudiences = settings.Jwt.Audiences,
            ValidateIssuerSigningKey = true,
            RequireSignedTokens = true,
            RequireExpirationTime = true,
            ValidateLifetime = true,
            LifetimeValidator = (notBefore, expires, _, _) => ValidLifetime(notBefore, expires, time.GetUtcNow().UtcDateTime),
            NameClaimType = "preferred_username",
            RoleClaimType = "roles",
        };
        jwt.Events = new JwtBearerEvents
        {
            OnTokenValidated = context =>
            {
                var logins = context.HttpContext.RequestServices.GetRequiredService<OperatorGitHubLogins>();
                var signedIn = EntraIdClaims.ToOperator(context.Principal!.Claims.ToArray(), SignedInOperator.BearerToken, logins);
                if (signedIn is null)
                {
                    context.Fail("the bearer token names nobody (no name, client id, object id or subject claim)");
                }
                else
                {
                    context.Principal = signedIn.ToPrincipal(context.Scheme.Name);
                }

                return Task.CompletedTask;
            },
            OnChallenge = async context =>
            {
                context.HandleResponse();
                context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                context.Response.Headers.WWWAuthenticate = "Bearer error=\"invalid_token\"";
                await TypedResults.Problem(
                    title: "Unauthorized",
                    statusCode: StatusCodes.Status401Unauthorized,
                    detail: $"{Why(context.AuthenticateFailure, settings)}; expected 'Authorization: Bearer <token>' from {settings.Jwt.Authority} for {string.Join(" or ", settings.Jwt.Audiences)}, or an operator API key")
                    .ExecuteAsync(context.HttpContext);
            },
        };
    }

    private static bool ValidLifetime(DateTime? notBefore, DateTime? expires, DateTime now)
    {
        if (expires is not { } end)
        {
            throw new SecurityTokenNoExpirationException("the bearer token has no expiry ('exp')");
        }

        if (end.ToUniversalTime() + ClockSkew <= now)
        {
            throw new SecurityTokenExpiredException($"the bearer token expired at {end.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture)}") { Expires = end };
        }

        if (notBefore is { } start && start.ToUniversalTime() - ClockSkew > now)
        {
            throw new SecurityTokenNotYetValidException($"the bearer token is not valid before {start.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture)}") { NotBefore = start };
        }

        return true;
    }

    /// <summary>What was wrong with the token, in words (IdentityModel's own messages hide the values).</summary>
    private static string Why(Exception? failure, OperatorOptions settings) => failure switch
    {
        null => "no valid bearer token was presented",
        SecurityTokenExpiredException or SecurityTokenNotYetValidException or SecurityTokenNoExpirationException => failure.Message,
        SecurityTokenSignatureKeyNotFoundException or SecurityTokenInvalidSignatureException => "the bearer token's signature does not verify with the issuer's published keys",
        SecurityTokenInvalidAudienceException => $"the bearer token is for another audience; expected {string.Join(" or ", settings.Jwt.Audiences)}",
        SecurityTokenInvalidIssuerException => $"the bearer token is from another issuer; expected {settings.Jwt.Authority}",
        SecurityTokenMalformedException or ArgumentException => "the bearer token is not a well-formed JWT",
        InvalidOperationException or HttpRequestException => $"the issuer's keys could not be read from {settings.Jwt.Authority} ({failure.Message})",
        AuthenticationFailureException => failure.Message,
        _ => $"the bearer token is not valid ({failure.GetType().Name})",
    };
}
