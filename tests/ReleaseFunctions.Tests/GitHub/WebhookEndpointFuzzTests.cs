using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using ReleaseFunctions.Tests.Support;

namespace ReleaseFunctions.Tests.GitHub;

/// <summary>
/// Damaged deliveries through the app's HTTP endpoint (the handler's own fuzz test covers the JSON layer in depth):
/// damaged bodies, headers that are missing, doubled or malformed, wrong content types, bodies over the limit. None
/// may get a 5xx, the app keeps answering, and what was recorded before stays.
/// </summary>
public sealed class WebhookEndpointFuzzTests
{
    private static readonly string[] Events = ["pull_request", "issue_comment", "deployment_protection_rule", "ping", "push", "", "pull_request\u0000"];
    private static readonly string[] Payloads = ["pull_request.closed.merged", "issue_comment.created", "deployment_protection_rule.requested", "ping"];

    [Fact]
    public async Task Two_thousand_damaged_deliveries_get_no_5xx_and_the_app_keeps_its_records()
    {
        using var app = new ReleaseAppFactory();
        using var client = app.CreateClient();
        using (var first = await app.DeliverAsync("pull_request", ReleaseAppFactory.Payload("pull_request.closed.merged")))
        {
            Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        }

        const string Release = "release-contoso.checkout-api-pr42-9f1c2e3d4b5a";
        await Eventually.ReturnsAsync(() => app.Ledger.GetReleaseAsync(Release, default), "the first release's record");
        var recorded = (await app.Ledger.GetAuditTrailAsync(Release, default)).Count;

        var random = new Random(20261124);
        var statuses = new Dictionary<int, int>();
        for (var i = 0; i < 2000; i++)
        {
            var body = Damage(random, Encoding.UTF8.GetBytes(ReleaseAppFactory.Payload(Payloads[random.Next(Payloads.Length)])));
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/github/webhook") { Content = new ByteArrayContent(body) };
            if (random.Next(15) != 0)
            {
                request.Content.Headers.ContentType = new MediaTypeHeaderValue(random.Next(20) == 0 ? "text/plain" : "application/json");
            }

            if (random.Next(20) != 0)
            {
                request.Headers.TryAddWithoutValidation("X-GitHub-Event", Events[random.Next(Events.Length)]);
            }

            if (random.Next(20) != 0)
            {
                request.Headers.TryAddWithoutValidation("X-GitHub-Delivery", random.Next(10) == 0 ? "not a guid \u00e9" : Guid.NewGuid().ToString());
            }

            var signature = random.Next(12) switch
            {
                0 => null,
                1 => "sha256=zz",
                2 => "sha1=" + new string('0', 40),
                3 => ReleaseAppFactory.Sign(Encoding.UTF8.GetString(body), "wrong secret"),
                _ => "sha256=" + Convert.ToHexStringLower(System.Security.Cryptography.HMACSHA256.HashData(Encoding.UTF8.GetBytes(ReleaseAppFactory.WebhookSecret), body)),
            };
            if (signature is not null)
            {
                request.Headers.TryAddWithoutValidation("X-Hub-Signature-256", signature);
                if (random.Next(30) == 0)
                {
                    request.Headers.TryAddWithoutValidation("X-Hub-Signature-256", signature); // doubled
                }
            }

            using var response = await client.SendAsync(request);
            var status = (int)response.StatusCode;
            Assert.True(status < 500, $"case {i}: {status} {await response.Content.ReadAsStringAsync()}");
            statuses[status] = statuses.GetValueOrDefault(status) + 1;
        }

        // Every layer was reached: refusals of the signature, of the body, and deliveries that went through.
        Assert.True(statuses.GetValueOrDefault(401) > 100, string.Join(", ", statuses));
        Assert.True(statuses.GetValueOrDefault(400) + statuses.GetValueOrDefault(422) > 100, string.Join(", ", statuses));
        Assert.True(statuses.GetValueOrDefault(413) > 10, string.Join(", ", statuses));
        Assert.True(statuses.GetValueOrDefault(200) + statuses.GetValueOrDefault(202) > 100, string.Join(", ", statuses));
        using var health = await client.GetAsync("/healthz");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.True((await app.Ledger.GetAuditTrailAsync(Release, default)).Count >= recorded);
        Assert.True(Core.Audit.AuditChain.Verify(await app.Ledger.GetAuditTrailAsync(Release, default), app.Services.GetRequiredService<global::ReleaseFunctions.Ledger.AuditChainKeySource>().Key).IsIntact);
    }

    private static byte[] Damage(Random random, byte[] body) => random.Next(8) switch
    {
        0 => Flip(random, body),
        1 => body[..random.Next(body.Length)],
        2 => [],
        3 => [.. body, .. Enumerable.Repeat((byte)' ', (1 << 20) + 1)], // over the 1 MiB limit
        4 => [0xEF, 0xBB, 0xBF, .. body], // a byte-order mark
        5 => Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(body).Replace("\"number\"", "\"number\":\"x\",\"n\"", StringComparison.Ordinal)),
        6 => [0xC3, 0x28, .. body[1..]], // invalid UTF-8 up front
        _ => body, // intact, so some get through to the routing
    };

    private static byte[] Flip(Random random, byte[] body)
    {
        var flipped = (byte[])body.Clone();
        for (var n = random.Next(1, 8); n > 0; n--)
        {
            flipped[random.Next(flipped.Length)] ^= (byte)(1 << random.Next(8));
        }

        return flipped;
    }
}
