using System.Text;
using Octokit.Webhooks;
using ReleaseFunctions.Integrations.GitHub.Webhooks;

namespace ReleaseFunctions.Integrations.Tests.GitHub;

public sealed class WebhookSignatureTests
{
    [Fact]
    public void Matches_GitHubs_documented_test_vector()
    {
        // From GitHub's "Validating webhook deliveries": secret "It's a Secret to Everybody", payload "Hello, World!".
        // The test kit signs as GitHub does, and the validator the handler uses accepts it.
        var signature = WebhookTestKit.Sign("It's a Secret to Everybody", "Hello, World!"u8);
        Assert.Equal("sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17", signature);
        Assert.Equal(WebhookSignatureValidationResult.Valid, WebhookSignatureValidator.Verify(signature, "It's a Secret to Everybody", "Hello, World!"u8));
    }

    [Fact]
    public async Task A_correctly_signed_ping_is_accepted()
    {
        var handler = WebhookTestKit.Handler(out _);
        var outcome = await handler.HandleAsync(WebhookTestKit.Request("ping", WebhookTestKit.Payload("ping")), default);
        Assert.Equal(new WebhookPong(451230987, "Design for failure."), outcome);
        Assert.Equal(200, outcome.StatusCode);
    }

    [Theory]
    [InlineData(null, "missing X-Hub-Signature-256")]
    [InlineData("", "missing X-Hub-Signature-256")]
    [InlineData("sha1=757107ea0eb2509fc211221cce984b8a37570b6d", "does not start with 'sha256='")]
    [InlineData("sha-256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17", "does not start with 'sha256='")]
    // Octokit.Webhooks reads the prefix in any case, so this one is judged on its digest.
    [InlineData("SHA256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17", "does not match")]
    [InlineData("sha256=xyz", "not 64 hex digits")]
    [InlineData("sha256=0000000000000000000000000000000000000000000000000000000000000000", "does not match")]
    public async Task A_missing_or_wrong_signature_is_unauthorized(string? signature, string reason)
    {
        var handler = WebhookTestKit.Handler(out _);
        var body = Encoding.UTF8.GetBytes(WebhookTestKit.Payload("ping"));
        var headers = new Dictionary<string, string?>
        {
            ["X-GitHub-Event"] = "ping",
            ["X-GitHub-Delivery"] = "d1",
            ["Content-Type"] = "application/json",
            ["X-Hub-Signature-256"] = signature,
        };
        var outcome = await handler.HandleAsync(new WebhookRequest(headers, body), default);
        var unauthorized = Assert.IsType<WebhookUnauthorized>(outcome);
        Assert.Contains(reason, unauthorized.Reason);
        Assert.Equal(401, outcome.StatusCode);
    }

    [Fact]
    public async Task A_signature_from_another_secret_is_unauthorized()
    {
        var handler = WebhookTestKit.Handler(out _);
        var outcome = await handler.HandleAsync(WebhookTestKit.Request("ping", WebhookTestKit.Payload("ping"), secret: "not the secret"), default);
        Assert.IsType<WebhookUnauthorized>(outcome);
    }

    [Fact]
    public async Task A_tampered_body_is_unauthorized()
    {
        var handler = WebhookTestKit.Handler(out _);
        var body = WebhookTestKit.Payload("pull_request.closed.merged");
        var signed = WebhookTestKit.Sign(WebhookTestKit.Secret, Encoding.UTF8.GetBytes(body));
        var tampered = body.Replace("\"label\": \"Contoso:main\"", "\"label\": \"Contoso:mair\"");
        Assert.NotEqual(body, tampered);
        var outcome = await handler.HandleAsync(WebhookTestKit.Request("pull_request", tampered, signature: signed), default);
        Assert.IsType<WebhookUnauthorized>(outcome);
    }

    [Fact]
    public async Task During_a_rotation_both_the_old_and_the_new_secret_are_accepted()
    {
        var handler = WebhookTestKit.Handler(out _, secrets: ["old-secret", "new-secret"]);
        var ping = WebhookTestKit.Payload("ping");
        Assert.IsType<WebhookPong>(await handler.HandleAsync(WebhookTestKit.Request("ping", ping, secret: "old-secret"), default));
        Assert.IsType<WebhookPong>(await handler.HandleAsync(WebhookTestKit.Request("ping", ping, secret: "new-secret"), default));
        Assert.IsType<WebhookUnauthorized>(await handler.HandleAsync(WebhookTestKit.Request("ping", ping, secret: "older-secret"), default));
    }
}
