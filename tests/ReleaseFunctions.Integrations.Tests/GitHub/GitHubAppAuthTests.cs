using ReleaseFunctions.Integrations.Tests.Support;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using ReleaseFunctions.Core.Ports;
using ReleaseFunctions.Integrations.GitHub.Client;
using static ReleaseFunctions.Integrations.Tests.GitHub.GitHubClientTestKit;

namespace ReleaseFunctions.Integrations.Tests.GitHub;

public sealed class GitHubAppAuthTests
{
    private const long AppId = 987654;
    private const string TokenPath = "/app/installations/45678901/access_tokens";

    [Theory]
    [InlineData("pkcs1")]
    [InlineData("pkcs8")]
    public async Task The_App_JWT_is_RS256_signed_with_the_right_claims(string format)
    {
        using var key = RSA.Create(2048);
        await using var server = await FakeGitHubServer.StartAsync();
        var clock = Clock();
        ScriptTokens(server, clock);
        using var client = AppClient(server, clock, format == "pkcs1" ? key.ExportRSAPrivateKeyPem() : key.ExportPkcs8PrivateKeyPem());

        await client.GetPolicyFileAsync(Repo, "main", Installation, default);

        var tokenRequest = Assert.Single(server.RequestsTo("POST", TokenPath));
        var jwt = tokenRequest.Header("Authorization")!["Bearer ".Length..];
        var validation = await new JsonWebTokenHandler().ValidateTokenAsync(jwt, new TokenValidationParameters
        {
            IssuerSigningKey = new RsaSecurityKey(key.ExportParameters(false)),
            ValidIssuer = AppId.ToString(),
            ValidateAudience = false,
            ValidateLifetime = false, // checked below against the fake clock, not the machine's
        });
        Assert.True(validation.IsValid, validation.Exception?.Message);
        var token = (JsonWebToken)validation.SecurityToken;
        Assert.Equal("RS256", token.Alg);
        var now = WebhookTestKit.Start.ToUnixTimeSeconds();
        Assert.Equal(now - 60, token.GetPayloadValue<long>("iat"));
        Assert.Equal(now + 540, token.GetPayloadValue<long>("exp"));
        Assert.Equal("application/vnd.github+json", tokenRequest.Header("Accept"));
    }

    [Fact]
    public async Task The_installation_token_is_cached_and_renewed_shortly_before_it_expires()
    {
        using var key = RSA.Create(2048);
        await using var server = await FakeGitHubServer.StartAsync();
        var clock = Clock();
        ScriptTokens(server, clock);
        using var client = AppClient(server, clock, key.ExportPkcs8PrivateKeyPem());

        for (var i = 0; i < 3; i++)
        {
            await client.GetPolicyFileAsync(Repo, "main", Installation, default);
        }

        clock.Advance(TimeSpan.FromMinutes(54)); // 6 minutes left: still used
        await client.GetPolicyFileAsync(Repo, "main", Installation, default);
        Assert.Single(server.RequestsTo("POST", TokenPath));

        clock.Advance(TimeSpan.FromMinutes(2)); // 4 minutes left: inside the 5-minute margin
        await client.GetPolicyFileAsync(Repo, "main", Installation, default);

        Assert.Equal(2, server.RequestsTo("POST", TokenPath).Count);
        var bearers = server.RequestsTo("GET", ".*/contents/.*").Select(r => r.Header("Authorization")).ToList();
        Assert.Equal(["Bearer ghs_1", "Bearer ghs_1", "Bearer ghs_1", "Bearer ghs_1", "Bearer ghs_2"], bearers);
    }

    [Fact]
    public async Task A_refused_installation_token_is_dropped_and_a_new_one_fetched()
    {
        using var key = RSA.Create(2048);
        await using var server = await FakeGitHubServer.StartAsync();
        var clock = Clock();
        ScriptTokens(server, clock);
        server.On("GET", ".*/teams/.*", r => r.Header("Authorization") == "Bearer ghs_1"
            ? new FakeResponse(401, """{"message":"Bad credentials"}""")
            : FakeResponse.Ok("""{"state":"active","role":"member"}"""));
        using var client = AppClient(server, clock, key.ExportPkcs8PrivateKeyPem());

        var refused = await Assert.ThrowsAsync<IntegrationException>(() => client.IsActiveTeamMemberAsync("Contoso", "sre", "mona", Installation, default));
        Assert.Equal(IntegrationFailureKind.Unauthorized, refused.Kind);
        Assert.True(await client.IsActiveTeamMemberAsync("Contoso", "sre", "mona", Installation, default));
        Assert.Equal(2, server.RequestsTo("POST", TokenPath).Count);
    }

