using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace ReleaseFunctions.Core.Sli;

/// <summary>The string-literal rules of a query language, which decide how a placeholder's value is written.</summary>
public enum QueryLanguage
{
    /// <summary>Kusto (Log Analytics): '...' and "..." with backslash escapes; @'...' and @"..." verbatim, the quote doubled.</summary>
    Kql,
    /// <summary>PromQL: '...' and "..." with backslash escapes; `...` raw, which cannot hold a backtick.</summary>
    PromQl,
    /// <summary>OData <c>$filter</c> (Azure Monitor metrics): '...' with the quote doubled.</summary>
    OData,
}

/// <summary>
/// The one placeholder syntax of every SLI query (KQL, PromQL, the metrics filter): <c>{name}</c> stands for the query
/// parameter <c>name</c>, a release fact (<see cref="ReleaseParameters"/>) or a parameter the objective declares. The value
/// is written as a string literal of the query's language, so a value from a pull request can never end the literal and add
/// query text of its own: inside a quoted literal (<c>service="{service}"</c>) it is escaped for that literal; anywhere else
/// it becomes a whole double-quoted literal (single-quoted for OData). A name is letters, digits and '_', not first a digit;
/// <c>{</c> followed by anything else (a PromQL label matcher, KQL dynamic) is left alone. The older <c>$name</c> form is
/// not read: the policy parser reports it, with the <c>{name}</c> to write instead.
/// </summary>
public static partial class QueryTemplate
{
    /// <summary>The release facts every query may use.</summary>
    public static readonly IReadOnlyList<string> ReleaseParameters = ["service", "version", "repository", "stage", "step", "weight"];

    /// <summary>The names of the placeholders in <paramref name="template"/>, each with its offset, in order.</summary>
    public static IReadOnlyList<(string Name, int Index)> Placeholders(string template)
        => Placeholder().Matches(template).Select(m => (m.Groups["name"].Value, m.Index)).ToArray();

    /// <summary>The <c>$name</c> uses in <paramref name="template"/> (the old placeholder form), each with its offset.</summary>
    public static IReadOnlyList<(string Name, int Index)> DollarPlaceholders(string template)
        => DollarPlaceholder().Matches(template).Select(m => (m.Groups["name"].Value, m.Index)).ToArray();

    /// <summary>
    /// Fills every placeholder. <paramref name="builtIns"/> are written as they are (for example a PromQL duration);
    /// throws <see cref="ArgumentException"/> naming a placeholder without a value, or a value the literal cannot carry.
    /// </summary>
    public static string Fill(string template, IReadOnlyDictionary<string, string> parameters, QueryLanguage language, IReadOnlyDictionary<string, string>? builtIns = null)
    {
        ArgumentNullException.ThrowIfNull(template);
        ArgumentNullException.ThrowIfNull(parameters);
        var text = new StringBuilder(template.Length + 32);
        var literal = Literal.None;
        for (var i = 0; i < template.Length; i++)
        {
            var c = template[i];
            if (c == '{' && Placeholder().Match(template, i) is { Success: true } match && match.Index == i)
            {
                var name = match.Groups["name"].Value;
                if (builtIns is not null && builtIns.TryGetValue(name, out var raw))
                {
                    text.Append(raw);
                }
                else if (parameters.TryGetValue(name, out var value))
                {
                    text.Append(literal.Delimiter is null ? WholeLiteral(value, language, name) : Escape(value, literal, name));
                }
                else
                {
                    var known = parameters.Keys.Concat(builtIns?.Keys ?? []).Order(StringComparer.Ordinal).ToArray();
                    throw new ArgumentException(
                        $"the query uses {{{name}}}, but it has no parameter '{name}'; it has: {(known.Length == 0 ? "none" : string.Join(", ", known))}.",
                        nameof(parameters));
                }

                i += match.Length - 1;
                continue;
            }

            text.Append(c);
            literal = literal.Next(template, i, language);
        }

        return text.ToString();
    }

    private static string WholeLiteral(string value, QueryLanguage language, string name)
    {
        var literal = language == QueryLanguage.OData ? new Literal('\'', Verbatim: true, AnyCharacter: true) : new Literal('"', Verbatim: false);
        return literal.Delimiter + Escape(value, literal, name) + literal.Delimiter;
    }

    private static string Escape(string value, Literal literal, string name)
    {
        var quote = literal.Delimiter!.Value;
        var text = new StringBuilder(value.Length + 2);
        foreach (var c in value)
        {
            if (literal.Raw)
            {
                _ = c == quote || char.IsControl(c)
                    ? throw new ArgumentException($"the value of {{{name}}} holds {Describe(c)}, which a {quote}...{quote} raw string cannot carry; use a quoted string.")
                    : text.Append(c);
            }
            else if (literal.Verbatim)
            {
                _ = c == quote ? text.Append(quote).Append(quote)
                    : char.IsControl(c) && !literal.AnyCharacter ? throw new ArgumentException($"the value of {{{name}}} holds {Describe(c)}, which a verbatim string cannot carry.")
                    : text.Append(c);
            }
            else
            {
                _ = c switch
                {
                    '\\' => text.Append(@"\\"),
                    '\n' => text.Append(@"\n"),
                    '\r' => text.Append(@"\r"),
                    '\t' => text.Append(@"\t"),
                    _ when c == quote => text.Append('\\').Append(c),
                    _ when char.IsControl(c) => text.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}"),
                    _ => text.Append(c),
                };
            }
        }

        return text.ToString();
    }

    private static string Describe(char c) => char.IsControl(c) ? $"the control character U+{(int)c:X4}" : $"the character {c}";

    /// <summary>Where the scan stands: outside any literal, or inside one (its delimiter and kind).</summary>
    private readonly record struct Literal(char? Delimiter, bool Verbatim = false, bool Raw = false, bool Escaped = false, bool AnyCharacter = false)
    {
        public static readonly Literal None = new(null);

        /// <summary>The state after the character at <paramref name="i"/>.</summary>
        public Literal Next(string template, int i, QueryLanguage language)
        {
            var c = template[i];
            if (Delimiter is not { } quote)
            {
                return c switch
                {
                    '\'' or '"' when language == QueryLanguage.Kql && i > 0 && template[i - 1] == '@' => new Literal(c, Verbatim: true),
                    '\'' when language == QueryLanguage.OData => new Literal(c, Verbatim: true, AnyCharacter: true),
                    '\'' or '"' when language != QueryLanguage.OData => new Literal(c),
                    '`' when language == QueryLanguage.PromQl => new Literal(c, Raw: true),
                    _ => this,
                };
            }

            if (Escaped)
            {
                return this with { Escaped = false };
            }

            if (!Verbatim && !Raw && c == '\\')
            {
                return this with { Escaped = true };
            }

            if (c != quote)
            {
                return this;
            }

            // A doubled quote inside a verbatim literal is one quote, not its end.
            return Verbatim && i + 1 < template.Length && template[i + 1] == quote ? this with { Escaped = true } : None;
        }
    }

    [GeneratedRegex(@"\{(?<name>[A-Za-z_][A-Za-z0-9_]*)\}")]
    private static partial Regex Placeholder();

    [GeneratedRegex(@"\$(?<name>[A-Za-z_][A-Za-z0-9_]*)")]
    private static partial Regex DollarPlaceholder();
}
