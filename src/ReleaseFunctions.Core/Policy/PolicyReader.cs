using System.Globalization;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace ReleaseFunctions.Core.Policy;

/// <summary>
/// Reads typed values out of YAML nodes, recording a <see cref="PolicyProblem"/> with the node's position for
/// anything that is not what the schema expects, and carrying on so that every problem is found in one pass.
/// </summary>
internal sealed class PolicyReader
{
    private readonly List<PolicyProblem> problems = [];

    public IReadOnlyList<PolicyProblem> Problems => problems;

    public int ProblemCount => problems.Count;

    public static string Join(string path, string key) => path.Length == 0 ? key : $"{path}.{key}";

    public void Add(YamlNode node, string path, string message) => Add(node.Start, path, message);

    public void Add(Mark mark, string path, string message) =>
        problems.Add(new PolicyProblem((int)mark.Line, (int)mark.Column, path.Length == 0 ? "(root)" : path, message));

    public static bool IsNothing(YamlNode? node) =>
        node is null || (node is YamlScalarNode { Style: ScalarStyle.Plain or ScalarStyle.Any } s && (s.Value is null || s.Value is "" or "~" or "null" or "Null" or "NULL"));

    public static string Describe(YamlNode node) => node switch
    {
        YamlMappingNode => "a mapping",
        YamlSequenceNode => "a list",
        _ when IsNothing(node) => "nothing",
        YamlScalarNode s => $"'{s.Value}'",
        _ => "an unsupported node",
    };

    /// <summary>The node as a mapping whose keys are all among <paramref name="allowedKeys"/>; anything else is a problem.</summary>
    public YamlMappingNode? Mapping(YamlNode node, string path, params string[] allowedKeys)
    {
        if (node is not YamlMappingNode map)
        {
            Add(node, path, $"expected a mapping with keys {string.Join(", ", allowedKeys)}, got {Describe(node)}");
            return null;
        }

        foreach (var key in map.Children.Keys)
        {
            var name = (key as YamlScalarNode)?.Value;
            if (name is null || !allowedKeys.Contains(name, StringComparer.Ordinal))
            {
                Add(key, Join(path, name ?? "?"), $"unknown key '{name ?? Describe(key)}'; expected one of: {string.Join(", ", allowedKeys)}");
            }
        }

        return map;
    }

    public static YamlNode? Get(YamlMappingNode map, string key) =>
        map.Children.TryGetValue(new YamlScalarNode(key), out var value) && !IsNothing(value) ? value : null;

    public YamlNode? Required(YamlMappingNode map, string path, string key, string expected)
    {
        var value = Get(map, key);
        if (value is null)
        {
            var where = map.Children.TryGetValue(new YamlScalarNode(key), out var empty) ? empty.Start : map.Start;
            Add(where, Join(path, key), $"missing required value; expected {expected}");
        }

        return value;
    }

    public IReadOnlyList<YamlNode>? Sequence(YamlNode node, string path, string expected, bool allowSingle = false)
    {
        if (node is YamlSequenceNode sequence)
        {
            return sequence.Children.ToArray();
        }

        if (allowSingle && node is YamlScalarNode)
        {
            return [node];
        }

        Add(node, path, $"expected a list of {expected}, got {Describe(node)}");
        return null;
    }

    public string? String(YamlNode node, string path, string expected)
    {
        if (node is YamlScalarNode scalar && !IsNothing(node) && !string.IsNullOrWhiteSpace(scalar.Value))
        {
            return scalar.Value.Trim();
        }

        Add(node, path, $"expected {expected}, got {Describe(node)}");
        return null;
    }

    public string? RequiredString(YamlMappingNode map, string path, string key, string expected) =>
        Required(map, path, key, expected) is { } node ? String(node, Join(path, key), expected) : null;

    public IReadOnlyList<string>? Strings(YamlNode? node, string path, string expected)
    {
        if (node is null)
        {
            return [];
        }

        var items = Sequence(node, path, expected, allowSingle: true);
        if (items is null)
        {
            return null;
        }

        var before = ProblemCount;
        var values = items.Select((item, i) => String(item, $"{path}[{i}]", expected)).ToArray();
        return ProblemCount == before ? values.Select(v => v!).ToArray() : null;
    }

