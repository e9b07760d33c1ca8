using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace ReleaseFunctions.Tests.Hosting;

/// <summary>
/// The real app in memory, with its content root in a fresh temporary folder (so no developer's local.settings.json
/// leaks in), extra settings, and test services registered after the app's own.
/// </summary>
internal sealed class FunctionsAppFactory : WebApplicationFactory<Program>
{
    private readonly IReadOnlyDictionary<string, string?> _settings;
    private readonly Action<IServiceCollection> _services;

    public FunctionsAppFactory(IReadOnlyDictionary<string, string?>? settings = null, Action<IServiceCollection>? services = null, string? localSettingsJson = null)
    {
        _settings = settings ?? new Dictionary<string, string?>();
        _services = services ?? (_ => { });
        ContentRoot = Directory.CreateTempSubdirectory("releasefunctions-host-").FullName;
        if (localSettingsJson is not null)
        {
            File.WriteAllText(Path.Combine(ContentRoot, "local.settings.json"), localSettingsJson);
        }
    }

    public string ContentRoot { get; }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseContentRoot(ContentRoot);
        foreach (var (key, value) in _settings)
        {
            builder.UseSetting(key, value);
        }

        builder.ConfigureServices(_services);
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing && Directory.Exists(ContentRoot))
        {
            Directory.Delete(ContentRoot, recursive: true);
        }
    }
}
