using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using ReleaseFunctions.Integrations.GitHub;
using ReleaseFunctions.Integrations.GitHub.Client;
using ReleaseFunctions.Integrations.GitHub.Webhooks;

namespace ReleaseFunctions.Integrations.Tests.GitHub;

public sealed class GitHubServiceCollectionTests
{
    [Fact]
    public async Task Settings_bind_and_the_handler_and_client_resolve()
    {
        var settings = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["GitHub:Token"] = "ghp_x",
            ["GitHub:BaseAddress"] = "https://ghe.contoso.example/api/v3/",
            ["GitHub:MaxRateLimitWait"] = "00:05:00",
            ["GitHub:Webhook:Secrets:0"] = "old",
            ["GitHub:Webhook:Secrets:1"] = "new",
            ["GitHub:Webhook:ReleaseBranches:0"] = "release/*",
        }).Build();
        var clock = new FakeTimeProvider(WebhookTestKit.Start);
        await using var provider = new ServiceCollection().AddSingleton<TimeProvider>(clock).AddGitHubIntegration(settings).BuildServiceProvider();

        var webhook = provider.GetRequiredService<IOptions<GitHubWebhookOptions>>().Value;
        Assert.Equal(["old", "new"], webhook.Secrets);
        Assert.Equal(["release/*"], webhook.ReleaseBranches);
        var client = provider.GetRequiredService<IOptions<GitHubClientOptions>>().Value;
        Assert.Equal(new Uri("https://ghe.contoso.example/api/v3/"), client.BaseAddress);
        Assert.Equal(TimeSpan.FromMinutes(5), client.MaxRateLimitWait);
        Assert.NotNull(provider.GetRequiredService<GitHubClient>());

        var handler = provider.GetRequiredService<GitHubWebhookHandler>();
        var main = GitHubWebhookHandlerTests.Mutate("pull_request.closed.merged", _ => { });
        var ignored = Assert.IsType<WebhookIgnored>(await handler.HandleAsync(WebhookTestKit.Request("pull_request", main, secret: "new"), default));
        Assert.Contains("'release/*'", ignored.Reason);
    }

    [Fact]
    public async Task Missing_settings_fail_on_resolve_naming_them()
    {
        await using var provider = new ServiceCollection().AddGitHubIntegration(new ConfigurationBuilder().Build()).BuildServiceProvider();
        Assert.Contains("GitHub:Webhook:Secrets", Assert.Throws<ArgumentException>(() => provider.GetRequiredService<GitHubWebhookHandler>()).Message);
        Assert.Contains("GitHub:Token", Assert.Throws<ArgumentException>(() => provider.GetRequiredService<GitHubClient>()).Message);
    }
}
