using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http;
using ReleaseFunctions.Integrations.Http;
using ReleaseFunctions.Integrations.Migrations;

namespace ReleaseFunctions.Integrations.Sandbox;

/// <summary>How the sandbox's database runs the migrations started from now on: how long each takes, and whether it fails.</summary>
public sealed record SandboxMigrationBehaviour
{
    /// <summary>20 seconds, applied.</summary>
    public static readonly SandboxMigrationBehaviour Default = new(TimeSpan.FromSeconds(20), fail: false);

    public SandboxMigrationBehaviour(TimeSpan duration, bool fail)
    {
        Duration = duration >= TimeSpan.Zero && duration <= TimeSpan.FromHours(1)
            ? duration
            : throw new ArgumentOutOfRangeException(nameof(duration), duration, "A migration's duration must be from 0 to 1 hour.");
        Fail = fail;
    }

    public TimeSpan Duration { get; }

    /// <summary>Whether a migration started from now on ends failed instead of applied.</summary>
    public bool Fail { get; }
}

/// <summary>
/// One migration in the sandbox database's history, as <c>GET /api/sandbox/migrations</c> shows it. State is
/// <c>running</c> until <see cref="FinishesAt"/>, then <c>applied</c> or <c>failed</c>.
/// </summary>
public sealed record SandboxMigration(
    string Migration,
    string Phase,
    string State,
    string Release,
    string Service,
    string Version,
    DateTimeOffset StartedAt,
    DateTimeOffset FinishesAt,
    string Detail);

/// <summary>
/// The sandbox's database, seen through its migration hook: a Kestrel server on 127.0.0.1 that answers the protocol
/// <see cref="MigrationHook"/> speaks (a signed POST of <c>{release, service, version, phase, migration, action,
/// idempotencyKey}</c>, answered <c>{"state", "detail"}</c>), checking each body's HMAC-SHA256 signature under a secret
/// random per start. <c>run</c> starts a migration once: a repeated key, or a migration this database has applied or is
/// running, starts nothing again (as a migration tool's history table makes it); one that failed may be run again by a
/// later release. <c>read</c> reports and changes nothing. A migration runs for the behaviour's duration on the injected
/// clock, then is applied (or failed, when the sandbox is told to fail them). With a state file, the history survives a
/// restart of the app, as a database's would.
/// </summary>
internal sealed class SandboxMigrationDatabase : IAsyncDisposable
{
    private const string Title = "Migration hook";

    private readonly TimeProvider _time;
    private readonly string? _stateFile;
    private readonly object _gate = new();
    private readonly Dictionary<(string Phase, string Migration), MigrationRow> _rows = new();
    private SandboxMigrationBehaviour _behaviour = SandboxMigrationBehaviour.Default;
    private LocalHttpServer? _server;

    private SandboxMigrationDatabase(TimeProvider time, string? stateFile)
    {
        _time = time;
        _stateFile = stateFile;
        Secret = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
    }

    /// <summary>The hook's URL (<c>POST {Address}migrations</c>).</summary>
    public Uri HookUrl => new(_server?.Address ?? throw new InvalidOperationException("The sandbox's migration hook is not running."), "migrations");

    /// <summary>The hook's shared secret, random per start.</summary>
    public string Secret { get; }

    public SandboxMigrationBehaviour Behaviour
    {
        get => Volatile.Read(ref _behaviour);
        set => Volatile.Write(ref _behaviour, value ?? throw new ArgumentNullException(nameof(value)));
    }

    public static async Task<SandboxMigrationDatabase> StartAsync(string? stateFile, TimeProvider time, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(time);
        var database = new SandboxMigrationDatabase(time, stateFile);
        database.Load();
        database._server = await LocalHttpServer.StartAsync(database.HandleAsync, cancellationToken).ConfigureAwait(false);
        return database;
    }

    /// <summary>Every migration this database has seen, the latest started first.</summary>
    public IReadOnlyList<SandboxMigration> History()
    {
        var now = _time.GetUtcNow();
        lock (_gate)
        {
            return _rows.Values.OrderByDescending(r => r.StartedAt).ThenBy(r => r.Migration, StringComparer.Ordinal)
                .Select(r => new SandboxMigration(r.Migration, r.Phase, StateAt(r, now), r.Release, r.Service, r.Version, r.StartedAt, r.FinishesAt, DetailAt(r, now)))
                .ToList();
        }
    }

    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        if (!string.Equals(request.Path.Value, "/migrations", StringComparison.Ordinal))
        {
            await LocalHttpServer.ProblemAsync(context, StatusCodes.Status404NotFound, Title, $"There is nothing at {request.Path}; expected POST /migrations.").ConfigureAwait(false);
            return;
        }

        if (!LocalHttpServer.IsPostElseRefused(context))
        {
            return;
        }

