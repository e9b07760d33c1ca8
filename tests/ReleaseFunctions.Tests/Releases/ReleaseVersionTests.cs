using System.Text.Json;
using Microsoft.DurableTask;
using ReleaseFunctions.Core.Audit;
using ReleaseFunctions.Core.Ports;
using ReleaseFunctions.Core.ReleaseNotes;
using ReleaseFunctions.Core.Releases;
using ReleaseFunctions.Releases;

namespace ReleaseFunctions.Tests.Releases;

/// <summary>
/// Versions and release notes of promoted releases (policy <c>release</c>), through the engine: the version from the
/// previous promoted release and the merged pull requests' labels, the tag and the GitHub release made once however
/// often the step runs, a tag elsewhere never moved, and a failure that is recorded and never changes the promotion.
/// </summary>
public sealed class ReleaseVersionTests
{
    private static readonly string Policy = Policies.Canary(extraPolicy: "release: {}");

    private static ReleaseRequest Second => ReleaseWorkflowHarness.LaterMerge() with { Labels = ["minor"] };

    private static async Task<JsonElement> PromotedWithAsync(ReleaseWorkflowHarness h, ReleaseRequest request, string kind = "release-version")
    {
        var id = await h.StartReleaseAsync(request);
        await h.RunAsync(id);
        Assert.Equal(ReleaseStatus.Promoted, (await h.OutcomeAsync(id)).Status);
        var trail = await h.AuditAsync(id);
        Assert.Equal(ReleaseStatus.Promoted, (await h.Ledger.GetReleaseAsync(id, default))!.Status);
        Assert.True(AuditChain.Verify(trail, InMemoryLedger.ChainKey).IsIntact);
        var record = Assert.Single(trail, r => r.Kind is "release-version" or "release-notes-failed");
        Assert.Equal(kind, record.Kind);
        Assert.True(trail.ToList().FindIndex(r => r.Kind == "promoted") < trail.ToList().IndexOf(record), "the version is recorded after the promotion");
        using var evidence = JsonDocument.Parse(record.EvidenceJson);
        var root = evidence.RootElement.Clone();
        return JsonDocument.Parse(JsonSerializer.Serialize(new { reason = record.Reason, evidence = root })).RootElement.Clone();
    }

    private static string Text(JsonElement element, params string[] path) => path.Aggregate(element, (e, p) => e.GetProperty(p)).GetString()!;

    [Fact]
    public async Task Two_promotions_in_a_row_are_the_first_version_then_a_minor_one_with_notes_tag_and_release()
    {
        await using var h = await ReleaseWorkflowHarness.StartAsync(Policy);
        var first = ReleaseWorkflowHarness.Merge();

        var v1 = await PromotedWithAsync(h, first);

        Assert.Equal(("0.1.0", "v0.1.0"), (Text(v1, "evidence", "version"), Text(v1, "evidence", "tag")));
        Assert.Equal(JsonValueKind.Null, v1.GetProperty("evidence").GetProperty("previousVersion").ValueKind);
        Assert.Equal(("created", "created"), (Text(v1, "evidence", "tagResult", "state"), Text(v1, "evidence", "gitHubRelease", "state")));
        Assert.Equal("https://github.com/contoso/shop/releases/tag/v0.1.0", Text(v1, "evidence", "gitHubRelease", "url"));
        Assert.Equal(["latest v", "tag v0.1.0 Created", "release v0.1.0 created"], h.Publisher.Calls);
        Assert.Equal(first.MergeCommitSha, h.Publisher.Tags["v0.1.0"]);
        Assert.Equal("The first version.\n\n### Other changes\n\n- #42 Faster checkout (@carol)\n", Text(v1, "evidence", "notes"));

        // GitHub lists what was merged since the first release's commit: this one, labelled minor.
        var second = Second;
        h.Publisher.Merged = (from, to) => from == first.MergeCommitSha && to == second.MergeCommitSha ? [new MergedPullRequest(43, "Cheaper shipping", "erin", ["minor"])] : [];
        h.Publisher.Calls.Clear();

        var v2 = await PromotedWithAsync(h, second);

        var evidence = v2.GetProperty("evidence");
        Assert.Equal(("0.2.0", "v0.2.0", "minor", "0.1.0"), (Text(evidence, "version"), Text(evidence, "tag"), Text(evidence, "bump"), Text(evidence, "previousVersion")));
        Assert.Equal(first.MergeCommitSha, Text(evidence, "previousCommitSha"));
        Assert.StartsWith($"release {first.Id.InstanceId}, promoted ", Text(evidence, "previousFrom")); // from the ledger, no GitHub call
        Assert.Equal("Changes since v0.1.0.\n\n### Features\n\n- #43 Cheaper shipping (@erin)\n", Text(evidence, "notes"));
        Assert.Equal([43], evidence.GetProperty("pullRequests").EnumerateArray().Select(p => p.GetProperty("number").GetInt32()));
        Assert.Equal($"v0.2.0 (0.2.0: minor after 0.1.0, #43 is labelled 'minor'); 1 pull request in the notes; tag created (on {second.MergeCommitSha[..12]}); "
                     + "GitHub release created https://github.com/contoso/shop/releases/tag/v0.2.0", Text(v2, "reason"));
        Assert.Equal([$"compare {first.MergeCommitSha}...{second.MergeCommitSha}", "tag v0.2.0 Created", "release v0.2.0 created"], h.Publisher.Calls);
        var published = h.Publisher.Releases["v0.2.0"];
        Assert.Equal(("v0.2.0", second.MergeCommitSha, false), (published.Name, published.CommitSha, published.Prerelease));
        Assert.Equal(Text(evidence, "notes"), published.Body);
    }

