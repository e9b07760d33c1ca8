using System.Collections.Concurrent;
using ReleaseFunctions.Core.Audit;
using ReleaseFunctions.Core.Ports;
using ReleaseFunctions.Core.Releases;
using ReleaseFunctions.Core.Sli;

namespace ReleaseFunctions.Tests.Releases;

/// <summary>A policy source that serves the YAML a test gives it.</summary>
internal sealed class FakePolicySource(string yaml) : IPolicySource
{
    /// <summary>The policy the next release reads (a test may change it between releases).</summary>
    public string Yaml { get; set; } = yaml;

    public Task<PolicyDocument> ReadAsync(ReleaseId release, long? installationId, CancellationToken cancellationToken)
        => Task.FromResult(new PolicyDocument($"{release.Repository}@test:.github/release-policy.yml", Yaml, false));
}

/// <summary>A deployment target in memory, standing in as "sandbox": records every shift, reads back what it set, can be told to fail.</summary>
internal sealed class FakeTarget : IDeploymentTarget
{
    private readonly object _gate = new();
    private readonly HashSet<string> _applied = new();
    private int _weight;

    public string Provider => "sandbox";
    public ConcurrentQueue<TrafficShift> Calls { get; } = new();
    public List<(TrafficAction Action, int Weight)> Applied { get; } = new();

    /// <summary>What a read reports, given the weight the fake holds; by default that weight (a target that reads back what it set).</summary>
    public Func<TrafficShift, int, int> ReadsBack { get; set; } = (_, weight) => weight;

    /// <summary>When it returns a message, the call fails with it (as a target that refuses).</summary>
    public Func<TrafficShift, string?> Fails { get; set; } = _ => null;

    public int Weight
    {
        get
        {
            lock (_gate)
            {
                return _weight;
            }
        }
    }

    public Task<TrafficState> ApplyAsync(TrafficShift shift, CancellationToken cancellationToken)
    {
        Calls.Enqueue(shift);
        if (Fails(shift) is { } error)
        {
            throw new IntegrationException("fake target", IntegrationFailureKind.Unavailable, error, 503);
        }

        lock (_gate)
        {
            if (_applied.Add(shift.IdempotencyKey))
            {
                _weight = shift.Action switch
                {
                    TrafficAction.Rollback => 0,
                    TrafficAction.Promote or TrafficAction.Swap => 100,
                    _ => shift.CandidateWeightPercent,
                };
                Applied.Add((shift.Action, _weight));
            }

            return Task.FromResult(new TrafficState(_weight, shift.Action == TrafficAction.Swap ? "green" : null, DateTimeOffset.UnixEpoch, $"fake router at {_weight}%"));
        }
    }

    public Task<TrafficState> ReadAsync(TrafficShift shift, CancellationToken cancellationToken)
    {
        var weight = ReadsBack(shift, Weight);
        return Task.FromResult(new TrafficState(weight, null, DateTimeOffset.UnixEpoch, $"fake router read at {weight}%"));
    }
}

/// <summary>An SLI source standing in as "prometheus", answering from a function of the query; the weight parameter says which step asks.</summary>
internal sealed class FakeSliSource : ISliSource
{
    public string Provider => "prometheus";

    /// <summary>Values for the canary population by query text and weight; null means no data.</summary>
    public Func<string, int, double?> Canary { get; set; } = (_, _) => 0.001;

    /// <summary>When set, the canary's value for the whole query (its window too), in place of <see cref="Canary"/>.</summary>
    public Func<SliQuery, double?>? CanaryOf { get; set; }

    public Func<string, long> Count { get; set; } = _ => 0;

    /// <summary>When set, the stable version's (baseline) value for a query and its window, apart from the canary's; null means no baseline data.</summary>
    public Func<SliQuery, double?>? Stable { get; set; }

    /// <summary>When true, every query fails as an unreachable source would.</summary>
    public bool Down { get; set; }

    /// <summary>Every query asked, in order.</summary>
    public ConcurrentQueue<SliQuery> Queries { get; } = new();

    private static SliSample[] Samples(SliWindow window, double value)
        => Enumerable.Range(0, 10).Select(i => new SliSample(window.Start.AddSeconds(i), value)).ToArray();

