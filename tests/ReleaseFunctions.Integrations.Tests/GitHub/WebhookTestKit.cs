using System.Security.Cryptography;
using System.Text;
using ReleaseFunctions.Integrations.GitHub.Webhooks;

namespace ReleaseFunctions.Integrations.Tests.GitHub;

/// <summary>Signed deliveries built the way GitHub builds them.</summary>
internal static class WebhookTestKit
{
    public const string Secret = "It's a Secret to Everybody";
    public static readonly DateTimeOffset Start = TestClock.At(2026, 11, 23, 14, 30);

    public static string Payload(string name) =>
        TestClock.ShiftTimestamps(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "GitHub", "Payloads", name + ".json")));

    public static GitHubWebhookHandler Handler(
        out FakeTimeProvider clock,
        string[]? secrets = null,
        string[]? releaseBranches = null,
        int maxBodyBytes = GitHubWebhookOptions.DefaultMaxBodyBytes,
        Func<TimeProvider, IWebhookDeliveryLog>? deliveries = null)
    {
        clock = new FakeTimeProvider(Start);
        var options = new GitHubWebhookOptions { Secrets = secrets ?? [Secret], MaxBodyBytes = maxBodyBytes };
        if (releaseBranches is not null)
        {
            options.ReleaseBranches = releaseBranches;
        }

        return new GitHubWebhookHandler(options, deliveries?.Invoke(clock) ?? new InMemoryWebhookDeliveryLog(clock), clock);
    }

    /// <summary>The <c>X-Hub-Signature-256</c> GitHub sends for <paramref name="body"/> under <paramref name="secret"/>.</summary>
    public static string Sign(string secret, ReadOnlySpan<byte> body) =>
        "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body));

    public static WebhookRequest Request(
        string eventName,
        string body,
        string? delivery = null,
        string secret = Secret,
        string? contentType = "application/json",
        string? signature = null) =>
        Request(eventName, Encoding.UTF8.GetBytes(body), delivery, secret, contentType, signature);

    public static WebhookRequest Request(
        string eventName,
        byte[] body,
        string? delivery = null,
        string secret = Secret,
        string? contentType = "application/json",
        string? signature = null)
    {
        var headers = new Dictionary<string, string?>
        {
            ["x-github-event"] = eventName,
            ["X-GitHub-Delivery"] = delivery ?? Guid.NewGuid().ToString(),
            ["X-Hub-Signature-256"] = signature ?? Sign(secret, body),
            ["Content-Type"] = contentType,
            ["User-Agent"] = "GitHub-Hookshot/abc1234",
        };
        return new WebhookRequest(headers, body);
    }
}
