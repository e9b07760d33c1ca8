using System.Globalization;
using System.Runtime.Serialization;
using Microsoft.AspNetCore.WebUtilities;
using Octokit;
using ReleaseFunctions.Core.Ports;

namespace ReleaseFunctions.Integrations.GitHub.Client;

/// <summary>
/// Turns what an Octokit call threw, after the retry handler gave up, into the <see cref="IntegrationException"/> the
/// workflow acts on: the call, GitHub's status and message, and what to check (the setting, the App's permissions).
/// </summary>
internal static class GitHubFailures
{
    public const string SystemName = "GitHub";
    private const int QuotedMessageLimit = 300;

    /// <summary>The exception to throw for <paramref name="failure"/> from <paramref name="call"/> ("POST /repos/…").</summary>
    public static Exception Translate(Exception failure, string call, GitHubClientOptions options, TimeProvider time, CancellationToken cancellationToken) => failure switch
    {
        IntegrationException already => already,
        ApiException api => FromAnswer(api, call, options, time),
        HttpRequestException e => new IntegrationException(SystemName, IntegrationFailureKind.Unavailable,
            $"{call} could not reach GitHub after {options.MaxRetryAttempts} retries: {e.Message}", null, e),
        OperationCanceledException e when !cancellationToken.IsCancellationRequested => new IntegrationException(SystemName, IntegrationFailureKind.Timeout,
            $"{call} got no answer in time after {options.MaxRetryAttempts} retries", null, e),
        // Octokit's JSON reader refuses a body that is not JSON or does not fit the type.
        SerializationException or InvalidCastException or FormatException or OverflowException => Malformed(call, $"not with the documented JSON: {failure.Message}", failure),
        _ => failure,
    };

    /// <summary>An answer that parsed but lacks what GitHub documents (a created comment without an id, say).</summary>
    public static IntegrationException Malformed(string call, string what, Exception? inner = null) =>
        new(SystemName, IntegrationFailureKind.MalformedResponse, $"{call} answered {what}", null, inner);

    private static IntegrationException FromAnswer(ApiException api, string call, GitHubClientOptions options, TimeProvider time)
    {
        var status = (int)api.StatusCode;
        var said = api.ApiError?.Message is { Length: > 0 } message
            ? $": \"{(message.Length <= QuotedMessageLimit ? message : message[..QuotedMessageLimit] + "…")}\""
            : "";
        var answered = $"{call} answered {status} {ReasonPhrases.GetReasonPhrase(status)}{said}";
        var headers = api.HttpResponse?.Headers;
        var wait = GitHubRateLimits.Wait(status, name => Header(headers, name), time.GetUtcNow());
        if (wait is { } w)
        {
            var why = w > options.MaxRateLimitWait
                ? $"the rate limit resets in {Minutes(w)}, longer than the {Minutes(options.MaxRateLimitWait)} allowed (GitHub:MaxRateLimitWait)"
                : $"still rate limited after {options.MaxRetryAttempts} retries";
            return new IntegrationException(SystemName, IntegrationFailureKind.Throttled, $"{answered}; {why}", status, api);
        }

        var kind = status switch
        {
            401 or 403 => IntegrationFailureKind.Unauthorized,
            404 => IntegrationFailureKind.NotFound,
            429 => IntegrationFailureKind.Throttled,
            >= 500 => IntegrationFailureKind.Unavailable,
            _ => IntegrationFailureKind.Rejected,
        };
        var hint = kind switch
        {
            IntegrationFailureKind.Unauthorized => "; check the token or the App's permissions and installation",
            IntegrationFailureKind.Unavailable => $" after {options.MaxRetryAttempts} retries",
            _ => "",
        };
        return new IntegrationException(SystemName, kind, answered + hint, status, api);
    }

    private static string? Header(IReadOnlyDictionary<string, string>? headers, string name) =>
        headers?.FirstOrDefault(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Value?.Trim();

    private static string Minutes(TimeSpan span) => string.Create(CultureInfo.InvariantCulture, $"{(int)span.TotalMinutes}m{span.Seconds:00}s");
}
