using System.Globalization;
using System.Text.Json;

namespace ReleaseFunctions.Hosting.Settings;

/// <summary>
/// The Functions convention for local settings: <c>local.settings.json</c> in the app's root holds app settings as
/// flat strings in <c>Values</c> (keys use <c>__</c> or <c>:</c> between levels) and connection strings in
/// <c>ConnectionStrings</c>. In Azure the same settings arrive as environment variables, which also win locally.
/// </summary>
internal sealed class LocalSettingsFile
{
    public const string FileName = "local.settings.json";

    private LocalSettingsFile(string path, IReadOnlyDictionary<string, string?> values, IReadOnlyList<string> problems)
    {
        Path = path;
        Values = values;
        Problems = problems;
    }

    public string Path { get; }

    /// <summary>Configuration keys (with ':' between levels) and their values.</summary>
    public IReadOnlyDictionary<string, string?> Values { get; }

    public IReadOnlyList<string> Problems { get; }

    /// <summary>
    /// Reads the file from the content root or, when it has none, from the nearest ancestor holding host.json (the
    /// Functions app root: the repository root under <c>dotnet run</c>, the publish folder in Azure). A missing file
    /// gives no values and no problems.
    /// </summary>
    public static LocalSettingsFile Load(string contentRoot)
    {
        var path = Locate(contentRoot);
        var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        var problems = new List<string>();
        if (!File.Exists(path))
        {
            return new LocalSettingsFile(path, values, problems);
        }

        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(path), new JsonDocumentOptions
            {
                CommentHandling = JsonCommentHandling.Skip,
                AllowTrailingCommas = true,
            });
            Read(document.RootElement, path, values, problems);
        }
        catch (JsonException ex)
        {
            problems.Add($"{path} is not valid JSON ({ex.Message}); expected {{\"IsEncrypted\": false, \"Values\": {{\"NAME\": \"value\"}}}}.");
        }
        catch (IOException ex)
        {
            problems.Add($"{path} cannot be read ({ex.Message}); expected a readable file or none.");
        }

        return new LocalSettingsFile(path, values, problems);
    }

    private static string Locate(string contentRoot)
    {
        var inContentRoot = System.IO.Path.Combine(contentRoot, FileName);
        if (File.Exists(inContentRoot))
        {
            return inContentRoot;
        }

        for (var directory = new DirectoryInfo(contentRoot); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(directory.FullName, "host.json")))
            {
                return System.IO.Path.Combine(directory.FullName, FileName);
            }
        }

        return inContentRoot;
    }

    private static void Read(JsonElement root, string path, Dictionary<string, string?> values, List<string> problems)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            problems.Add($"{path} holds a JSON {root.ValueKind}; expected an object with a \"Values\" object.");
            return;
        }

        if (root.TryGetProperty("IsEncrypted", out var encrypted) && encrypted.ValueKind == JsonValueKind.True)
        {
            problems.Add($"{path} has \"IsEncrypted\": true; expected plain values (\"IsEncrypted\": false), since only the Functions Core Tools can decrypt them.");
            return;
        }

        if (root.TryGetProperty("Values", out var settings))
        {
            ReadSection(settings, "Values", prefix: "", path, values, problems);
        }

        if (root.TryGetProperty("ConnectionStrings", out var connectionStrings))
        {
            ReadSection(connectionStrings, "ConnectionStrings", prefix: "ConnectionStrings:", path, values, problems);
        }
    }

    private static void ReadSection(JsonElement section, string sectionName, string prefix, string path, Dictionary<string, string?> values, List<string> problems)
    {
        if (section.ValueKind != JsonValueKind.Object)
        {
            problems.Add($"{path}: \"{sectionName}\" is a JSON {section.ValueKind}; expected an object of \"NAME\": \"value\" pairs.");
            return;
        }

        foreach (var setting in section.EnumerateObject())
        {
            var key = prefix + setting.Name.Replace("__", ":", StringComparison.Ordinal);
            switch (setting.Value.ValueKind)
            {
                case JsonValueKind.String:
                    values[key] = setting.Value.GetString();
                    break;
                case JsonValueKind.Number:
                    values[key] = setting.Value.GetRawText();
                    break;
                case JsonValueKind.True:
                case JsonValueKind.False:
                    values[key] = setting.Value.GetBoolean().ToString(CultureInfo.InvariantCulture).ToLowerInvariant();
                    break;
                case JsonValueKind.Null:
                    break;
                default:
                    problems.Add($"{path}: \"{sectionName}\".\"{setting.Name}\" is a JSON {setting.Value.ValueKind}; expected a string (settings are flat; nest with '__' in the name).");
                    break;
            }
        }
    }
}
