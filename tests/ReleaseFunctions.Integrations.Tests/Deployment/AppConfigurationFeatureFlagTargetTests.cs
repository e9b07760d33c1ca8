using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using ReleaseFunctions.Core.Ports;
using ReleaseFunctions.Integrations.Deployment;
using ReleaseFunctions.Integrations.Http;
using ReleaseFunctions.Integrations.Tests.Support;

namespace ReleaseFunctions.Integrations.Tests.Deployment;

/// <summary>
/// A stand-in for an App Configuration store on a <see cref="FakeHttpServer"/>: one feature flag's key-value, answered as
/// the REST API documents it (ETag and If-Match, 404, 412), and every request's HMAC signature checked as the store
/// checks it, recomputed here from the documentation (not with the code under test). <see cref="Before"/> answers a request
/// first when it returns something (a refusal, a conflict).
/// </summary>
internal sealed class FakeAppConfigurationStore
{
    public const string Key = ".appconfig.featureflag/new-checkout";

    private readonly TimeProvider _clock;
    private int _version;

    public FakeAppConfigurationStore(FakeHttpServer server, TimeProvider clock, AppConfigurationAccessKey? key)
    {
        _clock = clock;
        AccessKey = key;
        server.On("GET", "/kv/.+", Answer).On("PUT", "/kv/.+", Answer);
    }

    public AppConfigurationAccessKey? AccessKey { get; }
    public bool Exists { get; set; } = true;
    public string? Label { get; set; }
    public string ContentType { get; set; } = AppConfigurationFeatureFlagTarget.FeatureFlagContentType;
    public string Etag => $"etag-{_version}";

    public JsonObject Flag { get; set; } = InitialFlag();

    /// <summary>The flag as a person set it up: a time window besides the targeting filter, named users and groups, an exclusion, telemetry.</summary>
    public static JsonObject InitialFlag() => JsonNode.Parse("""
        {"id":"new-checkout","description":"New checkout flow","enabled":true,
         "conditions":{"requirement_type":"All","client_filters":[
           {"name":"Microsoft.TimeWindow","parameters":{"Start":"Mon, 23 Nov 2026 00:00:00 GMT"}},
           {"name":"Microsoft.Targeting","parameters":{"Audience":{"Users":["alice"],"Groups":[{"Name":"beta","RolloutPercentage":50}],"DefaultRolloutPercentage":0,"Exclusion":{"Users":["mallory"],"Groups":[]}}}}]},
         "telemetry":{"enabled":true}}
        """)!.AsObject();

    public Func<RecordedRequest, FakeResponse?> Before { get; set; } = _ => null;
    public List<string> SignatureProblems { get; } = [];

    /// <summary>Someone else changes the flag (a new etag), as a person in the portal would.</summary>
    public void ChangedElsewhere(Action<JsonObject> change)
    {
        change(Flag);
        _version++;
    }

    public static double Percentage(JsonObject flag) => Audience(flag)["DefaultRolloutPercentage"]!.GetValue<double>();

    public static JsonObject Audience(JsonObject flag)
        => flag["conditions"]!["client_filters"]!.AsArray().Single(f => f!["name"]!.GetValue<string>() == "Microsoft.Targeting")!["parameters"]!["Audience"]!.AsObject();

    private FakeResponse Answer(RecordedRequest request)
    {
        if (AccessKey is not null && Refuse(request) is { } problem)
        {
            SignatureProblems.Add(problem);
            return new FakeResponse(401, null, new Dictionary<string, string> { ["WWW-Authenticate"] = $"HMAC-SHA256 error=\"invalid_token\" error_description=\"{problem}\", Bearer" });
        }

        if (Before(request) is { } first)
        {
            return first;
        }

        var key = Uri.UnescapeDataString(request.Path["/kv/".Length..]);
        if (key != Key || request.Query("label") != Label || !Exists)
        {
            return new FakeResponse(404, null);
        }

        if (request.Method == "PUT")
        {
            if (request.Header("If-Match") != $"\"{Etag}\"")
            {
                return new FakeResponse(412, null);
            }

            var body = JsonNode.Parse(request.Body)!.AsObject();
            Flag = JsonNode.Parse(body["value"]!.GetValue<string>())!.AsObject();
            ContentType = body["content_type"]!.GetValue<string>();
            _version++;
        }

        var kv = new JsonObject
        {
            ["etag"] = Etag, ["key"] = Key, ["label"] = Label, ["content_type"] = ContentType, ["value"] = Flag.ToJsonString(),
            ["tags"] = new JsonObject { ["owner"] = "checkout-team" }, ["locked"] = false, ["last_modified"] = "2026-11-23T17:00:00+00:00",
        };
        return new FakeResponse(200, kv.ToJsonString(), new Dictionary<string, string>
        {
            ["ETag"] = $"\"{Etag}\"", ["Content-Type"] = "application/vnd.microsoft.appconfig.kv+json; charset=utf-8",
        });
    }

