using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using ReleaseFunctions.Core.Ports;
using ReleaseFunctions.Core.Releases;
using ReleaseFunctions.Tests.Support;

namespace ReleaseFunctions.Tests.PolicySources;

/// <summary>Without GitHub, the app's policy folder decides, so approvals can be tried locally.</summary>
public sealed class PolicyFolderAppTests
{
    private const string ReleaseInstance = "release-contoso.checkout-api-pr42-9f1c2e3d4b5a";

    private const string ApprovalFirst = """
        version: 1
        stages:
          - name: production
            target: { provider: sandbox }
            strategy:
              canary:
                steps:
                  - { weight: 10, soak: 1m }
            approvals:
              - teams: [contoso/sre]
                quorum: 1
        """;

    [Fact]
    public async Task A_file_in_the_policy_folder_asks_for_an_approval_and_an_approve_comment_from_an_approver_lets_the_release_go_on()
    {
        using var app = new ReleaseAppFactory(new Dictionary<string, string?> { ["ReleaseFunctions:Approvers:Teams:0"] = "contoso/sre=mona" });
        Directory.CreateDirectory(Path.Combine(app.ContentRoot, "policies", "contoso"));
        File.WriteAllText(Path.Combine(app.ContentRoot, "policies", "contoso", "checkout-api.yml"), ApprovalFirst);

        Assert.Equal(HttpStatusCode.Accepted, (await app.DeliverAsync("pull_request", ReleaseAppFactory.Payload("pull_request.closed.merged"))).StatusCode);
        await Eventually.ReturnsAsync(async () => await app.Ledger.GetReleaseAsync(ReleaseInstance, default) is { Status: ReleaseStatus.WaitingForApproval } r ? r : null,
            "the release waiting for the approval its policy file asks for");
        Assert.Empty(app.Target.Shifts);

        // mona comments "/Approve canary error rate is flat".
        var approved = await app.DeliverAsync("issue_comment", ReleaseAppFactory.Payload("issue_comment.created"));

        Assert.Equal("command-sent", (await Answer(approved)).GetProperty("status").GetString());
        await Eventually.ReturnsAsync(async () => app.Target.Shifts.FirstOrDefault() is { CandidateWeightPercent: 10 } shift ? shift : null, "the first canary step after the approval");
        var trail = await app.Ledger.GetAuditTrailAsync(ReleaseInstance, default);
        Assert.Contains(trail, r => r.Kind == "approval-given" && r.Actor == "mona");
        var received = Assert.Single(trail, r => r.Kind == "release-received");
        Assert.EndsWith($"policy from policy folder {Path.Combine(app.ContentRoot, "policies")}: {Path.Combine("contoso", "checkout-api.yml")}", received.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_policy_folder_that_is_set_but_missing_stops_the_app_naming_the_setting()
    {
        using var app = new ReleaseAppFactory(new Dictionary<string, string?> { ["ReleaseFunctions:Policies:Folder"] = "no-such-policies" });

        var error = Assert.ThrowsAny<Exception>(() => app.Services.GetRequiredService<IStartupValidator>().Validate());

        Assert.Contains($"ReleaseFunctions__Policies__Folder is 'no-such-policies' ({Path.Combine(app.ContentRoot, "no-such-policies")}), which is not an existing folder; expected a folder of policy files named 'owner/repo.yml'",
            Flatten(error), StringComparison.Ordinal);
    }

    [Fact]
    public void A_relative_policy_folder_missing_under_the_content_root_is_the_one_shipped_beside_the_app()
    {
        // As `dotnet run --project src/ReleaseFunctions` from the repository's root: the content root has no policies folder.
        using var app = new ReleaseAppFactory(new Dictionary<string, string?> { ["ReleaseFunctions:Policies:Folder"] = "policies" });
        Assert.False(Directory.Exists(Path.Combine(app.ContentRoot, "policies")));

        app.Services.GetRequiredService<IStartupValidator>().Validate();
        var folder = app.Services.GetRequiredService<IOptions<ReleaseFunctions.Policy.PolicyFolderOptions>>().Value.Folder;

        Assert.Equal(Path.Combine(AppContext.BaseDirectory, "policies"), folder);
        Assert.True(File.Exists(Path.Combine(folder, "contoso", "checkout-api.yml")));
    }

    private static string Flatten(Exception exception) => exception switch
    {
        OptionsValidationException validation => string.Join("\n", validation.Failures),
        AggregateException aggregate => string.Join("\n", aggregate.InnerExceptions.Select(Flatten)),
        _ => exception.InnerException is { } inner ? Flatten(inner) : exception.Message,
    };

    private static async Task<JsonElement> Answer(HttpResponseMessage response)
    {
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return document.RootElement.Clone();
    }
}
