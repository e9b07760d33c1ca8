using System.Text;
using ReleaseFunctions.Core.Gates;
using ReleaseFunctions.Core.Policy;
using ReleaseFunctions.Core.Releases;
using ReleaseFunctions.Integrations.GitHub.Client;
using ReleaseFunctions.Policy;
using ReleaseFunctions.Tests.Support;

namespace ReleaseFunctions.Tests.PolicySources;

public sealed class PolicyAdapterTests
{
    private static readonly ReleaseId Release = new("Contoso/checkout-api", 42, "9f1c2e3d4b5a69788796a5b4c3d2e1f0a9b8c7d6");

    [Fact]
    public void The_default_policy_from_settings_is_a_valid_policy_file_with_the_documented_defaults()
    {
        var yaml = DefaultReleasePolicy.Render(new DefaultReleasePolicyOptions(), "sandbox");

        var parsed = ReleasePolicyParser.Parse(yaml);

        Assert.True(parsed.IsValid, parsed.Describe());
        var stage = Assert.Single(parsed.Policy!.Stages);
        Assert.Equal("production", stage.Name);
        Assert.Equal("sandbox", stage.Target.Provider);
        var canary = Assert.IsType<CanaryStrategy>(stage.Strategy);
        Assert.Equal([(10, TimeSpan.FromMinutes(2)), (50, TimeSpan.FromMinutes(2))], canary.Steps.Select(s => (s.WeightPercent, s.Soak)));
        var objectives = stage.Gate!.Objectives;
        Assert.Equal(["error_rate", "latency_p99_ms"], objectives.Select(o => o.Name));
        Assert.All(objectives, o => Assert.Equal("sandbox", o.Provider));
        Assert.Equal(("error_rate", true, true), (objectives[0].Query, objectives[0].Critical, objectives[0].MustHaveData));
        Assert.IsType<AbsoluteCriterion>(Assert.Single(objectives[0].Pass));
        Assert.Equal("latency_p99_ms", objectives[1].Query);
        // An absolute limit: a relative one rolls back healthy releases on a few samples of sub-millisecond latencies.
        Assert.Equal(500, Assert.IsType<AbsoluteCriterion>(Assert.Single(objectives[1].Pass)).Threshold);
        Assert.Equal(TimeSpan.FromHours(24), parsed.Policy.ReviewDelay);
        Assert.Equal((TimeSpan.FromMinutes(1), 3), (stage.Gate.Analysis.Interval, stage.Gate.Analysis.Count));
    }

    [Fact]
    public void Settings_change_the_default_policy_and_it_still_parses()
    {
        var options = new DefaultReleasePolicyOptions
        {
            TargetProvider = "container-apps",
            TargetParameters = new Dictionary<string, string> { ["resource_id"] = "/subscriptions/00000000-0000-0000-0000-000000001111/resourceGroups/shop/providers/Microsoft.App/containerApps/shop" },
            CanarySteps = [5, 25, 100],
            Soak = TimeSpan.FromSeconds(90),
            SliProvider = "prometheus",
            ReviewDelay = TimeSpan.FromDays(2) + TimeSpan.FromHours(3),
            LatencyP99LimitMs = 250.5,
        };

        var parsed = ReleasePolicyParser.Parse(DefaultReleasePolicy.Render(options, "sandbox"));

        Assert.True(parsed.IsValid, parsed.Describe());
        var stage = parsed.Policy!.Stages[0];
        Assert.Equal("container-apps", stage.Target.Provider);
        Assert.EndsWith("/containerApps/shop", stage.Target.Parameters["resource_id"]);
        Assert.Equal([5, 25, 100], ((CanaryStrategy)stage.Strategy).Steps.Select(s => s.WeightPercent));
        Assert.All(((CanaryStrategy)stage.Strategy).Steps, s => Assert.Equal(TimeSpan.FromSeconds(90), s.Soak));
        Assert.All(stage.Gate!.Objectives, o => Assert.Equal("prometheus", o.Provider));
        Assert.Equal(TimeSpan.FromHours(51), parsed.Policy.ReviewDelay);
        Assert.Equal("< 250.5", stage.Gate.Objectives[1].Pass.Single().Text);
    }

