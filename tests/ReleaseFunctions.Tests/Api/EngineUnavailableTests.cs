using System.Net;
using System.Text;
using System.Text.Json;
using Grpc.Core;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using Moq;
using ReleaseFunctions.Tests.Support;

namespace ReleaseFunctions.Tests.Api;

/// <summary>An engine that does not answer makes the operator API say so with a 503 to retry, never a bare 500.</summary>
public sealed class EngineUnavailableTests
{
    private const string Release = "release-contoso.checkout-api-pr42-9f1c2e3d4b5a";

    [Theory]
    [InlineData(StatusCode.Unavailable)]
    [InlineData(StatusCode.DeadlineExceeded)]
    public async Task A_command_while_the_engine_does_not_answer_is_503_with_retry_after_and_the_cause(StatusCode status)
    {
        var engine = new Mock<DurableTaskClient>(MockBehavior.Loose, "unreachable") { CallBase = false };
        engine.Setup(c => c.GetInstanceAsync(It.IsAny<string>(), It.IsAny<bool>(), It.IsAny<CancellationToken>()))
            .ThrowsAsync(new RpcException(new Status(status, "Error starting gRPC call: connection refused")));
        using var app = new ReleaseAppFactory(services: s => s.AddSingleton(engine.Object));

        var response = await app.CreateOperatorClient().PostAsync($"/api/releases/{Release}/commands/rollback",
            new StringContent("{\"comment\": \"now\"}", Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(5), response.Headers.RetryAfter?.Delta);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(503, problem.RootElement.GetProperty("status").GetInt32());
        var detail = problem.RootElement.GetProperty("detail").GetString()!;
        Assert.Contains(status.ToString(), detail, StringComparison.Ordinal);
        Assert.Contains("send it again", detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Another_failure_is_not_passed_off_as_the_engine_being_unavailable()
    {
        var engine = new Mock<DurableTaskClient>(MockBehavior.Loose, "broken") { CallBase = false };
        engine.Setup(c => c.GetInstanceAsync(It.IsAny<string>(), It.IsAny<bool>(), It.IsAny<CancellationToken>()))
            .ThrowsAsync(new RpcException(new Status(StatusCode.Internal, "a bug")));
        using var app = new ReleaseAppFactory(services: s => s.AddSingleton(engine.Object));

        var response = await app.CreateOperatorClient().PostAsync($"/api/releases/{Release}/commands/rollback",
            new StringContent("{}", Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode); // a fault of the app stays visible as one
        Assert.Null(response.Headers.RetryAfter);
    }
}