    /// <summary>The HMAC checks the REST API's documentation describes, or null when the request passes them.</summary>
    private string? Refuse(RecordedRequest request)
    {
        var authorization = request.Header("Authorization") ?? "";
        var match = System.Text.RegularExpressions.Regex.Match(authorization, "^HMAC-SHA256 Credential=([^&]+)&SignedHeaders=([^&]+)&Signature=(.+)$");
        if (!match.Success)
        {
            return "Authorization with the HMAC-SHA256 scheme is required";
        }

        if (match.Groups[1].Value != AccessKey!.Id)
        {
            return "Invalid Credential";
        }

        if (match.Groups[2].Value != "x-ms-date;host;x-ms-content-sha256")
        {
            return $"unexpected signed headers {match.Groups[2].Value}";
        }

        var date = request.Header("x-ms-date");
        if (date != _clock.GetUtcNow().ToString("r", CultureInfo.InvariantCulture))
        {
            return $"x-ms-date '{date}' is not the clock's time";
        }

        var hash = Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(request.Body)));
        if (request.Header("x-ms-content-sha256") != hash)
        {
            return "The content hash does not match the body";
        }

        // WireMock hands the path over decoded; the key is signed as the one path segment it is on the wire, '/' as %2F.
        var pathAndQuery = "/kv/" + Uri.EscapeDataString(Uri.UnescapeDataString(request.Path["/kv/".Length..])) + request.QueryString;
        var stringToSign = $"{request.Method}\n{pathAndQuery}\n{date};{request.Header("Host")};{hash}";
        var expected = Convert.ToBase64String(HMACSHA256.HashData(Convert.FromBase64String(AccessKey.Secret), Encoding.ASCII.GetBytes(stringToSign)));
        return expected == match.Groups[3].Value ? null : "Invalid Signature";
    }
}

public sealed class AppConfigurationFeatureFlagTargetTests : IAsyncLifetime
{
    private const string Secret = "cmVsZWFzZWZ1bmN0aW9ucy10ZXN0LXNlY3JldC0wMTIz"; // base64 of "releasefunctions-test-secret-0123"
    private static readonly DateTimeOffset Now = TestClock.At(2026, 11, 23, 18, 0, 0);
    private readonly TestTimeProvider _clock = new(Now) { AutoAdvanceUpTo = TimeSpan.FromSeconds(10) };
    private readonly FakeTokenCredential _token = new();
    private HttpClient _client = null!;
    private FakeHttpServer _server = null!;
    private FakeAppConfigurationStore _store = null!;

    public async Task InitializeAsync()
    {
        _client = new HttpClient();
        _server = await FakeHttpServer.StartAsync(shiftFixtureDates: false);
        _store = new FakeAppConfigurationStore(_server, _clock, new AppConfigurationAccessKey(_server.BaseAddress, "rf-test-id", Secret));
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _client.Dispose();
    }

    /// <summary>Over a TLS server, with the app's Entra identity (allowed to reach 127.0.0.1 here only).</summary>
    private async Task UseEntraAsync()
    {
        await _server.DisposeAsync();
        _client.Dispose();
        _client = TestTls.TrustingClient();
        _server = await FakeHttpServer.StartAsync(shiftFixtureDates: false, tls: true);
        _store = new FakeAppConfigurationStore(_server, _clock, key: null);
    }

    private AppConfigurationFeatureFlagTarget Target(AppConfigurationTargetOptions? options = null) => new(_client,
        options ?? new AppConfigurationTargetOptions
        {
            AccessKeys = _store.AccessKey is { } key ? [key] : [],
            EntraHosts = ["127.0.0.1"],
            Resilience = new HttpResilienceOptions { UseJitter = false },
        },
        _token, _clock);

