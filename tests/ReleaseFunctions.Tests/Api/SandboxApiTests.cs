using System.Net;
using System.Text;
using ReleaseFunctions.Tests.Support;

namespace ReleaseFunctions.Tests.Api;

public sealed class SandboxApiTests
{
    [Fact]
    public async Task An_operator_sets_the_candidate_s_behaviour_and_bad_values_are_400s_naming_the_expected_shape()
    {
        using var app = new ReleaseAppFactory(useSandbox: true);
        var client = app.CreateOperatorClient();

        var set = await client.PutAsync("/api/sandbox/candidate", Json("{\"errorRate\": 0.3, \"addedLatencyMs\": 250}"));
        var tooHigh = await client.PutAsync("/api/sandbox/candidate", Json("{\"errorRate\": 2, \"addedLatencyMs\": 0}"));
        var malformed = await client.PutAsync("/api/sandbox/candidate", Json("{\"errorRate\": "));
        var anonymous = await app.CreateClient().PutAsync("/api/sandbox/candidate", Json("{\"errorRate\": 0, \"addedLatencyMs\": 0}"));

        Assert.Equal(HttpStatusCode.OK, set.StatusCode);
        Assert.Contains("\"errorRate\":0.3", await set.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, tooHigh.StatusCode);
        Assert.Contains("An error rate is a share from 0 to 1", await tooHigh.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
    }

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");
}
