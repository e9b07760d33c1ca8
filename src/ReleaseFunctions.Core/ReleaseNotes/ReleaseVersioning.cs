namespace ReleaseFunctions.Core.ReleaseNotes;

/// <summary>A pull request merged into the release, as its notes list it.</summary>
/// <param name="Author">The login of who opened it, without '@'; empty when unknown.</param>
public sealed record MergedPullRequest(int Number, string Title, string Author, IReadOnlyList<string> Labels)
{
    public bool HasAnyLabel(IEnumerable<string> labels) => Labels.Intersect(labels, StringComparer.OrdinalIgnoreCase).Any();
}

/// <summary>The version released before this one, and where it was read.</summary>
/// <param name="CommitSha">The commit it was released from: the base of the comparison that finds what was merged since.</param>
/// <param name="Source">Where it was read, for people: "release {id} (its release-version record)" or "tag v1.2.3 on GitHub".</param>
public sealed record PreviousVersion(SemanticVersion Version, string CommitSha, string Source);

/// <summary>The version a promoted release gets, and why; or why it gets none (<see cref="Refusal"/>).</summary>
/// <param name="Bump">How the previous version moved; null for an initial, fixed, already released or refused version.</param>
/// <param name="AlreadyReleased">True when the merge commit was released with this version before (a repeat promotion): nothing new is published.</param>
public sealed record VersionDecision(SemanticVersion? Version, VersionBump? Bump, string Reason, bool AlreadyReleased = false, string? Refusal = null);

/// <summary>Decides the next semantic version of a service. Pure: the previous version and the merged pull requests are read by the caller.</summary>
public static class ReleaseVersioning
{
    /// <param name="commitSha">The merge commit being released.</param>
    /// <param name="merged">The pull requests merged since <paramref name="previous"/> (this release's own included).</param>
    public static VersionDecision Decide(ReleaseNotesPolicy policy, PreviousVersion? previous, string commitSha, IReadOnlyList<MergedPullRequest> merged)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentException.ThrowIfNullOrWhiteSpace(commitSha);
        ArgumentNullException.ThrowIfNull(merged);
        if (previous is not null && string.Equals(previous.CommitSha, commitSha, StringComparison.OrdinalIgnoreCase))
        {
            // The same commit promoted again: it keeps its version, and its tag and release are the ones it has.
            return new VersionDecision(previous.Version, null, $"{previous.Version}: the merge commit was released as {previous.Version.Tag(policy.TagPrefix)} before ({previous.Source})", AlreadyReleased: true);
        }

        if (policy.From == VersionSource.Policy)
        {
            var value = policy.FixedVersion!;
            if (previous is not null && value <= previous.Version)
            {
                return new VersionDecision(null, null, $"the policy's version {value} is not newer than {previous.Version}",
                    Refusal: $"the policy's release.version.value {value} is not newer than the previous version {previous.Version} ({previous.Source}); "
                             + $"raise it above {previous.Version} in the policy for the next release");
            }

            return new VersionDecision(value, null, previous is null
                ? $"{value}: the policy's release.version.value (no version was released before)"
                : $"{value}: the policy's release.version.value, after {previous.Version}");
        }

        if (previous is null)
        {
            return new VersionDecision(policy.Initial, null, $"{policy.Initial}: the first version (release.version.initial), no version was released before");
        }

        var (bump, why) = BumpOf(policy, merged);
        var next = previous.Version.Bump(bump);
        return new VersionDecision(next, bump, $"{next}: {bump.ToString().ToLowerInvariant()} after {previous.Version}, {why}");
    }

    /// <summary>The largest bump any merged pull request's labels ask for, and which one asked.</summary>
    public static (VersionBump Bump, string Why) BumpOf(ReleaseNotesPolicy policy, IReadOnlyList<MergedPullRequest> merged)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(merged);
        foreach (var (bump, labels) in new[] { (VersionBump.Major, policy.MajorLabels), (VersionBump.Minor, policy.MinorLabels) })
        {
            var asking = merged.Where(pr => pr.HasAnyLabel(labels)).ToArray();
            if (asking.Length > 0)
            {
                var named = asking.Select(pr => $"#{pr.Number} is labelled '{pr.Labels.First(l => labels.Contains(l, StringComparer.OrdinalIgnoreCase))}'");
                return (bump, string.Join(", ", named));
            }
        }

        var labelled = string.Join(", ", policy.MajorLabels.Concat(policy.MinorLabels));
        return (VersionBump.Patch, merged.Count switch
        {
            0 => "no pull request was merged since",
            1 => $"#{merged[0].Number} is labelled none of {labelled}",
            _ => $"none of the {merged.Count} pull requests merged is labelled {labelled}",
        });
    }
}