    private TargetSpec Spec(string? onRollback = null, string? label = null, string? endpoint = null)
    {
        var parameters = new Dictionary<string, string> { ["endpoint"] = endpoint ?? _server.BaseAddress.AbsoluteUri, ["flag"] = "new-checkout" };
        if (onRollback is not null)
        {
            parameters["on_rollback"] = onRollback;
        }

        if (label is not null)
        {
            parameters["label"] = label;
        }

        return new TargetSpec(AppConfigurationFeatureFlagTarget.ProviderName, parameters);
    }

    private static TrafficShift Shift(int weight, TrafficAction action = TrafficAction.Shift, TargetSpec? spec = null)
        => new(spec!, "release-7", "checkout", "2.0.0", "production", 1, weight, action, $"key-{action}-{weight}");

    private TrafficShift ShiftOf(int weight, TrafficAction action = TrafficAction.Shift, string? onRollback = null, string? label = null)
        => Shift(weight, action, Spec(onRollback, label));

    [Fact]
    public void The_signature_matches_a_vector_computed_with_openssl_from_the_documented_algorithm()
    {
        // printf 'GET\n/kv/.appconfig.featureflag%2Fnew-checkout?label=prod&api-version=2023-11-01\nMon, 23 Nov 2026 18:00:00 GMT;demo.azconfig.io;<empty body hash>'
        //   | openssl dgst -sha256 -mac HMAC -macopt key:releasefunctions-test-secret-0123 -binary | base64
        var secret = Convert.FromBase64String(Secret);
        var empty = AppConfigurationHmacPolicy.ContentHash([]);

        var get = AppConfigurationHmacPolicy.Authorization("rf-test-id", secret, "get", "/kv/.appconfig.featureflag%2Fnew-checkout?label=prod&api-version=2023-11-01",
            "demo.azconfig.io", "Mon, 23 Nov 2026 18:00:00 GMT", empty);
        var put = AppConfigurationHmacPolicy.Signature(secret, AppConfigurationHmacPolicy.StringToSign("PUT", "/kv/.appconfig.featureflag%2Fnew-checkout?api-version=2023-11-01",
            "Mon, 23 Nov 2026 18:00:00 GMT", "demo.azconfig.io:8443", AppConfigurationHmacPolicy.ContentHash("{\"value\":\"x\"}"u8)));

        Assert.Equal("47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=", empty);
        Assert.Equal("HMAC-SHA256 Credential=rf-test-id&SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=dAviKyYsHjSf4KOO2DMXO9b7AfxFdpjXpP6PlJ7hj+w=", get);
        Assert.Equal("OZGgkTHTv28NPeIirJtFECTF93ioFWiaoRIqEM1NAMc=", put);
    }

    [Fact]
    public async Task A_shift_sets_the_targeting_percentage_with_if_match_keeps_everything_else_and_reads_it_back()
    {
        var applied = await Target().ApplyAsync(ShiftOf(25), CancellationToken.None);
        var read = await Target().ReadAsync(ShiftOf(25), CancellationToken.None);

        Assert.Empty(_store.SignatureProblems);
        Assert.Equal((25, 25), (applied.CandidateWeightPercent, read.CandidateWeightPercent));
        Assert.Contains("feature flag 'new-checkout' in " + _server.BaseAddress.AbsoluteUri.TrimEnd('/'), read.Detail);
        Assert.Contains("enabled, Microsoft.Targeting default rollout 25%, and 1 user(s) and 1 group(s)", read.Detail);
        Assert.Equal(Now, read.ObservedAt);
        var put = Assert.Single(_server.Requests, r => r.Method == "PUT");
        Assert.Equal("/kv/.appconfig.featureflag/new-checkout", put.Path); // as WireMock decodes it; the sandbox store's tests see %2F on the wire
        Assert.Equal("2023-11-01", put.Query("api-version"));
        Assert.Equal("\"etag-0\"", put.Header("If-Match"));
        Assert.Equal("application/vnd.microsoft.appconfig.kv+json", put.Header("Content-Type"));
        var body = JsonNode.Parse(put.Body)!;
        Assert.Equal(AppConfigurationFeatureFlagTarget.FeatureFlagContentType, body["content_type"]!.GetValue<string>());
        Assert.Equal("checkout-team", body["tags"]!["owner"]!.GetValue<string>());
        // Only the percentage moved: the time window, users, groups, exclusions, requirement type and telemetry are as they were.
        var expected = FakeAppConfigurationStore.InitialFlag();
        FakeAppConfigurationStore.Audience(expected)["DefaultRolloutPercentage"] = 25;
        Assert.True(JsonNode.DeepEquals(expected, _store.Flag), _store.Flag.ToJsonString());
    }