    public Task<SliReading> QueryAsync(SliQuery query, CancellationToken cancellationToken)
    {
        if (query.Query is "good" or "total")
        {
            var n = Count(query.Query);
            return Task.FromResult(SliReading.Of(query.Query, query.Window, [new SliSeries("canary", [new SliSample(query.Window.End, n)])]));
        }

        Queries.Enqueue(query);
        if (Down)
        {
            throw new IntegrationException("fake Prometheus", IntegrationFailureKind.Unavailable, "the fake SLI source is down");
        }

        var weight = int.Parse(query.Parameters["weight"], System.Globalization.CultureInfo.InvariantCulture);
        var value = CanaryOf is { } of ? of(query) : Canary(query.Query, weight);
        if (value is null)
        {
            return Task.FromResult(SliReading.NoData(query.Query, query.Window, "the fake source has no data"));
        }

        var samples = Samples(query.Window, value.Value);
        if (Stable is null)
        {
            return Task.FromResult(SliReading.Of(query.Query, query.Window, [new SliSeries("canary", samples), new SliSeries("baseline", samples)]));
        }

        var stable = Stable(query);
        var baseline = stable is null ? [] : Samples(query.Window, stable.Value);
        return Task.FromResult(SliReading.Of(query.Query, query.Window, [new SliSeries("canary", samples), new SliSeries("baseline", baseline)]));
    }
}

/// <summary>An Alertmanager stand-in: the alerts a test says are firing at the clock's time, and the matchers it was asked with.</summary>
internal sealed class FakeAlertSource : IAlertSource
{
    public string Provider => "alertmanager";

    /// <summary>The alerts firing now (the test sets them as time goes).</summary>
    public Func<IReadOnlyList<FiredAlert>> Firing { get; set; } = () => [];

    public ConcurrentQueue<IReadOnlyList<string>> Asked { get; } = new();

    /// <summary>While true, every call fails as an unreachable Alertmanager would.</summary>
    public Func<bool> Down { get; set; } = () => false;

    public Task<IReadOnlyList<FiredAlert>> FiringAsync(Core.Gates.AlertWatch watch, IReadOnlyDictionary<string, string> parameters, CancellationToken cancellationToken)
    {
        Asked.Enqueue(watch.Matchers.Select(m => m.Replace("{service}", parameters["service"], StringComparison.Ordinal)).ToArray());
        if (Down())
        {
            throw new IntegrationException("fake Alertmanager", IntegrationFailureKind.Unavailable, "the fake Alertmanager is down");
        }

        return Task.FromResult(Firing());
    }
}

/// <summary>A code host stand-in for the pre-flight gate: the checks a test says are reported at the clock's time, and the alerts open.</summary>
internal sealed class FakePreflightSource : IPreflightSource
{
    public Func<IReadOnlyList<Core.Preflight.CommitCheck>> Checks { get; set; } = () => [];

    public Func<Core.Preflight.SecurityAlertKind, IReadOnlyList<Core.Preflight.SecurityAlert>> Alerts { get; set; } = _ => [];

    /// <summary>Every read asked, as "checks sha" or "kind severity".</summary>
    public ConcurrentQueue<string> Asked { get; } = new();

    public Task<IReadOnlyList<Core.Preflight.CommitCheck>> ChecksAsync(string repository, string commitSha, long? installationId, CancellationToken cancellationToken)
    {
        Asked.Enqueue($"checks {repository}@{commitSha}");
        return Task.FromResult(Checks());
    }

    public Task<IReadOnlyList<Core.Preflight.SecurityAlert>> OpenSecurityAlertsAsync(string repository, Core.Preflight.SecurityAlertKind kind, Core.Preflight.SecuritySeverity atLeast, long? installationId, CancellationToken cancellationToken)
    {
        Asked.Enqueue($"{kind} {atLeast}");
        return Task.FromResult<IReadOnlyList<Core.Preflight.SecurityAlert>>(Alerts(kind).Where(a => a.Severity >= atLeast).ToArray());
    }
}

