using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using ReleaseFunctions.Core.Sli;

namespace ReleaseFunctions.Integrations.AzureMonitor;

/// <summary>
/// Puts a release's facts in front of a KQL query as <c>let</c> statements, never into the query text: each parameter
/// becomes <c>let name = "value";</c> with the value a double-quoted KQL string literal whose quotes, backslashes, tabs and
/// line breaks are escaped, so a value such as <c>x"; drop</c> stays one string. The window becomes
/// <c>let window_start = datetime(...); let window_end = datetime(...); let bin_size = timespan(...);</c>.
/// </summary>
internal static partial class KqlParameters
{
    public static readonly IReadOnlySet<string> Reserved = new HashSet<string>(StringComparer.Ordinal) { "window_start", "window_end", "bin_size" };

    /// <summary>The query with its parameters declared before it; throws <see cref="ArgumentException"/> for a bad name or value.</summary>
    public static string Declare(string query, IReadOnlyDictionary<string, string> parameters, SliWindow window, TimeSpan binSize)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(query);
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"let window_start = datetime({window.Start.UtcDateTime:yyyy-MM-ddTHH:mm:ss.fffffffZ});\n");
        text.Append(CultureInfo.InvariantCulture, $"let window_end = datetime({window.End.UtcDateTime:yyyy-MM-ddTHH:mm:ss.fffffffZ});\n");
        text.Append(CultureInfo.InvariantCulture, $"let bin_size = timespan({binSize.TotalSeconds:0.###}s);\n");
        foreach (var (name, value) in parameters.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            if (!Identifier().IsMatch(name) || Reserved.Contains(name))
            {
                throw new ArgumentException(
                    $"The query parameter name '{name}' cannot be a KQL name: use letters, digits and '_' (not first a digit), and not {string.Join(", ", Reserved)}.",
                    nameof(parameters));
            }

            text.Append("let ").Append(name).Append(" = ").Append(StringLiteral(name, value)).Append(";\n");
        }

        return text.Append(query).ToString();
    }

    /// <summary>A double-quoted KQL string literal holding exactly <paramref name="value"/>.</summary>
    public static string StringLiteral(string name, string value)
    {
        var literal = new StringBuilder(value.Length + 2).Append('"');
        foreach (var c in value)
        {
            _ = c switch
            {
                '\\' => literal.Append(@"\\"),
                '"' => literal.Append("\\\""),
                '\n' => literal.Append(@"\n"),
                '\r' => literal.Append(@"\r"),
                '\t' => literal.Append(@"\t"),
                // KQL documents no escape for other control characters, so they are refused rather than guessed at.
                _ when char.IsControl(c) => throw new ArgumentException($"The value of query parameter '{name}' holds the control character U+{(int)c:X4}, which a KQL string cannot carry."),
                _ => literal.Append(c),
            };
        }

        return literal.Append('"').ToString();
    }

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial Regex Identifier();
}
