using ReleaseFunctions.Core.Releases;

namespace ReleaseFunctions.Integrations.GitHub.Webhooks;

/// <summary>A command found in a PR comment: its kind and the free text after the command word on the same line.</summary>
public sealed record ParsedReleaseCommand(ReleaseCommandKind Kind, string? Comment);

/// <summary>
/// Finds the release command in a PR comment. A command is a slash word (<c>/approve</c>, <c>/reject</c>, ...; the word
/// in any case) at the start of a line (leading blanks allowed) followed by the end of the line or a blank; the rest of
/// that line is its comment. Lines inside fenced code blocks (<c>```</c> or <c>~~~</c>) and quoted reply lines
/// (<c>&gt;</c>) are not read, so quoting someone's <c>/approve</c> does not approve. The first command wins; an unknown
/// slash word is plain text.
/// </summary>
public static class ReleaseCommandParser
{
    private static readonly Dictionary<string, ReleaseCommandKind>.AlternateLookup<ReadOnlySpan<char>> Words =
        Enum.GetValues<ReleaseCommandKind>()
            .ToDictionary(k => k.ToString(), k => k, StringComparer.OrdinalIgnoreCase)
            .GetAlternateLookup<ReadOnlySpan<char>>();

    public static ParsedReleaseCommand? Parse(string? body)
    {
        if (string.IsNullOrEmpty(body))
        {
            return null;
        }

        char fenceChar = '\0';
        var fenceLength = 0;
        foreach (var rawLine in body.AsSpan().EnumerateLines())
        {
            var line = rawLine.TrimStart(" \t");
            var run = FenceRun(line);
            if (fenceLength > 0)
            {
                // A closing fence is the same character, at least as long as the opening one, and nothing after it.
                if (run >= fenceLength && line[0] == fenceChar && line[run..].Trim().IsEmpty)
                {
                    fenceLength = 0;
                }

                continue;
            }

            if (run >= 3)
            {
                fenceChar = line[0];
                fenceLength = run;
                continue;
            }

            if (line.IsEmpty || line[0] == '>' || line[0] != '/')
            {
                continue;
            }

            var rest = line[1..];
            var end = rest.IndexOfAny(" \t");
            var word = end < 0 ? rest : rest[..end];
            if (Words.TryGetValue(word, out var kind))
            {
                var comment = end < 0 ? ReadOnlySpan<char>.Empty : rest[end..].Trim();
                return new ParsedReleaseCommand(kind, comment.IsEmpty ? null : comment.ToString());
            }
        }

        return null;
    }

    /// <summary>The length of a run of backticks or tildes at the start of the line (0 when the line starts otherwise).</summary>
    private static int FenceRun(ReadOnlySpan<char> line)
    {
        if (line.IsEmpty || (line[0] != '`' && line[0] != '~'))
        {
            return 0;
        }

        var n = 0;
        while (n < line.Length && line[n] == line[0])
        {
            n++;
        }

        return n;
    }
}