    [Fact]
    public async Task A_replayed_step_makes_one_tag_and_one_release()
    {
        var attempts = 0;
        await using var h = await ReleaseWorkflowHarness.StartAsync(Policy, decorateActivity: (name, activity) =>
            name == nameof(PublishReleaseVersion) ? new LosesItsFirstAnswer(activity, () => Interlocked.Increment(ref attempts) == 1) : activity);

        var v1 = await PromotedWithAsync(h, ReleaseWorkflowHarness.Merge());

        Assert.Equal(2, attempts);
        Assert.Equal("0.1.0", Text(v1, "evidence", "version"));
        Assert.Equal(("existed", "existed"), (Text(v1, "evidence", "tagResult", "state"), Text(v1, "evidence", "gitHubRelease", "state")));
        Assert.Equal(["latest v", "tag v0.1.0 Created", "release v0.1.0 created", "latest v", "tag v0.1.0 Existed", "release v0.1.0 existed"], h.Publisher.Calls);
        Assert.Single(h.Publisher.Tags);
        Assert.Single(h.Publisher.Releases);
    }

    [Fact]
    public async Task Promoting_a_commit_released_before_keeps_its_version_and_makes_nothing_new()
    {
        await using var h = await ReleaseWorkflowHarness.StartAsync(Policy);
        var first = ReleaseWorkflowHarness.Merge();
        await PromotedWithAsync(h, first);
        h.Publisher.Calls.Clear();

        // The same merge commit released again under another pull request (a re-run), labelled major.
        var again = await PromotedWithAsync(h, first with { PullRequest = 44, Labels = ["major"] });

        Assert.Equal("0.1.0", Text(again, "evidence", "version"));
        Assert.True(again.GetProperty("evidence").GetProperty("alreadyReleased").GetBoolean());
        Assert.Equal(["tag v0.1.0 Existed", "release v0.1.0 existed"], h.Publisher.Calls);
        Assert.Single(h.Publisher.Releases);
    }

    [Fact]
    public async Task Without_GitHub_the_version_is_still_computed_and_recorded_and_publishing_is_skipped_with_why()
    {
        const string why = "no GitHub credentials are configured: set ReleaseFunctions__GitHub__Token";
        await using var h = await ReleaseWorkflowHarness.StartAsync(Policy);
        h.Publisher.Unavailable = why;

        var v1 = await PromotedWithAsync(h, ReleaseWorkflowHarness.Merge());
        var v2 = await PromotedWithAsync(h, Second);

        Assert.Equal("0.1.0", Text(v1, "evidence", "version"));
        var evidence = v2.GetProperty("evidence");
        Assert.Equal(("0.2.0", "minor"), (Text(evidence, "version"), Text(evidence, "bump")));
        Assert.Equal($"this pull request only, as the release ledger knows it: {why}", Text(evidence, "pullRequestsFrom"));
        Assert.Equal("Changes since v0.1.0.\n\n### Features\n\n- #43 Cheaper shipping (@erin)\n", Text(evidence, "notes"));
        Assert.Equal(("skipped", why), (Text(evidence, "tagResult", "state"), Text(evidence, "tagResult", "detail")));
        Assert.Equal(("skipped", why), (Text(evidence, "gitHubRelease", "state"), Text(evidence, "gitHubRelease", "detail")));
        Assert.Contains($"tag skipped: {why}; GitHub release skipped: {why}", Text(v2, "reason"));
        Assert.Empty(h.Publisher.Calls);
    }

