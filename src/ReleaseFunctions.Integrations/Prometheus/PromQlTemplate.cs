using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace ReleaseFunctions.Integrations.Prometheus;

/// <summary>
/// Fills a PromQL template. <c>$name</c> stands for the query parameter <c>name</c> and becomes a double-quoted PromQL
/// string literal with every quote, backslash and control character escaped, so a value taken from a pull request
/// can never end the literal and add PromQL of its own. <c>$__range</c> and <c>$__step</c> become durations in seconds.
/// </summary>
internal static partial class PromQlTemplate
{
    public const string RangePlaceholder = "__range";
    public const string StepPlaceholder = "__step";

    /// <summary>Returns the filled query; throws <see cref="ArgumentException"/> naming a placeholder without a value.</summary>
    public static string Fill(string template, IReadOnlyDictionary<string, string> parameters, TimeSpan range, TimeSpan step)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(template);
        return Placeholder().Replace(template, match =>
        {
            var name = match.Groups["name"].Value;
            return name switch
            {
                RangePlaceholder => Duration(range),
                StepPlaceholder => Duration(step),
                _ when parameters.TryGetValue(name, out var value) => StringLiteral(value),
                _ => throw new ArgumentException(
                    $"The PromQL template uses ${name}, but the query has no parameter '{name}'; it has: {(parameters.Count == 0 ? "none" : string.Join(", ", parameters.Keys.Order()))}.",
                    nameof(template)),
            };
        });
    }

    /// <summary>A PromQL double-quoted string literal holding exactly <paramref name="value"/>.</summary>
    public static string StringLiteral(string value)
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
                _ when char.IsControl(c) => literal.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}"),
                _ => literal.Append(c),
            };
        }

        return literal.Append('"').ToString();
    }

    private static string Duration(TimeSpan span) => $"{Math.Max(1, (long)Math.Ceiling(span.TotalSeconds))}s";

    [GeneratedRegex(@"\$(?<name>[A-Za-z_][A-Za-z0-9_]*)")]
    private static partial Regex Placeholder();
}
