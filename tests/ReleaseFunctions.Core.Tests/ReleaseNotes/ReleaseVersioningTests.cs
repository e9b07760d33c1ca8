using ReleaseFunctions.Core.ReleaseNotes;

namespace ReleaseFunctions.Core.Tests.ReleaseNotes;

public sealed class ReleaseVersioningTests
{
    private const string Head = "0123456789abcdef0123456789abcdef01234567";
    private const string Before = "fedcba9876543210fedcba9876543210fedcba98";

    private static readonly PreviousVersion Previous = new(SemanticVersion.Parse("1.4.2"), Before, "release r-41");

    private static MergedPullRequest Pr(int number, params string[] labels) => new(number, $"Change {number}", "dev" + number, labels);

    [Fact]
    public void The_first_version_is_the_initial_one_whatever_the_labels()
    {
        var decision = ReleaseVersioning.Decide(ReleaseNotesPolicy.Default, null, Head, [Pr(7, "major")]);

        Assert.Equal("0.1.0", decision.Version!.ToString());
        Assert.Null(decision.Bump);
        Assert.Equal("0.1.0: the first version (release.version.initial), no version was released before", decision.Reason);
    }

    [Theory]
    [InlineData(new[] { "bug" }, new[] { "docs" }, "1.4.3", VersionBump.Patch)]
    [InlineData(new[] { "feature" }, new[] { "bug" }, "1.5.0", VersionBump.Minor)]
    [InlineData(new[] { "Minor" }, new string[0], "1.5.0", VersionBump.Minor)] // labels compare as GitHub does, case-insensitively
    [InlineData(new[] { "minor" }, new[] { "breaking" }, "2.0.0", VersionBump.Major)]
    public void The_largest_bump_any_merged_pull_request_asks_for_wins(string[] first, string[] second, string expected, VersionBump bump)
    {
        var decision = ReleaseVersioning.Decide(ReleaseNotesPolicy.Default, Previous, Head, [Pr(41, first), Pr(42, second)]);

        Assert.Equal((expected, bump), (decision.Version!.ToString(), decision.Bump!.Value));
        Assert.Null(decision.Refusal);
    }

    [Fact]
    public void The_reason_names_the_pull_requests_that_asked()
    {
        Assert.Equal("1.5.0: minor after 1.4.2, #41 is labelled 'feature', #43 is labelled 'minor'",
            ReleaseVersioning.Decide(ReleaseNotesPolicy.Default, Previous, Head, [Pr(41, "feature"), Pr(42, "bug"), Pr(43, "minor")]).Reason);
        Assert.Equal("1.4.3: patch after 1.4.2, none of the 2 pull requests merged is labelled major, breaking, minor, feature",
            ReleaseVersioning.Decide(ReleaseNotesPolicy.Default, Previous, Head, [Pr(41, "bug"), Pr(42)]).Reason);
        Assert.Equal("1.4.3: patch after 1.4.2, #41 is labelled none of major, breaking, minor, feature",
            ReleaseVersioning.Decide(ReleaseNotesPolicy.Default, Previous, Head, [Pr(41)]).Reason);
    }

    [Fact]
    public void The_policy_names_its_own_labels()
    {
        var policy = new ReleaseNotesPolicy(majorLabels: ["semver:major"], minorLabels: ["semver:minor"]);

        Assert.Equal("1.4.3", ReleaseVersioning.Decide(policy, Previous, Head, [Pr(1, "major", "minor")]).Version!.ToString());
        Assert.Equal("2.0.0", ReleaseVersioning.Decide(policy, Previous, Head, [Pr(1, "semver:major")]).Version!.ToString());
    }

    [Fact]
    public void A_fixed_version_from_the_policy_must_be_newer_than_the_previous_one()
    {
        var policy = new ReleaseNotesPolicy(VersionSource.Policy, SemanticVersion.Parse("2.0.0"));

        var first = ReleaseVersioning.Decide(policy, null, Head, [Pr(1, "bug")]);
        Assert.Equal(("2.0.0", "2.0.0: the policy's release.version.value (no version was released before)"), (first.Version!.ToString(), first.Reason));
        Assert.Equal("2.0.0", ReleaseVersioning.Decide(policy, Previous, Head, [Pr(1, "bug")]).Version!.ToString());

        var stale = ReleaseVersioning.Decide(policy, Previous with { Version = SemanticVersion.Parse("2.0.0") }, Head, [Pr(1)]);
        Assert.Null(stale.Version);
        Assert.Equal("the policy's release.version.value 2.0.0 is not newer than the previous version 2.0.0 (release r-41); raise it above 2.0.0 in the policy for the next release", stale.Refusal);
    }

