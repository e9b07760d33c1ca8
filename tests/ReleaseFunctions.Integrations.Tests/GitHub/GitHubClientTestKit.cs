using ReleaseFunctions.Integrations.Tests.Support;
using ReleaseFunctions.Core.Releases;
using ReleaseFunctions.Integrations.GitHub;
using ReleaseFunctions.Integrations.GitHub.Client;

namespace ReleaseFunctions.Integrations.Tests.GitHub;

internal static class GitHubClientTestKit
{
    public const long Installation = 45678901;
    public static readonly GitHubRepositoryName Repo = GitHubRepositoryName.Parse("Contoso/checkout-api");
    public static readonly ReleaseId Release = new("Contoso/checkout-api", 42, "9f1c2e3d4b5a69788796a5b4c3d2e1f0a9b8c7d6");

    public static GitHubClient TokenClient(FakeHttpServer server, TestTimeProvider clock, Action<GitHubClientOptions>? configure = null)
    {
        var options = new GitHubClientOptions { BaseAddress = server.BaseAddress, Token = "ghp_test-token", RetryBaseDelay = TimeSpan.FromSeconds(1) };
        configure?.Invoke(options);
        return new GitHubClient(new HttpClient(), options, clock);
    }

    public static TestTimeProvider Clock() => new(WebhookTestKit.Start) { AutoAdvanceUpTo = TimeSpan.MaxValue };

    public static ReleaseStatusView Status(string state = "Soaking", int step = 2, double weight = 25, string next = "Promote to 50% at 14:55 UTC if the gates pass") =>
        new(Release, state, "production", step, 4, weight,
            [new GateResultView("error_rate", GateOutcome.Pass, 0.42, "< 1", "%"), new GateResultView("p99_latency", GateOutcome.Inconclusive, null, "<= +10% of baseline")],
            [new ApprovalView("mona", true, WebhookTestKit.Start, "canary looks | fine")],
            next,
            WebhookTestKit.Start);
}