internal sealed class FakeApproverDirectory : IApproverDirectory
{
    public Dictionary<string, string[]> Members { get; } = new(StringComparer.OrdinalIgnoreCase);

    public Task<IReadOnlySet<string>> TeamsOfAsync(string login, IReadOnlyCollection<string> teams, long? installationId, CancellationToken cancellationToken)
        => Task.FromResult<IReadOnlySet<string>>(teams.Where(t => Members.TryGetValue(t, out var m) && m.Contains(login, StringComparer.OrdinalIgnoreCase)).ToHashSet());
}

/// <summary>The ledger in memory, with the same chaining and idempotency rules as the real one.</summary>
internal sealed class InMemoryLedger : IReleaseLedger, IReleaseReviews
{
    /// <summary>The key this ledger seals its audit chains with.</summary>
    public static AuditChainKey ChainKey { get; } = AuditChainKey.FromText("the in-memory test ledger's audit chain key");

    private readonly Dictionary<string, ReleaseReview> _reviews = new();

    private readonly object _gate = new();
    private readonly Dictionary<string, ReleaseRecord> _releases = new();
    private readonly Dictionary<string, List<AuditRecord>> _trails = new();
    private readonly Dictionary<string, AuditRecord> _byKey = new();

    public Task<AuditRecord> RecordAsync(ReleaseRecord release, AuditEntry entry, string idempotencyKey, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_byKey.TryGetValue(idempotencyKey, out var existing))
            {
                return Task.FromResult(existing);
            }

            var trail = _trails.TryGetValue(release.InstanceId, out var t) ? t : _trails[release.InstanceId] = new List<AuditRecord>();
            var record = AuditChain.Append(trail.LastOrDefault(), entry, ChainKey);
            trail.Add(record);
            _byKey[idempotencyKey] = record;
            _releases[release.InstanceId] = release;
            return Task.FromResult(record);
        }
    }

    public Task<ReleaseRecord?> GetReleaseAsync(string instanceId, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return Task.FromResult(_releases.GetValueOrDefault(instanceId));
        }
    }

    public Task<ReleasePage> ListReleasesAsync(ReleaseFilter filter, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            // As the real ledgers: the filter applied, newest first (one page: tests hold few releases).
            var listed = _releases.Values
                .Where(r => (filter.Repository is null || string.Equals(r.Repository, filter.Repository, StringComparison.OrdinalIgnoreCase))
                            && (filter.Service is null || r.Service == filter.Service)
                            && (filter.Statuses is null || filter.Statuses.Contains(r.Status))
                            && (filter.StartedFrom is null || r.StartedAt >= filter.StartedFrom)
                            && (filter.StartedTo is null || r.StartedAt < filter.StartedTo))
                .OrderByDescending(r => r.StartedAt)
                .ToList();
            return Task.FromResult(new ReleasePage(listed, null));
        }
    }

    public void Put(ReleaseRecord release)
    {
        lock (_gate)
        {
            _releases[release.InstanceId] = release;
        }
    }

    public Task<IReadOnlyList<ReleaseRecord>> ListDueAsync(DateTimeOffset completedBefore, int max, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return Task.FromResult<IReadOnlyList<ReleaseRecord>>(_releases.Values
                .Where(r => r.CompletedAt < completedBefore && (!_reviews.TryGetValue(r.InstanceId, out var review) || review.PublishedAt is null))
                .OrderBy(r => r.CompletedAt).Take(max).ToList());
        }
    }

    public Task<ReleaseReview> SaveAsync(ReleaseReview review, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return Task.FromResult(_reviews.TryAdd(review.InstanceId, review) ? review : _reviews[review.InstanceId]);
        }
    }

    public Task MarkPublishedAsync(string instanceId, DateTimeOffset publishedAt, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            _reviews[instanceId] = _reviews[instanceId] with { PublishedAt = publishedAt };
            return Task.CompletedTask;
        }
    }

    public Task<ReleaseReview?> GetAsync(string instanceId, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return Task.FromResult(_reviews.GetValueOrDefault(instanceId));
        }
    }

    public Task<IReadOnlyList<AuditRecord>> GetAuditTrailAsync(string instanceId, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return Task.FromResult<IReadOnlyList<AuditRecord>>(_trails.TryGetValue(instanceId, out var t) ? t.ToList() : []);
        }
    }
}