    public int? Int(YamlNode? node, string path, int min, int max, int? fallback, string? meaning = null, bool allowPercentSign = false)
    {
        if (node is null)
        {
            return fallback;
        }

        var text = (node as YamlScalarNode)?.Value?.Trim();
        if (allowPercentSign && text is not null && text.EndsWith('%'))
        {
            text = text[..^1].TrimEnd();
        }

        if (int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max)
        {
            return value;
        }

        Add(node, path, $"expected an integer from {min} to {max}{meaning}, got {Describe(node)}");
        return null;
    }

    /// <summary>A number in [min, max]; a trailing '%' is accepted when <paramref name="allowPercentSign"/>.</summary>
    public double? Number(YamlNode? node, string path, double min, double max, double? fallback, bool allowPercentSign = false, bool exclusive = false)
    {
        if (node is null)
        {
            return fallback;
        }

        var text = ((node as YamlScalarNode)?.Value ?? string.Empty).Trim();
        if (allowPercentSign && text.EndsWith('%'))
        {
            text = text[..^1];
        }

        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && double.IsFinite(value) &&
            (exclusive ? value > min && value < max : value >= min && value <= max))
        {
            return value;
        }

        var range = exclusive ? $"between {Show(min)} and {Show(max)} (exclusive)" : $"from {Show(min)} to {Show(max)}";
        Add(node, path, $"expected a number {range}, got {Describe(node)}");
        return null;
    }

    public double? Percent(YamlNode node, string path, double min, double max, bool maxExclusive, string example)
    {
        var value = PolicyValues.ParsePercent((node as YamlScalarNode)?.Value);
        if (value is { } v && v >= min && (maxExclusive ? v < max : v <= max))
        {
            return v;
        }

        Add(node, path, $"expected a percentage from {Show(min)}% to {(maxExclusive ? "below " : string.Empty)}{Show(max)}% such as {example}, got {Describe(node)}");
        return null;
    }

    public bool? Bool(YamlNode? node, string path, bool fallback)
    {
        if (node is null)
        {
            return fallback;
        }

        var text = (node as YamlScalarNode)?.Value;
        if (bool.TryParse(text, out var value))
        {
            return value;
        }

        Add(node, path, $"expected true or false, got {Describe(node)}");
        return null;
    }

    public TimeSpan? Duration(YamlNode? node, string path, TimeSpan? fallback, bool allowZero = false)
    {
        if (node is null)
        {
            return fallback;
        }

        var value = PolicyValues.ParseDuration((node as YamlScalarNode)?.Value);
        if (value is { } v && (v > TimeSpan.Zero || (allowZero && v == TimeSpan.Zero)))
        {
            return v;
        }

        var what = allowZero ? "a duration" : "a positive duration";
        Add(node, path, $"expected {what} such as 10m, 1h30m, 24h or PT5M, got {Describe(node)}");
        return null;
    }

    public T? Choice<T>(YamlNode? node, string path, IReadOnlyDictionary<string, T> choices, T? fallback)
        where T : struct
    {
        if (node is null)
        {
            return fallback;
        }

        var text = (node as YamlScalarNode)?.Value?.Trim();
        if (text is not null && choices.TryGetValue(text, out var value))
        {
            return value;
        }

        Add(node, path, $"expected one of: {string.Join(", ", choices.Keys)}, got {Describe(node)}");
        return null;
    }

    /// <summary>Runs a model constructor; an invariant it refuses becomes a problem at <paramref name="node"/>.</summary>
    public T? Build<T>(YamlNode node, string path, Func<T> create)
        where T : class
    {
        try
        {
            return create();
        }
        catch (ArgumentException e)
        {
            var message = e.Message;
            var cut = message.IndexOf(" (Parameter '", StringComparison.Ordinal);
            Add(node, path, cut >= 0 ? message[..cut] : message);
            return null;
        }
    }

    private static string Show(double value) => value.ToString(CultureInfo.InvariantCulture);
}
