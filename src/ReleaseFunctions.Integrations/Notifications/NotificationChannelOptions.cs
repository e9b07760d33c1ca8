using ReleaseFunctions.Core.Notifications;
using ReleaseFunctions.Integrations.Http;

namespace ReleaseFunctions.Integrations.Notifications;

/// <summary>
/// Where one channel is reached, from app settings (never from a policy, which anyone who reads the repository reads):
/// its webhook URL, and for a signed webhook the shared secret (at least 16 characters). Neither is ever shown: not
/// in <see cref="ToString"/>, not in a failure message.
/// </summary>
public sealed class NotificationEndpoint
{
    public const int MinimumSecretLength = 16;

    public NotificationEndpoint(Uri url, string? secret = null)
    {
        ArgumentNullException.ThrowIfNull(url);
        if (!url.IsAbsoluteUri || (url.Scheme != Uri.UriSchemeHttps && url.Scheme != Uri.UriSchemeHttp))
        {
            // The URL is a secret (it carries the token that lets anyone post): it is not repeated.
            throw new ArgumentException("A channel's URL must be an absolute http(s) URL.", nameof(url));
        }

        if (secret is not null && secret.Length < MinimumSecretLength)
        {
            throw new ArgumentException($"A channel's signing secret must be at least {MinimumSecretLength} characters, so the signature cannot be guessed.", nameof(secret));
        }

        Url = url;
        Secret = secret;
    }

    public Uri Url { get; }
    public string? Secret { get; }

    public override string ToString() => $"NotificationEndpoint (URL and secret not shown; {(Secret is null ? "no secret" : "with a secret")})";
}

/// <summary>
/// The channels' endpoints by their setting group (<see cref="NotificationChannel.Setting"/>, case-insensitive as app
/// settings are), where messages link to (the pull request on <see cref="GitHubWebUrl"/>, the release's page on the
/// dashboard at <see cref="ReleasePagesUrl"/> when it is configured), and how a channel is retried.
/// </summary>
public sealed class NotificationChannelOptions
{
    public NotificationChannelOptions(IReadOnlyDictionary<string, NotificationEndpoint> endpoints, Uri? releasePagesUrl = null, Uri? gitHubWebUrl = null)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        Endpoints = new Dictionary<string, NotificationEndpoint>(endpoints, StringComparer.OrdinalIgnoreCase);
        ReleasePagesUrl = releasePagesUrl is null ? null : Absolute(releasePagesUrl, nameof(releasePagesUrl));
        GitHubWebUrl = Absolute(gitHubWebUrl ?? new Uri("https://github.com/"), nameof(gitHubWebUrl));
    }

    public IReadOnlyDictionary<string, NotificationEndpoint> Endpoints { get; }

    /// <summary>The setting groups whose URL is <c>sandbox</c>: reached at the local sandbox's inbox (<see cref="Sandbox"/>), not at <see cref="Endpoints"/>. Default: none.</summary>
    public IReadOnlySet<string> SandboxChannels { get; init; } = new HashSet<string>();

    /// <summary>
    /// The running sandbox inbox's endpoint for a setting group, whose address and secret change at every start (so
    /// asked per message); null when the sandbox does not run. Default: null.
    /// </summary>
    public Func<string, NotificationEndpoint>? Sandbox { get; init; }

    /// <summary>The dashboard's public address; a release's page is <c>{ReleasePagesUrl}#/releases/{id}</c>.</summary>
    public Uri? ReleasePagesUrl { get; }

    /// <summary>GitHub's web address (<c>https://github.com/</c>, or a GitHub Enterprise Server's).</summary>
    public Uri GitHubWebUrl { get; }

    /// <summary>Defaults: 4 attempts, back-off from 1 s doubling to at most 30 s with jitter, 30 s per attempt, Retry-After honoured.</summary>
    public HttpResilienceOptions Resilience { get; init; } = new();

    public NotificationLinks LinksFor(ReleaseNotification notification)
    {
        ArgumentNullException.ThrowIfNull(notification);
        var web = GitHubWebUrl.AbsoluteUri.TrimEnd('/');
        var pullRequest = new Uri($"{web}/{notification.Repository}/pull/{notification.PullRequest}");
        var page = ReleasePagesUrl is { } pages ? new Uri($"{pages.GetLeftPart(UriPartial.Query)}#/releases/{Uri.EscapeDataString(notification.Release)}") : null;
        return new NotificationLinks(pullRequest, page);
    }

    private static Uri Absolute(Uri url, string name)
        => url.IsAbsoluteUri && (url.Scheme == Uri.UriSchemeHttps || url.Scheme == Uri.UriSchemeHttp)
            ? url
            : throw new ArgumentException($"Expected an absolute http(s) URL; got '{url}'.", name);
}
