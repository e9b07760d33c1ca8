using System.Text;

namespace ReleaseFunctions.Core.ReleaseNotes;

/// <summary>
/// The release notes of a version in Markdown: the merged pull requests under the policy's group headings, in the
/// order given (the order they were merged), each as <c>- #123 Title (@author)</c>; a pull request goes under the first
/// group with one of its labels, and those no group takes under "Other changes". Empty groups are left out. Pure.
/// </summary>
public static class ReleaseNotesMarkdown
{
    /// <summary>GitHub's limit on a release body.</summary>
    public const int MaxLength = 125_000;

    /// <param name="previousTag">The tag of the previous version, named at the top; null for a first version.</param>
    public static string Render(ReleaseNotesPolicy policy, IReadOnlyList<MergedPullRequest> merged, string? previousTag)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(merged);
        var sections = Group(policy, merged);
        var notes = new StringBuilder();
        notes.Append(previousTag is null ? "The first version." : $"Changes since {previousTag}.").Append('\n');
        foreach (var (title, pulls) in sections)
        {
            notes.Append('\n').Append("### ").Append(title).Append('\n').Append('\n');
            foreach (var pull in pulls)
            {
                notes.Append(Line(pull)).Append('\n');
            }
        }

        var text = notes.ToString();
        return text.Length <= MaxLength ? text : text[..(MaxLength - 40)] + "\n\n… (cut at GitHub's length limit)\n";
    }

    /// <summary>The groups in the policy's order, then "Other changes", each with its pull requests; empty ones left out.</summary>
    public static IReadOnlyList<(string Title, IReadOnlyList<MergedPullRequest> PullRequests)> Group(ReleaseNotesPolicy policy, IReadOnlyList<MergedPullRequest> merged)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(merged);
        var byGroup = merged.ToLookup(pr => policy.Groups.FirstOrDefault(g => pr.HasAnyLabel(g.Labels))?.Title ?? ReleaseNotesPolicy.OtherChanges);
        return policy.Groups.Select(g => g.Title).Append(ReleaseNotesPolicy.OtherChanges)
            .Where(title => byGroup[title].Any())
            .Select(title => (title, (IReadOnlyList<MergedPullRequest>)byGroup[title].ToArray()))
            .ToArray();
    }

    /// <summary>"#123 Title (@author)", on one line whatever the title holds.</summary>
    public static string Line(MergedPullRequest pull)
    {
        ArgumentNullException.ThrowIfNull(pull);
        var title = string.Join(' ', (pull.Title ?? "").Split((char[])['\r', '\n', '\t', ' '], StringSplitOptions.RemoveEmptyEntries));
        var author = string.IsNullOrWhiteSpace(pull.Author) ? "" : $" (@{pull.Author.TrimStart('@')})";
        return $"- #{pull.Number} {(title.Length == 0 ? "(no title)" : title)}{author}";
    }
}
