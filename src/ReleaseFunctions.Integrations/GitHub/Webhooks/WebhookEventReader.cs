using System.Globalization;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using Octokit.Webhooks;
using Octokit.Webhooks.Extensions;

namespace ReleaseFunctions.Integrations.GitHub.Webhooks;

/// <summary>
/// Reads a delivery body into Octokit.Webhooks' event types and turns every way that can fail into a
/// <see cref="WebhookPayloadException"/> naming the JSON path that was wrong and the JSON type GitHub documents there
/// (found on the event types' <c>[JsonPropertyName]</c>s), never a .NET type name. Octokit.Webhooks throws
/// <see cref="JsonException"/> for a missing required property or a wrong JSON type, and lets
/// <see cref="FormatException"/> out of its date converter; a required property sent as <c>null</c> is let through
/// (the library does not check nullability), so <see cref="Present{T}"/> checks what the app reads.
/// </summary>
internal static partial class WebhookEventReader
{
    /// <summary>The depth the reader allows; GitHub's payloads nest fewer than ten levels.</summary>
    private const int MaxDepth = 64;

    private static readonly JsonSerializerOptions Options = new(JsonSerializerOptions.Default) { MaxDepth = MaxDepth };

    /// <summary>
    /// Checks the body is a JSON object and returns its <c>action</c> (null when it has none), so an action the app
    /// does not act on is ignored without reading a payload shape it does not need.
    /// </summary>
    public static string? Action(ReadOnlySpan<byte> body)
    {
        if (SyntaxProblem(body) is { } syntax)
        {
            throw new WebhookPayloadException(400, $"the body is not valid JSON: {syntax}");
        }

        var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = MaxDepth });
        reader.Read();
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw Shape(reader.TokenType == JsonTokenType.Null ? "the body is JSON null; expected an object" : "$ has the wrong type or is out of range; expected an object");
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isAction = reader.ValueTextEquals("action"u8);
            reader.Read();
            if (!isAction)
            {
                reader.Skip();
                continue;
            }

            try
            {
                return reader.TokenType == JsonTokenType.String
                    ? reader.GetString()
                    : throw Shape("$.action has the wrong type or is out of range; expected a string");
            }
            catch (InvalidOperationException)
            {
                throw Shape("$.action is not valid UTF-8; expected a string");
            }
        }

        return null;
    }

    /// <summary>The event; <typeparamref name="T"/> is the event type of the <c>X-GitHub-Event</c> header.</summary>
    public static T Read<T>(ReadOnlyMemory<byte> body)
        where T : WebhookEvent
    {
        try
        {
            return JsonSerializer.Deserialize<T>(body.Span, Options) ?? throw Shape("the body is JSON null; expected an object");
        }
        catch (JsonException e)
        {
            throw Shape(Describe(e, typeof(T)));
        }
        catch (Exception e) when (e is FormatException or InvalidOperationException or OverflowException or ArgumentException)
        {
            // Thrown by a converter without a path (a date that does not parse, a Unix time out of range): find it.
            throw Shape(UnreadableDate(body, typeof(T)) is { } path && TypeAt(typeof(T), path) is { } expected
                ? $"{path} has the wrong type or is out of range; expected {Expected(expected)}"
                : $"a value is not what GitHub documents ({e.Message.ReplaceLineEndings(" ")})");
        }
    }

    /// <summary>A value the app reads, which the event types declare but do not check for <c>null</c>.</summary>
    public static T Present<T>(T? value, string path, string expected, string what = "is null")
        where T : class =>
        value ?? throw Shape($"{path} {what}; expected {expected}");

    /// <summary>A pull request or issue number as the release domain keeps it (GitHub numbers fit an <see cref="int"/>).</summary>
    public static int Number(long value, string path) =>
        value is > 0 and <= int.MaxValue ? (int)value : throw Shape($"{path} is {value}; expected an integer between 1 and {int.MaxValue}");

    private static WebhookPayloadException Shape(string description) => new(422, description);

    private static string Describe(JsonException error, Type root)
    {
        var path = error.Path ?? "$";
        var missing = MissingRequired().Match(error.Message);
        if (missing.Success)
        {
            return $"{(path == "$" ? "the payload" : path)} lacks required field(s) {missing.Groups["names"].Value}";
        }

        return TypeAt(root, path) is { } expected
            ? $"{path} has the wrong type or is out of range; expected {Expected(expected)}"
            : $"{path} is not what GitHub documents";
    }

    /// <summary>The declared type at a JSON path such as <c>$.pull_request.labels[0].name</c>, or null when the path leaves the event type.</summary>
    private static (Type Type, bool Nullable)? TypeAt(Type root, string path)
    {
        if (!path.StartsWith('$'))
        {
            return null;
        }

        (Type Type, bool Nullable) at = (root, false);
        foreach (Match segment in Segment().Matches(path[1..]))
        {
            if (segment.Groups["index"].Success)
            {
                if (ElementType(at.Type) is not { } element)
                {
                    return null;
                }

                at = (element, false);
            }
            else if (PropertyNamed(at.Type, segment.Groups["name"].Value) is { } property)
            {
                at = (property.PropertyType, IsNullable(property));
            }
            else
            {
                return null;
            }
        }

        return at;
    }

    /// <summary>The JSON path of the first date-time that does not read, walking the body along the event type.</summary>
    private static string? UnreadableDate(ReadOnlyMemory<byte> body, Type root)
    {
        using var document = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = MaxDepth });
        return Walk(document.RootElement, root, "$");

        static string? Walk(JsonElement value, Type type, string path)
        {
            var core = Nullable.GetUnderlyingType(type) ?? type;
            if (core == typeof(DateTimeOffset))
            {
                var reads = value.ValueKind switch
                {
                    JsonValueKind.String => DateTimeOffset.TryParse(value.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.None, out _),
                    JsonValueKind.Number => value.TryGetInt64(out var seconds) && seconds is >= -62135596800 and <= 253402300799,
                    JsonValueKind.Null => core != type,
                    _ => false,
                };
                return reads ? null : path;
            }

            if (value.ValueKind == JsonValueKind.Array && ElementType(core) is { } element)
            {
                var i = 0;
                foreach (var item in value.EnumerateArray())
                {
                    if (Walk(item, element, $"{path}[{i++}]") is { } found)
                    {
                        return found;
                    }
                }
            }
            else if (value.ValueKind == JsonValueKind.Object && core.Namespace?.StartsWith("Octokit.", StringComparison.Ordinal) == true)
            {
                foreach (var member in value.EnumerateObject())
                {
                    if (PropertyNamed(core, member.Name) is { } property && Walk(member.Value, property.PropertyType, $"{path}.{member.Name}") is { } found)
                    {
                        return found;
                    }
                }
            }

            return null;
        }
    }

    private static PropertyInfo? PropertyNamed(Type type, string jsonName) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .FirstOrDefault(p => p.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name == jsonName);

    private static Type? ElementType(Type type) =>
        type.IsGenericType && type.GetGenericTypeDefinition() is var definition
        && (definition == typeof(IReadOnlyList<>) || definition == typeof(IEnumerable<>) || definition == typeof(IList<>))
            ? type.GetGenericArguments()[0]
            : null;

    private static bool IsNullable(PropertyInfo property) =>
        Nullable.GetUnderlyingType(property.PropertyType) is not null
        || new NullabilityInfoContext().Create(property).ReadState == NullabilityState.Nullable;

    private static string Expected((Type Type, bool Nullable) at)
    {
        var core = Nullable.GetUnderlyingType(at.Type) ?? at.Type;
        var description = core switch
        {
            _ when core == typeof(string) => "a string",
            _ when core == typeof(int) => "an integer between -2147483648 and 2147483647",
            _ when core == typeof(long) => "an integer between -9223372036854775808 and 9223372036854775807",
            _ when core == typeof(double) || core == typeof(decimal) => "a number",
            _ when core == typeof(bool) => "true or false",
            _ when core == typeof(DateTimeOffset) => "an ISO 8601 date-time such as \"2026-11-23T14:03:09Z\"",
            _ when core == typeof(JsonElement) => "any JSON value",
            _ when core.IsGenericType && core.GetGenericTypeDefinition() == typeof(StringEnum<>) => "a string",
            _ when ElementType(core) is not null => "an array",
            _ => "an object",
        };
        return at.Nullable ? description + " or null" : description;
    }

    /// <summary>Null when the body is well-formed JSON (so a failed read is about its shape), else the syntax error.</summary>
    private static string? SyntaxProblem(ReadOnlySpan<byte> body)
    {
        var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = MaxDepth });
        try
        {
            while (reader.Read())
            {
            }

            return null;
        }
        catch (JsonException e)
        {
            return e.Message;
        }
    }

    [GeneratedRegex(@"was missing required properties including: (?<names>.*?)\.?$")]
    private static partial Regex MissingRequired();

    [GeneratedRegex(@"\.(?<name>[^.\[]+)|\[(?<index>\d+)\]|\['(?<name>[^']*)'\]")]
    private static partial Regex Segment();
}

/// <summary>A delivery body that is not JSON (400) or not the shape GitHub documents (422); the message says where and what was expected.</summary>
internal sealed class WebhookPayloadException(int statusCode, string description) : Exception(description)
{
    public int StatusCode { get; } = statusCode;
}
