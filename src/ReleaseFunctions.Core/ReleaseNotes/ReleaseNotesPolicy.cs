using System.Text.RegularExpressions;

namespace ReleaseFunctions.Core.ReleaseNotes;

/// <summary>Where the version of a promoted release comes from.</summary>
public enum VersionSource
{
    /// <summary>The previous version, bumped by the labels of the pull requests merged since (major, minor, else patch).</summary>
    Labels,
    /// <summary>The version the policy names; refused unless newer than the previous one.</summary>
    Policy,
}

/// <summary>A heading of the release notes and the labels that put a pull request under it.</summary>
public sealed record NoteGroup
{
    public NoteGroup(string title, IReadOnlyList<string> labels)
    {
        if (string.IsNullOrWhiteSpace(title) || title.Contains('\n', StringComparison.Ordinal))
        {
            throw new ArgumentException($"A group of the release notes has a one-line title; got '{title}'.", nameof(title));
        }

        ReleaseNotesPolicy.CheckLabels(labels, $"group '{title}'", nameof(labels));
        Title = title.Trim();
        Labels = labels;
    }

    public string Title { get; }

    /// <summary>A pull request with any of these labels (case-insensitive, as GitHub compares labels) goes under this title.</summary>
    public IReadOnlyList<string> Labels { get; }
}

/// <summary>
/// What a promoted release leaves behind (<c>release</c> in the policy): its semantic version, release notes from the
/// pull requests merged since the previous version (grouped by label), a tag on the merge commit and a GitHub release
/// with the notes. Without it in the policy, a promotion records no version.
/// </summary>
public sealed partial record ReleaseNotesPolicy
{
    /// <summary>The heading of pull requests that no group takes.</summary>
    public const string OtherChanges = "Other changes";

    public static readonly SemanticVersion DefaultInitial = new(0, 1, 0);
    public const string DefaultTagPrefix = "v";
    public static readonly IReadOnlyList<string> DefaultMajorLabels = ["major", "breaking"];
    public static readonly IReadOnlyList<string> DefaultMinorLabels = ["minor", "feature"];

    public static readonly IReadOnlyList<NoteGroup> DefaultGroups =
    [
        new("Breaking changes", ["major", "breaking"]),
        new("Features", ["minor", "feature"]),
        new("Fixes", ["bug", "fix"]),
    ];

    /// <summary>The defaults throughout (<c>release: {}</c>): versions from labels from 0.1.0, tags "v1.2.3", notes, tag and GitHub release.</summary>
    public static ReleaseNotesPolicy Default { get; } = new();

