using System.Text;
using System.Text.Json.Nodes;
using ReleaseFunctions.Integrations.GitHub.Webhooks;

namespace ReleaseFunctions.Integrations.Tests.GitHub;

/// <summary>
/// Thousands of damaged deliveries through the handler: none may throw, and every answer is one of the typed
/// outcomes with a 2xx or 4xx status. Most are signed correctly so they reach the JSON reader and the routing.
/// </summary>
public sealed class WebhookFuzzTests
{
    private static readonly (string Event, string Payload)[] Seeds =
    [
        ("pull_request", "pull_request.closed.merged"),
        ("issue_comment", "issue_comment.created"),
        ("deployment_protection_rule", "deployment_protection_rule.requested"),
        ("ping", "ping"),
    ];

    private static readonly int[] Statuses = [200, 202, 400, 401, 413, 415, 422];

    [Fact]
    public async Task Five_thousand_mutated_deliveries_never_throw_and_always_get_a_typed_2xx_or_4xx()
    {
        var random = new Random(20261123);
        var handler = WebhookTestKit.Handler(out _, maxBodyBytes: 64 * 1024);
        var seen = new Dictionary<Type, int>();
        for (var i = 0; i < 5000; i++)
        {
            var (eventName, payload) = Seeds[random.Next(Seeds.Length)];
            var body = Mutate(random, Encoding.UTF8.GetBytes(WebhookTestKit.Payload(payload)));
            var contentType = random.Next(20) == 0 ? Pick(random, "text/plain", "application/x-www-form-urlencoded", "", "application/json;;;", "*/*") : "application/json";
            var signature = random.Next(30) == 0 ? "sha256=" + new string('a', 64) : null;
            var request = WebhookTestKit.Request(random.Next(40) == 0 ? "workflow_run" : eventName, body, contentType: contentType, signature: signature);

            WebhookOutcome outcome;
            try
            {
                outcome = await handler.HandleAsync(request, default);
            }
            catch (Exception e)
            {
                Assert.Fail($"case {i} ({eventName}) threw {e.GetType().Name}: {e.Message}\nbody: {Encoding.UTF8.GetString(body[..Math.Min(body.Length, 400)])}");
                throw;
            }

            Assert.Contains(outcome.StatusCode, Statuses);
            Assert.True(outcome is WebhookUnauthorized or WebhookDuplicate or WebhookIgnored or WebhookPong or WebhookRejected
                or StartReleaseRequested or ReleaseCommandReceived or DeploymentProtectionRuleRequested, $"case {i}: {outcome}");
            if (outcome is WebhookRejected rejected)
            {
                Assert.False(string.IsNullOrWhiteSpace(rejected.Reason));
            }

            seen[outcome.GetType()] = seen.GetValueOrDefault(outcome.GetType()) + 1;
        }

        // The mutations reach every layer: refusals of each kind and, for mild ones, the routed intents.
        Assert.True(seen.GetValueOrDefault(typeof(WebhookRejected)) > 500, string.Join(", ", seen));
        Assert.True(seen.GetValueOrDefault(typeof(WebhookUnauthorized)) > 50, string.Join(", ", seen));
        Assert.True(seen.GetValueOrDefault(typeof(StartReleaseRequested)) > 20, string.Join(", ", seen));
        Assert.True(seen.GetValueOrDefault(typeof(ReleaseCommandReceived)) + seen.GetValueOrDefault(typeof(WebhookIgnored)) > 20, string.Join(", ", seen));
    }

    private static byte[] Mutate(Random random, byte[] body)
    {
        switch (random.Next(9))
        {
            case 0: // random byte flips
                var flipped = (byte[])body.Clone();
                for (var n = random.Next(1, 6); n > 0; n--)
                {
                    flipped[random.Next(flipped.Length)] ^= (byte)(1 << random.Next(8));
                }

                return flipped;
            case 1: // truncation
                return body[..random.Next(body.Length)];
            case 2: // a value swapped for another JSON type
                return SwapValue(random, body, Pick<JsonNode?>(random, null, JsonValue.Create("x"), JsonValue.Create(-1), JsonValue.Create(true), new JsonArray(), new JsonObject(), JsonValue.Create(1.5)));
            case 3: // huge or odd numbers spliced in raw
                return Encoding.UTF8.GetBytes(SwapRaw(random, body, Pick(random, "1e400", "99999999999999999999999999", "-0", "1.0", "-2147483649", "NaN", "0x10")));
            case 4: // deep nesting
                var depth = random.Next(60, 5000);
                return Encoding.UTF8.GetBytes("{\"action\":" + new string('[', depth) + new string(']', depth) + "}");
            case 5: // not JSON at all, or empty, or invalid UTF-8
                return Pick(random, [], "payload=%7B%7D"u8.ToArray(), [0xFF, 0xFE, 0x7B, 0x7D], "null"u8.ToArray(), "[]"u8.ToArray(), "\"text\""u8.ToArray());
            case 6: // a property removed
                return SwapValue(random, body, null, remove: true);
            case 7: // too large for the configured limit
                return [.. body, .. Enumerable.Repeat((byte)' ', 64 * 1024)];
            default: // mild: unknown fields added, still a valid payload
                var node = JsonNode.Parse(body)!.AsObject();
                node["unexpected_" + random.Next(100)] = new JsonObject { ["nested"] = new JsonArray(1, "two", null) };
                return Encoding.UTF8.GetBytes(node.ToJsonString());
        }
    }

    private static byte[] SwapValue(Random random, byte[] body, JsonNode? replacement, bool remove = false)
    {
        var root = JsonNode.Parse(body)!;
        var objects = new List<JsonObject>();
        Collect(root, objects);
        var target = objects[random.Next(objects.Count)];
        if (target.Count > 0)
        {
            var key = target.ElementAt(random.Next(target.Count)).Key;
            if (remove)
            {
                target.Remove(key);
            }
            else
            {
                target[key] = replacement?.DeepClone();
            }
        }

        return Encoding.UTF8.GetBytes(root.ToJsonString());
    }

    private static string SwapRaw(Random random, byte[] body, string raw)
    {
        var text = Encoding.UTF8.GetString(body);
        var numbers = System.Text.RegularExpressions.Regex.Matches(text, @"(?<=: )-?\d+");
        if (numbers.Count == 0)
        {
            return text;
        }

        var m = numbers[random.Next(numbers.Count)];
        return text[..m.Index] + raw + text[(m.Index + m.Length)..];
    }

    private static void Collect(JsonNode? node, List<JsonObject> into)
    {
        switch (node)
        {
            case JsonObject o:
                into.Add(o);
                foreach (var (_, child) in o)
                {
                    Collect(child, into);
                }

                break;
            case JsonArray a:
                foreach (var child in a)
                {
                    Collect(child, into);
                }

                break;
        }
    }

    private static T Pick<T>(Random random, params T[] options) => options[random.Next(options.Length)];
}