    [Fact]
    public async Task Each_action_sets_what_it_means_and_rollback_zeroes_or_disables_as_the_policy_says()
    {
        var promoted = await Target().ApplyAsync(ShiftOf(0, TrafficAction.Promote), CancellationToken.None);
        Assert.Equal((100, true), (promoted.CandidateWeightPercent, _store.Flag["enabled"]!.GetValue<bool>()));

        var zeroed = await Target().ApplyAsync(ShiftOf(0, TrafficAction.Rollback), CancellationToken.None);
        Assert.Equal((0, 0d, true), (zeroed.CandidateWeightPercent, FakeAppConfigurationStore.Percentage(_store.Flag), _store.Flag["enabled"]!.GetValue<bool>()));

        await Target().ApplyAsync(ShiftOf(50), CancellationToken.None);
        var disabled = await Target().ApplyAsync(ShiftOf(0, TrafficAction.Rollback, onRollback: "disable"), CancellationToken.None);
        var readDisabled = await Target().ReadAsync(ShiftOf(0, onRollback: "disable"), CancellationToken.None);
        Assert.Equal((0, 0), (disabled.CandidateWeightPercent, readDisabled.CandidateWeightPercent));
        Assert.False(_store.Flag["enabled"]!.GetValue<bool>());
        Assert.Equal(50d, FakeAppConfigurationStore.Percentage(_store.Flag)); // kept: disabling is the whole change
        Assert.Contains("disabled (off for everyone; default rollout 50% kept", readDisabled.Detail);

        // A new release's shift turns a disabled flag on again at its own percentage; a swap is a promotion.
        var shifted = await Target().ApplyAsync(ShiftOf(5), CancellationToken.None);
        var swapped = await Target().ApplyAsync(ShiftOf(0, TrafficAction.Swap), CancellationToken.None);
        Assert.Equal((5, 100), (shifted.CandidateWeightPercent, swapped.CandidateWeightPercent));
        Assert.True(_store.Flag["enabled"]!.GetValue<bool>());
        Assert.Empty(_store.SignatureProblems);
    }

    [Fact]
    public async Task A_rollback_to_zero_never_turns_a_disabled_flag_on()
    {
        _store.ChangedElsewhere(f =>
        {
            f["enabled"] = false;
            FakeAppConfigurationStore.Audience(f)["DefaultRolloutPercentage"] = 30;
        });

        var rolledBack = await Target().ApplyAsync(ShiftOf(0, TrafficAction.Rollback), CancellationToken.None);

        Assert.Equal(0, rolledBack.CandidateWeightPercent);
        Assert.False(_store.Flag["enabled"]!.GetValue<bool>()); // the users and groups it names do not get it either
        Assert.Equal(0d, FakeAppConfigurationStore.Percentage(_store.Flag));
    }

    [Fact]
    public async Task A_flag_already_at_the_weight_is_not_written_again()
    {
        await Target().ApplyAsync(ShiftOf(25), CancellationToken.None);
        var again = await Target().ApplyAsync(ShiftOf(25), CancellationToken.None);

        Assert.Equal(25, again.CandidateWeightPercent);
        Assert.Contains("already", again.Detail);
        Assert.Single(_server.Requests, r => r.Method == "PUT");
    }

    [Fact]
    public async Task A_label_is_sent_as_the_label_query()
    {
        _store.Label = "prod";

        var state = await Target().ApplyAsync(ShiftOf(10, label: "prod"), CancellationToken.None);

        Assert.Equal(10, state.CandidateWeightPercent);
        Assert.All(_server.Requests, r => Assert.Equal("prod", r.Query("label")));
        Assert.Contains("'new-checkout' (label 'prod')", state.Detail);
    }

    [Fact]
    public async Task A_conflicting_change_is_read_again_kept_and_ours_applied_on_top_once()
    {
        var conflicts = 1;
        _store.Before = r =>
        {
            if (r.Method == "PUT" && Interlocked.Decrement(ref conflicts) >= 0)
            {
                // Someone adds a user in the portal between our read and our write.
                _store.ChangedElsewhere(f => FakeAppConfigurationStore.Audience(f)["Users"]!.AsArray().Add("bob"));
            }

            return null;
        };

        var state = await Target().ApplyAsync(ShiftOf(25), CancellationToken.None);

        Assert.Equal(25, state.CandidateWeightPercent);
        Assert.Equal(["GET", "PUT", "GET", "PUT"], _server.Requests.Select(r => r.Method));
        Assert.Equal(["alice", "bob"], FakeAppConfigurationStore.Audience(_store.Flag)["Users"]!.AsArray().Select(u => u!.GetValue<string>()));
        Assert.Equal("\"etag-1\"", _server.Requests[3].Header("If-Match"));
    }

