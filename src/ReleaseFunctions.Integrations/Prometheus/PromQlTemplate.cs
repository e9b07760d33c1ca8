using ReleaseFunctions.Core.Sli;

namespace ReleaseFunctions.Integrations.Prometheus;

/// <summary>
/// Fills a PromQL template with <see cref="QueryTemplate"/>: <c>{name}</c> stands for the query parameter <c>name</c> and is
/// written as (or escaped inside) a PromQL string literal, so a value taken from a pull request can never end the literal and
/// add PromQL of its own. <c>{__range}</c> and <c>{__step}</c> become durations in seconds.
/// </summary>
internal static class PromQlTemplate
{
    public const string RangePlaceholder = "__range";
    public const string StepPlaceholder = "__step";

    /// <summary>Returns the filled query; throws <see cref="ArgumentException"/> naming a placeholder without a value.</summary>
    public static string Fill(string template, IReadOnlyDictionary<string, string> parameters, TimeSpan range, TimeSpan step)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(template);
        return QueryTemplate.Fill(template, parameters, QueryLanguage.PromQl,
            new Dictionary<string, string> { [RangePlaceholder] = Duration(range), [StepPlaceholder] = Duration(step) });
    }

    private static string Duration(TimeSpan span) => $"{Math.Max(1, (long)Math.Ceiling(span.TotalSeconds))}s";
}
