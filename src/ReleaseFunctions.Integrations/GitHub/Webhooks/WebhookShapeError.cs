using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using System.Text.RegularExpressions;

namespace ReleaseFunctions.Integrations.GitHub.Webhooks;

/// <summary>
/// Turns a <see cref="JsonException"/> about a payload's shape into a sentence a webhook sender can act on: the JSON
/// path that was wrong and the JSON type GitHub documents there (found by walking the source-generated metadata),
/// instead of .NET type names.
/// </summary>
internal static partial class WebhookShapeError
{
    public static string Describe(JsonException error, JsonTypeInfo root)
    {
        try
        {
            return Locate(error, root);
        }
        catch (Exception e) when (e is NotSupportedException or InvalidOperationException or ArgumentException)
        {
            // The metadata walk is a nicety; the serializer's own message still names the problem.
            return error.Message;
        }
    }

    private static string Locate(JsonException error, JsonTypeInfo root)
    {
        var missing = MissingRequired().Match(error.Message);
        if (missing.Success)
        {
            var places = new List<string>();
            PathsOf(root, missing.Groups["type"].Value, "$", depth: 0, places);
            var where = places.Count == 0 ? "an object" : string.Join(" or ", places);
            return $"{where} lacks required field(s) {missing.Groups["names"].Value}";
        }

        if (error.Path is { } path && TypeAt(root, path) is { } expected)
        {
            var what = error.Message.Contains("null", StringComparison.Ordinal) && error.Message.Contains("doesn't allow null", StringComparison.Ordinal)
                ? "is null"
                : "has the wrong type or is out of range";
            return $"{path} {what}; expected {Expected(expected)}";
        }

        return error.Message;
    }

    /// <summary>The declared type at a JSON path such as <c>$.pull_request.labels[0].name</c>, or null when the path leaves the model.</summary>
    private static Type? TypeAt(JsonTypeInfo root, string path)
    {
        if (!path.StartsWith('$'))
        {
            return null;
        }

        var type = root.Type;
        foreach (Match segment in Segment().Matches(path[1..]))
        {
            var info = root.Options.GetTypeInfo(type);
            if (segment.Groups["index"].Success)
            {
                type = info.ElementType;
            }
            else
            {
                type = info.Properties.FirstOrDefault(p => p.Name == segment.Groups["name"].Value)?.PropertyType;
            }

            if (type is null)
            {
                return null;
            }
        }

        return type;
    }

    /// <summary>The JSON paths where objects of <paramref name="clrTypeName"/> sit in the payload (one type may sit in several places).</summary>
    private static void PathsOf(JsonTypeInfo root, string clrTypeName, string path, int depth, List<string> found)
    {
        if (root.Type.FullName == clrTypeName)
        {
            found.Add(path == "$" ? "the payload" : path);
            return;
        }

        if (depth > 6 || root.Kind != JsonTypeInfoKind.Object)
        {
            return;
        }

        foreach (var property in root.Properties)
        {
            var type = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            var info = root.Options.GetTypeInfo(type);
            if (info.ElementType is { } element)
            {
                PathsOf(root.Options.GetTypeInfo(element), clrTypeName, $"{path}.{property.Name}[]", depth + 1, found);
            }
            else
            {
                PathsOf(info, clrTypeName, $"{path}.{property.Name}", depth + 1, found);
            }
        }
    }

    private static string Expected(Type type)
    {
        var underlying = Nullable.GetUnderlyingType(type);
        var core = underlying ?? type;
        var description = core switch
        {
            _ when core == typeof(string) => "a string",
            _ when core == typeof(int) => "an integer between -2147483648 and 2147483647",
            _ when core == typeof(long) => "an integer between -9223372036854775808 and 9223372036854775807",
            _ when core == typeof(bool) => "true or false",
            _ when core == typeof(DateTimeOffset) => "an ISO 8601 date-time such as \"2026-11-23T14:03:09Z\"",
            _ when core.IsGenericType && core.GetGenericTypeDefinition() == typeof(IReadOnlyList<>) => "an array",
            _ => "an object",
        };
        return underlying is null ? description : description + " or null";
    }

    [GeneratedRegex(@"type '(?<type>[^']+)' was missing required properties including: (?<names>.*?)\.?$")]
    private static partial Regex MissingRequired();

    [GeneratedRegex(@"\.(?<name>[^.\[]+)|\[(?<index>\d+)\]|\['(?<name>[^']*)'\]")]
    private static partial Regex Segment();
}