    [Fact]
    public async Task A_second_conflict_in_a_row_fails_without_overwriting()
    {
        _store.Before = r => r.Method == "PUT" ? new FakeResponse(412, null) : null;

        var error = await Assert.ThrowsAsync<IntegrationException>(() => Target().ApplyAsync(ShiftOf(25), CancellationToken.None));

        Assert.Equal((IntegrationFailureKind.Rejected, 412), (error.Kind, error.StatusCode));
        Assert.Contains("set 'new-checkout' to 25%", error.Message);
        Assert.Contains("changed between reading and writing it twice", error.Message);
        Assert.Equal(2, _server.Requests.Count(r => r.Method == "PUT"));
        Assert.Equal(0d, FakeAppConfigurationStore.Percentage(_store.Flag));
    }

    [Fact]
    public async Task A_missing_flag_is_a_clear_error_and_is_never_created()
    {
        _store.Exists = false;

        var error = await Assert.ThrowsAsync<IntegrationException>(() => Target().ApplyAsync(ShiftOf(5), CancellationToken.None));

        Assert.Equal(IntegrationFailureKind.NotFound, error.Kind);
        Assert.Contains("feature flag 'new-checkout' does not exist in " + _server.BaseAddress.AbsoluteUri.TrimEnd('/'), error.Message);
        Assert.Contains("a release never creates a flag", error.Message);
        Assert.DoesNotContain(_server.Requests, r => r.Method == "PUT");
    }

    [Fact]
    public async Task A_flag_without_a_targeting_filter_or_a_key_value_that_is_no_flag_is_refused_unchanged()
    {
        _store.Flag = JsonNode.Parse("""{"id":"new-checkout","enabled":false,"conditions":{"client_filters":[]}}""")!.AsObject();
        var noTargeting = await Assert.ThrowsAsync<IntegrationException>(() => Target().ApplyAsync(ShiftOf(5), CancellationToken.None));
        _store.ContentType = "text/plain";
        var notAFlag = await Assert.ThrowsAsync<IntegrationException>(() => Target().ReadAsync(ShiftOf(5), CancellationToken.None));

        Assert.Equal(IntegrationFailureKind.Rejected, noTargeting.Kind);
        Assert.Contains("has no Microsoft.Targeting filter", noTargeting.Message);
        Assert.Contains("content type 'text/plain', not a feature flag's", notAFlag.Message);
        Assert.DoesNotContain(_server.Requests, r => r.Method == "PUT");
    }

    [Fact]
    public async Task The_fake_store_refuses_a_wrong_signature_and_the_refusal_names_the_access_key_needed()
    {
        var wrongKey = new AppConfigurationAccessKey(_server.BaseAddress, "rf-test-id", Convert.ToBase64String("another-secret-of-the-same-store"u8));

        var error = await Assert.ThrowsAsync<IntegrationException>(() => Target(new AppConfigurationTargetOptions { AccessKeys = [wrongKey] }).ReadAsync(ShiftOf(5), CancellationToken.None));

        Assert.Equal((IntegrationFailureKind.Unauthorized, 401), (error.Kind, error.StatusCode));
        Assert.Equal(["Invalid Signature"], _store.SignatureProblems);
        Assert.Contains("read feature flag 'new-checkout' on " + _server.BaseAddress.AbsoluteUri.TrimEnd('/') + " answered 401", error.Message);
        Assert.Contains("a read-write access key of", error.Message);
        Assert.Contains("ReleaseFunctions__AppConfiguration__ConnectionString", error.Message);
        Assert.Contains("error_description=\"Invalid Signature\"", error.Message);
        Assert.Single(_server.Requests); // a refused signature is not retried
    }