    [Fact]
    public async Task App_calls_need_an_installation_id()
    {
        using var key = RSA.Create(2048);
        await using var server = await FakeGitHubServer.StartAsync();
        using var client = AppClient(server, Clock(), key.ExportPkcs8PrivateKeyPem());

        var e = await Assert.ThrowsAsync<IntegrationException>(() => client.GetPolicyFileAsync(Repo, "main", null, default));
        Assert.Equal(IntegrationFailureKind.Unauthorized, e.Kind);
        Assert.Contains("installation id", e.Message);
        Assert.Empty(server.Requests);
    }

    [Fact]
    public async Task A_token_request_GitHub_refuses_fails_clearly()
    {
        using var key = RSA.Create(2048);
        await using var server = await FakeGitHubServer.StartAsync();
        server.On("POST", TokenPath, _ => new FakeResponse(401, """{"message":"'Expiration time' claim ('exp') is too far in the future"}"""));
        using var client = AppClient(server, Clock(), key.ExportPkcs8PrivateKeyPem());

        var e = await Assert.ThrowsAsync<IntegrationException>(() => client.GetPolicyFileAsync(Repo, "main", Installation, default));
        Assert.Equal(IntegrationFailureKind.Unauthorized, e.Kind);
        Assert.Contains($"POST {TokenPath} answered 401", e.Message);
        Assert.Contains("\"'Expiration time' claim ('exp') is too far in the future\"", e.Message);
    }

    [Fact]
    public async Task As_an_App_only_its_own_comment_with_the_marker_is_the_status_comment()
    {
        using var key = RSA.Create(2048);
        await using var server = await FakeGitHubServer.StartAsync();
        var clock = Clock();
        ScriptTokens(server, clock);
        var marker = ReleaseStatusComment.Marker(Release).Replace("\"", "\\\"");
        server.On("GET", ".*/issues/42/comments", _ => FakeResponse.Ok($$$"""
                [{"id":11,"body":"{{{marker}}} pasted by a person","performed_via_github_app":null},
                 {"id":12,"body":"{{{marker}}} from another app","performed_via_github_app":{"id":1,"slug":"other"}},
                 {"id":13,"body":"{{{marker}}}\n### status","performed_via_github_app":{"id":{{{AppId}}},"slug":"release-functions"}}]
                """))
              .On("PATCH", ".*/issues/comments/13", _ => FakeResponse.Ok("""{"id":13}"""));
        using var client = AppClient(server, clock, key.ExportPkcs8PrivateKeyPem());

        Assert.Equal(13, await client.UpsertStatusCommentAsync(Status(), Installation, default));
        Assert.Single(server.RequestsTo("PATCH", ".*"));
    }

    private static GitHubClient AppClient(FakeHttpServer server, TestTimeProvider clock, string pem) =>
        new(new HttpClient(), new GitHubClientOptions { BaseAddress = server.BaseAddress, AppId = AppId, AppPrivateKeyPem = pem }, clock);

    /// <summary>Installation tokens ghs_1, ghs_2, ... valid for one hour from the fake clock's now, as GitHub issues them.</summary>
    private static void ScriptTokens(FakeHttpServer server, TestTimeProvider clock)
    {
        var issued = 0;
        server.On("POST", TokenPath, _ => FakeResponse.Created(new JsonObject
        {
            ["token"] = $"ghs_{Interlocked.Increment(ref issued)}",
            ["expires_at"] = clock.GetUtcNow().AddHours(1).ToString("yyyy-MM-ddTHH:mm:ssZ"),
            ["permissions"] = new JsonObject { ["issues"] = "write", ["checks"] = "write", ["deployments"] = "write" },
            ["repository_selection"] = "selected",
        }.ToJsonString()));
    }
}
