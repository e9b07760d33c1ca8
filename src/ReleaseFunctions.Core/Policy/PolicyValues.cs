using System.Globalization;
using System.Text.RegularExpressions;

namespace ReleaseFunctions.Core.Policy;

/// <summary>The scalar formats of a policy file: durations and percentages.</summary>
public static partial class PolicyValues
{
    /// <summary>
    /// A duration as a policy writes it, the form <see cref="ParseDuration"/> reads: <c>d h m s</c>, largest first, zero
    /// units left out (<c>1h30m</c>, <c>2m</c>, <c>45s</c>, <c>0s</c>); below a second, milliseconds (<c>500ms</c>, for messages only).
    /// </summary>
    public static string FormatDuration(TimeSpan value)
    {
        if (value > TimeSpan.Zero && value < TimeSpan.FromSeconds(1))
        {
            return $"{value.TotalMilliseconds.ToString("0.###", CultureInfo.InvariantCulture)}ms";
        }

        var text = string.Concat(
            value.Days > 0 ? $"{value.Days}d" : "",
            value.Hours > 0 ? $"{value.Hours}h" : "",
            value.Minutes > 0 ? $"{value.Minutes}m" : "",
            value.Seconds > 0 ? $"{value.Seconds}s" : "");
        return text.Length > 0 ? text : "0s";
    }

    /// <summary>
    /// Parses a duration: units <c>d h m s</c> in that order (<c>10m</c>, <c>1h30m</c>, <c>24h</c>, <c>28d</c>,
    /// <c>90s</c>) or ISO 8601 without years and months (<c>PT5M</c>, <c>P1DT2H</c>). Returns null for anything else.
    /// </summary>
    public static TimeSpan? ParseDuration(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        var trimmed = text.Trim();
        var match = ShortDuration().Match(trimmed);
        if (!match.Success)
        {
            match = IsoDuration().Match(trimmed);
        }

        if (!match.Success || !new[] { "d", "h", "m", "s" }.Any(g => match.Groups[g].Success))
        {
            return null;
        }

        double Part(string group) => match.Groups[group].Success ? double.Parse(match.Groups[group].Value, CultureInfo.InvariantCulture) : 0;
        try
        {
            return TimeSpan.FromDays(Part("d")) + TimeSpan.FromHours(Part("h")) + TimeSpan.FromMinutes(Part("m")) + TimeSpan.FromSeconds(Part("s"));
        }
        catch (OverflowException)
        {
            return null;
        }
    }

    /// <summary>Parses a percentage written with a '%' (<c>1%</c>, <c>99.9%</c>) into its number of percent. Returns null for anything else.</summary>
    public static double? ParsePercent(string? text)
    {
        var match = PercentPattern().Match(text ?? string.Empty);
        return match.Success ? double.Parse(match.Groups["n"].Value, CultureInfo.InvariantCulture) : null;
    }

    [GeneratedRegex(@"^(?:(?<d>\d{1,5})d)?(?:(?<h>\d{1,6})h)?(?:(?<m>\d{1,7})m)?(?:(?<s>\d{1,9})s)?$", RegexOptions.CultureInvariant)]
    private static partial Regex ShortDuration();

    [GeneratedRegex(@"^P(?:(?<d>\d{1,5})D)?(?:T(?=\d)(?:(?<h>\d{1,6})H)?(?:(?<m>\d{1,7})M)?(?:(?<s>\d{1,9}(?:\.\d+)?)S)?)?$", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex IsoDuration();

    [GeneratedRegex(@"^\s*(?<n>\d+(?:\.\d+)?)\s*%\s*$", RegexOptions.CultureInvariant)]
    private static partial Regex PercentPattern();
}
