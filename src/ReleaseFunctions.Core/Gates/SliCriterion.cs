using System.Globalization;
using System.Text.RegularExpressions;

namespace ReleaseFunctions.Core.Gates;

/// <summary>How an observed value must relate to a threshold for a criterion to hold.</summary>
public enum ComparisonOperator
{
    LessThan,
    LessThanOrEqual,
    GreaterThan,
    GreaterThanOrEqual,
}

/// <summary>What a relative criterion compares the canary with.</summary>
public enum ReferencePopulation
{
    /// <summary>The stable version over the same window (<see cref="SliPopulations.Baseline"/>).</summary>
    Baseline,
    /// <summary>The service before the release, over a window of the same length (<see cref="SliPopulations.PreRelease"/>).</summary>
    PreRelease,
    /// <summary>
    /// What the service's previous promoted release recorded for the same objective in the same stage
    /// (<see cref="SliPopulations.PreviousRelease"/>): one value per measurement of its last step, compared by aggregate.
    /// </summary>
    PreviousRelease,
}

/// <summary>
/// One condition on an objective's aggregated value, written in the policy as text:
/// <list type="bullet">
/// <item><c>&lt; 1%</c>, <c>&lt;= 300</c>: absolute; a percentage without a sign is a value (1% of a ratio is 0.01);</item>
/// <item><c>&lt;= +10%</c>, <c>&gt;= -5%</c>: relative; a signed percentage is the change allowed against the reference population.</item>
/// </list>
/// </summary>
public abstract partial record SliCriterion
{
    private protected SliCriterion(ComparisonOperator comparison, string text)
    {
        if (!Enum.IsDefined(comparison))
        {
            throw new ArgumentOutOfRangeException(nameof(comparison), comparison, "Unknown comparison.");
        }

        Comparison = comparison;
        Text = text;
    }

    public ComparisonOperator Comparison { get; }

    /// <summary>The criterion as the policy wrote it, normalised (e.g. "&lt;= +10%").</summary>
    public string Text { get; }

    public override string ToString() => Text;

    /// <summary>Whether <paramref name="observed"/> relates to <paramref name="threshold"/> as this criterion requires.</summary>
    public bool Holds(double observed, double threshold) => Comparison switch
    {
        ComparisonOperator.LessThan => observed < threshold,
        ComparisonOperator.LessThanOrEqual => observed <= threshold,
        ComparisonOperator.GreaterThan => observed > threshold,
        ComparisonOperator.GreaterThanOrEqual => observed >= threshold,
        _ => false,
    };

    internal static string Symbol(ComparisonOperator comparison) => comparison switch
    {
        ComparisonOperator.LessThan => "<",
        ComparisonOperator.LessThanOrEqual => "<=",
        ComparisonOperator.GreaterThan => ">",
        _ => ">=",
    };

    /// <summary>
    /// Parses a criterion. Returns null and a message saying what was expected when the text is not one.
    /// </summary>
    public static SliCriterion? TryParse(string text, out string? error)
    {
        var match = CriterionPattern().Match(text ?? string.Empty);
        if (!match.Success)
        {
            error = $"expected a criterion such as '< 1%', '<= 300' or '<= +10%', got '{text}'";
            return null;
        }

        var comparison = match.Groups["op"].Value switch
        {
            "<" => ComparisonOperator.LessThan,
            "<=" => ComparisonOperator.LessThanOrEqual,
            ">" => ComparisonOperator.GreaterThan,
            _ => ComparisonOperator.GreaterThanOrEqual,
        };
        var number = double.Parse(match.Groups["number"].Value, NumberStyles.Float, CultureInfo.InvariantCulture);
        var sign = match.Groups["sign"].Value;
        var percent = match.Groups["percent"].Success;
        error = null;
        if (sign.Length > 0)
        {
            if (!percent)
            {
                error = $"a signed threshold is a relative change and needs a '%' (e.g. '<= +10%'), got '{text}'";
                return null;
            }

            return new RelativeCriterion(comparison, sign == "-" ? -number : number);
        }

        return new AbsoluteCriterion(comparison, number, percent);
    }

    [GeneratedRegex(@"^\s*(?<op><=|>=|<|>)\s*(?<sign>[+-]?)\s*(?<number>\d+(\.\d+)?)\s*(?<percent>%)?\s*$", RegexOptions.CultureInvariant)]
    private static partial Regex CriterionPattern();
}

/// <summary>A bound on the value itself, e.g. <c>&lt; 1%</c> or <c>&lt;= 300</c>.</summary>
public sealed record AbsoluteCriterion : SliCriterion
{
    public AbsoluteCriterion(ComparisonOperator comparison, double threshold, bool isPercent)
        : base(comparison, $"{Symbol(comparison)} {threshold.ToString(CultureInfo.InvariantCulture)}{(isPercent ? "%" : string.Empty)}")
    {
        if (!double.IsFinite(threshold))
        {
            throw new ArgumentOutOfRangeException(nameof(threshold), threshold, "A threshold is a finite number.");
        }

        Threshold = threshold;
        IsPercent = isPercent;
    }

    /// <summary>The threshold as written; a percentage is in percent (1 for "1%").</summary>
    public double Threshold { get; }

    public bool IsPercent { get; }
}

/// <summary>
/// A bound on the change against the reference population, e.g. <c>&lt;= +10%</c>: the canary's value may be
/// at most 10% above the reference's.
/// </summary>
public sealed record RelativeCriterion : SliCriterion
{
    public RelativeCriterion(ComparisonOperator comparison, double changePercent)
        : base(comparison, $"{Symbol(comparison)} {(changePercent >= 0 ? "+" : "-")}{Math.Abs(changePercent).ToString(CultureInfo.InvariantCulture)}%")
    {
        if (!double.IsFinite(changePercent) || changePercent <= -100)
        {
            throw new ArgumentOutOfRangeException(nameof(changePercent), changePercent, "A relative change is a finite percentage above -100%.");
        }

        ChangePercent = changePercent;
    }

    /// <summary>The allowed change in percent of the reference value (+10 for "+10%").</summary>
    public double ChangePercent { get; }

    /// <summary>The threshold this criterion puts on the canary's value, given the reference's value.</summary>
    public double ThresholdFor(double reference) => reference + Math.Abs(reference) * ChangePercent / 100.0;
}
