using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using ReleaseFunctions.Core.Migrations;
using ReleaseFunctions.Core.Ports;
using ReleaseFunctions.Integrations.Deployment;
using ReleaseFunctions.Integrations.Http;
using ReleaseFunctions.Integrations.Migrations;
using ReleaseFunctions.Integrations.Tests.Support;

namespace ReleaseFunctions.Integrations.Tests.Migrations;

public sealed class MigrationHookTests : IAsyncLifetime
{
    private const string Secret = "a-migration-secret-of-some-length";
    private static readonly DateTimeOffset Now = TestClock.At(2026, 11, 23, 18, 0, 0);
    private static readonly MigrationRequest Expand = new("release-7", "checkout", "2.0.0", MigrationPhase.Expand, "2026-12-orders-add-currency", "release-7/migration-expand/3");
    private readonly HttpClient _client = new();
    private FakeHttpServer _server = null!;

    public async Task InitializeAsync() => _server = await FakeHttpServer.StartAsync();

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _client.Dispose();
    }

    private MigrationHook Hook() => new(_client,
        new HttpHookOptions(new Uri(_server.BaseAddress, "migrations"), Secret) { Resilience = new HttpResilienceOptions { UseJitter = false } },
        new TestTimeProvider(Now) { AutoAdvanceUpTo = TimeSpan.FromSeconds(10) });

    private static bool Verifies(RecordedRequest request) => ReceivedSignature.Verifies(request, Secret, request.Body);

    [Fact]
    public async Task A_step_is_started_signed_once_per_key_and_read_back_with_another_key()
    {
        _server.Respond(r => !Verifies(r) ? new FakeResponse(401, "bad signature")
            : JsonNode.Parse(r.Body)!["action"]!.GetValue<string>() == "run" ? FakeResponse.Json("""{"state":"running","detail":"adding orders.currency"}""")
            : FakeResponse.Json("""{"state":"applied","detail":"orders.currency exists"}"""));

        var started = await Hook().StartAsync(Expand, CancellationToken.None);
        var read = await Hook().ReadAsync(Expand, CancellationToken.None);

        Assert.Equal((MigrationState.Running, "adding orders.currency", Now), (started.State, started.Detail, started.ReadAt));
        Assert.Equal((MigrationState.Applied, "orders.currency exists"), (read.State, read.Detail));
        var (run, readBack) = (_server.Requests[0], _server.Requests[1]);
        Assert.Equal(("POST", "/migrations", "release-7/migration-expand/3"), (run.Method, run.Path, run.Header("Idempotency-Key")));
        var body = JsonNode.Parse(run.Body)!;
        Assert.Equal(["release-7", "checkout", "2.0.0", "expand", "2026-12-orders-add-currency", "run"],
            new[] { "release", "service", "version", "phase", "migration", "action" }.Select(k => body[k]!.GetValue<string>()));
        Assert.Equal("read", JsonNode.Parse(readBack.Body)!["action"]!.GetValue<string>());
        Assert.NotEqual(run.Header("Idempotency-Key"), readBack.Header("Idempotency-Key"));
    }

    [Theory]
    [InlineData("", "with an empty body")]
    [InlineData("""{"state":"done"}""", "reports state 'done'")]
    [InlineData("""{"detail":"no state"}""", "reports state ''")]
    [InlineData("not json", "not the documented JSON")]
    public async Task An_answer_that_does_not_report_a_state_is_an_error_never_applied(string answer, string expected)
    {
        _server.Respond(_ => new FakeResponse(200, answer));

        var error = await Assert.ThrowsAsync<IntegrationException>(() => Hook().ReadAsync(Expand, CancellationToken.None));

        Assert.Equal(IntegrationFailureKind.MalformedResponse, error.Kind);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_refused_signature_names_the_secret()
    {
        _server.Respond(_ => new FakeResponse(401, "bad signature"));

        var error = await Assert.ThrowsAsync<IntegrationException>(() => Hook().StartAsync(Expand, CancellationToken.None));

        Assert.Equal(IntegrationFailureKind.Unauthorized, error.Kind);
        Assert.Contains("secret", error.Message, StringComparison.Ordinal);
    }
}
