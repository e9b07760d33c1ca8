using System.Net.Http.Headers;
using Octokit;
using Octokit.Internal;

namespace ReleaseFunctions.Integrations.GitHub.Client;

/// <summary>
/// The end of Octokit's HTTP pipeline: each attempt leaves through the client's <see cref="HttpClient"/> (its pooled
/// connections and its timeout for one attempt), with GitHub's current media type and pinned REST API version.
/// </summary>
internal sealed class GitHubTransportHandler(HttpClient http) : HttpMessageHandler
{
    public const string ApiVersion = "2022-11-28";
    private static readonly MediaTypeWithQualityHeaderValue GitHubJson = new("application/vnd.github+json");

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        // A request message is sent once per HttpClient; every attempt (and the retry handler's next one) sends a copy.
        using var attempt = await HttpClientAdapter.CloneHttpRequestMessageAsync(request).ConfigureAwait(false);
        // Octokit asks for the v3 media type; GitHub documents application/vnd.github+json with the version header.
        if (attempt.Headers.Accept.All(a => a.MediaType == AcceptHeaders.StableVersionJson))
        {
            attempt.Headers.Accept.Clear();
            attempt.Headers.Accept.Add(GitHubJson);
        }

        attempt.Headers.Remove("X-GitHub-Api-Version");
        attempt.Headers.Add("X-GitHub-Api-Version", ApiVersion);
        // Octokit labels its JSON bodies as form data by default; GitHub documents application/json.
        if (attempt.Content?.Headers.ContentType is { MediaType: "application/x-www-form-urlencoded" })
        {
            attempt.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        }

        var response = await http.SendAsync(attempt, HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
        // Octokit reads what it noted on its own request (the time the answer came) from the response's request.
        response.RequestMessage = request;
        return response;
    }
}
