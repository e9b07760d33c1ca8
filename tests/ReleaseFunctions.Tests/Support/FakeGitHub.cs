using WireMock.Logging;
using WireMock.Matchers;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;
using WireMock.Settings;

namespace ReleaseFunctions.Tests.Support;

/// <summary>
/// A stand-in for GitHub's REST API: a WireMock.Net server on 127.0.0.1 that records every request and answers with the
/// shapes the client reads. <see cref="Respond"/> answers a path differently (e.g. 404 for a missing file).
/// </summary>
internal sealed class FakeGitHub : IDisposable
{
    private const string Created = """{"id": 7, "number": 7}""";
    private readonly WireMockServer _server;

    private FakeGitHub(int port)
    {
        _server = WireMockServer.Start(new WireMockServerSettings { Urls = [$"http://127.0.0.1:{port}"], Logger = new WireMockNullLogger() });
        BaseAddress = new Uri($"http://127.0.0.1:{port}/"); // as bound: WireMock reports "localhost"
        _server.Given(Request.Create().UsingPost().WithPath(new WildcardMatcher("*/deployment_protection_rule"))).AtPriority(100)
            .RespondWith(Response.Create().WithStatusCode(204));
        _server.Given(Request.Create().UsingGet().WithPath(new WildcardMatcher("*/comments"))).AtPriority(100).RespondWith(Json(200, "[]"));
        _server.Given(Request.Create().UsingPost()).AtPriority(200).RespondWith(Json(201, Created));
        _server.Given(Request.Create()).AtPriority(300).RespondWith(Json(200, Created));
    }

    public Uri BaseAddress { get; }

    /// <summary>Every request so far, in order; the path carries its query string.</summary>
    public IReadOnlyList<RecordedRequest> Requests => _server.LogEntries
        .OrderBy(e => e.RequestMessage.DateTime)
        .Select(e => new RecordedRequest(e.RequestMessage.Method, e.RequestMessage.AbsolutePath + Query(e.RequestMessage.RawQuery), e.RequestMessage.Body ?? ""))
        .ToList();

    public static Task<FakeGitHub> StartAsync()
        => Task.FromResult(new FakeGitHub(LoopbackPort.Free()));

    /// <summary>Answers requests whose path ends with <paramref name="pathSuffix"/>; a later answer for the same suffix replaces it.</summary>
    public void Respond(string pathSuffix, int status, string json)
    {
        // The suffix names the mapping, so that answering it again replaces the first answer.
        var id = new Guid(System.Security.Cryptography.MD5.HashData(System.Text.Encoding.UTF8.GetBytes(pathSuffix)));
        _server.Given(Request.Create().WithPath(new WildcardMatcher("*" + pathSuffix))).WithGuid(id).AtPriority(1).RespondWith(Json(status, json));
    }

    private static string Query(string? raw) => string.IsNullOrEmpty(raw) ? "" : "?" + raw.TrimStart('?');

    private static IResponseBuilder Json(int status, string body)
        => Response.Create().WithStatusCode(status).WithHeader("Content-Type", "application/json").WithBody(body);

    public void Dispose()
    {
        _server.Stop();
        _server.Dispose();
    }
}

internal sealed record RecordedRequest(string Method, string Path, string Body);
