using System.Diagnostics.CodeAnalysis;
using System.Numerics;
using Semver;

namespace ReleaseFunctions.Core.ReleaseNotes;

/// <summary>Which part of a version a release moves up.</summary>
public enum VersionBump
{
    Patch,
    Minor,
    Major,
}

/// <summary>
/// The semantic version of a promoted release (SemVer 2.0, parsed and ordered by the Semver library): major.minor.patch
/// with an optional pre-release. Build metadata is refused: it does not order versions, so two releases could not be told
/// apart by it, and a tag carrying it would not name one release. Equality and order are SemVer precedence.
/// </summary>
public sealed class SemanticVersion : IEquatable<SemanticVersion>, IComparable<SemanticVersion>
{
    private const int MaxLength = 128;
    private readonly SemVersion _version;

    public SemanticVersion(BigInteger major, BigInteger minor, BigInteger patch, string? prerelease = null)
    {
        if (major < 0 || minor < 0 || patch < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(major), $"A version's major, minor and patch are 0 or more; got {major}.{minor}.{patch}.");
        }

        try
        {
            _version = string.IsNullOrEmpty(prerelease)
                ? new SemVersion(major, minor, patch)
                : SemVersion.ParsedFrom(major, minor, patch, prerelease, "", allowLeadingZeros: false);
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"'{prerelease}' is not a pre-release of a semantic version (dot-separated letters, digits and '-', no leading zeros): {e.Message}", nameof(prerelease), e);
        }
    }

    private SemanticVersion(SemVersion version) => _version = version;

    public BigInteger Major => _version.Major;
    public BigInteger Minor => _version.Minor;
    public BigInteger Patch => _version.Patch;

    /// <summary>The pre-release identifiers ("rc.1"), or empty.</summary>
    public string Prerelease => _version.Prerelease;

    public bool IsPrerelease => _version.IsPrerelease;

    /// <summary>Reads "1.2.3", "1.2.3-rc.1" or, as people write them in a policy, "v1.2.3".</summary>
    /// <exception cref="FormatException">Naming the text and what a version looks like.</exception>
    public static SemanticVersion Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var trimmed = text.Trim();
        var bare = trimmed.Length > 1 && (trimmed[0] is 'v' or 'V') && char.IsAsciiDigit(trimmed[1]) ? trimmed[1..] : trimmed;
        return TryParseStrict(bare, out var version)
            ? version
            : throw new FormatException(Problem(text));
    }

    /// <summary>The version a tag names when it is <paramref name="prefix"/> followed by a version ("v1.2.3" with prefix "v"); null for any other tag.</summary>
    public static SemanticVersion? FromTag(string tag, string prefix)
    {
        ArgumentNullException.ThrowIfNull(tag);
        ArgumentNullException.ThrowIfNull(prefix);
        return tag.StartsWith(prefix, StringComparison.Ordinal) && TryParseStrict(tag[prefix.Length..], out var version) ? version : null;
    }

    /// <summary>What is wrong with a text that is not a version, for a person.</summary>
    public static string Problem(string text) => text.Contains('+', StringComparison.Ordinal)
        ? $"expected a semantic version without build metadata such as 2.3.0 or 2.3.0-rc.1 (metadata after '+' does not order releases), got '{text}'"
        : $"expected a semantic version such as 2.3.0 or 2.3.0-rc.1 (major.minor.patch, no leading zeros), got '{text}'";

    /// <summary>
    /// The next version, as npm's semver increments: a pre-release becomes its own release when the part asked for is the
    /// one it leads up to (1.3.0-rc.1 with minor is 1.3.0); otherwise the part goes up by one and the parts after it are 0.
    /// </summary>
    public SemanticVersion Bump(VersionBump bump)
    {
        var release = _version.WithoutPrereleaseOrMetadata();
        var (major, minor, patch) = (release.Major, release.Minor, release.Patch);
        return bump switch
        {
            VersionBump.Major => IsPrerelease && minor == 0 && patch == 0 ? new(release) : new(new SemVersion(major + 1, 0, 0)),
            VersionBump.Minor => IsPrerelease && patch == 0 ? new(release) : new(new SemVersion(major, minor + 1, 0)),
            VersionBump.Patch => IsPrerelease ? new(release) : new(new SemVersion(major, minor, patch + 1)),
            _ => throw new ArgumentOutOfRangeException(nameof(bump), bump, "A bump is Patch, Minor or Major."),
        };
    }

    /// <summary>The tag naming this version: <paramref name="prefix"/> then the version ("v" gives "v1.2.3").</summary>
    public string Tag(string prefix) => prefix + ToString();

    public override string ToString() => _version.ToString();

    public int CompareTo(SemanticVersion? other) => other is null ? 1 : SemVersion.ComparePrecedence(_version, other._version);

    public bool Equals(SemanticVersion? other) => other is not null && _version.PrecedenceEquals(other._version);

    public override bool Equals(object? obj) => Equals(obj as SemanticVersion);

    public override int GetHashCode() => _version.GetHashCode(); // without metadata, equal precedence is equal text

    public static bool operator ==(SemanticVersion? left, SemanticVersion? right) => left is null ? right is null : left.Equals(right);
    public static bool operator !=(SemanticVersion? left, SemanticVersion? right) => !(left == right);
    public static bool operator <(SemanticVersion left, SemanticVersion right) => Compare(left, right) < 0;
    public static bool operator >(SemanticVersion left, SemanticVersion right) => Compare(left, right) > 0;
    public static bool operator <=(SemanticVersion left, SemanticVersion right) => Compare(left, right) <= 0;
    public static bool operator >=(SemanticVersion left, SemanticVersion right) => Compare(left, right) >= 0;

    private static int Compare(SemanticVersion left, SemanticVersion right)
    {
        ArgumentNullException.ThrowIfNull(left);
        return left.CompareTo(right);
    }

    private static bool TryParseStrict(string text, [NotNullWhen(true)] out SemanticVersion? version)
    {
        version = null;
        if (text.Length == 0 || text.Length > MaxLength || !SemVersion.TryParse(text, SemVersionStyles.Strict, out var parsed) || parsed.Metadata.Length > 0)
        {
            return false;
        }

        version = new SemanticVersion(parsed);
        return true;
    }
}
