using System.Text.Json;
using System.Text.Json.Serialization;
using ReleaseFunctions.Hosting.CustomHandler;
using ReleaseFunctions.Hosting.Functions;

namespace ReleaseFunctions.Hosting.Publish;

/// <summary>
/// Writes the function.json files the Functions host reads: one folder per declared function, named after it, in the
/// app root (the publish folder, next to host.json and the executable). Folders of functions no longer declared lose
/// their function.json, so a renamed or removed function does not linger in a republished app.
/// </summary>
internal static class FunctionMetadataWriter
{
    public const string FileName = "function.json";

    /// <summary>Writes every function's metadata and returns the paths written.</summary>
    public static IReadOnlyList<string> Write(FunctionCatalog catalog, string appRoot)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentException.ThrowIfNullOrWhiteSpace(appRoot);
        Directory.CreateDirectory(appRoot);
        RemoveUndeclared(catalog, appRoot);

        var written = new List<string>();
        foreach (var function in catalog.All)
        {
            var folder = Path.Combine(appRoot, function.Name);
            Directory.CreateDirectory(folder);
            var path = Path.Combine(folder, FileName);
            var json = JsonSerializer.SerializeToUtf8Bytes(Describe(function), FunctionMetadataJsonContext.Default.FunctionMetadata);
            File.WriteAllBytes(path, json);
            written.Add(path);
        }

        return written;
    }

    internal static FunctionMetadata Describe(FunctionDeclaration function) => function switch
    {
        HttpFunctionDeclaration http => new FunctionMetadata(
        [
            new FunctionBinding("httpTrigger", "in", "req")
            {
                AuthLevel = "anonymous",
                Methods = http.Methods.Select(method => method.ToLowerInvariant()).ToList(),
                Route = http.Route,
            },
            new FunctionBinding("http", "out", "res"),
        ]),
        TimerFunctionDeclaration timer => new FunctionMetadata(
        [
            new FunctionBinding("timerTrigger", "in", CustomHandlerEndpoints.TimerBindingName)
            {
                Schedule = timer.Schedule.SixFieldExpression,
                RunOnStartup = timer.RunOnStartup,
            },
        ]),
        _ => throw new ArgumentException($"Function '{function.Name}' is a {function.GetType().Name}, which has no function.json form.", nameof(function)),
    };

    private static void RemoveUndeclared(FunctionCatalog catalog, string appRoot)
    {
        foreach (var folder in Directory.EnumerateDirectories(appRoot))
        {
            var metadata = Path.Combine(folder, FileName);
            if (!File.Exists(metadata) || catalog.Find(Path.GetFileName(folder)) is not null)
            {
                continue;
            }

            File.Delete(metadata);
            if (!Directory.EnumerateFileSystemEntries(folder).Any())
            {
                Directory.Delete(folder);
            }
        }
    }
}

/// <summary>A function.json document.</summary>
internal sealed record FunctionMetadata(IReadOnlyList<FunctionBinding> Bindings);

/// <summary>One binding of a function.json; only the members its type uses are written.</summary>
internal sealed record FunctionBinding(string Type, string Direction, string Name)
{
    public string? AuthLevel { get; init; }

    public IReadOnlyList<string>? Methods { get; init; }

    public string? Route { get; init; }

    public string? Schedule { get; init; }

    public bool? RunOnStartup { get; init; }
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    WriteIndented = true)]
[JsonSerializable(typeof(FunctionMetadata))]
internal sealed partial class FunctionMetadataJsonContext : JsonSerializerContext;
