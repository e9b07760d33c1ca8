using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace ReleaseFunctions.Tests.Support;

/// <summary>
/// A stand-in for GitHub's REST API on 127.0.0.1 (dynamic port): records every request and answers with the shapes the
/// client reads. <see cref="Respond"/> can answer a path differently (e.g. 404 for a missing file).
/// </summary>
internal sealed class FakeGitHub : IDisposable
{
    private readonly WebApplication _app;

    private FakeGitHub(WebApplication app, Uri baseAddress)
    {
        _app = app;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    public ConcurrentQueue<RecordedRequest> Requests { get; } = new();

    /// <summary>Answers for requests whose path ends with the key: status and JSON body.</summary>
    public ConcurrentDictionary<string, (int Status, string Body)> Respond { get; } = new();

    public static async Task<FakeGitHub> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        var app = builder.Build();
        app.Urls.Add("http://127.0.0.1:0");
        FakeGitHub? fake = null;
        app.Run(async context =>
        {
            using var reader = new StreamReader(context.Request.Body);
            var body = await reader.ReadToEndAsync();
            var path = context.Request.Path.Value ?? "";
            fake!.Requests.Enqueue(new RecordedRequest(context.Request.Method, path + context.Request.QueryString, body));
            var answer = fake.Respond.FirstOrDefault(r => path.EndsWith(r.Key, StringComparison.Ordinal));
            if (answer.Key is not null)
            {
                context.Response.StatusCode = answer.Value.Status;
                context.Response.ContentType = "application/json";
                await context.Response.WriteAsync(answer.Value.Body);
                return;
            }

            if (path.EndsWith("/deployment_protection_rule", StringComparison.Ordinal))
            {
                context.Response.StatusCode = StatusCodes.Status204NoContent;
                return;
            }

            context.Response.StatusCode = context.Request.Method == "POST" ? StatusCodes.Status201Created : StatusCodes.Status200OK;
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(path.EndsWith("/comments", StringComparison.Ordinal) && context.Request.Method == "GET" ? "[]" : "{\"id\": 7, \"number\": 7}");
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        fake = new FakeGitHub(app, new Uri(address.TrimEnd('/') + "/"));
        return fake;
    }

    public void Dispose()
    {
        _app.StopAsync().GetAwaiter().GetResult();
        ((IDisposable)_app).Dispose();
    }
}

internal sealed record RecordedRequest(string Method, string Path, string Body);