    [Fact]
    public async Task A_tag_of_the_version_on_another_commit_is_never_moved_and_the_release_stays_promoted()
    {
        const string elsewhere = "abcdefabcdefabcdefabcdefabcdefabcdefabcd";
        await using var h = await ReleaseWorkflowHarness.StartAsync(Policy);
        await PromotedWithAsync(h, ReleaseWorkflowHarness.Merge());
        h.Publisher.Tags["v0.2.0"] = elsewhere; // made by hand

        var failed = await PromotedWithAsync(h, Second, kind: "release-notes-failed");

        Assert.Equal(elsewhere, h.Publisher.Tags["v0.2.0"]);
        Assert.False(h.Publisher.Releases.ContainsKey("v0.2.0"));
        var evidence = failed.GetProperty("evidence");
        Assert.Equal(("on-another-commit", elsewhere), (Text(evidence, "tagResult", "state"), Text(evidence, "tagResult", "detail")));
        Assert.Equal($"no version was published: tag v0.2.0 is already on commit {elsewhere}, not on this release's merge commit {Second.MergeCommitSha}; a tag is never moved, "
                     + "so neither it nor a GitHub release was made (if v0.2.0 is wrong, delete it and promote again; if it is right, this release needs another version); the release stays promoted",
            Text(failed, "reason"));
    }

    [Fact]
    public async Task GitHub_failing_after_the_retries_is_recorded_and_the_release_stays_promoted()
    {
        await using var h = await ReleaseWorkflowHarness.StartAsync(Policy);
        var first = ReleaseWorkflowHarness.Merge();
        await PromotedWithAsync(h, first);
        var asked = 0;
        h.Publisher.Merged = (_, _) =>
        {
            Interlocked.Increment(ref asked);
            throw new IntegrationException("GitHub", IntegrationFailureKind.Unavailable, "GET /repos/contoso/shop/compare answered 503 Service Unavailable after 4 retries", 503);
        };

        var failed = await PromotedWithAsync(h, Second, kind: "release-notes-failed");

        Assert.Equal(3, asked); // the step's own retries
        Assert.Equal("no version was published: GitHub: GET /repos/contoso/shop/compare answered 503 Service Unavailable after 4 retries; the release stays promoted", Text(failed, "reason"));
        Assert.Equal(Second.MergeCommitSha, Text(failed, "evidence", "commitSha"));
        Assert.DoesNotContain("v0.2.0", h.Publisher.Tags.Keys);

        // The next promotion compares from the last version that was published.
        var third = new ReleaseRequest("contoso/shop", 45, "5555555555555555555555555555555555555555", "shop", "Gift cards", "gus", ReleaseWorkflowHarness.Start, ["bug"]);
        h.Publisher.Merged = (from, _) => from == first.MergeCommitSha ? [new MergedPullRequest(43, "Cheaper shipping", "erin", ["minor"]), new MergedPullRequest(45, "Gift cards", "gus", ["bug"])] : [];
        var v2 = await PromotedWithAsync(h, third);

        Assert.Equal("0.2.0", Text(v2, "evidence", "version"));
        Assert.Equal("Changes since v0.1.0.\n\n### Features\n\n- #43 Cheaper shipping (@erin)\n\n### Fixes\n\n- #45 Gift cards (@gus)\n", Text(v2, "evidence", "notes"));
    }

    [Fact]
    public async Task A_fixed_version_not_newer_than_the_previous_one_is_refused_and_recorded()
    {
        await using var h = await ReleaseWorkflowHarness.StartAsync(Policies.Canary(extraPolicy: "release: { version: 1.0.0 }"));
        var v1 = await PromotedWithAsync(h, ReleaseWorkflowHarness.Merge());
        Assert.Equal("1.0.0", Text(v1, "evidence", "version"));

        var refused = await PromotedWithAsync(h, Second, kind: "release-notes-failed");

        Assert.Contains("the policy's release.version.value 1.0.0 is not newer than the previous version 1.0.0", Text(refused, "reason"));
        Assert.Equal(["v1.0.0"], h.Publisher.Tags.Keys);
    }

    [Fact]
    public async Task Without_a_release_section_a_promotion_records_no_version()
    {
        await using var h = await ReleaseWorkflowHarness.StartAsync(Policies.Canary());
        var id = await h.StartReleaseAsync(ReleaseWorkflowHarness.Merge());
        await h.RunAsync(id);

        Assert.Equal(ReleaseStatus.Promoted, (await h.OutcomeAsync(id)).Status);
        Assert.DoesNotContain(await h.AuditAsync(id), r => r.Kind is "release-version" or "release-notes-failed");
        Assert.Empty(h.Publisher.Calls);
    }

    /// <summary>Runs the step, then loses its answer the first time (a worker that stopped before the engine saved it): the engine runs it again.</summary>
    private sealed class LosesItsFirstAnswer(ITaskActivity inner, Func<bool> first) : ITaskActivity
    {
        public Type InputType => inner.InputType;
        public Type OutputType => inner.OutputType;

        public async Task<object?> RunAsync(TaskActivityContext context, object? input)
        {
            var output = await inner.RunAsync(context, input);
            return first() ? throw new InvalidOperationException("the worker stopped before its answer was saved") : output;
        }
    }
}
