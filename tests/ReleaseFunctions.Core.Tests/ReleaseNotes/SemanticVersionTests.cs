using ReleaseFunctions.Core.ReleaseNotes;

namespace ReleaseFunctions.Core.Tests.ReleaseNotes;

public sealed class SemanticVersionTests
{
    [Theory]
    [InlineData("1.2.3", "1.2.3")]
    [InlineData("v1.2.3", "1.2.3")]
    [InlineData("V0.1.0", "0.1.0")]
    [InlineData(" 2.0.0-rc.1 ", "2.0.0-rc.1")]
    [InlineData("10.20.30", "10.20.30")]
    public void Versions_are_read_with_or_without_a_v(string text, string expected)
        => Assert.Equal(expected, SemanticVersion.Parse(text).ToString());

    [Theory]
    [InlineData("1.2")]
    [InlineData("01.2.3")]
    [InlineData("1.2.3.4")]
    [InlineData("v")]
    [InlineData("version1")]
    [InlineData("1.2.3-")]
    [InlineData("")]
    public void Anything_else_is_refused_saying_what_a_version_looks_like(string text)
    {
        var e = Assert.Throws<FormatException>(() => SemanticVersion.Parse(text));
        Assert.Equal($"expected a semantic version such as 2.3.0 or 2.3.0-rc.1 (major.minor.patch, no leading zeros), got '{text}'", e.Message);
    }

    [Fact]
    public void Build_metadata_is_refused_since_it_does_not_order_releases()
    {
        var e = Assert.Throws<FormatException>(() => SemanticVersion.Parse("1.2.3+build.7"));
        Assert.Contains("without build metadata", e.Message);
        Assert.Null(SemanticVersion.FromTag("v1.2.3+build.7", "v"));
    }

    [Fact]
    public void The_constructor_checks_its_parts()
    {
        Assert.Equal("1.2.3-beta.2", new SemanticVersion(1, 2, 3, "beta.2").ToString());
        Assert.Throws<ArgumentOutOfRangeException>(() => new SemanticVersion(-1, 0, 0));
        Assert.Contains("is not a pre-release", Assert.Throws<ArgumentException>(() => new SemanticVersion(1, 0, 0, "rc..1")).Message);
    }

    [Theory]
    [InlineData("1.2.3", VersionBump.Patch, "1.2.4")]
    [InlineData("1.2.3", VersionBump.Minor, "1.3.0")]
    [InlineData("1.2.3", VersionBump.Major, "2.0.0")]
    [InlineData("0.1.0", VersionBump.Minor, "0.2.0")]
    [InlineData("0.9.9", VersionBump.Major, "1.0.0")]
    // A pre-release becomes its own release when the bump is the one it leads up to (as npm's semver increments).
    [InlineData("1.3.0-rc.1", VersionBump.Minor, "1.3.0")]
    [InlineData("1.3.0-rc.1", VersionBump.Patch, "1.3.0")]
    [InlineData("2.0.0-rc.1", VersionBump.Major, "2.0.0")]
    [InlineData("1.3.1-rc.1", VersionBump.Minor, "1.4.0")]
    [InlineData("1.3.0-rc.1", VersionBump.Major, "2.0.0")]
    public void Bumps_move_one_part_up_and_reset_the_ones_after_it(string from, VersionBump bump, string expected)
        => Assert.Equal(expected, SemanticVersion.Parse(from).Bump(bump).ToString());

    [Fact]
    public void Versions_order_by_semver_precedence()
    {
        var ordered = new[] { "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-beta", "1.0.0-rc.1", "1.0.0", "1.0.1", "1.10.0", "2.0.0" }.Select(SemanticVersion.Parse).ToArray();

        Assert.Equal(ordered, ordered.Reverse().Order().ToArray());
        Assert.True(SemanticVersion.Parse("1.10.0") > SemanticVersion.Parse("1.9.0"));
        Assert.True(SemanticVersion.Parse("1.0.0-rc.1") < SemanticVersion.Parse("1.0.0"));
        Assert.Equal(SemanticVersion.Parse("v1.2.3"), SemanticVersion.Parse("1.2.3"));
        Assert.Equal(SemanticVersion.Parse("v1.2.3").GetHashCode(), SemanticVersion.Parse("1.2.3").GetHashCode());
    }

    [Theory]
    [InlineData("v1.2.3", "v", "1.2.3")]
    [InlineData("checkout/v2.0.0-rc.1", "checkout/v", "2.0.0-rc.1")]
    [InlineData("1.2.3", "", "1.2.3")]
    [InlineData("v1.2.3", "", null)] // without a prefix, tags are bare versions
    [InlineData("shop-v1.2.3", "v", null)]
    [InlineData("v1.2", "v", null)]
    [InlineData("vnext", "v", null)]
    public void Tags_name_a_version_only_as_prefix_then_version(string tag, string prefix, string? expected)
        => Assert.Equal(expected, SemanticVersion.FromTag(tag, prefix)?.ToString());

    [Fact]
    public void A_tag_is_the_prefix_then_the_version()
        => Assert.Equal("checkout/v1.4.0", SemanticVersion.Parse("1.4.0").Tag("checkout/v"));
}