    [Fact]
    public async Task With_the_apps_identity_the_token_is_for_the_store_and_a_refusal_names_the_data_owner_role()
    {
        await UseEntraAsync();

        var state = await Target().ApplyAsync(ShiftOf(5), CancellationToken.None);
        _store.Before = _ => FakeResponse.Json("""{"type":"https://azconfig.io/errors/forbidden","title":"Forbidden","status":403}""", 403);
        var error = await Assert.ThrowsAsync<IntegrationException>(() => Target().ApplyAsync(ShiftOf(25), CancellationToken.None));

        Assert.Equal(5, state.CandidateWeightPercent);
        Assert.All(_server.Requests, r => Assert.Equal("Bearer test-token", r.Header("Authorization")));
        Assert.All(_token.Scopes, s => Assert.Equal($"https://127.0.0.1:{_server.BaseAddress.Port}/.default", s));
        Assert.Equal((IntegrationFailureKind.Unauthorized, 403), (error.Kind, error.StatusCode));
        Assert.Contains("the App Configuration Data Owner role on " + _server.BaseAddress.AbsoluteUri.TrimEnd('/'), error.Message);
        Assert.Contains("'new-checkout'", error.Message);
    }

    [Theory]
    [InlineData("https://contoso.example/", "is not an App Configuration store the app's Entra identity may be sent to")]
    [InlineData("http://demo.azconfig.io/", "is not an App Configuration store the app's Entra identity may be sent to")]
    [InlineData("https://demo.azconfig.io/kv", "is not a store's endpoint")]
    [InlineData("sandbox", "runs only with the sandbox")]
    public async Task An_endpoint_the_token_may_not_go_to_is_refused_before_anything_is_sent(string endpoint, string expected)
    {
        var error = await Assert.ThrowsAsync<IntegrationException>(() => Target(new AppConfigurationTargetOptions()).ApplyAsync(Shift(5, spec: Spec(endpoint: endpoint)), CancellationToken.None));

        Assert.Contains(expected, error.Message);
        Assert.Empty(_server.Requests);
        Assert.Empty(_token.Scopes);
    }

    [Fact]
    public async Task A_failing_store_is_retried_on_the_clock_signed_afresh_each_time()
    {
        var failures = 2;
        _store.Before = r => r.Method == "GET" && Interlocked.Decrement(ref failures) >= 0 ? new FakeResponse(503, "busy") : null;

        var state = await Target().ReadAsync(ShiftOf(0), CancellationToken.None);

        Assert.Equal(0, state.CandidateWeightPercent);
        Assert.Equal(3, _server.Requests.Count);
        Assert.Empty(_store.SignatureProblems);
        Assert.Equal([TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2)], _clock.RequestedDelays);
    }

    [Fact]
    public async Task A_locked_flag_says_how_to_unlock_it()
    {
        _store.Before = r => r.Method == "PUT" ? FakeResponse.Json("""{"type":"https://azconfig.io/errors/key-locked","detail":"The key is read-only."}""", 409) : null;

        var error = await Assert.ThrowsAsync<IntegrationException>(() => Target().ApplyAsync(ShiftOf(5), CancellationToken.None));

        Assert.Equal(409, error.StatusCode);
        Assert.Contains("locked", error.Message);
        Assert.Contains("az appconfig kv unlock", error.Message);
    }

    [Theory]
    [InlineData("Endpoint=https://demo.azconfig.io;Id=abc-1;Secret=" + Secret, "https://demo.azconfig.io/", "abc-1")]
    [InlineData(" id=abc-2 ; secret=" + Secret + " ; endpoint=https://demo.azconfig.io/ ", "https://demo.azconfig.io/", "abc-2")]
    public void A_connection_string_is_read_and_never_shown_with_its_secret(string connectionString, string endpoint, string id)
    {
        var key = AppConfigurationAccessKey.Parse(connectionString);

        Assert.Equal((new Uri(endpoint), id, Secret), (key.Endpoint, key.Id, key.Secret));
        Assert.DoesNotContain(Secret, key.ToString());
        Assert.Equal(key.ConnectionString, AppConfigurationAccessKey.Parse(key.ConnectionString).ConnectionString);
    }

    [Theory]
    [InlineData("Endpoint=https://demo.azconfig.io;Id=abc", "Secret missing")]
    [InlineData("Endpoint=http://demo.azconfig.io;Id=abc;Secret=" + Secret, "must be an https URL")]
    [InlineData("Endpoint=https://demo.azconfig.io;Id=abc;Secret=not base64!", "not base64")]
    [InlineData("just-a-secret", "a part has no '='")]
    public void A_malformed_connection_string_says_what_is_wrong_without_the_secret(string connectionString, string expected)
    {
        var error = Assert.Throws<FormatException>(() => AppConfigurationAccessKey.Parse(connectionString));

        Assert.Contains(expected, error.Message);
        Assert.DoesNotContain(Secret, error.Message);
    }
}
