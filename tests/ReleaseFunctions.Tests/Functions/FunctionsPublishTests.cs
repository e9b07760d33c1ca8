using System.Diagnostics;
using System.Reflection;
using System.Text.Json.Nodes;
using Microsoft.Azure.Functions.Worker;

namespace ReleaseFunctions.Tests.Functions;

/// <summary>
/// <c>dotnet publish src/ReleaseFunctions</c> (once for the class, into a temporary folder) writes what the Functions
/// host loads: functions.metadata with every <c>[Function]</c> of the app, its trigger and bindings; extensions.json
/// with the Durable extension; worker.config.json; host.json; the worker extensions in .azurefunctions/.
/// </summary>
public sealed class FunctionsPublishTests(FunctionsPublishTests.Published published) : IClassFixture<FunctionsPublishTests.Published>
{
    [Fact]
    public void Functions_metadata_lists_every_function_with_its_trigger_and_bindings()
    {
        var metadata = JsonNode.Parse(published.Read("functions.metadata"))!.AsArray()
            .ToDictionary(f => (string)f!["name"]!, f => f!["bindings"]!.AsArray());

        var expected = FunctionsWorkerTests.FunctionClasses
            .SelectMany(t => t.GetMethods())
            .Select(m => (Method: m, Function: m.GetCustomAttribute<FunctionAttribute>()))
            .Where(f => f.Function is not null)
            .ToArray();
        Assert.Equal(expected.Select(f => f.Function!.Name).Order(StringComparer.Ordinal), metadata.Keys.Order(StringComparer.Ordinal));
        foreach (var (method, function) in expected)
        {
            var bindings = metadata[function!.Name];
            foreach (var parameter in method.GetParameters())
            {
                switch (parameter.GetCustomAttributes().FirstOrDefault(a => a is HttpTriggerAttribute or TimerTriggerAttribute or ActivityTriggerAttribute or DurableClientAttribute))
                {
                    case HttpTriggerAttribute http:
                        var trigger = Binding(bindings, "httpTrigger", function.Name);
                        Assert.Equal("in", ((string?)trigger["direction"])?.ToLowerInvariant());
                        Assert.Equal(http.Route, (string?)trigger["route"]);
                        Assert.Equal(http.Methods!.Select(m => m.ToLowerInvariant()), trigger["methods"]!.AsArray().Select(m => ((string)m!).ToLowerInvariant()));
                        Assert.Equal("out", ((string?)Binding(bindings, "http", function.Name)["direction"])?.ToLowerInvariant());
                        break;
                    case TimerTriggerAttribute timer:
                        Assert.Equal(timer.Schedule, (string?)Binding(bindings, "timerTrigger", function.Name)["schedule"]);
                        break;
                    case ActivityTriggerAttribute:
                        Assert.Equal("in", ((string?)Binding(bindings, "activityTrigger", function.Name)["direction"])?.ToLowerInvariant());
                        break;
                    case DurableClientAttribute:
                        Assert.Equal("in", ((string?)Binding(bindings, "durableClient", function.Name)["direction"])?.ToLowerInvariant());
                        break;
                }
            }
        }

        // The schedules are today's, the routes the standalone app's (host.json's route prefix is empty).
        Assert.Equal("0 */15 * * * *", (string?)Binding(metadata["PostReleaseReview"], "timerTrigger", "PostReleaseReview")["schedule"]);
        Assert.Equal("0 0 6 * * MON", (string?)Binding(metadata["DoraSummary"], "timerTrigger", "DoraSummary")["schedule"]);
        Assert.Equal("api/releases", (string?)Binding(metadata["ListReleases"], "httpTrigger", "ListReleases")["route"]);
        Assert.Equal("{*path}", (string?)Binding(metadata["Dashboard"], "httpTrigger", "Dashboard")["route"]);
    }

    [Fact]
    public void Extensions_json_carries_the_durable_extension_and_the_worker_is_dotnet_isolated()
    {
        var extensions = JsonNode.Parse(published.Read("extensions.json"))!["extensions"]!.AsArray();
        var durable = Assert.Single(extensions, e => (string?)e!["name"] == "DurableTask");
        Assert.Contains("Microsoft.Azure.WebJobs.Extensions.DurableTask", (string)durable!["typeName"]!, StringComparison.Ordinal);
        var hintPath = (string)durable["hintPath"]!;
        Assert.True(File.Exists(Path.Combine(published.Folder, hintPath)), $"{hintPath} is not in the publish folder");
        Assert.True(Directory.Exists(Path.Combine(published.Folder, ".azurefunctions")));

        var worker = JsonNode.Parse(published.Read("worker.config.json"))!["description"]!;
        Assert.Equal("dotnet-isolated", (string?)worker["language"]);
        Assert.Equal("ReleaseFunctions.dll", (string?)worker["defaultWorkerPath"]);

        var host = JsonNode.Parse(published.Read("host.json"))!;
        Assert.Equal("2.0", (string?)host["version"]);
        Assert.Null(host["customHandler"]);
        Assert.Equal("", (string?)host["extensions"]!["http"]!["routePrefix"]);
        Assert.Equal("AzureWebJobsStorage", (string?)host["extensions"]!["durableTask"]!["storageProvider"]!["connectionName"]);
        Assert.True(File.Exists(Path.Combine(published.Folder, "wwwroot", "index.html")), "the dashboard's files are published");
    }

    private static JsonNode Binding(JsonArray bindings, string type, string function)
        => bindings.SingleOrDefault(b => (string?)b!["type"] == type) ?? throw new Xunit.Sdk.XunitException($"{function} has no {type} binding: {bindings.ToJsonString()}");

    /// <summary>One <c>dotnet publish</c> of the app for the whole class.</summary>
    public sealed class Published : IDisposable
    {
        public Published()
        {
            Folder = Directory.CreateTempSubdirectory("releasefunctions-publish-").FullName;
            var project = Path.Combine(Infra.BicepTemplateTests.Template.RepoRoot, "src", "ReleaseFunctions", "ReleaseFunctions.csproj");
            var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var argument in new[] { "publish", project, "-c", "Release", "-o", Folder, "-nodeReuse:false", "-p:UseSharedCompilation=false" })
            {
                start.ArgumentList.Add(argument);
            }

            using var process = Process.Start(start)!;
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(TimeSpan.FromMinutes(10)))
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"dotnet publish did not finish within 10 minutes: {output.Result}");
            }

            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException($"dotnet publish failed ({process.ExitCode}): {output.Result}{error.Result}");
            }
        }

        public string Folder { get; }

        public string Read(string file)
        {
            var path = Path.Combine(Folder, file);
            Assert.True(File.Exists(path), $"{file} is not in the publish folder {Folder}");
            return File.ReadAllText(path);
        }

        public void Dispose() => Directory.Delete(Folder, recursive: true);
    }
}
