using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using ReleaseFunctions.Releases;
using ReleaseFunctions.Tests.Support;
using EventRaisedEvent = ReleaseFunctions.Durable.EventRaisedEvent;

namespace ReleaseFunctions.Tests.Api;

/// <summary>Who may do what: API keys with roles, Entra ID through App Service Authentication, and bearer tokens from an issuer.</summary>
public sealed class OperatorAccessTests
{
    private const string ReleaseInstance = "release-contoso.checkout-api-pr42-9f1c2e3d4b5a";
    private const string NoRelease = "release-octo.none-pr1-000000000000";
    private const string ReaderKey = "reader-key-0123456789abcdef";
    private const string OperateKey = "operate-key-0123456789abcdef";
    private const string ApproveKey = "approve-key-0123456789abcdef";
    private const string AdminKey = "admin-key-0123456789abcdef";

    private static readonly Dictionary<string, string?> Keys = new()
    {
        ["ReleaseFunctions:Operator:ApiKeys"] = $"reader:Release.Read:{ReaderKey},oncall:Release.Operate:{OperateKey},carol:Release.Approve:{ApproveKey},root:Release.Admin:{AdminKey}",
    };

    /// <summary>
    /// Each role against each kind of request. A command the caller may send gets past authorization to the release
    /// lookup (404 for a release that does not exist); one it may not is a 403 naming the role.
    /// </summary>
    [Theory]
    [InlineData(ReaderKey, "GET /api/releases", 200)]
    [InlineData(ReaderKey, "GET /api/dora", 200)]
    [InlineData(ReaderKey, "GET /api/releases/" + NoRelease + "/timeline", 404)]
    [InlineData(ReaderKey, "POST pause", 403)]
    [InlineData(ReaderKey, "POST rollback", 403)]
    [InlineData(ReaderKey, "POST approve", 403)]
    [InlineData(OperateKey, "GET /api/releases", 200)]
    [InlineData(OperateKey, "POST pause", 404)]
    [InlineData(OperateKey, "POST resume", 404)]
    [InlineData(OperateKey, "POST promote", 404)]
    [InlineData(OperateKey, "POST rollback", 404)]
    [InlineData(OperateKey, "POST abort", 404)]
    [InlineData(OperateKey, "POST approve", 403)]
    [InlineData(OperateKey, "POST reject", 403)]
    [InlineData(ApproveKey, "GET /api/releases", 200)]
    [InlineData(ApproveKey, "POST approve", 404)]
    [InlineData(ApproveKey, "POST reject", 404)]
    [InlineData(ApproveKey, "POST rollback", 403)]
    [InlineData(ApproveKey, "POST pause", 403)]
    [InlineData(AdminKey, "POST approve", 404)]
    [InlineData(AdminKey, "POST abort", 404)]
    [InlineData(AdminKey, "GET /api/dora/summaries", 200)]
    public async Task Each_role_is_allowed_and_refused_exactly_what_it_should(string key, string request, int expected)
    {
        using var app = new ReleaseAppFactory(Keys);
        var client = app.CreateOperatorClient(key);

        var response = request.StartsWith("GET ", StringComparison.Ordinal)
            ? await client.GetAsync(request[4..])
            : await client.PostAsync($"/api/releases/{NoRelease}/commands/{request[5..]}", null);

        Assert.Equal((HttpStatusCode)expected, response.StatusCode);
        if (expected == 403)
        {
            var problem = await Json(response);
            var role = request.EndsWith("approve", StringComparison.Ordinal) || request.EndsWith("reject", StringComparison.Ordinal) ? "Release.Approve" : "Release.Operate";
            Assert.Equal(role, problem.GetProperty("requiredRole").GetString());
            Assert.Contains($"this needs the role {role}", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task The_signed_in_operator_is_named_with_their_roles_and_the_commands_they_may_send()
    {
        using var app = new ReleaseAppFactory(Keys);
        using var withOldKeys = new ReleaseAppFactory();

        var reader = await Json(await app.CreateOperatorClient(ReaderKey).GetAsync("/api/me"));
        var oncall = await Json(await app.CreateOperatorClient(OperateKey).GetAsync("/api/me"));
        var unnamed = await Json(await withOldKeys.CreateOperatorClient(ReleaseAppFactory.AnonymousKey).GetAsync("/api/me"));

        Assert.Equal("reader", reader.GetProperty("name").GetString());
        Assert.Equal("api-key", reader.GetProperty("signIn").GetString());
        Assert.Equal(["Release.Read"], Strings(reader, "roles"));
        Assert.True(reader.GetProperty("canRead").GetBoolean());
        Assert.Empty(Strings(reader, "commands"));
        Assert.Equal(["promote", "pause", "resume", "rollback", "abort"], Strings(oncall, "commands"));
        // A key without roles holds Release.Admin, as every key did before keys had roles.
        Assert.Equal(["Release.Admin"], Strings(unnamed, "roles"));
        Assert.Equal(["approve", "reject", "promote", "pause", "resume", "rollback", "abort"], Strings(unnamed, "commands"));
    }

    [Fact]
    public async Task Behind_App_Service_Authentication_the_platforms_principal_signs_a_person_in_with_their_app_roles()
    {
        using var app = new ReleaseAppFactory(new Dictionary<string, string?>(Keys)
        {
            ["ReleaseFunctions:Operator:TrustAppServiceAuthentication"] = "true",
            ["WEBSITE_AUTH_ENABLED"] = "True",
            ["ReleaseFunctions:Operator:GitHubLogins"] = "dana@contoso.com=dana-gh",
        });

        var dana = await Json(await app.CreateEntraClient("dana@contoso.com", "Release.Read", "Release.Approve").GetAsync("/api/me"));
        var erin = await app.CreateEntraClient("erin@contoso.com").GetAsync("/api/releases");
        var erinUnmapped = await app.CreateEntraClient("erin@contoso.com", "Release.Approve").PostAsync($"/api/releases/{NoRelease}/commands/approve", null);
        var garbage = app.CreateClient();
        garbage.DefaultRequestHeaders.Add("X-MS-CLIENT-PRINCIPAL", "not base64 at all");
        var anonymous = await app.CreateClient().GetAsync("/api/releases");

        Assert.Equal("dana@contoso.com", dana.GetProperty("name").GetString());
        Assert.Equal("entra-id", dana.GetProperty("signIn").GetString());
        Assert.Equal("dana-gh", dana.GetProperty("gitHubLogin").GetString());
        Assert.Equal(["approve", "reject"], Strings(dana, "commands"));
        // A person without a role is told which one to ask for.
        Assert.Equal(HttpStatusCode.Forbidden, erin.StatusCode);
        Assert.Contains("erin@contoso.com (entra-id) holds no release role; this needs the role Release.Read", (await Json(erin)).GetProperty("detail").GetString(), StringComparison.Ordinal);
        // Approvals are judged as a GitHub login: a person who maps to none cannot approve.
        Assert.Equal(HttpStatusCode.Forbidden, erinUnmapped.StatusCode);
        Assert.Contains("maps to no GitHub login", (await Json(erinUnmapped)).GetProperty("detail").GetString(), StringComparison.Ordinal);
        var bad = await garbage.GetAsync("/api/releases");
        Assert.Equal(HttpStatusCode.Unauthorized, bad.StatusCode);
        Assert.Contains("the X-MS-CLIENT-PRINCIPAL header is not base64-encoded JSON", (await Json(bad)).GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal("/.auth/login/aad?post_login_redirect_uri=/", (await Json(anonymous)).GetProperty("signIn").GetString());
    }

    [Fact]
    public async Task The_principal_header_is_ignored_when_the_app_is_not_configured_to_trust_it()
    {
        using var untrusted = new ReleaseAppFactory(Keys);
        using var notBehindThePlatform = new ReleaseAppFactory(new Dictionary<string, string?>(Keys) { ["ReleaseFunctions:Operator:TrustAppServiceAuthentication"] = "true" });

        var response = await untrusted.CreateEntraClient("mallory@evil.example", "Release.Admin").GetAsync("/api/releases");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("no API key was presented", (await Json(response)).GetProperty("detail").GetString(), StringComparison.Ordinal);
        // Asking to trust it where the platform does not run is refused at start.
        var start = Assert.ThrowsAny<Exception>(() => notBehindThePlatform.Services.GetRequiredService<IStartupValidator>().Validate());
        Assert.Contains("WEBSITE_AUTH_ENABLED is not 'True'", Flatten(start), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bearer_tokens_from_the_issuer_are_validated_and_forged_expired_or_foreign_ones_refused()
    {
        using var issuer = new FakeTokenIssuer();
        using var app = new ReleaseAppFactory(new Dictionary<string, string?>(Keys).With(issuer.Settings));
        var now = app.Time.GetUtcNow();
        var pipeline = new Dictionary<string, object> { ["azp"] = "6a1c2d3e-pipeline", ["oid"] = "0b7e-pipeline", ["roles"] = new[] { "Release.Operate" } };

        var valid = await Json(await Bearer(app, issuer.Issue(now, pipeline)).GetAsync("/api/me"));
        var allowed = await Bearer(app, issuer.Issue(now, pipeline)).PostAsync($"/api/releases/{NoRelease}/commands/rollback", null);
        var refused = await Bearer(app, issuer.Issue(now, pipeline)).PostAsync($"/api/releases/{NoRelease}/commands/approve", null);
        var forged = await Bearer(app, issuer.Forge(now, pipeline)).GetAsync("/api/releases");
        var expired = await Bearer(app, issuer.Issue(now.AddHours(-3), pipeline, expires: now.AddMinutes(-2))).GetAsync("/api/releases");
        var foreign = await Bearer(app, issuer.Issue(now, pipeline, audience: "api://someone-else")).GetAsync("/api/releases");
        // The app's clock, not the machine's, says when a token ends: an hour later it has.
        var token = issuer.Issue(now, pipeline);
        app.Time.Advance(TimeSpan.FromMinutes(62));
        var later = await Bearer(app, token).GetAsync("/api/releases");

        Assert.Equal("app:6a1c2d3e-pipeline", valid.GetProperty("name").GetString());
        Assert.Equal("bearer-token", valid.GetProperty("signIn").GetString());
        Assert.Equal(["Release.Operate"], Strings(valid, "roles"));
        Assert.Equal(HttpStatusCode.NotFound, allowed.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.All([forged, expired, foreign, later], r => Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode));
        Assert.Contains("signature does not verify with the issuer's published keys", await Detail(forged), StringComparison.Ordinal);
        Assert.Contains($"the bearer token expired at {now.AddMinutes(-2).UtcDateTime:yyyy-MM-ddTHH:mm:ss}", await Detail(expired), StringComparison.Ordinal);
        Assert.Contains($"is for another audience; expected {FakeTokenIssuer.Audience}", await Detail(foreign), StringComparison.Ordinal);
        Assert.Contains("the bearer token expired at", await Detail(later), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_directory_attribute_in_the_token_can_name_the_GitHub_login_and_a_setting_wins_over_it()
    {
        using var issuer = new FakeTokenIssuer();
        using var app = new ReleaseAppFactory(new Dictionary<string, string?>(Keys)
        {
            ["ReleaseFunctions:Operator:GitHubLoginClaim"] = "github_login",
            ["ReleaseFunctions:Operator:GitHubLogins"] = "hana@contoso.com=hana-from-settings",
        }.With(issuer.Settings));
        var now = app.Time.GetUtcNow();

        var ivan = await Json(await Bearer(app, issuer.Issue(now, new Dictionary<string, object> { ["preferred_username"] = "ivan@contoso.com", ["github_login"] = "ivan-gh", ["roles"] = new[] { "Release.Approve" } })).GetAsync("/api/me"));
        var hana = await Json(await Bearer(app, issuer.Issue(now, new Dictionary<string, object> { ["preferred_username"] = "hana@contoso.com", ["github_login"] = "hana-gh", ["roles"] = new[] { "Release.Approve" } })).GetAsync("/api/me"));
        var junk = await Json(await Bearer(app, issuer.Issue(now, new Dictionary<string, object> { ["preferred_username"] = "jo@contoso.com", ["github_login"] = "not a login!", ["roles"] = new[] { "Release.Approve" } })).GetAsync("/api/me"));

        Assert.Equal("ivan-gh", ivan.GetProperty("gitHubLogin").GetString());
        Assert.Equal(["approve", "reject"], Strings(ivan, "commands"));
        Assert.Equal("hana-from-settings", hana.GetProperty("gitHubLogin").GetString());
        Assert.Equal(JsonValueKind.Null, junk.GetProperty("gitHubLogin").ValueKind);
        Assert.Empty(Strings(junk, "commands"));
    }

    [Fact]
    public async Task The_command_names_the_person_and_how_they_signed_in_and_acts_as_their_GitHub_login()
    {
        using var issuer = new FakeTokenIssuer();
        using var app = new ReleaseAppFactory(new Dictionary<string, string?>(Keys)
        {
            ["ReleaseFunctions:Operator:GitHubLogins"] = "frank@contoso.com=frank-gh",
        }.With(issuer.Settings));
        await app.DeliverAsync("pull_request", ReleaseAppFactory.Payload("pull_request.closed.merged"));
        var frank = issuer.Issue(app.Time.GetUtcNow(), new Dictionary<string, object> { ["preferred_username"] = "frank@contoso.com", ["oid"] = "7d1f-frank", ["roles"] = new[] { "Release.Operate" } });

        var response = await Bearer(app, frank).PostAsync($"/api/releases/{ReleaseInstance}/commands/pause",
            new StringContent("{\"comment\": \"checking the dashboards\"}", Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal("frank-gh", (await Json(response)).GetProperty("actor").GetString());
        var raised = await Eventually.ReturnsAsync(async () =>
            (await app.HistoryAsync(ReleaseInstance)).OfType<EventRaisedEvent>().FirstOrDefault(e => e.Name == ReleaseEvents.Command),
            "the command event in the release's history");
        using var sent = JsonDocument.Parse(raised.Input!);
        Assert.Equal("frank-gh", sent.RootElement.GetProperty("actor").GetString());
        Assert.Equal("frank@contoso.com", sent.RootElement.GetProperty("signedInAs").GetString());
        Assert.Equal("bearer-token", sent.RootElement.GetProperty("signIn").GetString());
        var paused = await Eventually.ReturnsAsync(async () =>
            (await app.Ledger.GetAuditTrailAsync(ReleaseInstance, CancellationToken.None)).FirstOrDefault(r => r.Kind == "paused"), "the pause in the audit trail");
        Assert.Equal("frank-gh", paused.Actor);
        using var evidence = JsonDocument.Parse(paused.EvidenceJson);
        Assert.Equal("frank@contoso.com", evidence.RootElement.GetProperty("signedInAs").GetString());
        Assert.Equal("bearer-token", evidence.RootElement.GetProperty("signIn").GetString());
    }

    private static HttpClient Bearer(ReleaseAppFactory app, string token)
    {
        var client = app.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    private static async Task<JsonElement> Json(HttpResponseMessage response)
    {
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return document.RootElement.Clone();
    }

    private static async Task<string> Detail(HttpResponseMessage response) => (await Json(response)).GetProperty("detail").GetString()!;

    private static string[] Strings(JsonElement element, string property) => element.GetProperty(property).EnumerateArray().Select(e => e.GetString()!).ToArray();

    private static string Flatten(Exception ex) => ex.InnerException is null ? ex.Message : ex.Message + " | " + Flatten(ex.InnerException);
}

internal static class SettingsDictionary
{
    public static Dictionary<string, string?> With(this Dictionary<string, string?> settings, IDictionary<string, string?> more)
    {
        foreach (var (key, value) in more)
        {
            settings[key] = value;
        }

        return settings;
    }
}
