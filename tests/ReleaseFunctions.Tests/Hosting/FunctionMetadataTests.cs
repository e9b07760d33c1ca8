using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using ReleaseFunctions.Hosting;
using ReleaseFunctions.Hosting.Functions;
using ReleaseFunctions.Hosting.Publish;

namespace ReleaseFunctions.Tests.Hosting;

public sealed class FunctionMetadataTests : IDisposable
{
    private readonly DirectoryInfo _publish = Directory.CreateTempSubdirectory("releasefunctions-publish-");

    public void Dispose() => _publish.Delete(recursive: true);

    [Fact]
    public void An_http_function_becomes_an_anonymous_http_trigger_on_its_route_with_an_http_output()
    {
        FunctionMetadataWriter.Write(Catalog(), _publish.FullName);

        using var document = Read("GitHubWebhook");
        var bindings = document.RootElement.GetProperty("bindings").EnumerateArray().ToList();
        Assert.Equal(2, bindings.Count);
        AssertProperties(bindings[0], ("type", "httpTrigger"), ("direction", "in"), ("name", "req"), ("authLevel", "anonymous"), ("route", "api/github/webhook"));
        Assert.Equal(["post"], bindings[0].GetProperty("methods").EnumerateArray().Select(m => m.GetString()));
        AssertProperties(bindings[1], ("type", "http"), ("direction", "out"), ("name", "res"));
        Assert.Equal(3, bindings[1].EnumerateObject().Count());
    }

    [Fact]
    public void A_timer_function_becomes_a_timer_trigger_with_its_six_field_schedule()
    {
        FunctionMetadataWriter.Write(Catalog(), _publish.FullName);

        using var review = Read("PostReleaseReview");
        using var summary = Read("DoraSummary");
        var reviewTrigger = Assert.Single(review.RootElement.GetProperty("bindings").EnumerateArray());
        var summaryTrigger = Assert.Single(summary.RootElement.GetProperty("bindings").EnumerateArray());
        AssertProperties(reviewTrigger, ("type", "timerTrigger"), ("direction", "in"), ("name", "timer"), ("schedule", "0 */15 * * * *"));
        Assert.False(reviewTrigger.GetProperty("runOnStartup").GetBoolean());
        Assert.Equal(5, reviewTrigger.EnumerateObject().Count());
        Assert.Equal("0 0 6 * * MON", summaryTrigger.GetProperty("schedule").GetString());
    }

    [Fact]
    public void Republishing_removes_functions_no_longer_declared_and_keeps_other_folders()
    {
        var stale = Directory.CreateDirectory(Path.Combine(_publish.FullName, "RetiredTimer"));
        File.WriteAllText(Path.Combine(stale.FullName, "function.json"), "{}");
        var runtimes = Directory.CreateDirectory(Path.Combine(_publish.FullName, "runtimes"));
        File.WriteAllText(Path.Combine(runtimes.FullName, "native.so"), "");

        var written = FunctionMetadataWriter.Write(Catalog(), _publish.FullName);

        Assert.Equal(3, written.Count);
        Assert.False(stale.Exists);
        Assert.True(File.Exists(Path.Combine(runtimes.FullName, "native.so")));
        Assert.Equal(
            ["DoraSummary", "GitHubWebhook", "PostReleaseReview", "runtimes"],
            _publish.EnumerateDirectories().Select(d => d.Name).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task The_app_emits_its_own_catalogue_when_asked_to()
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { ContentRootPath = _publish.FullName });
        builder.AddFunctionsHost();
        builder.Services.AddTimerFunction<ProbeFunction>("PostReleaseReview", "0 */15 * * * *");
        await using var app = builder.Build();

        var exitCode = await app.RunFunctionsHostAsync(["--emit-functions", _publish.FullName]);

        Assert.Equal(0, exitCode);
        using var review = Read("PostReleaseReview");
        Assert.Equal("timerTrigger", review.RootElement.GetProperty("bindings")[0].GetProperty("type").GetString());
    }

    [Fact]
    public void The_host_json_shipped_with_the_app_makes_it_a_forwarding_custom_handler()
    {
        using var host = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "host.json")));

        var root = host.RootElement;
        Assert.Equal("2.0", root.GetProperty("version").GetString());
        var handler = root.GetProperty("customHandler");
        Assert.Equal("ReleaseFunctions", handler.GetProperty("description").GetProperty("defaultExecutablePath").GetString());
        Assert.True(handler.GetProperty("enableForwardingHttpRequest").GetBoolean());
        // An empty prefix makes a declared route the app's own path, so forwarded requests reach the same endpoints.
        Assert.Equal("", root.GetProperty("extensions").GetProperty("http").GetProperty("routePrefix").GetString());
    }

    private static FunctionCatalog Catalog()
    {
        var services = new ServiceCollection()
            .AddHttpFunction("GitHubWebhook", "api/github/webhook", "post")
            .AddTimerFunction<ProbeFunction>("PostReleaseReview", "0 */15 * * * *")
            .AddTimerFunction<ProbeFunction>("DoraSummary", "0 6 * * MON");
        using var provider = services.AddSingleton(new TimerProbe()).BuildServiceProvider();
        return provider.GetRequiredService<FunctionCatalog>();
    }

    private JsonDocument Read(string function) =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(_publish.FullName, function, "function.json")));

    private static void AssertProperties(JsonElement element, params (string Name, string Value)[] expected)
    {
        foreach (var (name, value) in expected)
        {
            Assert.Equal(value, element.GetProperty(name).GetString());
        }
    }
}