    [Fact]
    public async Task Without_GitHub_a_repository_file_in_the_policy_folder_applies_and_a_repository_without_one_gets_the_default()
    {
        var folder = Directory.CreateTempSubdirectory("releasefunctions-policies-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(folder, "contoso"));
            File.WriteAllText(Path.Combine(folder, "contoso", "checkout-api.yml"), "version: 1\n# checkout\n");
            var defaults = new DefaultPolicyDocument(new("default policy from settings", DefaultReleasePolicy.Render(new DefaultReleasePolicyOptions(), "sandbox"), true));
            var source = new FolderPolicySource(new PolicyFolderOptions { Folder = folder }, defaults);

            var found = await source.ReadAsync(Release, null, default); // "Contoso/checkout-api": owner and name compare case-insensitively
            var missing = await source.ReadAsync(new ReleaseId("contoso/shop", 1, Release.MergeCommitSha), null, default);
            var noFolder = await new FolderPolicySource(new PolicyFolderOptions { Folder = Path.Combine(folder, "absent") }, defaults).ReadAsync(Release, null, default);

            Assert.False(found.IsDefault);
            Assert.Equal("version: 1\n# checkout\n", found.Yaml);
            Assert.Equal($"policy folder {folder}: {Path.Combine("contoso", "checkout-api.yml")}", found.Location);
            Assert.All([missing, noFolder], d => Assert.Equal(defaults.Document.Yaml, d.Yaml));
            Assert.All([missing, noFolder], d => Assert.True(d.IsDefault));
            Assert.Null(FolderPolicySource.Find(Path.Combine(folder, "contoso"), new Integrations.GitHub.GitHubRepositoryName("..", "contoso")));
            Assert.Equal($"default policy from settings (no contoso/shop.yml in the policy folder {folder})", missing.Location);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void The_shipped_policy_folder_has_a_valid_policy_with_an_approval_step_for_the_repository_the_scripts_and_sample_settings_use()
    {
        var root = Hosting.LocalSettingsTests.FindRepositoryRoot();
        var sendMerge = File.ReadAllText(Path.Combine(root, "scripts", "send-merge.sh"));
        var sendComment = File.ReadAllText(Path.Combine(root, "scripts", "send-comment.sh"));
        var sample = File.ReadAllText(Path.Combine(root, "local.settings.sample.json"));

        var file = FolderPolicySource.Find(Path.Combine(root, "src", "ReleaseFunctions", PolicyFolderOptions.DefaultFolder), Integrations.GitHub.GitHubRepositoryName.Parse("contoso/checkout-api"));
        Assert.NotNull(file);
        var parsed = ReleasePolicyParser.Parse(File.ReadAllText(file));

        Assert.True(parsed.IsValid, parsed.Describe());
        var stage = Assert.Single(parsed.Policy!.Stages);
        var approval = Assert.Single(stage.Approvals);
        Assert.Equal(2, approval.BeforeStep);
        Assert.Equal("contoso/sre", Assert.Single(approval.Teams));
        Assert.Contains("repo=\"${2:-contoso/checkout-api}\"", sendMerge, StringComparison.Ordinal);
        Assert.Contains("repo=\"${3:-contoso/checkout-api}\"", sendComment, StringComparison.Ordinal);
        Assert.Contains("\"ReleaseFunctions__GitHub__Services__0\": \"contoso/checkout-api=checkout-api\"", sample, StringComparison.Ordinal);
        Assert.Contains("\"ReleaseFunctions__Approvers__Teams__0\": \"contoso/sre=alice,bob\"", sample, StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_GitHub_the_file_at_the_merge_commit_applies_and_a_repository_without_one_gets_the_default()
    {
        using var gitHub = await FakeGitHub.StartAsync();
        using var client = Client(gitHub);
        var defaults = new DefaultPolicyDocument(new("default policy from settings", "version: 1", true));
        var source = new GitHubPolicySource(client, defaults);
        var text = "version: 1\nstages: []\n";
        gitHub.Respond("/contents/.github/release-policy.yml", 200,
            $"{{\"type\":\"file\",\"encoding\":\"base64\",\"sha\":\"b1\",\"content\":\"{Convert.ToBase64String(Encoding.UTF8.GetBytes(text))}\"}}");

        var found = await source.ReadAsync(Release, 77, default);
        gitHub.Respond("/contents/.github/release-policy.yml", 404, "{\"message\":\"Not Found\"}");
        var missing = await source.ReadAsync(Release, 77, default);

        Assert.Equal(text, found.Yaml);
        Assert.False(found.IsDefault);
        Assert.Equal("contoso/checkout-api@9f1c2e3d4b5a:.github/release-policy.yml", found.Location);
        Assert.Contains("ref=9f1c2e3d4b5a69788796a5b4c3d2e1f0a9b8c7d6", gitHub.Requests.First().Path, StringComparison.Ordinal);
        Assert.True(missing.IsDefault);
        Assert.Equal("version: 1", missing.Yaml);
        Assert.Contains("has no .github/release-policy.yml at 9f1c2e3d4b5a", missing.Location, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Team_membership_comes_from_GitHub_active_memberships()
    {
        using var gitHub = await FakeGitHub.StartAsync();
        using var client = Client(gitHub);
        gitHub.Respond("/orgs/contoso/teams/sre/memberships/mona", 200, "{\"state\":\"active\",\"role\":\"member\"}");
        gitHub.Respond("/orgs/contoso/teams/release-managers/memberships/mona", 200, "{\"state\":\"pending\",\"role\":\"member\"}");
        gitHub.Respond("/orgs/contoso/teams/dba/memberships/mona", 404, "{\"message\":\"Not Found\"}");

        var teams = await new GitHubApproverDirectory(client).TeamsOfAsync("mona", ["contoso/sre", "contoso/release-managers", "contoso/dba"], 77, default);

        Assert.Equal(["contoso/sre"], teams);
        await Assert.ThrowsAsync<ArgumentException>(() => new GitHubApproverDirectory(client).TeamsOfAsync("mona", ["sre"], 77, default));
    }

    [Fact]
    public async Task Without_GitHub_team_membership_comes_from_settings()
    {
        var directory = new SettingsApproverDirectory(new ApproverTeamsOptions
        {
            Teams = new Dictionary<string, IReadOnlySet<string>>
            {
                ["contoso/sre"] = new HashSet<string>(["alice", "Mona"], StringComparer.OrdinalIgnoreCase),
                ["contoso/dba"] = new HashSet<string>(["bob"], StringComparer.OrdinalIgnoreCase),
            },
        });

        var teams = await directory.TeamsOfAsync("mona", ["Contoso/SRE", "contoso/dba", "contoso/unknown"], null, default);

        Assert.Equal(["Contoso/SRE"], teams);
    }

    internal static GitHubClient Client(FakeGitHub gitHub)
        => new(new HttpClient(), new GitHubClientOptions { BaseAddress = gitHub.BaseAddress, Token = "ghs_test", MaxRetryAttempts = 0 }, new FakeTimeProvider(TestClock.At(2026, 11, 23, 14, 30)));
}
