using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using ReleaseFunctions.Core.Audit;
using ReleaseFunctions.Core.Releases;
using ReleaseFunctions.Releases;
using ReleaseFunctions.Tests.Support;
using EventRaisedEvent = ReleaseFunctions.Durable.EventRaisedEvent;

namespace ReleaseFunctions.Tests.Api;

public sealed class ReleasesApiTests
{
    private const string ReleaseInstance = "release-contoso.checkout-api-pr42-9f1c2e3d4b5a";

    [Fact]
    public async Task Without_a_key_or_with_a_wrong_one_the_api_answers_401_with_what_to_send()
    {
        using var app = new ReleaseAppFactory();
        var anonymous = app.CreateClient();
        var basic = app.CreateClient();
        basic.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", "YWxpY2U6cHc=");

        var none = await anonymous.GetAsync("/api/releases");
        var wrong = await app.CreateOperatorClient("wrong-key-0123456789abcdef").GetAsync("/api/releases");
        var notBearer = await basic.GetAsync("/api/releases");
        var dora = await anonymous.GetAsync("/api/dora");

        Assert.All([none, wrong, notBearer, dora], r => Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode));
        Assert.Contains("no API key was presented", (await Problem(none)).GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Contains("not valid", (await Problem(wrong)).GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Contains("not a bearer token", (await Problem(notBearer)).GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_configured_key_is_accepted_as_a_bearer_token_or_in_X_Api_Key()
    {
        using var app = new ReleaseAppFactory();
        var byHeader = app.CreateClient();
        byHeader.DefaultRequestHeaders.Add("X-Api-Key", ReleaseAppFactory.AnonymousKey);

        Assert.Equal(HttpStatusCode.OK, (await app.CreateOperatorClient().GetAsync("/api/releases")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await byHeader.GetAsync("/api/releases")).StatusCode);
    }

    [Fact]
    public async Task Listing_filters_and_pages_releases_newest_first()
    {
        using var app = new ReleaseAppFactory();
        var t0 = app.Time.GetUtcNow();
        for (var i = 1; i <= 3; i++)
        {
            await LedgerSeed.RecordAsync(app.Ledger, LedgerSeed.Release("octo/shop", i, i == 2 ? ReleaseStatus.Promoted : ReleaseStatus.Running, t0.AddMinutes(i)), $"k{i}");
        }

        var client = app.CreateOperatorClient();
        var first = await Json(await client.GetAsync("/api/releases?repository=octo/shop&pageSize=2"));
        var token = first.GetProperty("continuationToken").GetString();
        var second = await Json(await client.GetAsync($"/api/releases?repository=octo/shop&pageSize=2&continuationToken={Uri.EscapeDataString(token!)}"));
        var promoted = await Json(await client.GetAsync("/api/releases?status=promoted,Aborted"));

        Assert.Equal([3, 2], first.GetProperty("releases").EnumerateArray().Select(r => r.GetProperty("pullRequest").GetInt32()));
        Assert.Equal([1], second.GetProperty("releases").EnumerateArray().Select(r => r.GetProperty("pullRequest").GetInt32()));
        Assert.Equal(JsonValueKind.Null, second.GetProperty("continuationToken").ValueKind);
        var only = Assert.Single(promoted.GetProperty("releases").EnumerateArray());
        Assert.Equal("Promoted", only.GetProperty("status").GetString());
        Assert.Equal("release-octo.shop-pr2-0123456789ab", only.GetProperty("instanceId").GetString());
    }

    [Theory]
    [InlineData("/api/releases?status=Bogus", "status", "Bogus")]
    [InlineData("/api/releases?status=3", "status", "'3'")]
    [InlineData("/api/releases?pageSize=0", "pageSize", "1 to 500")]
    [InlineData("/api/releases?pageSize=many", "pageSize", "many")]
    [InlineData("/api/releases?continuationToken=garbage!", "continuationToken", "not one this service issued")]
    [InlineData("/api/dora?from=yesterday", "from", "yesterday")]
    [InlineData("/api/dora?from=2026-11-02&to=2026-11-01", "to", "empty")]
    public async Task Bad_query_input_is_a_400_problem_naming_the_parameter(string url, string parameter, string detail)
    {
        using var app = new ReleaseAppFactory();

        var response = await app.CreateOperatorClient().GetAsync(url);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await Problem(response);
        Assert.Equal(parameter, problem.GetProperty("parameter").GetString());
        Assert.Contains(detail, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_running_release_shows_its_record_progress_and_an_intact_audit_trail()
    {
        using var app = new ReleaseAppFactory();
        await app.DeliverAsync("pull_request", ReleaseAppFactory.Payload("pull_request.closed.merged"));
        await Eventually.ReturnsAsync(async () => (await app.Engine.GetInstanceAsync(ReleaseInstance, getInputsAndOutputs: true))?.SerializedCustomStatus, "the release's progress");
        await Eventually.ReturnsAsync(() => app.Ledger.GetReleaseAsync(ReleaseInstance, default), "the release's ledger record");
        var client = app.CreateOperatorClient();

        var detail = await Json(await client.GetAsync($"/api/releases/{ReleaseInstance}"));
        var timeline = await Json(await client.GetAsync($"/api/releases/{ReleaseInstance}/timeline"));

        Assert.Equal(ReleaseInstance, detail.GetProperty("instanceId").GetString());
        Assert.Equal("contoso/checkout-api", detail.GetProperty("release").GetProperty("repository").GetString());
        Assert.Equal("Running", detail.GetProperty("runtimeStatus").GetString());
        Assert.Equal(JsonValueKind.Object, detail.GetProperty("progress").ValueKind);
        Assert.True(detail.GetProperty("audit").GetProperty("isIntact").GetBoolean());
        var events = timeline.GetProperty("events").EnumerateArray().ToArray();
        Assert.NotEmpty(events);
        Assert.Equal("release-received", events[0].GetProperty("kind").GetString());
        Assert.Equal(Enumerable.Range(1, events.Length).Select(i => (long)i), events.Select(e => e.GetProperty("sequence").GetInt64()));
    }

    [Fact]
    public async Task The_detail_lifts_gate_verdicts_and_approvals_out_of_the_audit_trail()
    {
        using var app = new ReleaseAppFactory();
        var release = LedgerSeed.Release("octo/shop", 9, ReleaseStatus.Running, app.Time.GetUtcNow());
        await LedgerSeed.RecordAsync(app.Ledger, release, "k1", "release-received");
        await LedgerSeed.RecordAsync(app.Ledger, release, "k2", "gate-verdict", "{\"stage\":\"production\",\"step\":1,\"result\":{\"outcome\":\"Pass\"}}");
        await LedgerSeed.RecordAsync(app.Ledger, release, "k3", "approval-given", "{\"approvedBy\":[\"mona\"]}");

        var detail = await Json(await app.CreateOperatorClient().GetAsync($"/api/releases/{release.InstanceId}"));

        var verdict = Assert.Single(detail.GetProperty("gateVerdicts").EnumerateArray());
        Assert.Equal("Pass", verdict.GetProperty("evidence").GetProperty("result").GetProperty("outcome").GetString());
        var approval = Assert.Single(detail.GetProperty("approvals").EnumerateArray());
        Assert.Equal("mona", approval.GetProperty("evidence").GetProperty("approvedBy")[0].GetString());
        Assert.Equal(JsonValueKind.Null, detail.GetProperty("runtimeStatus").ValueKind);
        Assert.Equal("3 record(s), chain intact", detail.GetProperty("audit").GetProperty("reason").GetString());
    }

    [Fact]
    public async Task A_trail_rewritten_whole_and_consistently_in_the_ledger_file_does_not_verify_and_the_api_says_why()
    {
        using var app = new ReleaseAppFactory();
        var release = LedgerSeed.Release("octo/shop", 9, ReleaseStatus.Running, app.Time.GetUtcNow());
        await LedgerSeed.RecordAsync(app.Ledger, release, "k1", "release-received");
        await LedgerSeed.RecordAsync(app.Ledger, release, "k2", "approval-given", "{\"approvedBy\":[\"mona\"]}");
        await LedgerSeed.RecordAsync(app.Ledger, release, "k3", "transition");
        var client = app.CreateOperatorClient();
        Assert.True((await Json(await client.GetAsync($"/api/releases/{release.InstanceId}"))).GetProperty("audit").GetProperty("isIntact").GetBoolean());

        // Someone with the ledger file but not the key rewrites the approval and reseals every record, in order, with a key of their own.
        var ledgerFile = Path.Combine(app.ContentRoot, "data", "releases.db");
        var forged = AuditChainKey.FromText("a key of mallory's own, 32 bytes or more");
        await RewriteTrailAsync(ledgerFile, release.InstanceId, forged, r => r.Kind == "approval-given" ? r with { Actor = "mallory", EvidenceJson = "{\"approvedBy\":[\"mallory\"]}" } : r);

        var detail = await Json(await client.GetAsync($"/api/releases/{release.InstanceId}"));
        var timeline = await Json(await client.GetAsync($"/api/releases/{release.InstanceId}/timeline"));

        Assert.Equal("mallory", detail.GetProperty("approvals")[0].GetProperty("evidence").GetProperty("approvedBy")[0].GetString());
        foreach (var audit in new[] { detail.GetProperty("audit"), timeline.GetProperty("audit") })
        {
            Assert.False(audit.GetProperty("isIntact").GetBoolean());
            Assert.Equal(1, audit.GetProperty("brokenAtSequence").GetInt64());
            Assert.Contains("sealed with another key", audit.GetProperty("reason").GetString(), StringComparison.Ordinal);
        }
    }

    /// <summary>Rewrites the release's records in the SQLite file: each through <paramref name="change"/>, resealed in order under <paramref name="key"/>.</summary>
    private static async Task RewriteTrailAsync(string ledgerFile, string instanceId, AuditChainKey key, Func<AuditRecord, AuditRecord> change)
    {
        await using var connection = new SqliteConnection($"Data Source={ledgerFile}");
        await connection.OpenAsync();
        var records = new List<AuditRecord>();
        await using (var select = connection.CreateCommand())
        {
            select.CommandText = "SELECT sequence, subject, at, actor, kind, reason, evidence_json, previous_hash, hash FROM audit_records WHERE subject = $s ORDER BY sequence";
            select.Parameters.AddWithValue("$s", instanceId);
            await using var reader = await select.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                records.Add(new AuditRecord(reader.GetInt64(0), reader.GetString(1), new DateTimeOffset(reader.GetInt64(2), TimeSpan.Zero), reader.GetString(3),
                    reader.GetString(4), reader.GetString(5), reader.GetString(6), reader.GetString(7), reader.GetString(8)));
            }
        }

        AuditRecord? last = null;
        foreach (var original in records)
        {
            var changed = change(original);
            var resealed = AuditChain.Append(last, new AuditEntry(changed.Subject, changed.At, changed.Actor, changed.Kind, changed.Reason, changed.EvidenceJson), key);
            await using var update = connection.CreateCommand();
            update.CommandText = "UPDATE audit_records SET actor = $actor, evidence_json = $evidence, previous_hash = $previous, hash = $hash WHERE subject = $s AND sequence = $sequence";
            update.Parameters.AddWithValue("$actor", resealed.Actor);
            update.Parameters.AddWithValue("$evidence", resealed.EvidenceJson);
            update.Parameters.AddWithValue("$previous", resealed.PreviousHash);
            update.Parameters.AddWithValue("$hash", resealed.Hash);
            update.Parameters.AddWithValue("$s", instanceId);
            update.Parameters.AddWithValue("$sequence", resealed.Sequence);
            Assert.Equal(1, await update.ExecuteNonQueryAsync());
            last = resealed;
        }
    }

    [Theory]
    [InlineData("approve", ReleaseCommandKind.Approve)]
    [InlineData("reject", ReleaseCommandKind.Reject)]
    [InlineData("promote", ReleaseCommandKind.Promote)]
    [InlineData("pause", ReleaseCommandKind.Pause)]
    [InlineData("resume", ReleaseCommandKind.Resume)]
    [InlineData("rollback", ReleaseCommandKind.Rollback)]
    [InlineData("abort", ReleaseCommandKind.Abort)]
    public async Task A_command_reaches_the_release_from_the_authenticated_operator(string command, ReleaseCommandKind kind)
    {
        using var app = new ReleaseAppFactory();
        await app.DeliverAsync("pull_request", ReleaseAppFactory.Payload("pull_request.closed.merged"));

        var response = await app.CreateOperatorClient().PostAsync($"/api/releases/{ReleaseInstance}/commands/{command}",
            new StringContent("{\"comment\": \"dashboards are green\"}", Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var accepted = await Json(response);
        Assert.Equal(kind.ToString(), accepted.GetProperty("command").GetString());
        Assert.Equal("alice", accepted.GetProperty("actor").GetString());
        var raised = await Eventually.ReturnsAsync(async () =>
            (await app.HistoryAsync(ReleaseInstance)).OfType<EventRaisedEvent>().FirstOrDefault(e => e.Name == ReleaseEvents.Command),
            "the command event in the release's history");
        using var sent = JsonDocument.Parse(raised.Input!);
        Assert.Equal("alice", sent.RootElement.GetProperty("actor").GetString());
        Assert.Equal("operator-api", sent.RootElement.GetProperty("source").GetString());
        Assert.Equal("dashboards are green", sent.RootElement.GetProperty("comment").GetString());
    }

    [Fact]
    public async Task A_command_without_a_body_is_sent_with_no_comment_by_the_key_s_operator()
    {
        using var app = new ReleaseAppFactory();
        await app.DeliverAsync("pull_request", ReleaseAppFactory.Payload("pull_request.closed.merged"));

        var response = await app.CreateOperatorClient(ReleaseAppFactory.AnonymousKey).PostAsync($"/api/releases/{ReleaseInstance}/commands/pause", null);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var accepted = await Json(response);
        Assert.Equal("api-key-2", accepted.GetProperty("actor").GetString());
        Assert.Equal(JsonValueKind.Null, accepted.GetProperty("comment").ValueKind);
    }

    [Fact]
    public async Task Unknown_releases_are_404_and_finished_ones_409()
    {
        using var app = new ReleaseAppFactory();
        await app.DeliverAsync("pull_request", ReleaseAppFactory.Payload("pull_request.closed.merged"));
        await Eventually.ReturnsAsync(() => app.Engine.GetInstanceAsync("lane-checkout-api-production"), "the release's lane");
        await app.Engine.TerminateInstanceAsync(ReleaseInstance, "test ends it");
        await app.Engine.WaitForInstanceCompletionAsync(ReleaseInstance).WaitAsync(TimeSpan.FromSeconds(15));
        var client = app.CreateOperatorClient();

        var unknownDetail = await client.GetAsync("/api/releases/release-octo.none-pr1-000000000000");
        var unknownTimeline = await client.GetAsync("/api/releases/release-octo.none-pr1-000000000000/timeline");
        var unknownCommand = await client.PostAsync("/api/releases/release-octo.none-pr1-000000000000/commands/approve", null);
        var finished = await client.PostAsync($"/api/releases/{ReleaseInstance}/commands/approve", null);
        var notARelease = await client.GetAsync("/api/releases/lane-checkout-api-production");

        Assert.Equal(HttpStatusCode.NotFound, unknownDetail.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unknownTimeline.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unknownCommand.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, notARelease.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, finished.StatusCode);
        Assert.Contains("has finished", (await Problem(finished)).GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_command_or_malformed_json_is_a_400_problem()
    {
        using var app = new ReleaseAppFactory();
        await app.DeliverAsync("pull_request", ReleaseAppFactory.Payload("pull_request.closed.merged"));
        var client = app.CreateOperatorClient();

        var unknown = await client.PostAsync($"/api/releases/{ReleaseInstance}/commands/deploy-everything", null);
        var malformed = await client.PostAsync($"/api/releases/{ReleaseInstance}/commands/approve", new StringContent("{\"comment\": ", Encoding.UTF8, "application/json"));
        var wrongShape = await client.PostAsync($"/api/releases/{ReleaseInstance}/commands/approve", new StringContent("{\"comment\": 5}", Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
        Assert.Contains("approve, reject, promote, pause, resume, rollback, abort", (await Problem(unknown)).GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
        Assert.Equal("body", (await Problem(malformed)).GetProperty("parameter").GetString());
        Assert.Equal(HttpStatusCode.BadRequest, wrongShape.StatusCode);
        Assert.DoesNotContain(await app.HistoryAsync(ReleaseInstance), e => e is EventRaisedEvent { Name: ReleaseEvents.Command });
    }

    [Fact]
    public async Task Dora_metrics_come_from_finished_releases_in_the_period()
    {
        using var app = new ReleaseAppFactory();
        var t0 = TestClock.At(2026, 11, 10, 12, 0, 0);
        await LedgerSeed.RecordAsync(app.Ledger, LedgerSeed.Release("octo/shop", 1, ReleaseStatus.Promoted, t0), "k1");
        await LedgerSeed.RecordAsync(app.Ledger, LedgerSeed.Release("octo/shop", 2, ReleaseStatus.RolledBack, t0.AddDays(1)), "k2");
        await LedgerSeed.RecordAsync(app.Ledger, LedgerSeed.Release("octo/shop", 3, ReleaseStatus.Running, t0.AddDays(2)), "k3");
        await LedgerSeed.RecordAsync(app.Ledger, LedgerSeed.Release("octo/web", 1, ReleaseStatus.Promoted, t0), "k4");
        var client = app.CreateOperatorClient();

        var shop = await Json(await client.GetAsync($"/api/dora?repository=octo/shop&from={TestClock.Day(2026, 11, 1):yyyy-MM-dd}&to={TestClock.Day(2026, 11, 21):yyyy-MM-dd}"));
        var all = await Json(await client.GetAsync(TestClock.ShiftTimestamps("/api/dora?from=2026-11-01T00:00:00Z&to=2026-11-21T00:00:00Z")));

        var metrics = Assert.Single(shop.GetProperty("repositories").EnumerateArray());
        Assert.Equal(2, metrics.GetProperty("deployments").GetInt32());
        Assert.Equal(1, metrics.GetProperty("successfulDeployments").GetInt32());
        Assert.Equal(0.5, metrics.GetProperty("changeFailureRate").GetDouble());
        Assert.Equal("00:35:00", metrics.GetProperty("medianLeadTime").GetString());
        Assert.Equal("00:30:00", metrics.GetProperty("medianTimeToRestore").GetString());
        Assert.Equal("Elite", metrics.GetProperty("bands").GetProperty("leadTime").GetString());
        Assert.Equal(["octo/shop", "octo/web"], all.GetProperty("repositories").EnumerateArray().Select(m => m.GetProperty("repository").GetString()));
    }

    private static async Task<JsonElement> Json(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {text}");
        using var document = JsonDocument.Parse(text);
        return document.RootElement.Clone();
    }

    private static async Task<JsonElement> Problem(HttpResponseMessage response)
    {
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return document.RootElement.Clone();
    }
}
