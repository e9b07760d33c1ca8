using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace ReleaseFunctions.Durable;

/// <summary>
/// Turns inputs, results and event payloads into JSON text and back. The default uses System.Text.Json with web
/// defaults; give the options a source-generated resolver to avoid reflection.
/// </summary>
public sealed class DataConverter
{
    private readonly JsonSerializerOptions _options;

    public DataConverter(JsonSerializerOptions? options = null)
    {
        _options = options ?? new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            TypeInfoResolver = new DefaultJsonTypeInfoResolver(),
        };
        _options.MakeReadOnly(populateMissingResolver: true);
    }

    public JsonSerializerOptions Options => _options;

    public string? Serialize(object? value)
        => value is null ? null : JsonSerializer.Serialize(value, value.GetType(), _options);

    /// <summary>Reads JSON text as <paramref name="type"/>; throws <see cref="FormatException"/> naming the type and the problem.</summary>
    public object? Deserialize(string? json, Type type, string what)
    {
        if (json is null)
        {
            return type.IsValueType && Nullable.GetUnderlyingType(type) is null ? Activator.CreateInstance(type) : null;
        }

        try
        {
            return JsonSerializer.Deserialize(json, type, _options);
        }
        catch (JsonException ex)
        {
            throw new FormatException($"{what} could not be read as {type.Name}: {ex.Message} (got: {Truncate(json)})", ex);
        }
        catch (NotSupportedException ex)
        {
            throw new FormatException($"{what} could not be read as {type.Name}: {ex.Message}", ex);
        }
    }

    public T? Deserialize<T>(string? json, string what) => (T?)Deserialize(json, typeof(T), what);

    private static string Truncate(string text) => text.Length <= 200 ? text : text[..200] + "…";
}
