using Microsoft.AspNetCore.StaticFiles;
using Microsoft.Net.Http.Headers;
using ReleaseFunctions.Hosting.Functions;

// In the namespace of the app builder, like AddRazorPages, so Program.cs needs no using for it.
namespace Microsoft.AspNetCore.Builder;

/// <summary>
/// Serves the operator dashboard (plain HTML, CSS and JavaScript modules under <c>wwwroot</c>) at <c>/</c>. The
/// dashboard reads and commands releases only through the operator API, with the key the operator pastes in.
/// </summary>
public static class DashboardHosting
{
    /// <summary>The HTTP function that lets the Functions host forward the dashboard's requests to the app.</summary>
    public const string FunctionName = "Dashboard";

    /// <summary>
    /// Everything the dashboard loads comes from this app: scripts, styles, images and API calls. Inline SVG charts
    /// are markup, so they need nothing more. No framing, so a command button cannot be clicked through another site.
    /// </summary>
    internal const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    /// <summary>
    /// Serves the dashboard's files ahead of the app's endpoints (a file request needs no routing or authentication)
    /// and declares the catch-all GET function, since under the Functions host only declared routes reach the app;
    /// the API's own functions have literal segments and so take precedence over it.
    /// </summary>
    public static WebApplicationBuilder AddDashboard(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddTransient<IStartupFilter, DashboardFiles>();
        builder.Services.AddHttpFunction(FunctionName, "{*path}", "GET");
        return builder;
    }

    private sealed class DashboardFiles(IWebHostEnvironment environment) : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            var files = environment.WebRootFileProvider;
            app.UseDefaultFiles(new DefaultFilesOptions { FileProvider = files });
            app.UseStaticFiles(new StaticFileOptions
            {
                FileProvider = files,
                ContentTypeProvider = new FileExtensionContentTypeProvider(),
                OnPrepareResponse = context =>
                {
                    var headers = context.Context.Response.Headers;
                    // The files change with every deployment and are small: revalidate instead of serving a stale dashboard.
                    headers.CacheControl = "no-cache";
                    headers.XContentTypeOptions = "nosniff";
                    headers[HeaderNames.ContentSecurityPolicy] = ContentSecurityPolicy;
                    headers["Referrer-Policy"] = "no-referrer";
                },
            });
            next(app);
        };
    }
}
