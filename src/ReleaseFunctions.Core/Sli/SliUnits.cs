namespace ReleaseFunctions.Core.Sli;

/// <summary>
/// The SLI units sources know how to convert between: time (milliseconds, seconds, minutes, microseconds) and
/// fractions (percent, ratio). Names are compared without regard to case and common spellings are accepted
/// ("MilliSeconds" as Azure Monitor writes it, "ms", "s", "%").
/// </summary>
public static class SliUnits
{
    private static readonly Dictionary<string, (string Dimension, double Scale)> Known = new(StringComparer.OrdinalIgnoreCase)
    {
        ["microseconds"] = ("time", 1e-6),
        ["us"] = ("time", 1e-6),
        ["milliseconds"] = ("time", 1e-3),
        ["ms"] = ("time", 1e-3),
        ["seconds"] = ("time", 1),
        ["s"] = ("time", 1),
        ["minutes"] = ("time", 60),
        ["percent"] = ("fraction", 0.01),
        ["%"] = ("fraction", 0.01),
        ["ratio"] = ("fraction", 1),
        ["fraction"] = ("fraction", 1),
    };

    /// <summary>
    /// The factor that turns a value in <paramref name="from"/> into <paramref name="to"/>: 1 for the same unit,
    /// null when the units differ and no conversion is known.
    /// </summary>
    public static double? Factor(string from, string to)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(from);
        ArgumentException.ThrowIfNullOrWhiteSpace(to);
        if (string.Equals(from, to, StringComparison.OrdinalIgnoreCase))
        {
            return 1;
        }

        return Known.TryGetValue(from, out var source) && Known.TryGetValue(to, out var target) && source.Dimension == target.Dimension
            ? source.Scale / target.Scale
            : null;
    }
}
