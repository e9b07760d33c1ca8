using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ReleaseFunctions.Integrations.Sandbox;

/// <summary>A Kestrel server on 127.0.0.1 with a port the system picks; one handler answers every request.</summary>
internal sealed class LocalHttpServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private LocalHttpServer(WebApplication app, Uri address)
    {
        _app = app;
        Address = address;
    }

    public Uri Address { get; }

    public static async Task<LocalHttpServer> StartAsync(RequestDelegate handler, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.Urls.Add("http://127.0.0.1:0");
        app.Run(handler);
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault()
            ?? throw new InvalidOperationException("Kestrel started without reporting the address it bound.");
        return new LocalHttpServer(app, new Uri(bound.TrimEnd('/') + "/"));
    }

    /// <summary>Answers <paramref name="status"/> with a problem document (RFC 9457) saying what was wrong.</summary>
    public static async Task ProblemAsync(HttpContext context, int status, string title, string detail)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/problem+json; charset=utf-8";
        await context.Response.WriteAsync(new JsonObject { ["title"] = title, ["detail"] = detail, ["status"] = status }.ToJsonString(), context.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>True for a POST; anything else is answered 405 with <c>Allow: POST</c>.</summary>
    public static bool IsPostElseRefused(HttpContext context)
    {
        if (HttpMethods.IsPost(context.Request.Method))
        {
            return true;
        }

        context.Response.StatusCode = StatusCodes.Status405MethodNotAllowed;
        context.Response.Headers.Allow = "POST";
        return false;
    }

    /// <summary>The request's body, whole, as the bytes a signature was computed over.</summary>
    public static async Task<byte[]> ReadBodyAsync(HttpContext context)
    {
        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer, context.RequestAborted).ConfigureAwait(false);
        return buffer.ToArray();
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }
}
