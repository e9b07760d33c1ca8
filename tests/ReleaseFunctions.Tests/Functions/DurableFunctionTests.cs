using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using Moq;
using ReleaseFunctions.Core.Releases;
using ReleaseFunctions.Releases;
using ReleaseFunctions.Tests.Support;

namespace ReleaseFunctions.Tests.Functions;

/// <summary>
/// The functions that take the host's <c>[DurableClient]</c>: a mocked <see cref="DurableTaskClient"/> stands for
/// the Durable extension's task hub, a mocked FunctionContext for the invocation, and the handlers behind are real.
/// </summary>
public sealed class DurableFunctionTests : IDisposable
{
    private readonly FunctionsWorkerApp _app = new();
    private readonly Mock<DurableTaskClient> _client = new(MockBehavior.Loose, "releasefunctions-test") { CallBase = true };

    public void Dispose() => _app.Dispose();

    [Fact]
    public async Task A_merge_delivery_starts_its_release_on_the_hosts_task_hub_once()
    {
        string? started = null;
        object? input = null;
        _client.Setup(c => c.GetInstanceAsync(It.IsAny<string>(), It.IsAny<bool>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync((string id, bool _, CancellationToken _) => id == started ? new OrchestrationMetadata(ReleaseWorkflow.OrchestratorName, id) : null);
        _client.Setup(c => c.ScheduleNewOrchestrationInstanceAsync(It.IsAny<TaskName>(), It.IsAny<object?>(), It.IsAny<StartOrchestrationOptions?>(), It.IsAny<CancellationToken>()))
            .Callback((TaskName _, object? given, StartOrchestrationOptions? options, CancellationToken _) => (started, input) = (options!.InstanceId, given))
            .ReturnsAsync((TaskName _, object? _, StartOrchestrationOptions? options, CancellationToken _) => options!.InstanceId!);
        var merge = ReleaseAppFactory.Payload("pull_request.closed.merged");

        var (status, body, _) = await InvokeAsync((f, r, c) => f.GitHubWebhooksAsync(r, _client.Object, c), "POST", "/api/github/webhook", body: merge, headers: Delivery("pull_request", merge));
        var (again, _, _) = await InvokeAsync((f, r, c) => f.GitHubWebhooksAsync(r, _client.Object, c), "POST", "/api/github/webhook", body: merge, headers: Delivery("pull_request", merge));

        Assert.True(status == 202, body);
        var answer = Json(body);
        Assert.Equal("started", answer.GetProperty("status").GetString());
        Assert.Equal(started, answer.GetProperty("release").GetString());
        Assert.IsType<ReleaseRequest>(input);
        Assert.Equal(202, again);
        _client.Verify(c => c.ScheduleNewOrchestrationInstanceAsync(
            It.Is<TaskName>(n => n.Name == ReleaseWorkflow.OrchestratorName), It.IsAny<object?>(), It.IsAny<StartOrchestrationOptions?>(), It.IsAny<CancellationToken>()), Times.Once);
    }

    [Fact]
    public async Task A_delivery_with_a_bad_signature_is_refused_before_the_task_hub_is_touched()
    {
        var merge = ReleaseAppFactory.Payload("pull_request.closed.merged");

        var (status, body, _) = await InvokeAsync((f, r, c) => f.GitHubWebhooksAsync(r, _client.Object, c), "POST", "/api/github/webhook", body: merge,
            headers: Delivery("pull_request", merge, secret: "not the secret"));

        Assert.Equal(401, status);
        Assert.Equal("unauthorized", Json(body).GetProperty("status").GetString());
        _client.VerifyNoOtherCalls();
    }

    [Fact]
    public async Task An_incomplete_delivery_is_422_naming_the_path_on_the_Functions_trigger_too_and_the_task_hub_is_not_touched()
    {
        var merge = System.Text.Json.Nodes.JsonNode.Parse(ReleaseAppFactory.Payload("pull_request.closed.merged"))!;
        merge["pull_request"]!["head"]!.AsObject().Remove("sha");
        var body = merge.ToJsonString();

        var (status, answer, _) = await InvokeAsync((f, r, c) => f.GitHubWebhooksAsync(r, _client.Object, c), "POST", "/api/github/webhook", body: body, headers: Delivery("pull_request", body));

        Assert.Equal(422, status);
        Assert.Equal("rejected", Json(answer).GetProperty("status").GetString());
        Assert.Contains("$.pull_request.head lacks required field(s) 'sha'", Json(answer).GetProperty("reason").GetString(), StringComparison.Ordinal);
        _client.VerifyNoOtherCalls();
    }

    [Fact]
    public async Task GetRelease_and_its_timeline_are_404_for_a_release_neither_the_ledger_nor_the_task_hub_knows()
    {
        _client.Setup(c => c.GetInstanceAsync(It.IsAny<string>(), It.IsAny<bool>(), It.IsAny<CancellationToken>())).ReturnsAsync((OrchestrationMetadata?)null);

        var (release, _, _) = await InvokeAsync((f, r, c) => f.GetReleaseAsync(r, "octo/shop#404", _client.Object, c), "GET", "/api/releases/x");
        var (timeline, _, _) = await InvokeAsync((f, r, c) => f.GetReleaseTimelineAsync(r, "octo/shop#404", _client.Object, c), "GET", "/api/releases/x/timeline");
        var (anonymous, _, _) = await InvokeAsync((f, r, c) => f.GetReleaseAsync(r, "octo/shop#404", _client.Object, c), "GET", "/api/releases/x", operatorKey: null);

        Assert.Equal(404, release);
        Assert.Equal(404, timeline);
        Assert.Equal(401, anonymous);
    }

    [Fact]
    public async Task GetRelease_shows_the_task_hubs_runtime_status()
    {
        var id = new ReleaseId("octo/shop", 9, "0123456789abcdef0123456789abcdef01234567").InstanceId;
        _client.Setup(c => c.GetInstanceAsync(id, It.IsAny<bool>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync(new OrchestrationMetadata(ReleaseWorkflow.OrchestratorName, id) { RuntimeStatus = OrchestrationRuntimeStatus.Running });

        var (status, body, _) = await InvokeAsync((f, r, c) => f.GetReleaseAsync(r, id, _client.Object, c), "GET", "/api/releases/x");

        Assert.True(status == 200, body);
        Assert.Equal("Running", Json(body).GetProperty("runtimeStatus").GetString());
    }

    [Fact]
    public async Task SendReleaseCommand_raises_the_command_as_the_operator_and_names_a_bad_command()
    {
        var id = new ReleaseId("octo/shop", 10, "0123456789abcdef0123456789abcdef01234567").InstanceId;
        _client.Setup(c => c.GetInstanceAsync(id, It.IsAny<bool>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync(new OrchestrationMetadata(ReleaseWorkflow.OrchestratorName, id) { RuntimeStatus = OrchestrationRuntimeStatus.Running });
        ReleaseCommand? raised = null;
        _client.Setup(c => c.RaiseEventAsync(id, ReleaseEvents.Command, It.IsAny<object?>(), It.IsAny<CancellationToken>()))
            .Callback((string _, string _, object? payload, CancellationToken _) => raised = payload as ReleaseCommand)
            .Returns(Task.CompletedTask);

        var (bad, badBody, _) = await InvokeAsync((f, r, c) => f.SendReleaseCommandAsync(r, id, "ship-it", _client.Object, c), "POST", "/api/releases/x/commands/ship-it");
        var (anonymous, _, _) = await InvokeAsync((f, r, c) => f.SendReleaseCommandAsync(r, id, "approve", _client.Object, c), "POST", "/api/releases/x/commands/approve", operatorKey: null);
        var (badJson, badJsonBody, _) = await InvokeAsync((f, r, c) => f.SendReleaseCommandAsync(r, id, "approve", _client.Object, c), "POST", "/api/releases/x/commands/approve", body: "{nope");
        var (accepted, body, _) = await InvokeAsync((f, r, c) => f.SendReleaseCommandAsync(r, id, "approve", _client.Object, c), "POST", "/api/releases/x/commands/approve",
            body: "{\"comment\": \"looks good\"}");

        Assert.Equal(400, bad);
        Assert.Equal("command", Json(badBody).GetProperty("parameter").GetString());
        Assert.Equal(401, anonymous);
        Assert.Equal(400, badJson);
        Assert.Equal("body", Json(badJsonBody).GetProperty("parameter").GetString());
        Assert.True(accepted == 202, body);
        Assert.NotNull(raised);
        Assert.Equal(ReleaseCommandKind.Approve, raised.Kind);
        Assert.Equal("alice", raised.Actor);
        Assert.Equal("looks good", raised.Comment);
        Assert.Equal(_app.Time.GetUtcNow(), raised.IssuedAt);
        _client.Verify(c => c.RaiseEventAsync(id, ReleaseEvents.Command, It.IsAny<object?>(), It.IsAny<CancellationToken>()), Times.Once);
    }

    private static Dictionary<string, string> Delivery(string eventName, string body, string secret = ReleaseAppFactory.WebhookSecret) => new()
    {
        ["X-GitHub-Event"] = eventName,
        ["X-GitHub-Delivery"] = Guid.NewGuid().ToString(),
        ["X-Hub-Signature-256"] = ReleaseAppFactory.Sign(body, secret),
    };

    private static JsonElement Json(string body)
    {
        using var document = JsonDocument.Parse(body);
        return document.RootElement.Clone();
    }

    private async Task<(int Status, string Body, IHeaderDictionary Headers)> InvokeAsync(
        Func<ReleaseFunctions.Functions.ReleaseFunctions, HttpRequest, FunctionContext, Task<IActionResult>> function, string method, string path,
        string? body = null, string? operatorKey = FunctionsWorkerApp.OperatorKey, IDictionary<string, string>? headers = null)
    {
        using var scope = _app.Services.CreateScope();
        var request = FunctionsWorkerApp.Request(scope, method, path, body: body, operatorKey: operatorKey, headers: headers);
        var context = FunctionsWorkerApp.Context(scope);
        var result = await function(_app.Function<ReleaseFunctions.Functions.ReleaseFunctions>(scope), request, context.Object);
        return await FunctionsWorkerApp.ExecuteAsync(result, request);
    }
}
