using System.Text.RegularExpressions;

namespace ReleaseFunctions.Integrations.GitHub;

/// <summary>A repository's "owner/name", as GitHub spells it in <c>full_name</c> and in REST paths.</summary>
public sealed partial record GitHubRepositoryName
{
    public GitHubRepositoryName(string owner, string name)
    {
        if (string.IsNullOrWhiteSpace(owner) || !Segment().IsMatch(owner) || string.IsNullOrWhiteSpace(name) || !Segment().IsMatch(name))
        {
            throw new ArgumentException($"A repository is 'owner/name' of letters, digits, '-', '_' and '.'; got '{owner}/{name}'.");
        }

        Owner = owner;
        Name = name;
    }

    public string Owner { get; }
    public string Name { get; }

    /// <summary>Reads "owner/name"; throws <see cref="ArgumentException"/> naming the bad value otherwise.</summary>
    public static GitHubRepositoryName Parse(string? fullName)
    {
        var slash = fullName?.IndexOf('/') ?? -1;
        if (fullName is null || slash <= 0)
        {
            throw new ArgumentException($"A repository is 'owner/name'; got '{fullName}'.", nameof(fullName));
        }

        return new GitHubRepositoryName(fullName[..slash], fullName[(slash + 1)..]);
    }

    public override string ToString() => $"{Owner}/{Name}";

    [GeneratedRegex("^[A-Za-z0-9_.-]+$")]
    private static partial Regex Segment();
}