    [Fact]
    public void A_commit_released_before_keeps_its_version()
    {
        var decision = ReleaseVersioning.Decide(ReleaseNotesPolicy.Default, Previous with { CommitSha = Head.ToUpperInvariant() }, Head, [Pr(1, "major")]);

        Assert.True(decision.AlreadyReleased);
        Assert.Equal("1.4.2", decision.Version!.ToString());
        Assert.Equal("1.4.2: the merge commit was released as v1.4.2 before (release r-41)", decision.Reason);
    }
}

public sealed class ReleaseNotesMarkdownTests
{
    [Fact]
    public void Pull_requests_go_under_the_first_group_with_one_of_their_labels_and_the_rest_under_other_changes()
    {
        MergedPullRequest[] merged =
        [
            new(101, "Faster checkout", "carol", ["feature"]),
            new(102, "Fix the rounding of totals", "erin", ["bug", "feature"]), // the first group that takes it: Features
            new(103, "Bump the logging library", "dependabot[bot]", ["dependencies"]),
            new(104, "Refund API v2", "dave", ["Breaking"]),
            new(105, "Null total on empty carts", "frank", ["fix"]),
        ];

        var notes = ReleaseNotesMarkdown.Render(ReleaseNotesPolicy.Default, merged, "v1.4.2");

        Assert.Equal("""
            Changes since v1.4.2.

            ### Breaking changes

            - #104 Refund API v2 (@dave)

            ### Features

            - #101 Faster checkout (@carol)
            - #102 Fix the rounding of totals (@erin)

            ### Fixes

            - #105 Null total on empty carts (@frank)

            ### Other changes

            - #103 Bump the logging library (@dependabot[bot])

            """.ReplaceLineEndings("\n"), notes);
    }

    [Fact]
    public void The_policy_names_its_own_groups_in_its_own_order_and_empty_ones_are_left_out()
    {
        var policy = new ReleaseNotesPolicy(groups: [new NoteGroup("Fixes", ["bug"]), new NoteGroup("Features", ["feature"]), new NoteGroup("Docs", ["docs"])]);

        var notes = ReleaseNotesMarkdown.Render(policy, [new(7, "New search", "ann", ["feature"]), new(8, "Crash on start", "bo", ["bug"])], null);

        Assert.Equal("The first version.\n\n### Fixes\n\n- #8 Crash on start (@bo)\n\n### Features\n\n- #7 New search (@ann)\n", notes);
    }

    [Theory]
    [InlineData("Two\nlines\r\n  here", "ann", "- #9 Two lines here (@ann)")]
    [InlineData("  ", "ann", "- #9 (no title) (@ann)")]
    [InlineData("Title", "", "- #9 Title")]
    [InlineData("Title", "@ann", "- #9 Title (@ann)")]
    public void Each_pull_request_is_one_line(string title, string author, string expected)
        => Assert.Equal(expected, ReleaseNotesMarkdown.Line(new MergedPullRequest(9, title, author, [])));

    [Fact]
    public void Policies_refuse_what_would_make_notes_or_tags_ambiguous()
    {
        Assert.Contains("both a major and a minor", Assert.Throws<ArgumentException>(() => new ReleaseNotesPolicy(majorLabels: ["big"], minorLabels: ["BIG"])).Message);
        Assert.Contains("'Other changes' is the heading", Assert.Throws<ArgumentException>(() => new ReleaseNotesPolicy(groups: [new NoteGroup("other changes", ["x"])])).Message);
        Assert.Contains("github_release needs tag: true", Assert.Throws<ArgumentException>(() => new ReleaseNotesPolicy(tag: false)).Message);
        Assert.Contains("needs the version to release", Assert.Throws<ArgumentException>(() => new ReleaseNotesPolicy(VersionSource.Policy)).Message);
        Assert.Contains("A tag prefix is empty or", Assert.Throws<ArgumentException>(() => new ReleaseNotesPolicy(tagPrefix: "v..")).Message);
        Assert.Contains("more than once", Assert.Throws<ArgumentException>(() => new NoteGroup("Fixes", ["bug", "Bug"])).Message);
        Assert.Equal("", new ReleaseNotesPolicy(tagPrefix: "", tag: false, gitHubRelease: false).TagPrefix);
        Assert.Equal("checkout/v", new ReleaseNotesPolicy(tagPrefix: "checkout/v").TagPrefix);
    }
}