    public ReleaseNotesPolicy(
        VersionSource from = VersionSource.Labels,
        SemanticVersion? fixedVersion = null,
        SemanticVersion? initial = null,
        string tagPrefix = DefaultTagPrefix,
        IReadOnlyList<string>? majorLabels = null,
        IReadOnlyList<string>? minorLabels = null,
        IReadOnlyList<NoteGroup>? groups = null,
        bool notes = true,
        bool tag = true,
        bool gitHubRelease = true)
    {
        if (!Enum.IsDefined(from))
        {
            throw new ArgumentOutOfRangeException(nameof(from), from, "A version comes from labels or from the policy.");
        }

        if ((from == VersionSource.Policy) != (fixedVersion is not null))
        {
            throw new ArgumentException(from == VersionSource.Policy
                ? "A version from the policy needs the version to release (release.version.value, e.g. 2.3.0)."
                : "A fixed version is read only with from: policy; with from: labels the version comes from the labels.", nameof(fixedVersion));
        }

        ArgumentNullException.ThrowIfNull(tagPrefix);
        if (!IsTagPrefix(tagPrefix))
        {
            throw new ArgumentException(
                $"A tag prefix is empty or up to 64 letters, digits, '_', '-', and single '.' or '/' between them, not starting with '-' (so prefix + version is a valid tag name, e.g. 'v' or 'checkout/v'); got '{tagPrefix}'.",
                nameof(tagPrefix));
        }

        MajorLabels = majorLabels ?? DefaultMajorLabels;
        MinorLabels = minorLabels ?? DefaultMinorLabels;
        CheckLabels(MajorLabels, "major_labels", nameof(majorLabels));
        CheckLabels(MinorLabels, "minor_labels", nameof(minorLabels));
        var both = MajorLabels.Intersect(MinorLabels, StringComparer.OrdinalIgnoreCase).FirstOrDefault();
        if (both is not null)
        {
            throw new ArgumentException($"Label '{both}' cannot mean both a major and a minor version; name it in one of major_labels and minor_labels.", nameof(minorLabels));
        }

        Groups = groups ?? DefaultGroups;
        var title = Groups.Select(g => g.Title).Append(OtherChanges).GroupBy(t => t, StringComparer.OrdinalIgnoreCase).FirstOrDefault(g => g.Count() > 1);
        if (title is not null)
        {
            throw new ArgumentException(string.Equals(title.Key, OtherChanges, StringComparison.OrdinalIgnoreCase)
                ? $"'{OtherChanges}' is the heading of pull requests that no group takes; give the group another title."
                : $"Each group of the release notes has its own title; '{title.Key}' is used {title.Count()} times.", nameof(groups));
        }

        if (gitHubRelease && !tag)
        {
            throw new ArgumentException("A GitHub release is made on the release's tag: github_release needs tag: true.", nameof(gitHubRelease));
        }

        From = from;
        FixedVersion = fixedVersion;
        Initial = initial ?? DefaultInitial;
        TagPrefix = tagPrefix;
        Notes = notes;
        Tag = tag;
        GitHubRelease = gitHubRelease;
    }

    public VersionSource From { get; }

    /// <summary>The version <see cref="VersionSource.Policy"/> releases; null with labels.</summary>
    public SemanticVersion? FixedVersion { get; }

    /// <summary>The first version of a service with labels, when no version was released before. Default 0.1.0.</summary>
    public SemanticVersion Initial { get; }

    /// <summary>A version's tag is this prefix then the version. Default "v".</summary>
    public string TagPrefix { get; }

    public IReadOnlyList<string> MajorLabels { get; }
    public IReadOnlyList<string> MinorLabels { get; }

    /// <summary>The headings of the notes in order; a pull request goes under the first whose labels it has, else under <see cref="OtherChanges"/>.</summary>
    public IReadOnlyList<NoteGroup> Groups { get; }

    /// <summary>Whether release notes are written (into the trail and the GitHub release's body).</summary>
    public bool Notes { get; }

    /// <summary>Whether the merge commit is tagged with the version.</summary>
    public bool Tag { get; }

    /// <summary>Whether a GitHub release is made on the tag, with the notes.</summary>
    public bool GitHubRelease { get; }

    /// <summary>True when prefix + a version is a valid tag name: empty, or up to 64 letters, digits, '_' and '-' with single '.' or '/' between them.</summary>
    public static bool IsTagPrefix(string prefix) => prefix is not null && prefix.Length <= 64 && TagPrefixPattern().IsMatch(prefix);

    internal static void CheckLabels(IReadOnlyList<string> labels, string what, string parameter)
    {
        ArgumentNullException.ThrowIfNull(labels, parameter);
        if (labels.Count == 0 || labels.Any(string.IsNullOrWhiteSpace))
        {
            throw new ArgumentException($"The labels of {what} are at least one non-empty label name.", parameter);
        }

        var repeated = labels.GroupBy(l => l, StringComparer.OrdinalIgnoreCase).FirstOrDefault(g => g.Count() > 1);
        if (repeated is not null)
        {
            throw new ArgumentException($"The labels of {what} name '{repeated.Key}' more than once (labels compare case-insensitively).", parameter);
        }
    }

    [GeneratedRegex(@"^$|^[A-Za-z0-9_][A-Za-z0-9_-]*(?:[./][A-Za-z0-9_-]+)*[./]?$", RegexOptions.CultureInvariant)]
    private static partial Regex TagPrefixPattern();
}
