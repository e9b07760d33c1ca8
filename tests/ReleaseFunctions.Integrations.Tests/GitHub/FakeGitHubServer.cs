using ReleaseFunctions.Integrations.Tests.Support;

namespace ReleaseFunctions.Integrations.Tests.GitHub;

/// <summary>
/// A stand-in for api.github.com: a <see cref="FakeHttpServer"/> whose unmapped paths answer 404 with GitHub's error
/// body. Its answers are the tests' own, with no fixture dates to move.
/// </summary>
internal static class FakeGitHubServer
{
    private const string NotFound = """{"message":"Not Found","documentation_url":"https://docs.github.com/rest","status":"404"}""";

    public static Task<FakeHttpServer> StartAsync() => FakeHttpServer.StartAsync(_ => new FakeResponse(404, NotFound), shiftFixtureDates: false);
}
