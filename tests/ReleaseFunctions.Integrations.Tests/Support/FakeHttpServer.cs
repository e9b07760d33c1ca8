using System.Collections.Concurrent;
using System.Text;
using System.Text.RegularExpressions;
using WireMock;
using WireMock.Logging;
using WireMock.Matchers;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;
using WireMock.Settings;
using WireMock.Types;
using WireMock.Util;

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

    public static FakeResponse Ok(string json) => new(200, json);

    public static FakeResponse Created(string json) => new(201, json);
}

/// <summary>
/// A WireMock.Net server on 127.0.0.1 (a free port, http or https) that records every request and answers from the
/// routes the test mapped (<see cref="On"/>: method and anchored path regex, case-insensitive, first mapped wins), else
/// from the script (<see cref="Respond"/>).
/// </summary>
public sealed class FakeHttpServer : IAsyncDisposable
{
    private readonly WireMockServer _server;
    private readonly ConcurrentQueue<RecordedRequest> _requests = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly SemaphoreSlim _arrivals = new(0);
    private readonly bool _shiftFixtureDates;
    private Func<RecordedRequest, FakeResponse> _respond = _ => new FakeResponse(500, "no script");
    private int _routes;

    private FakeHttpServer(bool shiftFixtureDates, bool tls)
    {
        _shiftFixtureDates = shiftFixtureDates;
        // The address is kept as given: WireMock reports "localhost", which a client may try on ::1 first.
        var address = $"{(tls ? "https" : "http")}://127.0.0.1:{LoopbackPort.Free()}";
        _server = WireMockServer.Start(new WireMockServerSettings
        {
            Urls = [address],
            UseSSL = tls,
            CertificateSettings = tls ? new WireMockCertificateSettings { X509Certificate = TestTls.ServerCertificate } : null,
            Logger = new WireMockNullLogger(),
        });
        BaseAddress = new Uri(address + "/");
        // The script answers whatever no route took.
        _server.Given(Request.Create()).AtPriority(int.MaxValue).RespondWith(Response.Create().WithCallback(request => AnswerAsync(request, r => _respond(r))));
    }

    public Uri BaseAddress { get; }

    public IReadOnlyList<RecordedRequest> Requests => _requests.ToArray();

    /// <param name="shiftFixtureDates">
    /// True for answers written with the fixtures' literal dates (they move with <see cref="TestClock"/>); false for a
    /// server whose answers are built from the test's clock, whose dates have moved already.
    /// </param>
    /// <param name="tls">True to serve https with <see cref="TestTls.ServerCertificate"/> (clients use <see cref="TestTls.TrustingClient"/>).</param>
    public static Task<FakeHttpServer> StartAsync(Func<RecordedRequest, FakeResponse>? respond = null, bool shiftFixtureDates = true, bool tls = false)
    {
        var server = new FakeHttpServer(shiftFixtureDates, tls);
        if (respond is not null)
        {
            server.Respond(respond);
        }

        return Task.FromResult(server);
    }

    /// <summary>Sets the script: a function of the request.</summary>
    public void Respond(Func<RecordedRequest, FakeResponse> respond) => _respond = respond;

    /// <summary>Answers the listed responses in order, then repeats the last one.</summary>
    public void RespondInOrder(params FakeResponse[] responses)
    {
        var next = 0;
        _respond = _ => responses[Math.Min(Interlocked.Increment(ref next) - 1, responses.Length - 1)];
    }

    /// <summary>Answers requests whose method and path (without the query) match; routes mapped earlier win.</summary>
    public FakeHttpServer On(string method, string pathRegex, Func<RecordedRequest, FakeResponse> answer)
    {
        _server.Given(Request.Create().UsingMethod(method).WithPath(new RegexMatcher($"^{pathRegex}$", ignoreCase: true)))
            .AtPriority(Interlocked.Increment(ref _routes))
            .RespondWith(Response.Create().WithCallback(request => AnswerAsync(request, answer)));
        return this;
    }

    public IReadOnlyList<RecordedRequest> RequestsTo(string method, string pathRegex) =>
        Requests.Where(r => r.Method == method && Regex.IsMatch(r.Path, $"^{pathRegex}$", RegexOptions.IgnoreCase)).ToList();

    /// <summary>Waits (really, bounded) until the server has received at least <paramref name="count"/> requests.</summary>
    public async Task WaitForRequestsAsync(int count)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (_requests.Count < count)
        {
            await _arrivals.WaitAsync(timeout.Token);
        }
    }

    private async Task<IResponseMessage> AnswerAsync(IRequestMessage message, Func<RecordedRequest, FakeResponse> answer)
    {
        var headers = (message.Headers ?? (IDictionary<string, WireMockList<string>>)new Dictionary<string, WireMockList<string>>())
            .ToDictionary(h => h.Key, h => string.Join(",", h.Value), StringComparer.OrdinalIgnoreCase);
        var body = message.Body ?? (message.BodyAsBytes is { } bytes ? Encoding.UTF8.GetString(bytes) : string.Empty);
        var query = string.IsNullOrEmpty(message.RawQuery) ? string.Empty : "?" + message.RawQuery.TrimStart('?');
        var request = new RecordedRequest(message.Method, message.AbsolutePath, query, headers, body);
        _requests.Enqueue(request);
        _arrivals.Release();
        var response = answer(request);
        if (response.Hang)
        {
            await Task.Delay(Timeout.Infinite, _stopping.Token).ContinueWith(_ => { }, TaskScheduler.Default);
        }

        var reply = new ResponseMessage { StatusCode = response.Status, Headers = new Dictionary<string, WireMockList<string>>() };
        foreach (var (name, value) in response.Headers ?? new Dictionary<string, string>())
        {
            reply.AddHeader(name, value);
        }

        if (response.Body is not null)
        {
            if (!reply.Headers.ContainsKey("Content-Type"))
            {
                reply.AddHeader("Content-Type", "application/json; charset=utf-8");
            }

            // Scripted answers are written with the fixtures' dates; they move with them (see TestClock).
            var text = _shiftFixtureDates ? TestClock.ShiftTimestamps(response.Body) : response.Body;
            reply.BodyData = new BodyData { BodyAsString = text, DetectedBodyType = WireMock.Types.BodyType.String, Encoding = Encoding.UTF8 };
        }

        return reply;
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        _server.Stop();
        _server.Dispose();
        _stopping.Dispose();
    }
}
