using System.Collections.Concurrent;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ReleaseFunctions.Integrations.Tests.GitHub;

/// <summary>A request as the fake GitHub received it.</summary>
internal sealed record RecordedRequest(string Method, string Path, string Query, IReadOnlyDictionary<string, string> Headers, string Body)
{
    public string Header(string name) => Headers.TryGetValue(name, out var value) ? value : "";
}

/// <summary>A scripted answer: status, JSON body and extra headers.</summary>
internal sealed record FakeAnswer(int Status, string? Json = null, IReadOnlyDictionary<string, string>? Headers = null)
{
    public static FakeAnswer Ok(string json) => new(200, json);
    public static FakeAnswer Created(string json) => new(201, json);
}

/// <summary>
/// A real Kestrel server on 127.0.0.1 standing in for api.github.com: it records every request and answers from the
/// handlers the test scripted (first matching method + path regex; paths compare case-insensitively, as GitHub's owner and repository names do), or 404 with GitHub's error body.
/// </summary>
internal sealed class FakeGitHubServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<RecordedRequest> _requests = new();
    private readonly List<(string Method, Regex Path, Func<RecordedRequest, FakeAnswer> Answer)> _routes = [];

    private FakeGitHubServer(WebApplication app) => _app = app;

    public Uri BaseAddress { get; private set; } = null!;

    public IReadOnlyList<RecordedRequest> Requests => _requests.ToArray();

    public static async Task<FakeGitHubServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.Urls.Add("http://127.0.0.1:0");
        var server = new FakeGitHubServer(app);
        app.Run(server.AnswerAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        server.BaseAddress = new Uri(address.TrimEnd('/') + "/");
        return server;
    }

    /// <summary>Answers requests whose method and path (without query) match; the path regex is anchored.</summary>
    public FakeGitHubServer On(string method, string pathRegex, Func<RecordedRequest, FakeAnswer> answer)
    {
        lock (_routes)
        {
            _routes.Add((method, new Regex("^" + pathRegex + "$", RegexOptions.IgnoreCase), answer));
        }

        return this;
    }

    public IReadOnlyList<RecordedRequest> RequestsTo(string method, string pathRegex) =>
        Requests.Where(r => r.Method == method && Regex.IsMatch(r.Path, "^" + pathRegex + "$", RegexOptions.IgnoreCase)).ToList();

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task AnswerAsync(HttpContext context)
    {
        using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
        var body = await reader.ReadToEndAsync();
        var headers = context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        var request = new RecordedRequest(context.Request.Method, context.Request.Path.Value ?? "", context.Request.QueryString.Value ?? "", headers, body);
        _requests.Enqueue(request);

        Func<RecordedRequest, FakeAnswer>? route;
        lock (_routes)
        {
            route = _routes.FirstOrDefault(r => r.Method == request.Method && r.Path.IsMatch(request.Path)).Answer;
        }

        var answer = route?.Invoke(request) ?? new FakeAnswer(404, """{"message":"Not Found","documentation_url":"https://docs.github.com/rest","status":"404"}""");
        context.Response.StatusCode = answer.Status;
        foreach (var (name, value) in answer.Headers ?? new Dictionary<string, string>())
        {
            context.Response.Headers[name] = value;
        }

        if (answer.Json is not null)
        {
            context.Response.ContentType = "application/json; charset=utf-8";
            await context.Response.WriteAsync(answer.Json);
        }
    }
}
