using System.Text;
using System.Text.RegularExpressions;

namespace ReleaseFunctions.Integrations.GitHub.Webhooks;

/// <summary>
/// Decides whether a base branch is a release branch: exact names or globs, where <c>*</c> matches within one path
/// segment and <c>**</c> matches across segments. Matching is ordinal (Git branch names are case-sensitive).
/// </summary>
internal sealed class ReleaseBranchMatcher
{
    private readonly Regex[] _patterns;

    public ReleaseBranchMatcher(IEnumerable<string> globs)
    {
        _patterns = globs.Select(ToRegex).ToArray();
        Describe = string.Join(", ", globs.Select(g => $"'{g}'"));
    }

    /// <summary>The configured globs, for messages.</summary>
    public string Describe { get; }

    public bool IsReleaseBranch(string branch) => _patterns.Any(p => p.IsMatch(branch));

    private static Regex ToRegex(string glob)
    {
        var pattern = new StringBuilder("^");
        for (var i = 0; i < glob.Length; i++)
        {
            if (glob[i] == '*' && i + 1 < glob.Length && glob[i + 1] == '*')
            {
                pattern.Append(".*");
                i++;
            }
            else if (glob[i] == '*')
            {
                pattern.Append("[^/]*");
            }
            else
            {
                pattern.Append(Regex.Escape(glob[i].ToString()));
            }
        }

        return new Regex(pattern.Append('$').ToString(), RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(100));
    }
}