internal sealed class RecordingNotifier : IReleaseNotifier
{
    public ConcurrentQueue<ReleaseStatusUpdate> Updates { get; } = new();

    /// <summary>When true, every publication fails as GitHub being down would.</summary>
    public bool Down { get; set; }

    public Task PublishAsync(ReleaseStatusUpdate update, string idempotencyKey, CancellationToken cancellationToken)
    {
        if (Down)
        {
            throw new IntegrationException("GitHub", IntegrationFailureKind.Unavailable, "503 from api.github.com", 503);
        }

        Updates.Enqueue(update);
        return Task.CompletedTask;
    }
}

/// <summary>
/// A code host for release notes and versions, in memory: the pull requests a test says were merged between two commits,
/// and tags and releases kept as GitHub keeps them (one release per tag, a tag never moved). Counts what it made.
/// </summary>
internal sealed class FakeReleasePublisher : IReleasePublisher
{
    private readonly object _gate = new();

    /// <summary>Why it cannot publish (as without GitHub credentials); null when it can.</summary>
    public string? Unavailable { get; set; }

    /// <summary>The pull requests merged between a base and a head commit, as the code host would list them.</summary>
    public Func<string, string, IReadOnlyList<Core.ReleaseNotes.MergedPullRequest>> Merged { get; set; } = (_, _) => [];

    /// <summary>Tag name → the commit it is on.</summary>
    public Dictionary<string, string> Tags { get; } = new(StringComparer.Ordinal);

    /// <summary>Tag → the release published on it.</summary>
    public Dictionary<string, ReleasePublication> Releases { get; } = new(StringComparer.Ordinal);

    /// <summary>Every call, in order: "compare BASE...HEAD", "latest v", "tag v0.1.0 Created", "release v0.1.0 created".</summary>
    public ConcurrentQueue<string> Calls { get; } = new();

    public Task<IReadOnlyList<Core.ReleaseNotes.MergedPullRequest>> MergedBetweenAsync(string repository, string baseSha, string headSha, long? installationId, CancellationToken cancellationToken)
    {
        Calls.Enqueue($"compare {baseSha}...{headSha}");
        return Task.FromResult(Merged(baseSha, headSha));
    }

    public Task<Core.ReleaseNotes.PreviousVersion?> LatestVersionAsync(string repository, string tagPrefix, string excludingCommitSha, long? installationId, CancellationToken cancellationToken)
    {
        Calls.Enqueue($"latest {tagPrefix}");
        lock (_gate)
        {
            var latest = Tags.Where(t => t.Value != excludingCommitSha)
                .Select(t => (Tag: t.Key, Commit: t.Value, Version: Core.ReleaseNotes.SemanticVersion.FromTag(t.Key, tagPrefix)))
                .Where(t => t.Version is not null).OrderByDescending(t => t.Version).FirstOrDefault();
            return Task.FromResult(latest.Version is null ? null : new Core.ReleaseNotes.PreviousVersion(latest.Version, latest.Commit, $"tag {latest.Tag}"));
        }
    }

    public Task<TagOutcome> TagAsync(string repository, string tag, string commitSha, long? installationId, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var outcome = Tags.TryGetValue(tag, out var existing)
                ? new TagOutcome(tag, existing, existing == commitSha ? TagState.Existed : TagState.OnAnotherCommit)
                : new TagOutcome(tag, Tags[tag] = commitSha, TagState.Created);
            Calls.Enqueue($"tag {tag} {outcome.State}");
            return Task.FromResult(outcome);
        }
    }

    public Task<PublishedRelease> PublishAsync(string repository, ReleasePublication publication, string idempotencyKey, long? installationId, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var created = Releases.TryAdd(publication.Tag, publication);
            Calls.Enqueue($"release {publication.Tag} {(created ? "created" : "existed")}");
            return Task.FromResult(new PublishedRelease(publication.Tag, Releases.Keys.ToList().IndexOf(publication.Tag) + 1, $"https://github.com/{repository}/releases/tag/{publication.Tag}", created));
        }
    }
}
