using Microsoft.AspNetCore.StaticFiles;
using Microsoft.Net.Http.Headers;

// In the namespace of the app builder, like UseStaticFiles, so Program.cs needs no using for it.
namespace Microsoft.AspNetCore.Builder;

/// <summary>
/// Serves the operator dashboard (plain HTML, CSS and JavaScript modules under <c>wwwroot</c>) at <c>/</c>. The
/// dashboard reads and commands releases only through the operator API, with the key the operator pastes in.
/// </summary>
public static class DashboardEndpoints
{
    /// <summary>
    /// Everything the dashboard loads comes from this app: scripts, styles, images and API calls. Inline SVG charts
    /// are markup, so they need nothing more. No framing, so a command button cannot be clicked through another site.
    /// </summary>
    internal const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    public static WebApplication MapDashboard(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var files = app.Environment.WebRootFileProvider;
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
        return app;
    }
}
