using Microsoft.AspNetCore.StaticFiles;
using Microsoft.Extensions.FileProviders;
using Microsoft.Net.Http.Headers;

// In the namespace of the app builder, like AddRazorPages, so Program.cs needs no using for it.
namespace Microsoft.AspNetCore.Builder;

/// <summary>
/// Serves the operator dashboard (plain HTML, CSS and JavaScript modules under <c>wwwroot</c>) at <c>/</c>. The
/// dashboard reads and commands releases only through the operator API, with the key the operator pastes in.
/// </summary>
public static class DashboardHosting
{
    /// <summary>The catch-all GET function that serves the dashboard under the Functions host.</summary>
    public const string FunctionName = "Dashboard";

    private const string IndexFile = "index.html";
    private static readonly FileExtensionContentTypeProvider ContentTypes = new();

    /// <summary>
    /// Everything the dashboard loads comes from this app: scripts, styles, images and API calls. Inline SVG charts
    /// are markup, so they need nothing more. No framing, so a command button cannot be clicked through another site.
    /// </summary>
    internal const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    /// <summary>
    /// Standalone: serves the dashboard's files ahead of the app's endpoints (a file request needs no routing or
    /// authentication). Under the Functions host the <c>Dashboard</c> function serves them through <see cref="Serve"/>
    /// (a middleware answering ahead of the worker's would leave the host's invocation waiting).
    /// </summary>
    public static WebApplicationBuilder AddDashboard(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddTransient<IStartupFilter, DashboardFiles>();
        return builder;
    }

    /// <summary>
    /// The dashboard's files: the web root's when it has them, else the <c>wwwroot</c> published beside the executable
    /// (so <c>dotnet run</c> serves them whatever the working directory).
    /// </summary>
    internal static IFileProvider Files(IWebHostEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        if (environment.WebRootFileProvider.GetFileInfo(IndexFile).Exists)
        {
            return environment.WebRootFileProvider;
        }

        var beside = Path.Combine(AppContext.BaseDirectory, "wwwroot");
        return Directory.Exists(beside) ? new PhysicalFileProvider(beside) : environment.WebRootFileProvider;
    }

    /// <summary>
    /// The dashboard file at <paramref name="path"/> (the folder's index.html for an empty path or one ending in '/'),
    /// with the headers the standalone app sends with it, or 404.
    /// </summary>
    internal static IResult Serve(IFileProvider files, string? path)
    {
        ArgumentNullException.ThrowIfNull(files);
        var relative = (path ?? "").TrimStart('/');
        if (relative.Length == 0 || relative.EndsWith('/'))
        {
            relative += IndexFile;
        }

        var file = files.GetFileInfo(relative);
        if (!file.Exists || file.IsDirectory || !ContentTypes.TryGetContentType(file.Name, out var contentType))
        {
            return TypedResults.NotFound();
        }

        return new DashboardFileResult(file, contentType);
    }

    /// <summary>What every dashboard file is sent with, by either host.</summary>
    private static void AddHeaders(HttpResponse response)
    {
        var headers = response.Headers;
        // The files change with every deployment and are small: revalidate instead of serving a stale dashboard.
        headers.CacheControl = "no-cache";
        headers.XContentTypeOptions = "nosniff";
        headers[HeaderNames.ContentSecurityPolicy] = ContentSecurityPolicy;
        headers["Referrer-Policy"] = "no-referrer";
    }

    private sealed class DashboardFileResult(IFileInfo file, string contentType) : IResult
    {
        public async Task ExecuteAsync(HttpContext context)
        {
            var response = context.Response;
            AddHeaders(response);
            response.ContentType = contentType;
            response.ContentLength = file.Length;
            await response.SendFileAsync(file, context.RequestAborted);
        }
    }

    private sealed class DashboardFiles(IWebHostEnvironment environment) : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            var files = Files(environment);
            app.UseDefaultFiles(new DefaultFilesOptions { FileProvider = files });
            app.UseStaticFiles(new StaticFileOptions
            {
                FileProvider = files,
                ContentTypeProvider = ContentTypes,
                OnPrepareResponse = context => AddHeaders(context.Context.Response),
            });
            next(app);
        };
    }
}
