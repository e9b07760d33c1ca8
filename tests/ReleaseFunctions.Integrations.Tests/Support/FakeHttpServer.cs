using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace ReleaseFunctions.Integrations.Tests.Support;

/// <summary>A request as the fake server received it.</summary>
public sealed record RecordedRequest(string Method, string Path, string QueryString, IReadOnlyDictionary<string, string> Headers, string Body)
{
    /// <summary>The unescaped value of a query-string parameter, or null.</summary>
    public string? Query(string name)
    {
        var parsed = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(QueryString);
        return parsed.TryGetValue(name, out var value) ? value.ToString() : null;
    }

    public string? Header(string name) => Headers.TryGetValue(name, out var value) ? value : null;
}

/// <summary>What the fake server answers. <see cref="Hang"/> answers never (until the server stops).</summary>
public sealed record FakeResponse(int Status, string? Body = null, IReadOnlyDictionary<string, string>? Headers = null, bool Hang = false)
{
    public static FakeResponse Json(string body, int status = 200) => new(status, body);
}

/// <summary>
/// A real Kestrel server on 127.0.0.1 with a dynamic port that records every request and answers through a
/// script the test sets.
/// </summary>
public sealed class FakeHttpServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<RecordedRequest> _requests = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly SemaphoreSlim _arrivals = new(0);
    private Func<RecordedRequest, FakeResponse> _respond = _ => new FakeResponse(500, "no script");

    private readonly bool _shiftFixtureDates;

    private FakeHttpServer(WebApplication app, bool shiftFixtureDates)
    {
        _app = app;
        _shiftFixtureDates = shiftFixtureDates;
    }

    public Uri BaseAddress { get; private set; } = null!;

    public IReadOnlyList<RecordedRequest> Requests => _requests.ToArray();

    /// <param name="shiftFixtureDates">
    /// True for answers written with the fixtures' literal dates (they move with <see cref="TestClock"/>); false for a
    /// server whose answers are built from the test's clock, whose dates have moved already.
    /// </param>
    /// <param name="tls">True to serve https with <see cref="TestTls.ServerCertificate"/> (clients use <see cref="TestTls.TrustingClient"/>).</param>
    public static async Task<FakeHttpServer> StartAsync(Func<RecordedRequest, FakeResponse>? respond = null, bool shiftFixtureDates = true, bool tls = false)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        if (tls)
        {
            builder.WebHost.UseKestrelHttpsConfiguration();
            builder.WebHost.ConfigureKestrel(kestrel => kestrel.ConfigureHttpsDefaults(https => https.ServerCertificate = TestTls.ServerCertificate));
        }

        var app = builder.Build();
        app.Urls.Add(tls ? "https://127.0.0.1:0" : "http://127.0.0.1:0");
        var server = new FakeHttpServer(app, shiftFixtureDates);
        if (respond is not null)
        {
            server.Respond(respond);
        }

        app.Run(server.HandleAsync);
        await app.StartAsync();
        var address = app.Services.GetService(typeof(IServer)) is IServer s
            ? s.Features.Get<IServerAddressesFeature>()!.Addresses.First()
            : throw new InvalidOperationException("no server");
        server.BaseAddress = new Uri(address.TrimEnd('/') + "/");
        return server;
    }

    /// <summary>Sets the script: a function of the request.</summary>
    public void Respond(Func<RecordedRequest, FakeResponse> respond) => _respond = respond;

    /// <summary>Answers the listed responses in order, then repeats the last one.</summary>
    public void RespondInOrder(params FakeResponse[] responses)
    {
        var next = 0;
        _respond = _ => responses[Math.Min(Interlocked.Increment(ref next) - 1, responses.Length - 1)];
    }

    /// <summary>Waits (really, bounded) until the server has received at least <paramref name="count"/> requests.</summary>
    public async Task WaitForRequestsAsync(int count)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (_requests.Count < count)
        {
            await _arrivals.WaitAsync(timeout.Token);
        }
    }

    private async Task HandleAsync(HttpContext context)
    {
        using var reader = new StreamReader(context.Request.Body);
        var body = await reader.ReadToEndAsync();
        var headers = context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        var request = new RecordedRequest(context.Request.Method, context.Request.Path.Value ?? "/", context.Request.QueryString.Value ?? string.Empty, headers, body);
        _requests.Enqueue(request);
        _arrivals.Release();
        var response = _respond(request);
        if (response.Hang)
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token, context.RequestAborted);
            try
            {
                await Task.Delay(Timeout.Infinite, linked.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }

        context.Response.StatusCode = response.Status;
        foreach (var (name, value) in response.Headers ?? new Dictionary<string, string>())
        {
            context.Response.Headers[name] = value;
        }

        if (response.Body is not null)
        {
            context.Response.ContentType ??= "application/json";
            // Scripted answers are written with the fixtures' dates; they move with them (see TestClock).
            await context.Response.WriteAsync(_shiftFixtureDates ? TestClock.ShiftTimestamps(response.Body) : response.Body);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        await _app.StopAsync();
        await _app.DisposeAsync();
        _stopping.Dispose();
    }
}