        var body = await LocalHttpServer.ReadBodyAsync(context).ConfigureAwait(false);
        var signature = request.Headers[SignedHook.SignatureHeader].ToString();
        if (signature.Length == 0 || !CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(signature), Encoding.ASCII.GetBytes(SignedHook.Sign(Secret, body))))
        {
            await LocalHttpServer.ProblemAsync(context, StatusCodes.Status401Unauthorized, Title,
                $"{(signature.Length == 0 ? "The request has no" : "The request's")} {SignedHook.SignatureHeader} {(signature.Length == 0 ? "header" : "does not match its body")}; expected sha256=<hex HMAC-SHA256 of the body under the hook's secret>.").ConfigureAwait(false);
            return;
        }

        const string Expected = "expected {\"release\", \"service\", \"version\", \"phase\": \"expand\" | \"contract\", \"migration\", \"action\": \"run\" | \"read\", \"idempotencyKey\"}";
        MigrationHookRequest? call;
        try
        {
            call = JsonSerializer.Deserialize(body, MigrationJsonContext.Default.MigrationHookRequest);
        }
        catch (JsonException ex)
        {
            await LocalHttpServer.ProblemAsync(context, StatusCodes.Status400BadRequest, Title, $"The body is not valid JSON ({ex.Message}); {Expected}.").ConfigureAwait(false);
            return;
        }

        if (call is null || string.IsNullOrWhiteSpace(call.Migration) || call.Phase is not ("expand" or "contract") || call.Action is not ("run" or "read")
            || string.IsNullOrWhiteSpace(call.Release) || string.IsNullOrWhiteSpace(call.IdempotencyKey))
        {
            await LocalHttpServer.ProblemAsync(context, StatusCodes.Status400BadRequest, Title, $"The body does not name a migration call; {Expected}.").ConfigureAwait(false);
            return;
        }

        var (state, detail) = call.Action == "run" ? Run(call) : Read(call);
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "application/json; charset=utf-8";
        await context.Response.WriteAsync(new JsonObject { ["state"] = state, ["detail"] = detail }.ToJsonString(), context.RequestAborted).ConfigureAwait(false);
    }

    private (string State, string Detail) Run(MigrationHookRequest call)
    {
        var now = _time.GetUtcNow();
        lock (_gate)
        {
            if (_rows.TryGetValue((call.Phase, call.Migration), out var row) && (row.Keys.Contains(call.IdempotencyKey) || StateAt(row, now) != "failed"))
            {
                // The same call again, or a migration the history already holds: nothing runs twice.
                row.Keys.Add(call.IdempotencyKey);
                Save();
                return (StateAt(row, now), DetailAt(row, now));
            }

            var behaviour = Behaviour;
            row = new MigrationRow
            {
                Migration = call.Migration,
                Phase = call.Phase,
                Release = call.Release,
                Service = call.Service,
                Version = call.Version,
                StartedAt = now,
                FinishesAt = now + behaviour.Duration,
                Fails = behaviour.Fail,
                Keys = [call.IdempotencyKey],
            };
            _rows[(call.Phase, call.Migration)] = row;
            Save();
            return (StateAt(row, now), DetailAt(row, now));
        }
    }

    private (string State, string Detail) Read(MigrationHookRequest call)
    {
        var now = _time.GetUtcNow();
        lock (_gate)
        {
            return _rows.TryGetValue((call.Phase, call.Migration), out var row)
                ? (StateAt(row, now), DetailAt(row, now))
                : ("failed", $"the {call.Phase} migration {call.Migration} was never started on the sandbox database");
        }
    }

    private static string StateAt(MigrationRow row, DateTimeOffset now) => now < row.FinishesAt ? "running" : row.Fails ? "failed" : "applied";

    private static string DetailAt(MigrationRow row, DateTimeOffset now)
    {
        var by = $"for release {row.Release} of {row.Service} {row.Version}";
        return StateAt(row, now) switch
        {
            "running" => $"{row.Phase} migration {row.Migration} running since {Time(row.StartedAt)} {by}, done at {Time(row.FinishesAt)}",
            "failed" => $"{row.Phase} migration {row.Migration} failed at {Time(row.FinishesAt)} {by} (the sandbox was told to fail migrations: PUT /api/sandbox/migrations)",
            _ => $"{row.Phase} migration {row.Migration} applied at {Time(row.FinishesAt)} {by}",
        };
    }

    private static string Time(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private void Load()
    {
        if (_stateFile is null || !File.Exists(_stateFile))
        {
            return;
        }

        try
        {
            var saved = JsonSerializer.Deserialize(File.ReadAllText(_stateFile), SandboxMigrationJsonContext.Default.ListMigrationRow)
                        ?? throw new InvalidDataException("the file holds null");
            foreach (var row in saved)
            {
                if (string.IsNullOrWhiteSpace(row.Migration) || row.Phase is not ("expand" or "contract"))
                {
                    throw new InvalidDataException("an entry has no migration or no phase expand/contract");
                }

                _rows[(row.Phase, row.Migration)] = row;
            }
        }
        catch (Exception ex) when (ex is JsonException or InvalidDataException)
        {
            throw new InvalidDataException($"The sandbox database's migration history {_stateFile} is damaged ({ex.Message}); expected a JSON array of migrations. Delete it to start with an empty history.", ex);
        }
    }

    /// <summary>Written whole to a temporary file and moved into place, so a crash leaves the old history or the new one.</summary>
    private void Save()
    {
        if (_stateFile is null)
        {
            return;
        }

        var json = JsonSerializer.Serialize(_rows.Values.OrderBy(r => r.StartedAt).ToList(), SandboxMigrationJsonContext.Default.ListMigrationRow);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(_stateFile))!);
        var temporary = _stateFile + ".tmp";
        File.WriteAllText(temporary, json);
        File.Move(temporary, _stateFile, overwrite: true);
    }


    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync().ConfigureAwait(false);
        }
    }

    internal sealed class MigrationRow
    {
        public string Migration { get; set; } = "";
        public string Phase { get; set; } = "";
        public string Release { get; set; } = "";
        public string Service { get; set; } = "";
        public string Version { get; set; } = "";
        public DateTimeOffset StartedAt { get; set; }
        public DateTimeOffset FinishesAt { get; set; }
        public bool Fails { get; set; }

        /// <summary>The idempotency keys of the runs that asked for this migration.</summary>
        public HashSet<string> Keys { get; set; } = new(StringComparer.Ordinal);
    }
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, WriteIndented = true)]
[JsonSerializable(typeof(List<SandboxMigrationDatabase.MigrationRow>))]
internal sealed partial class SandboxMigrationJsonContext : JsonSerializerContext;
