using ReleaseFunctions.Core.Ports;
using ReleaseFunctions.Core.Releases;
using ReleaseFunctions.GitHub;
using ReleaseFunctions.Ledger;
using ReleaseFunctions.Tests.PolicySources;
using ReleaseFunctions.Tests.Support;

namespace ReleaseFunctions.Tests.GitHub;

public sealed class ReleaseNotifierTests : IDisposable
{
    private static readonly ReleaseId Release = new("Contoso/checkout-api", 42, "9f1c2e3d4b5a69788796a5b4c3d2e1f0a9b8c7d6");

    private readonly string _folder = Directory.CreateTempSubdirectory("releasefunctions-notifier-").FullName;

    private string LedgerPath => Path.Combine(_folder, "releases.db");

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }

    [Fact]
    public async Task The_first_update_creates_comment_check_run_and_deployment_and_later_ones_update_them()
    {
        using var gitHub = await FakeGitHub.StartAsync();
        using var client = PolicyAdapterTests.Client(gitHub);
        var notifier = new GitHubReleaseNotifier(client, new SqliteReleaseLedger(new ReleaseLedgerOptions { Path = LedgerPath }));

        await notifier.PublishAsync(Update(ReleaseStatus.Running, 1, 10), "u1", default);
        var afterFirst = gitHub.Requests.Select(r => $"{r.Method} {r.Path.Split('?')[0]}").ToArray();
        await notifier.PublishAsync(Update(ReleaseStatus.Promoted, 2, 100), "u2", default);
        var afterSecond = gitHub.Requests.Skip(afterFirst.Length).Select(r => $"{r.Method} {r.Path.Split('?')[0]}").ToArray();

        Assert.Equal(
            [
                "GET /repos/contoso/checkout-api/issues/42/comments",
                "POST /repos/contoso/checkout-api/issues/42/comments",
                "POST /repos/contoso/checkout-api/check-runs",
                "POST /repos/contoso/checkout-api/deployments",
                "POST /repos/contoso/checkout-api/deployments/7/statuses",
            ],
            afterFirst);
        Assert.Equal(
            [
                "PATCH /repos/contoso/checkout-api/issues/comments/7",
                "PATCH /repos/contoso/checkout-api/check-runs/7",
                "POST /repos/contoso/checkout-api/deployments/7/statuses",
            ],
            afterSecond);
        var requests = gitHub.Requests.ToArray();
        Assert.Contains("\"head_sha\":\"9f1c2e3d4b5a69788796a5b4c3d2e1f0a9b8c7d6\"", requests[2].Body, StringComparison.Ordinal);
        Assert.Contains("\"status\":\"in_progress\"", requests[2].Body, StringComparison.Ordinal);
        Assert.Contains("\"state\":\"in_progress\"", requests[4].Body, StringComparison.Ordinal);
        Assert.Contains("\"conclusion\":\"success\"", requests[6].Body, StringComparison.Ordinal);
        Assert.Contains("\"state\":\"success\"", requests[7].Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task After_a_restart_the_comment_check_run_and_deployment_created_before_are_updated_not_created_again()
    {
        using var gitHub = await FakeGitHub.StartAsync();
        using (var before = PolicyAdapterTests.Client(gitHub))
        {
            await new GitHubReleaseNotifier(before, new SqliteReleaseLedger(new ReleaseLedgerOptions { Path = LedgerPath })).PublishAsync(Update(ReleaseStatus.Running, 1, 10), "u1", default);
        }

        var sentBefore = gitHub.Requests.Count;
        // A restart: a new client and notifier, with nothing in memory, over the same ledger file.
        using var after = PolicyAdapterTests.Client(gitHub);
        var restarted = new GitHubReleaseNotifier(after, new SqliteReleaseLedger(new ReleaseLedgerOptions { Path = LedgerPath }));
        await restarted.PublishAsync(Update(ReleaseStatus.Promoted, 2, 100), "u2", default);

        Assert.Equal(5, sentBefore);
        Assert.Equal(
            [
                "PATCH /repos/contoso/checkout-api/issues/comments/7",
                "PATCH /repos/contoso/checkout-api/check-runs/7",
                "POST /repos/contoso/checkout-api/deployments/7/statuses",
            ],
            gitHub.Requests.Skip(sentBefore).Select(r => $"{r.Method} {r.Path.Split('?')[0]}"));
    }

    [Theory]
    [InlineData(ReleaseStatus.RolledBack, "Failure", "Failure")]
    [InlineData(ReleaseStatus.Aborted, "Cancelled", "Inactive")]
    [InlineData(ReleaseStatus.WaitingForApproval, null, "InProgress")]
    [InlineData(ReleaseStatus.Pending, null, "Queued")]
    public void Release_states_map_to_check_run_conclusions_and_deployment_states(ReleaseStatus status, string? conclusion, string deployment)
    {
        Assert.Equal(conclusion, GitHubReleaseNotifier.CheckRun(Update(status, 1, 10)).Conclusion?.ToString());
        Assert.Equal(deployment, GitHubReleaseNotifier.Deployment(status).ToString());
    }

    private static ReleaseStatusUpdate Update(ReleaseStatus status, int step, int weight) => new(
        Release, "checkout-api", "9f1c2e3d4b5a", status, "production", step, 2, weight,
        [new GateSummary("production", 1, "Pass", "error_rate 0.1% < 1%")], ["mona"], $"{status} at {weight}%", "soak 2m",
        TestClock.At(2026, 11, 23, 14, 20, 0), 77);
}
