using System.Globalization;
using System.Text.RegularExpressions;
using ReleaseFunctions.Core.Approvals;
using ReleaseFunctions.Core.ErrorBudget;
using ReleaseFunctions.Core.Freeze;
using ReleaseFunctions.Core.Gates;
using ReleaseFunctions.Core.Migrations;
using ReleaseFunctions.Core.Notifications;
using ReleaseFunctions.Core.Ports;
using ReleaseFunctions.Core.Preflight;
using ReleaseFunctions.Core.ReleaseNotes;
using ReleaseFunctions.Core.Sli;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace ReleaseFunctions.Core.Policy;

/// <summary>
/// Parses <c>.github/release-policy.yml</c>. The result is a complete <see cref="ReleasePolicy"/> or every problem
/// found, each with its line, column, path and what was expected; never a partly applied policy.
/// </summary>
/// <remarks>
/// <para>Schema (version 1). Durations: <c>30s</c>, <c>10m</c>, <c>1h30m</c>, <c>24h</c>, <c>28d</c> or ISO 8601 <c>PT5M</c>.
/// Unknown keys are problems, so a typo is never silently ignored. YAML anchors and aliases may share a gate between stages.</para>
/// <code>
/// version: 1                          # required; the only version
/// stages:                             # required, run in order; names: lower-case, digits, '-'
///   - name: production-eu
///     target:                         # required: provider + string parameters (Ports.TargetSpec)
///       provider: app-service
///       parameters: { site: shop, slot: staging }
///     strategy:                       # required: exactly one of
///       canary:                       #   steps with increasing weight 1..100, each soaked; then promotion
///         steps: [ { weight: 5, soak: 10m }, { weight: 50%, soak: 30m } ]   # weight: percent of traffic, '%' optional
///       # blue_green: { idle_soak: 5m, idle_checks: GATE, post_swap_soak: 15m, keep_old_slot: 1h }  (defaults 0, none, 0, 1h)
///       # direct: { soak: 15m }                                                                       (default 0)
///     gate:                           # optional, judges each step
///       provider: prometheus          # default SLI provider of the objectives
///       compare_to: baseline          # baseline | pre-release | previous-release: what relative criteria compare with (default baseline)
///       significance: 0.05            # Mann–Whitney level below which a relative breach counts (default 0.05)
///       min_samples: 5                # fewer samples in a population: no rank test (default 5)
///       score: { pass: 90, marginal: 75 }                      # defaults 90 / 75
///       analysis: { interval: 5m, count: 3, failure_limit: 0, inconclusive_limit: 0, consecutive_error_limit: 4, no_data_limit: 3 }
///       alerts:                       # optional: fired alerts fail the gate at once, at every measurement
///         provider: alertmanager      # required: alertmanager | azuremonitor
///         matchers: ['service="{service}"', 'severity=~"critical|page"']   # alertmanager: required label matchers
///         # scope: "{resource_id}"    # azuremonitor: required resource or resource group id
///         # severities: [Sev0, Sev1]  # azuremonitor: which count (default all)
///         fail_on_preexisting: false  # alerts firing before traffic moved are evidence only (default false)
///       burn_rate:                    # optional: the candidate's error-budget burn, judged all through the step
///         objective: error_rate       # required: an objective of this gate with unit ratio or percent
///         slo: 99.9%                  # required: the SLO whose budget burns
///         windows: [ { short: 5m, long: 1h, factor: 14.4 } ]   # default: 14.4x over 5m and 1h, 6x over 30m and 6h
///       watch_interval: 1m            # how often alerts and burn rate are read while a step soaks (default 1m)
///       objectives:
///         - name: error_rate
///           query: "..."              # required; provider: overrides the gate's
///           aggregation: mean         # mean | median | p90 | p95 | p99 | min | max | sum | last (default mean)
///           unit: ratio               # number | ratio | percent (default ratio if a threshold has '%', else number)
///           pass: "&lt; 1%"              # required: one criterion or a list, all must hold
///           warning: "&lt; 2%"           # optional: all must hold for a warning
///           weight: 1                 # 1..1000 (default 1)
///           critical: true            # failing fails the gate (default false)
///           must_have_data: true      # no data fails instead of inconclusive (default false)
///           compare_to: pre-release   # overrides the gate's
///           parameters: { resource_id: /subscriptions/... }   # the SLI source's parameters (ProviderCatalogue), also {name} values
///     approvals:                      # optional
///       - users: [alice]              # users and/or teams (org/team-slug), at least one
///         teams: [contoso/sre]
///         quorum: 1                   # distinct people (default 1)
///         before_step: 1              # 1..steps of the stage; absent: before the stage
///         timeout: 4h                 # optional
///         on_timeout: reject          # reject | proceed | wait (default reject)
///         allow_self_approval: false  # default false
/// preflight:                          # optional (`preflight: {}` for the defaults): judged on the merge commit before any traffic moves
///   checks: [build, test]             # required status contexts / check runs (default: every check reported)
///   pending_timeout: 30m              # a required check pending or not reported this long fails (default 30m)
///   poll_interval: 30s                # how often pending checks are read again (default 30s)
///   code_scanning: high               # open code scanning alerts at or above: low | medium | high | critical (default: not checked)
///   dependabot: critical              # open Dependabot alerts at or above (default: not checked)
///   on_security_alerts: override      # override: wait for the approvals quorum (default) | fail
/// migrations:                         # optional: database changes in two steps, run by the migration hook of the settings
///   expand: { migration: 2026-12-orders-add-currency, timeout: 15m }    # before any traffic moves; must read back applied
///   contract: { migration: 2026-12-orders-drop-legacy, timeout: 15m }   # after promotion and a review without regression
/// freeze:                             # optional; checked before the first stage, every stage and every traffic increase
///   time_zone: Europe/Berlin          # default of the windows (default UTC)
///   during_rollout: hold              # a window opening mid-rollout: hold at the current weight (default) | rollback
///   exempt_labels: [hotfix]
///   windows:                          # each: name + exactly one of weekly / days+hours / dates
///     - { name: weekend, weekly: "Fri 16:00 - Mon 08:00" }
///     - { name: nights, days: [mon, tue, wed, thu], hours: "22:00-06:00" }
///     - { name: year-end, dates: "2026-12-20..2027-01-03", time_zone: Europe/Berlin }   # both days included
/// error_budget:                       # optional: checked before a release starts
///   slo: 99.9%
///   window: 28d
///   provider: prometheus
///   good_events: "..."
///   total_events: "..."
///   exempt_labels: [hotfix]
///   min_remaining: 0%                 # default 0%
/// rollback: { on_failed_gate: true, on_approval_timeout: true, on_inconclusive: await_decision }  # defaults; or rollback
/// review: { delay: 24h }              # default 24h
/// notifications:                      # optional: which release events go to which chat channels and webhooks
///   channels:                         # at least one; each channel's address is an app setting, never the policy's (it is a secret)
///     - name: sre-teams               # required, unique: lower-case letters, digits and '-'
///       type: teams                   # required: teams (a Workflows webhook) | slack (an incoming webhook) | webhook (signed JSON)
///       events: [started, waiting_for_approval, gate_failed, rolled_back, rollback_failed, promoted, review_posted]   # required, at least one
///       setting: SRE_TEAMS            # the app settings ReleaseFunctions__Notifications__Channels__SRE_TEAMS__Url (and __Secret for
///                                     # type webhook); letters, digits, '_' (default: the name with '-' written '_', here sre_teams)
/// release:                            # optional: on promotion, a semantic version, release notes, a tag and a GitHub release
///   version:                          # or `version: 2.3.0`, short for { from: policy, value: 2.3.0 }
///     from: labels                    # labels: the previous version bumped by the merged PRs' labels (default) | policy: 'value'
///     value: 2.3.0                    # from: policy: the version to release; refused unless newer than the previous one
///     initial: 0.1.0                  # from: labels: the first version, when none was released before (default 0.1.0)
///     prefix: v                       # a version's tag is prefix + version, e.g. v1.2.3 (default v; "" for none)
///     major_labels: [major, breaking] # from: labels: any of these on a merged PR bumps major (default major, breaking)
///     minor_labels: [minor, feature]  # else any of these bumps minor (default minor, feature); else patch
///   notes: true                       # release notes from the PRs merged since the previous version (default true)
///   groups:                           # the notes' headings in order; a PR goes under the first with one of its labels, else
///     - { title: Features, labels: [feature, minor] }   # under "Other changes" (default: Breaking changes [major, breaking],
///     - { title: Fixes, labels: [bug, fix] }            # Features [minor, feature], Fixes [bug, fix])
///   tag: true                         # tag the merge commit (default true; an existing tag elsewhere is never moved)
///   github_release: true              # a GitHub release on the tag, with the notes (default: as tag; needs tag)
/// </code>
/// <para>Criteria: <c>&lt; 1%</c> and <c>&lt;= 300</c> are absolute; a signed percentage such as <c>&lt;= +10%</c> is the change allowed
/// against the reference population. Quote criteria: a plain YAML value cannot start with '&gt;'.</para>
/// </remarks>
public static partial class ReleasePolicyParser
{
    /// <summary>Where a repository keeps its policy.</summary>
    public const string PolicyPath = ".github/release-policy.yml";

    /// <summary>The largest policy file read, in characters (256 KiB); real policies are a few KiB.</summary>
    public const int MaxLength = 256 * 1024;

    public static PolicyParseResult Parse(string yaml)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        var reader = new PolicyReader();
        if (yaml.Length > MaxLength)
        {
            reader.Add(new Mark(0, 1, 1), string.Empty, $"the policy file has {yaml.Length} characters; expected at most {MaxLength}");
            return PolicyParseResult.Invalid(reader.Problems);
        }
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException e)
        {
            var message = StripPosition(e.InnerException is YamlException inner ? inner.Message : e.Message);
            var hint = message.Contains("block scalar", StringComparison.Ordinal)
                ? " (a value starting with '>' or '|' must be quoted, e.g. pass: \"> 10\")"
                : string.Empty;
            reader.Add(e.Start, string.Empty, $"the file is not valid YAML: {message}{hint}");
            return PolicyParseResult.Invalid(reader.Problems);
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or FormatException or IndexOutOfRangeException)
        {
            // YamlDotNet's scanner throws these, without a position, on some malformed input.
            reader.Add(new Mark(0, 1, 1), string.Empty, $"the file is not valid YAML and could not be read ({e.Message}); check quoting and indentation");
            return PolicyParseResult.Invalid(reader.Problems);
        }

        if (stream.Documents.Count == 0 || PolicyReader.IsNothing(stream.Documents[0].RootNode))
        {
            reader.Add(new Mark(0, 1, 1), string.Empty, "the policy file is empty; expected a mapping with at least 'version' and 'stages'");
            return PolicyParseResult.Invalid(reader.Problems);
        }

        if (stream.Documents.Count > 1)
        {
            reader.Add(stream.Documents[1].RootNode, string.Empty, "expected one YAML document, found several");
        }

        var policy = new Parser(reader).Policy(stream.Documents[0].RootNode);
        return policy is not null && reader.ProblemCount == 0 ? PolicyParseResult.Valid(policy) : PolicyParseResult.Invalid(reader.Problems);
    }

    private static string StripPosition(string message)
    {
        // YamlDotNet prefixes "(Line: 3, Col: 5, Idx: 20) - (Line: ...): "; the problem carries the position already.
        var at = message.IndexOf("): ", StringComparison.Ordinal);
        return message.StartsWith("(Line:", StringComparison.Ordinal) && at >= 0 ? message[(at + 3)..] : message;
    }

    private sealed class Parser(PolicyReader r)
    {
        private static readonly Dictionary<string, ReferencePopulation> References = new(StringComparer.Ordinal)
        {
            ["baseline"] = ReferencePopulation.Baseline,
            ["pre-release"] = ReferencePopulation.PreRelease,
            ["previous-release"] = ReferencePopulation.PreviousRelease,
        };

        private static readonly Dictionary<string, SliAggregation> Aggregations =
            Enum.GetValues<SliAggregation>().ToDictionary(a => a.ToString().ToLowerInvariant(), StringComparer.Ordinal);

        private static readonly Dictionary<string, SliUnit> Units =
            Enum.GetValues<SliUnit>().ToDictionary(u => u.ToString().ToLowerInvariant(), StringComparer.Ordinal);

        private static readonly Dictionary<string, ApprovalTimeoutAction> TimeoutActions = new(StringComparer.Ordinal)
        {
            ["reject"] = ApprovalTimeoutAction.Reject,
            ["proceed"] = ApprovalTimeoutAction.Proceed,
            ["wait"] = ApprovalTimeoutAction.Wait,
        };

        private static readonly Dictionary<string, ConcurrencyMode> ConcurrencyModes = new(StringComparer.Ordinal)
        {
            ["queue"] = ConcurrencyMode.Queue,
            ["supersede"] = ConcurrencyMode.Supersede,
        };

        private static readonly Dictionary<string, InconclusiveAction> InconclusiveActions = new(StringComparer.Ordinal)
        {
            ["await_decision"] = InconclusiveAction.AwaitDecision,
            ["rollback"] = InconclusiveAction.Rollback,
        };

        private static readonly Dictionary<string, FreezeDuringRollout> DuringRolloutActions = new(StringComparer.Ordinal)
        {
            ["hold"] = FreezeDuringRollout.Hold,
            ["rollback"] = FreezeDuringRollout.Rollback,
        };

        public ReleasePolicy? Policy(YamlNode root)
        {
            var map = r.Mapping(root, string.Empty, "version", "stages", "preflight", "migrations", "freeze", "error_budget", "rollback", "review", "concurrency", "notifications", "release");
            if (map is null)
            {
                return null;
            }

            if (r.Required(map, string.Empty, "version", "1") is { } versionNode)
            {
                r.Int(versionNode, "version", 1, 1, null, " (the only policy version this app reads)");
            }

            var stages = new List<StagePolicy?>();
            if (r.Required(map, string.Empty, "stages", "a list of stages") is { } stagesNode && r.Sequence(stagesNode, "stages", "stages") is { } items)
            {
                if (items.Count == 0)
                {
                    r.Add(stagesNode, "stages", "expected at least one stage");
                }

                for (var i = 0; i < items.Count; i++)
                {
                    stages.Add(Stage(items[i], $"stages[{i}]"));
                }

                UniqueNames(items, "stages", "stage", StringComparer.Ordinal);
            }

            var freeze = PolicyReader.Get(map, "freeze") is { } freezeNode ? Freeze(freezeNode, "freeze") : FreezeCalendar.None;
            var budget = PolicyReader.Get(map, "error_budget") is { } budgetNode ? ErrorBudget(budgetNode, "error_budget") : null;
            var preflightNode = PolicyReader.Get(map, "preflight");
            var preflight = preflightNode is null ? null : Preflight(preflightNode, "preflight");
            var migrationsNode = PolicyReader.Get(map, "migrations");
            var migrations = migrationsNode is null ? null : Migrations(migrationsNode, "migrations");
            var rollback = Rollback(PolicyReader.Get(map, "rollback"), "rollback");
            var reviewDelay = ReleasePolicy.DefaultReviewDelay as TimeSpan?;
            if (PolicyReader.Get(map, "review") is { } reviewNode && r.Mapping(reviewNode, "review", "delay") is { } review)
            {
                reviewDelay = r.Duration(PolicyReader.Get(review, "delay"), "review.delay", ReleasePolicy.DefaultReviewDelay);
            }

            var concurrency = r.Choice(PolicyReader.Get(map, "concurrency"), "concurrency", ConcurrencyModes, ConcurrencyMode.Queue);
            var notificationsNode = PolicyReader.Get(map, "notifications");
            var notifications = notificationsNode is null ? null : NotificationRouting(notificationsNode, "notifications");
            var releaseNode = PolicyReader.Get(map, "release");
            var releaseNotes = releaseNode is null ? null : ReleaseSection(releaseNode, "release");
            if (r.ProblemCount > 0 || freeze is null || rollback is null || reviewDelay is null || concurrency is null || stages.Any(s => s is null) || (preflightNode is not null && preflight is null) || (migrationsNode is not null && migrations is null)
                || (notificationsNode is not null && notifications is null) || (releaseNode is not null && releaseNotes is null))
            {
                return null;
            }

            return r.Build(root, string.Empty, () => new ReleasePolicy(stages.Select(s => s!).ToArray(), freeze, budget, rollback, reviewDelay.Value, concurrency.Value) { Preflight = preflight, Migrations = migrations, Notifications = notifications, ReleaseNotes = releaseNotes });
        }

        private static readonly Dictionary<string, SecuritySeverity> Severities = new(StringComparer.OrdinalIgnoreCase)
        {
            ["low"] = SecuritySeverity.Low,
            ["medium"] = SecuritySeverity.Medium,
            ["high"] = SecuritySeverity.High,
            ["critical"] = SecuritySeverity.Critical,
        };

        private static readonly Dictionary<string, SecurityAlertAction> SecurityAlertActions = new(StringComparer.Ordinal)
        {
            ["override"] = SecurityAlertAction.RequireOverride,
            ["fail"] = SecurityAlertAction.Fail,
        };

        /// <summary><c>preflight: { checks: [build], pending_timeout: 30m, code_scanning: high, dependabot: critical, on_security_alerts: override }</c>.</summary>
        private PreflightPolicy? Preflight(YamlNode node, string path)
        {
            if (r.Mapping(node, path, "checks", "pending_timeout", "poll_interval", "code_scanning", "dependabot", "on_security_alerts") is not { } map)
            {
                return null;
            }

            var before = r.ProblemCount;
            var checksPath = PolicyReader.Join(path, "checks");
            var checks = PolicyReader.Get(map, "checks") is { } checksNode ? r.Strings(checksNode, checksPath, "check names (status contexts or check run names)") : [];
            if (PolicyReader.Get(map, "checks") is YamlSequenceNode items)
            {
                UniqueValues(items, checksPath, "check", StringComparer.OrdinalIgnoreCase);
            }

            var pendingTimeout = r.Duration(PolicyReader.Get(map, "pending_timeout"), PolicyReader.Join(path, "pending_timeout"), PreflightPolicy.DefaultPendingTimeout, allowZero: true);
            var pollInterval = r.Duration(PolicyReader.Get(map, "poll_interval"), PolicyReader.Join(path, "poll_interval"), PreflightPolicy.DefaultPollInterval);
            var codeScanning = PolicyReader.Get(map, "code_scanning") is { } codeNode ? r.Choice(codeNode, PolicyReader.Join(path, "code_scanning"), Severities, default(SecuritySeverity?)) : null;
            var dependabot = PolicyReader.Get(map, "dependabot") is { } dependabotNode ? r.Choice(dependabotNode, PolicyReader.Join(path, "dependabot"), Severities, default(SecuritySeverity?)) : null;
            var action = r.Choice(PolicyReader.Get(map, "on_security_alerts"), PolicyReader.Join(path, "on_security_alerts"), SecurityAlertActions, SecurityAlertAction.RequireOverride);
            return r.ProblemCount > before || checks is null || pendingTimeout is null || pollInterval is null || action is null
                ? null
                : new PreflightPolicy(checks, pendingTimeout, pollInterval, codeScanning, dependabot, action.Value);
        }

        /// <summary><c>migrations: { expand: { migration: NAME, timeout: 15m }, contract: { migration: NAME, timeout: 15m } }</c>, at least one of the two.</summary>
        private MigrationPolicy? Migrations(YamlNode node, string path)
        {
            if (r.Mapping(node, path, "expand", "contract") is not { } map)
            {
                return null;
            }

            var before = r.ProblemCount;
            var expand = PolicyReader.Get(map, "expand") is { } expandNode ? ReadMigrationStep(expandNode, PolicyReader.Join(path, "expand"), MigrationPhase.Expand) : null;
            var contract = PolicyReader.Get(map, "contract") is { } contractNode ? ReadMigrationStep(contractNode, PolicyReader.Join(path, "contract"), MigrationPhase.Contract) : null;
            if (PolicyReader.Get(map, "expand") is null && PolicyReader.Get(map, "contract") is null)
            {
                r.Add(node, path, "expected an 'expand' step, a 'contract' step, or both, such as expand: { migration: 2026-12-orders-add-currency }");
            }

            return r.ProblemCount > before ? null : new MigrationPolicy(expand, contract);
        }

        private MigrationStep? ReadMigrationStep(YamlNode node, string path, MigrationPhase phase)
        {
            if (r.Mapping(node, path, "migration", "timeout") is not { } map)
            {
                return null;
            }

            var migration = r.RequiredString(map, path, "migration", "the migration's name as the migration hook knows it, e.g. 2026-12-orders-add-currency");
            if (migration is not null && !MigrationStep.NamePattern().IsMatch(migration))
            {
                r.Add(PolicyReader.Get(map, "migration")!, PolicyReader.Join(path, "migration"), $"expected letters, digits, '.', '_' and '-' (at most 128), starting with a letter or digit, got '{migration}'");
                migration = null;
            }

            var timeout = r.Duration(PolicyReader.Get(map, "timeout"), PolicyReader.Join(path, "timeout"), MigrationStep.DefaultTimeout);
            return migration is null || timeout is null ? null : new MigrationStep(phase, migration, timeout);
        }

        /// <summary>Reports each scalar of a list that repeats an earlier one.</summary>
        private void UniqueValues(YamlSequenceNode items, string path, string what, StringComparer comparer)
        {
            var seen = new Dictionary<string, int>(comparer);
            for (var i = 0; i < items.Children.Count; i++)
            {
                if (items.Children[i] is YamlScalarNode { Value: { } value } && !seen.TryAdd(value, i))
                {
                    r.Add(items.Children[i], $"{path}[{i}]", $"expected each {what} once; '{value}' is already {path[(path.LastIndexOf('.') + 1)..]}[{seen[value]}]");
                }
            }
        }

        /// <summary>Reports each list item whose 'name' repeats an earlier item's.</summary>
        private void UniqueNames(IReadOnlyList<YamlNode> items, string path, string what, StringComparer comparer)
        {
            var seen = new Dictionary<string, int>(comparer);
            for (var i = 0; i < items.Count; i++)
            {
                if (items[i] is YamlMappingNode map && PolicyReader.Get(map, "name") is YamlScalarNode { Value: { } name } nameNode && !seen.TryAdd(name, i))
                {
                    var list = path[(path.LastIndexOf('.') + 1)..];
                    r.Add(nameNode, $"{path}[{i}].name", $"expected a unique {what} name; '{name}' is already {list}[{seen[name]}]");
                }
            }
        }

        private StagePolicy? Stage(YamlNode node, string path)
        {
            var map = r.Mapping(node, path, "name", "target", "strategy", "gate", "approvals");
            if (map is null)
            {
                return null;
            }

            var before = r.ProblemCount;
            var name = r.RequiredString(map, path, "name", "a stage name");
            if (name is not null && !StagePolicy.NamePattern().IsMatch(name))
            {
                r.Add(map.Children[new YamlScalarNode("name")], PolicyReader.Join(path, "name"), $"expected lower-case letters, digits and '-', starting with a letter, got '{name}'");
            }

            var target = r.Required(map, path, "target", "a target with 'provider' and 'parameters'") is { } targetNode ? Target(targetNode, PolicyReader.Join(path, "target")) : null;
            var strategy = r.Required(map, path, "strategy", "one of canary, blue_green, direct") is { } strategyNode ? Strategy(strategyNode, PolicyReader.Join(path, "strategy")) : null;
            var gate = PolicyReader.Get(map, "gate") is { } gateNode ? Gate(gateNode, PolicyReader.Join(path, "gate")) : null;
            var approvals = new List<ApprovalRequirement?>();
            if (PolicyReader.Get(map, "approvals") is { } approvalsNode && r.Sequence(approvalsNode, PolicyReader.Join(path, "approvals"), "approvals") is { } items)
            {
                for (var i = 0; i < items.Count; i++)
                {
                    approvals.Add(Approval(items[i], $"{path}.approvals[{i}]", name ?? "?", strategy?.StepCount));
                }
            }

            if (r.ProblemCount > before || name is null || target is null || strategy is null)
            {
                return null;
            }

            return r.Build(node, path, () => new StagePolicy(name, target, strategy, gate, approvals.Select(a => a!).ToArray()));
        }

        private TargetSpec? Target(YamlNode node, string path)
        {
            var map = r.Mapping(node, path, "provider", "parameters");
            if (map is null)
            {
                return null;
            }

            var before = r.ProblemCount;
            var provider = r.RequiredString(map, path, "provider", "a deployment provider such as app-service, container-apps, http-hook or sandbox");
            var parametersNode = PolicyReader.Get(map, "parameters");
            var parameters = StringMap(parametersNode, PolicyReader.Join(path, "parameters"));
            if (provider is not null && parameters is not null)
            {
                if (ProviderCatalogue.Target(provider) is { } description)
                {
                    CheckParameters(description, parameters, parametersNode, map, PolicyReader.Join(path, "parameters"), "target");
                }
                else
                {
                    r.Add(PolicyReader.Get(map, "provider")!, PolicyReader.Join(path, "provider"),
                        $"unknown deployment provider '{provider}'; expected one of {string.Join(", ", ProviderCatalogue.Targets.Select(t => t.Name))}");
                }
            }

            return r.ProblemCount == before && provider is not null && parameters is not null
                ? new TargetSpec(ProviderCatalogue.Target(provider)!.Name, parameters.ToDictionary(p => p.Key, p => p.Value.Value, StringComparer.Ordinal))
                : null;
        }

        /// <summary>A mapping of names to text values (absent: empty), each value with its node; null after a problem.</summary>
        private Dictionary<string, (string Value, YamlNode Node, YamlNode KeyNode)>? StringMap(YamlNode? node, string path)
        {
            var values = new Dictionary<string, (string Value, YamlNode Node, YamlNode KeyNode)>(StringComparer.Ordinal);
            if (node is null || PolicyReader.IsNothing(node))
            {
                return values;
            }

            if (node is not YamlMappingNode map)
            {
                r.Add(node, path, $"expected a mapping of names to text values, got {PolicyReader.Describe(node)}");
                return null;
            }

            var ok = true;
            foreach (var (key, value) in map.Children)
            {
                var keyText = (key as YamlScalarNode)?.Value ?? "?";
                if (value is YamlScalarNode scalar && !PolicyReader.IsNothing(value))
                {
                    values[keyText] = (scalar.Value!, value, key);
                }
                else
                {
                    r.Add(value, PolicyReader.Join(path, keyText), $"expected a text value, got {PolicyReader.Describe(value)}");
                    ok = false;
                }
            }

            return ok ? values : null;
        }

        /// <summary>Checks parameters against what the provider reads: none unknown, the required ones given, each value well formed.</summary>
        private void CheckParameters(ProviderDescription provider, Dictionary<string, (string Value, YamlNode Node, YamlNode KeyNode)> parameters,
            YamlNode? parametersNode, YamlMappingNode owner, string path, string what)
        {
            foreach (var (name, (value, valueNode, keyNode)) in parameters)
            {
                if (provider.Parameter(name) is { } parameter)
                {
                    if (!parameter.Accepts(value))
                    {
                        r.Add(valueNode, PolicyReader.Join(path, name), $"expected {parameter.Expected}; got '{value}'");
                    }
                }
                else if (!provider.TakesOtherParameters)
                {
                    var known = provider.Parameters.Count == 0 ? "none" : string.Join(", ", provider.Parameters.Select(p => p.Name));
                    r.Add(keyNode, PolicyReader.Join(path, name), $"unknown parameter '{name}' for {what} provider {provider.Name}; expected: {known}");
                }
            }

            if (provider.MissingParameters(parameters.Keys) is { } missing)
            {
                r.Add(parametersNode ?? owner, path, missing);
            }
        }

        private ReleaseStrategy? Strategy(YamlNode node, string path)
        {
            var map = r.Mapping(node, path, "canary", "blue_green", "direct");
            if (map is null)
            {
                return null;
            }

            var chosen = map.Children.Where(c => (c.Key as YamlScalarNode)?.Value is "canary" or "blue_green" or "direct").ToArray();
            if (chosen.Length == 0)
            {
                r.Add(node, path, "expected exactly one of: canary, blue_green, direct");
                return null;
            }

            if (chosen.Length > 1)
            {
                r.Add(chosen[1].Key, path, $"expected exactly one strategy; found {string.Join(" and ", chosen.Select(c => ((YamlScalarNode)c.Key).Value))}");
                return null;
            }

            var (keyNode, value) = chosen[0];
            var kind = ((YamlScalarNode)keyNode).Value!;
            var strategyPath = PolicyReader.Join(path, kind);
            return kind switch
            {
                "canary" => Canary(value, strategyPath),
                "blue_green" => BlueGreen(value, strategyPath),
                _ => Direct(value, strategyPath),
            };
        }

        private CanaryStrategy? Canary(YamlNode node, string path)
        {
            var map = r.Mapping(node, path, "steps");
            if (map is null || r.Required(map, path, "steps", "a list of steps { weight, soak }") is not { } stepsNode ||
                r.Sequence(stepsNode, PolicyReader.Join(path, "steps"), "steps { weight, soak }") is not { } items)
            {
                return null;
            }

            if (items.Count == 0)
            {
                r.Add(stepsNode, PolicyReader.Join(path, "steps"), "expected at least one step");
                return null;
            }

            var before = r.ProblemCount;
            var steps = new List<CanaryStep>();
            int? previousWeight = null;
            for (var i = 0; i < items.Count; i++)
            {
                var stepPath = $"{path}.steps[{i}]";
                if (r.Mapping(items[i], stepPath, "weight", "soak") is not { } step)
                {
                    continue;
                }

                var weightNode = r.Required(step, stepPath, "weight", "an integer from 1 to 100");
                var weight = weightNode is null ? null : r.Int(weightNode, $"{stepPath}.weight", 1, 100, null, allowPercentSign: true);
                var soakNode = r.Required(step, stepPath, "soak", "a duration such as 10m");
                var soak = soakNode is null ? null : r.Duration(soakNode, $"{stepPath}.soak", null, allowZero: true);
                if (weight is { } w && previousWeight is { } p && w <= p)
                {
                    r.Add(weightNode!, $"{stepPath}.weight", $"expected a weight above the previous step's {p} (weights increase), got {w}");
                }

                previousWeight = weight ?? previousWeight;
                if (weight is not null && soak is not null)
                {
                    steps.Add(new CanaryStep(weight.Value, soak.Value));
                }
            }

            return r.ProblemCount == before ? r.Build(node, path, () => new CanaryStrategy(steps)) : null;
        }

        private BlueGreenStrategy? BlueGreen(YamlNode node, string path)
        {
            if (PolicyReader.IsNothing(node))
            {
                return new BlueGreenStrategy(TimeSpan.Zero, null, TimeSpan.Zero, TimeSpan.FromHours(1));
            }

            var map = r.Mapping(node, path, "idle_soak", "idle_checks", "post_swap_soak", "keep_old_slot");
            if (map is null)
            {
                return null;
            }

            var before = r.ProblemCount;
            var idleSoak = r.Duration(PolicyReader.Get(map, "idle_soak"), PolicyReader.Join(path, "idle_soak"), TimeSpan.Zero, allowZero: true);
            var checks = PolicyReader.Get(map, "idle_checks") is { } checksNode ? Gate(checksNode, PolicyReader.Join(path, "idle_checks")) : null;
            var postSwap = r.Duration(PolicyReader.Get(map, "post_swap_soak"), PolicyReader.Join(path, "post_swap_soak"), TimeSpan.Zero, allowZero: true);
            var keep = r.Duration(PolicyReader.Get(map, "keep_old_slot"), PolicyReader.Join(path, "keep_old_slot"), TimeSpan.FromHours(1), allowZero: true);
            return r.ProblemCount == before ? r.Build(node, path, () => new BlueGreenStrategy(idleSoak!.Value, checks, postSwap!.Value, keep!.Value)) : null;
        }

        private DirectStrategy? Direct(YamlNode node, string path)
        {
            if (PolicyReader.IsNothing(node))
            {
                return new DirectStrategy(TimeSpan.Zero);
            }

            var map = r.Mapping(node, path, "soak");
            var soak = map is null ? null : r.Duration(PolicyReader.Get(map, "soak"), PolicyReader.Join(path, "soak"), TimeSpan.Zero, allowZero: true);
            return soak is null ? null : new DirectStrategy(soak.Value);
        }

        private GateDefinition? Gate(YamlNode node, string path)
        {
            var map = r.Mapping(node, path, "provider", "compare_to", "significance", "min_samples", "score", "analysis", "objectives", "alerts", "burn_rate", "watch_interval");
            if (map is null)
            {
                return null;
            }

            var before = r.ProblemCount;
            var provider = PolicyReader.Get(map, "provider") is { } providerNode ? r.String(providerNode, PolicyReader.Join(path, "provider"), "an SLI provider name") : null;
            if (provider is not null && !KnownSliProvider(provider, PolicyReader.Get(map, "provider")!, PolicyReader.Join(path, "provider")))
            {
                return null;
            }

            var compareTo = r.Choice(PolicyReader.Get(map, "compare_to"), PolicyReader.Join(path, "compare_to"), References, ReferencePopulation.Baseline);
            var significance = r.Number(PolicyReader.Get(map, "significance"), PolicyReader.Join(path, "significance"), 0, 1, 0.05, exclusive: true);
            var minSamples = r.Int(PolicyReader.Get(map, "min_samples"), PolicyReader.Join(path, "min_samples"), 2, 100_000, 5);
            var score = Score(PolicyReader.Get(map, "score"), PolicyReader.Join(path, "score"));
            var analysis = Analysis(PolicyReader.Get(map, "analysis"), PolicyReader.Join(path, "analysis"));
            var alertsNode = PolicyReader.Get(map, "alerts");
            var alerts = alertsNode is null ? null : Alerts(alertsNode, PolicyReader.Join(path, "alerts"));
            var watchInterval = r.Duration(PolicyReader.Get(map, "watch_interval"), PolicyReader.Join(path, "watch_interval"), TimeSpan.FromMinutes(1));

            var objectives = new List<SliObjective?>();
            if (r.Required(map, path, "objectives", "a list of SLI objectives") is { } objectivesNode &&
                r.Sequence(objectivesNode, PolicyReader.Join(path, "objectives"), "SLI objectives") is { } items)
            {
                if (items.Count == 0)
                {
                    r.Add(objectivesNode, PolicyReader.Join(path, "objectives"), "expected at least one objective");
                }

                for (var i = 0; i < items.Count; i++)
                {
                    objectives.Add(Objective(items[i], $"{path}.objectives[{i}]", provider, compareTo ?? ReferencePopulation.Baseline));
                }

                UniqueNames(items, $"{path}.objectives", "objective", StringComparer.OrdinalIgnoreCase);
            }

            var burnRateNode = PolicyReader.Get(map, "burn_rate");
            var burnRate = burnRateNode is null ? null : BurnRate(burnRateNode, PolicyReader.Join(path, "burn_rate"), objectives);
            if (r.ProblemCount > before || objectives.Count == 0 || objectives.Any(o => o is null) || (alertsNode is not null && alerts is null) || (burnRateNode is not null && burnRate is null) || watchInterval is null)
            {
                return null;
            }

            return r.Build(node, path, () => new GateDefinition(objectives.Select(o => o!).ToArray(), score, analysis, significance!.Value, minSamples!.Value)
            {
                Alerts = alerts,
                BurnRate = burnRate,
                WatchInterval = watchInterval.Value,
            });
        }

        /// <summary>
        /// <c>burn_rate: { objective: error_rate, slo: 99.9%, windows: [{ short: 5m, long: 1h, factor: 14.4 }] }</c>; the
        /// objective is one of this gate's, read as an error ratio.
        /// </summary>
        private BurnRateRule? BurnRate(YamlNode node, string path, IReadOnlyList<SliObjective?> objectives)
        {
            if (r.Mapping(node, path, "objective", "slo", "windows") is not { } map)
            {
                return null;
            }

            var before = r.ProblemCount;
            var objectiveName = r.RequiredString(map, path, "objective", "the name of this gate's objective that reads the error ratio, e.g. error_rate");
            if (objectiveName is not null && objectives.All(o => o is not null))
            {
                var objective = objectives.FirstOrDefault(o => string.Equals(o!.Name, objectiveName, StringComparison.OrdinalIgnoreCase));
                var objectivePath = PolicyReader.Join(path, "objective");
                if (objective is null)
                {
                    r.Add(PolicyReader.Get(map, "objective")!, objectivePath, $"expected the name of one of this gate's objectives ({string.Join(", ", objectives.Select(o => o!.Name))}), got '{objectiveName}'");
                }
                else if (objective.Unit is not (SliUnit.Ratio or SliUnit.Percent))
                {
                    r.Add(PolicyReader.Get(map, "objective")!, objectivePath, $"expected an objective that reads an error ratio (unit ratio or percent); '{objective.Name}' has unit {objective.Unit.ToString().ToLowerInvariant()}");
                }
            }

            var slo = r.Required(map, path, "slo", "a percentage such as 99.9%") is { } sloNode
                ? r.Percent(sloNode, PolicyReader.Join(path, "slo"), 0.001, 100, maxExclusive: true, "99.9%")
                : null;
            var windows = new List<BurnRateWindows>();
            if (PolicyReader.Get(map, "windows") is { } windowsNode && r.Sequence(windowsNode, PolicyReader.Join(path, "windows"), "window pairs such as { short: 5m, long: 1h, factor: 14.4 }") is { } items)
            {
                if (items.Count == 0)
                {
                    r.Add(windowsNode, PolicyReader.Join(path, "windows"), "expected at least one window pair, or no 'windows' for the default pairs (14.4x over 5m and 1h, 6x over 30m and 6h)");
                }

                for (var i = 0; i < items.Count; i++)
                {
                    var itemPath = $"{PolicyReader.Join(path, "windows")}[{i}]";
                    if (r.Mapping(items[i], itemPath, "short", "long", "factor") is not { } pair)
                    {
                        continue;
                    }

                    var shortWindow = r.Required(pair, itemPath, "short", "a duration such as 5m") is { } shortNode ? r.Duration(shortNode, PolicyReader.Join(itemPath, "short"), null) : null;
                    var longWindow = r.Required(pair, itemPath, "long", "a duration such as 1h") is { } longNode ? r.Duration(longNode, PolicyReader.Join(itemPath, "long"), null) : null;
                    var factor = r.Required(pair, itemPath, "factor", "a burn-rate factor such as 14.4") is { } factorNode ? r.Number(factorNode, PolicyReader.Join(itemPath, "factor"), 0, 1_000_000, null, exclusive: true) : null;
                    if (shortWindow is null || longWindow is null || factor is null)
                    {
                        continue;
                    }

                    if (longWindow <= shortWindow)
                    {
                        r.Add(PolicyReader.Get(pair, "long")!, PolicyReader.Join(itemPath, "long"), $"expected a long window longer than the short one ({PolicyValues.FormatDuration(shortWindow.Value)}), got {PolicyValues.FormatDuration(longWindow.Value)}");
                        continue;
                    }

                    windows.Add(new BurnRateWindows(shortWindow.Value, longWindow.Value, factor.Value));
                }
            }

            return r.ProblemCount > before || objectiveName is null || slo is null
                ? null
                : new BurnRateRule(objectiveName, slo.Value, PolicyReader.Get(map, "windows") is null ? null : windows);
        }

        /// <summary>
        /// <c>alerts: { provider: alertmanager, matchers: ['service="{service}"'], fail_on_preexisting: false }</c>, or
        /// <c>alerts: { provider: azuremonitor, scope: "{resource_id}", severities: [Sev0, Sev1] }</c>.
        /// </summary>
        private AlertWatch? Alerts(YamlNode node, string path)
        {
            if (r.Mapping(node, path, "provider", "matchers", "scope", "severities", "fail_on_preexisting") is not { } map)
            {
                return null;
            }

            var before = r.ProblemCount;
            var providerNode = PolicyReader.Get(map, "provider");
            var provider = r.RequiredString(map, path, "provider", $"an alert provider: '{AlertWatch.Alertmanager}' or '{AlertWatch.AzureMonitor}'")?.ToLowerInvariant();
            if (provider is not null && provider is not (AlertWatch.Alertmanager or AlertWatch.AzureMonitor))
            {
                r.Add(providerNode!, PolicyReader.Join(path, "provider"), $"expected the alert provider '{AlertWatch.Alertmanager}' or '{AlertWatch.AzureMonitor}', got '{provider}'");
                provider = null; // which other keys apply is then unknown: only the common ones are checked
            }

            var azure = provider == AlertWatch.AzureMonitor;
            foreach (var (key, belongsTo) in new[] { ("matchers", AlertWatch.Alertmanager), ("scope", AlertWatch.AzureMonitor), ("severities", AlertWatch.AzureMonitor) })
            {
                if (provider is not null && belongsTo != provider && PolicyReader.Get(map, key) is { } stray)
                {
                    r.Add(stray, PolicyReader.Join(path, key), $"'{key}' is for the provider '{belongsTo}'; this watch's provider is '{provider}'");
                }
            }

            var matchers = provider == AlertWatch.Alertmanager ? Matchers(map, path) : [];
            string? scope = null;
            IReadOnlyList<string>? severities = null;
            if (azure)
            {
                scope = r.RequiredString(map, path, "scope", "the id of the resource or resource group whose alerts count, e.g. '{resource_id}'");
                if (scope is not null && !AlertWatch.IsAzureScope(scope))
                {
                    r.Add(PolicyReader.Get(map, "scope")!, PolicyReader.Join(path, "scope"),
                        $"expected a resource or resource group id such as '/subscriptions/ID/resourceGroups/NAME' or a parameter such as '{{resource_id}}', got '{scope}'");
                }

                var severitiesPath = PolicyReader.Join(path, "severities");
                var items = PolicyReader.Get(map, "severities") is { } severitiesNode ? r.Sequence(severitiesNode, severitiesPath, "Azure Monitor severities", allowSingle: true) : [];
                var read = new List<string>();
                for (var i = 0; i < (items?.Count ?? 0); i++)
                {
                    if (r.String(items![i], $"{severitiesPath}[{i}]", "an Azure Monitor severity") is not { } severity)
                    {
                        continue;
                    }

                    if (!AlertWatch.AzureSeverities.Contains(severity, StringComparer.OrdinalIgnoreCase))
                    {
                        r.Add(items[i], $"{severitiesPath}[{i}]", $"expected one of {string.Join(", ", AlertWatch.AzureSeverities)}, got '{severity}'");
                    }

                    read.Add(severity);
                }

                severities = read;
            }

            var failOnPreexisting = r.Bool(PolicyReader.Get(map, "fail_on_preexisting"), PolicyReader.Join(path, "fail_on_preexisting"), false);
            return r.ProblemCount > before || provider is null || failOnPreexisting is null || matchers is null
                ? null
                : new AlertWatch(provider, matchers, failOnPreexisting.Value, scope, severities);
        }

        private List<string>? Matchers(YamlMappingNode map, string path)
        {
            var matchersPath = PolicyReader.Join(path, "matchers");
            var matchersNode = r.Required(map, path, "matchers", "a list of label matchers such as 'service=\"{service}\"'");
            var items = matchersNode is null ? null : r.Sequence(matchersNode, matchersPath, "label matchers", allowSingle: true);
            if (items is null)
            {
                return null;
            }

            var matchers = new List<string>();
            for (var i = 0; i < items.Count; i++)
            {
                var itemPath = $"{matchersPath}[{i}]";
                if (r.String(items[i], itemPath, "a label matcher") is not { } text)
                {
                    continue;
                }

                if (!AlertWatch.IsMatcher(text))
                {
                    r.Add(items[i], itemPath, $"expected a label matcher such as 'service=\"{{service}}\"' or 'severity=~\"critical|page\"' (label, then =, !=, =~ or !~, then a quoted value), got '{text}'");
                    continue;
                }

                matchers.Add(text);
            }

            if (items.Count == 0)
            {
                r.Add(matchersNode!, matchersPath, "expected at least one matcher, so the gate watches this service's alerts and not every alert");
            }

            return matchers;
        }

        private ScoreThresholds? Score(YamlNode? node, string path)
        {
            if (node is null || r.Mapping(node, path, "pass", "marginal") is not { } map)
            {
                return null;
            }

            var pass = r.Number(PolicyReader.Get(map, "pass"), PolicyReader.Join(path, "pass"), 0, 100, ScoreThresholds.Default.Pass, allowPercentSign: true);
            var marginalNode = PolicyReader.Get(map, "marginal");
            var marginal = r.Number(marginalNode, PolicyReader.Join(path, "marginal"), 0, 100, Math.Min(ScoreThresholds.Default.Marginal, pass ?? 100), allowPercentSign: true);
            if (pass is null || marginal is null)
            {
                return null;
            }

            if (marginal > pass)
            {
                r.Add(marginalNode ?? map, PolicyReader.Join(path, "marginal"), $"expected a marginal score at most the pass score {pass}, got {marginal}");
                return null;
            }

            return new ScoreThresholds(pass.Value, marginal.Value);
        }

        private AnalysisSettings? Analysis(YamlNode? node, string path)
        {
            if (node is null || r.Mapping(node, path, "interval", "count", "failure_limit", "inconclusive_limit", "consecutive_error_limit", "no_data_limit") is not { } map)
            {
                return null;
            }

            var d = AnalysisSettings.Default;
            var interval = r.Duration(PolicyReader.Get(map, "interval"), PolicyReader.Join(path, "interval"), d.Interval);
            var count = r.Int(PolicyReader.Get(map, "count"), PolicyReader.Join(path, "count"), 1, 1000, d.Count);
            var failure = r.Int(PolicyReader.Get(map, "failure_limit"), PolicyReader.Join(path, "failure_limit"), 0, 1000, d.FailureLimit);
            var inconclusive = r.Int(PolicyReader.Get(map, "inconclusive_limit"), PolicyReader.Join(path, "inconclusive_limit"), 0, 1000, d.InconclusiveLimit);
            var errors = r.Int(PolicyReader.Get(map, "consecutive_error_limit"), PolicyReader.Join(path, "consecutive_error_limit"), 0, 1000, d.ConsecutiveErrorLimit);
            var noData = r.Int(PolicyReader.Get(map, "no_data_limit"), PolicyReader.Join(path, "no_data_limit"), 0, 1000, d.NoDataLimit);
            return interval is null || count is null || failure is null || inconclusive is null || errors is null || noData is null
                ? null
                : new AnalysisSettings(interval.Value, count.Value, failure.Value, inconclusive.Value, errors.Value, noData.Value);
        }

        private SliObjective? Objective(YamlNode node, string path, string? gateProvider, ReferencePopulation gateCompareTo)
        {
            var map = r.Mapping(node, path, "name", "provider", "query", "aggregation", "unit", "pass", "warning", "weight", "critical", "must_have_data", "compare_to", "parameters");
            if (map is null)
            {
                return null;
            }

            var before = r.ProblemCount;
            var name = r.RequiredString(map, path, "name", "an objective name such as error_rate");
            string? provider = gateProvider;
            if (PolicyReader.Get(map, "provider") is { } providerNode)
            {
                provider = r.String(providerNode, PolicyReader.Join(path, "provider"), "an SLI provider name");
                if (provider is not null && !KnownSliProvider(provider, providerNode, PolicyReader.Join(path, "provider")))
                {
                    provider = null;
                }
            }
            else if (gateProvider is null)
            {
                r.Add(map, PolicyReader.Join(path, "provider"), "missing required value; expected an SLI provider here or in the gate's 'provider'");
            }

            var query = r.RequiredString(map, path, "query", "the query text for the provider");
            var aggregation = r.Choice(PolicyReader.Get(map, "aggregation"), PolicyReader.Join(path, "aggregation"), Aggregations, SliAggregation.Mean);
            var pass = Criteria(r.Required(map, path, "pass", "a criterion such as '< 1%' or a list of them"), PolicyReader.Join(path, "pass"));
            var warning = PolicyReader.Get(map, "warning") is { } warningNode ? Criteria(warningNode, PolicyReader.Join(path, "warning")) : [];
            var unitNode = PolicyReader.Get(map, "unit");
            var usesPercent = (pass ?? []).Concat(warning ?? []).Any(c => c.Criterion is AbsoluteCriterion { IsPercent: true });
            var unit = r.Choice(unitNode, PolicyReader.Join(path, "unit"), Units, usesPercent ? SliUnit.Ratio : SliUnit.Number);
            if (unit == SliUnit.Number)
            {
                foreach (var (criterion, criterionNode, criterionPath) in (pass ?? []).Concat(warning ?? []).Where(c => c.Criterion is AbsoluteCriterion { IsPercent: true }))
                {
                    r.Add(criterionNode, criterionPath, $"a percentage threshold needs unit 'ratio' or 'percent', but the unit is 'number'; got '{criterion.Text}'");
                }
            }

            var weight = r.Int(PolicyReader.Get(map, "weight"), PolicyReader.Join(path, "weight"), 1, 1000, 1);
            var critical = r.Bool(PolicyReader.Get(map, "critical"), PolicyReader.Join(path, "critical"), false);
            var mustHaveData = r.Bool(PolicyReader.Get(map, "must_have_data"), PolicyReader.Join(path, "must_have_data"), false);
            var compareTo = r.Choice(PolicyReader.Get(map, "compare_to"), PolicyReader.Join(path, "compare_to"), References, gateCompareTo);
            var parametersNode = PolicyReader.Get(map, "parameters");
            var parameters = StringMap(parametersNode, PolicyReader.Join(path, "parameters"));
            if (provider is not null && ProviderCatalogue.SliSource(provider) is { } source && parameters is not null && query is not null && aggregation is not null)
            {
                CheckSliObjective(source, map, path, query, aggregation.Value, parameters, parametersNode);
            }

            if (r.ProblemCount > before)
            {
                return null;
            }

            return r.Build(node, path, () => new SliObjective(
                name!, ProviderCatalogue.SliSource(provider!)!.Name, query!, aggregation!.Value, unit!.Value,
                pass!.Select(c => c.Criterion).ToArray(), warning!.Select(c => c.Criterion).ToArray(),
                weight!.Value, critical!.Value, mustHaveData!.Value, compareTo!.Value,
                parameters!.ToDictionary(p => p.Key, p => p.Value.Value, StringComparer.Ordinal)));
        }

        private bool KnownSliProvider(string provider, YamlNode node, string path)
        {
            if (ProviderCatalogue.SliSource(provider) is not null)
            {
                return true;
            }

            r.Add(node, path, $"unknown SLI provider '{provider}'; expected one of {string.Join(", ", ProviderCatalogue.SliSources.Select(s => s.Name))}");
            return false;
        }

        /// <summary>What an objective must say for its SLI source to run it: parameters, aggregation, query shape and placeholders.</summary>
        private void CheckSliObjective(ProviderDescription source, YamlMappingNode map, string path, string query, SliAggregation aggregation,
            Dictionary<string, (string Value, YamlNode Node, YamlNode KeyNode)> parameters, YamlNode? parametersNode)
        {
            var parametersPath = PolicyReader.Join(path, "parameters");
            foreach (var (name, (_, _, keyNode)) in parameters.Where(p => QueryTemplate.ReleaseParameters.Contains(p.Key, StringComparer.Ordinal)))
            {
                r.Add(keyNode, PolicyReader.Join(parametersPath, name), $"'{name}' is a release fact every query gets ({string.Join(", ", QueryTemplate.ReleaseParameters)}); choose another parameter name");
            }

            CheckParameters(source, parameters, parametersNode, map, parametersPath, "SLI");
            if (source.Aggregations is { } aggregations && !aggregations.ContainsKey(aggregation))
            {
                r.Add(PolicyReader.Get(map, "aggregation") ?? map, PolicyReader.Join(path, "aggregation"),
                    $"{source.Name} cannot aggregate by {aggregation.ToString().ToLowerInvariant()}"
                    + (aggregation is SliAggregation.Median or SliAggregation.P90 or SliAggregation.P95 or SliAggregation.P99 ? " (percentiles are not metric aggregations)" : "")
                    + $"; expected one of {string.Join(", ", aggregations.Select(a => source.Name == "azure-monitor-metrics" ? $"{a.Key.ToString().ToLowerInvariant()} ({a.Value})" : a.Key.ToString().ToLowerInvariant()))}");
            }

            var queryNode = PolicyReader.Get(map, "query")!;
            var queryPath = PolicyReader.Join(path, "query");
            if (source.QueryPattern is { } pattern && !Regex.IsMatch(query, pattern, RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1)))
            {
                r.Add(queryNode, queryPath, $"expected {source.QueryExpected} for {source.Name}; got '{query}'");
            }

            var available = QueryTemplate.ReleaseParameters.Concat(parameters.Keys).Concat(source.BuiltInPlaceholders ?? []).ToArray();
            if (source.Language is not null)
            {
                CheckPlaceholders(query, queryNode, queryPath, available);
                foreach (var (name, (value, valueNode, _)) in parameters.Where(p => source.Parameter(p.Key) is { IsTemplate: true }))
                {
                    CheckPlaceholders(value, valueNode, PolicyReader.Join(parametersPath, name), available.Where(a => a != name).ToArray());
                }
            }
        }

        /// <summary>Every <c>{name}</c> of a query must have a value at run time, and the old <c>$name</c> form is not read.</summary>
        private void CheckPlaceholders(string query, YamlNode node, string path, IReadOnlyList<string> available)
        {
            foreach (var (name, _) in QueryTemplate.Placeholders(query).DistinctBy(p => p.Name))
            {
                if (!available.Contains(name, StringComparer.Ordinal))
                {
                    r.Add(node, path, $"unknown placeholder {{{name}}}; a query may use the release facts {string.Join(", ", QueryTemplate.ReleaseParameters.Select(p => $"{{{p}}}"))}"
                        + $" and the objective's parameters{(available.Count > QueryTemplate.ReleaseParameters.Count ? " (" + string.Join(", ", available.Skip(QueryTemplate.ReleaseParameters.Count).Select(p => $"{{{p}}}")) + ")" : "")}");
                }
            }

            foreach (var (name, _) in QueryTemplate.DollarPlaceholders(query).DistinctBy(p => p.Name))
            {
                if (available.Contains(name, StringComparer.Ordinal))
                {
                    r.Add(node, path, $"${name} is not a placeholder; write {{{name}}}");
                }
            }
        }

        private IReadOnlyList<(SliCriterion Criterion, YamlNode Node, string Path)>? Criteria(YamlNode? node, string path)
        {
            if (node is null || r.Sequence(node, path, "criteria such as '< 1%'", allowSingle: true) is not { } items)
            {
                return null;
            }

            if (items.Count == 0)
            {
                r.Add(node, path, "expected at least one criterion");
                return null;
            }

            var result = new List<(SliCriterion, YamlNode, string)>();
            for (var i = 0; i < items.Count; i++)
            {
                var itemPath = node is YamlSequenceNode ? $"{path}[{i}]" : path;
                var text = r.String(items[i], itemPath, "a criterion such as '< 1%', '<= 300' or '<= +10%'");
                if (text is null)
                {
                    continue;
                }

                if (SliCriterion.TryParse(text, out var error) is { } criterion)
                {
                    result.Add((criterion, items[i], itemPath));
                }
                else
                {
                    r.Add(items[i], itemPath, error!);
                }
            }

            // The criteria that did parse are returned even when others did not, so later checks (unit) still run on them.
            return result;
        }

        private ApprovalRequirement? Approval(YamlNode node, string path, string stage, int? stepCount)
        {
            var map = r.Mapping(node, path, "quorum", "users", "teams", "before_step", "timeout", "on_timeout", "allow_self_approval");
            if (map is null)
            {
                return null;
            }

            var before = r.ProblemCount;
            var quorumNode = PolicyReader.Get(map, "quorum");
            var quorum = r.Int(quorumNode, PolicyReader.Join(path, "quorum"), 1, 100, 1);
            var users = r.Strings(PolicyReader.Get(map, "users"), PolicyReader.Join(path, "users"), "GitHub logins");
            var teamsNode = PolicyReader.Get(map, "teams");
            var teams = r.Strings(teamsNode, PolicyReader.Join(path, "teams"), "teams as 'org/team-slug'");
            if (teams is not null && teamsNode is not null)
            {
                var teamItems = teamsNode is YamlSequenceNode s ? s.Children.ToArray() : [teamsNode];
                for (var i = 0; i < teams.Count; i++)
                {
                    if (!TeamPattern().IsMatch(teams[i]))
                    {
                        r.Add(teamItems[i], teamsNode is YamlSequenceNode ? $"{path}.teams[{i}]" : $"{path}.teams", $"expected a team as 'org/team-slug', got '{teams[i]}'");
                    }
                }
            }

            if (users is { Count: 0 } && teams is { Count: 0 })
            {
                r.Add(map, path, "expected at least one of 'users' or 'teams'");
            }
            else if (users is not null && teams is { Count: 0 } && quorum > users.Distinct(StringComparer.OrdinalIgnoreCase).Count())
            {
                r.Add(quorumNode!, PolicyReader.Join(path, "quorum"), $"expected a quorum of at most {users.Distinct(StringComparer.OrdinalIgnoreCase).Count()} (the allowed users, no teams), got {quorum}");
            }

            var beforeStep = PolicyReader.Get(map, "before_step") is { } stepNode
                ? r.Int(stepNode, PolicyReader.Join(path, "before_step"), 1, stepCount ?? 1000, null, stepCount is null ? null : $" (the stage's steps)")
                : null;
            var timeout = r.Duration(PolicyReader.Get(map, "timeout"), PolicyReader.Join(path, "timeout"), null);
            var onTimeout = r.Choice(PolicyReader.Get(map, "on_timeout"), PolicyReader.Join(path, "on_timeout"), TimeoutActions, ApprovalTimeoutAction.Reject);
            var allowSelf = r.Bool(PolicyReader.Get(map, "allow_self_approval"), PolicyReader.Join(path, "allow_self_approval"), false);
            if (r.ProblemCount > before)
            {
                return null;
            }

            return r.Build(node, path, () => new ApprovalRequirement(quorum!.Value, users!, teams!, stage, beforeStep, timeout, onTimeout!.Value, allowSelf!.Value));
        }

        private FreezeCalendar? Freeze(YamlNode node, string path)
        {
            var map = r.Mapping(node, path, "time_zone", "exempt_labels", "windows", "during_rollout");
            if (map is null)
            {
                return null;
            }

            var before = r.ProblemCount;
            var duringRollout = r.Choice(PolicyReader.Get(map, "during_rollout"), PolicyReader.Join(path, "during_rollout"), DuringRolloutActions, FreezeDuringRollout.Hold);
            var zone = PolicyReader.Get(map, "time_zone") is { } zoneNode ? TimeZone(zoneNode, PolicyReader.Join(path, "time_zone")) : TimeZoneInfo.Utc;
            var labels = r.Strings(PolicyReader.Get(map, "exempt_labels"), PolicyReader.Join(path, "exempt_labels"), "labels");
            var windows = new List<FreezeWindow?>();
            if (PolicyReader.Get(map, "windows") is { } windowsNode && r.Sequence(windowsNode, PolicyReader.Join(path, "windows"), "freeze windows") is { } items)
            {
                for (var i = 0; i < items.Count; i++)
                {
                    windows.Add(Window(items[i], $"{path}.windows[{i}]", zone ?? TimeZoneInfo.Utc));
                }

                UniqueNames(items, $"{path}.windows", "window", StringComparer.OrdinalIgnoreCase);
            }

            return r.ProblemCount > before || duringRollout is null ? null : r.Build(node, path, () => new FreezeCalendar(windows.Select(w => w!).ToArray(), labels!, duringRollout.Value));
        }

        private TimeZoneInfo? TimeZone(YamlNode node, string path)
        {
            var id = r.String(node, path, "an IANA time zone such as Europe/Berlin");
            if (id is null)
            {
                return null;
            }

            var zone = FreezeWindow.FindTimeZone(id, out var error);
            if (zone is null)
            {
                r.Add(node, path, error!);
            }

            return zone;
        }

        private FreezeWindow? Window(YamlNode node, string path, TimeZoneInfo defaultZone)
        {
            var map = r.Mapping(node, path, "name", "time_zone", "weekly", "days", "hours", "dates");
            if (map is null)
            {
                return null;
            }

            var before = r.ProblemCount;
            var name = r.RequiredString(map, path, "name", "a window name");
            var zone = PolicyReader.Get(map, "time_zone") is { } zoneNode ? TimeZone(zoneNode, PolicyReader.Join(path, "time_zone")) : defaultZone;
            var weekly = PolicyReader.Get(map, "weekly");
            var days = PolicyReader.Get(map, "days");
            var hours = PolicyReader.Get(map, "hours");
            var dates = PolicyReader.Get(map, "dates");
            var forms = (weekly is null ? 0 : 1) + (days is null && hours is null ? 0 : 1) + (dates is null ? 0 : 1);
            if (forms != 1)
            {
                r.Add(map, path, forms == 0
                    ? "expected one of: 'weekly' (\"Fri 16:00 - Mon 08:00\"), 'days' with 'hours', or 'dates' (\"2026-12-20..2027-01-03\")"
                    : "expected only one of 'weekly', 'days'+'hours' or 'dates' per window");
                return null;
            }

            if (dates is not null)
            {
                var range = DateRange(dates, PolicyReader.Join(path, "dates"));
                return r.ProblemCount > before || range is null ? null : r.Build(node, path, () => new DateRangeFreezeWindow(name!, zone!, range.Value.First, range.Value.Last));
            }

            var spans = weekly is not null ? WeeklySpans(weekly, PolicyReader.Join(path, "weekly")) : DailySpans(map, days, hours, path);
            return r.ProblemCount > before || spans is null ? null : r.Build(node, path, () => new WeeklyFreezeWindow(name!, zone!, spans));
        }

        private List<WeeklySpan>? WeeklySpans(YamlNode node, string path)
        {
            if (r.Sequence(node, path, "weekly spans such as \"Fri 16:00 - Mon 08:00\"", allowSingle: true) is not { } items)
            {
                return null;
            }

            var spans = new List<WeeklySpan>();
            for (var i = 0; i < items.Count; i++)
            {
                var itemPath = node is YamlSequenceNode ? $"{path}[{i}]" : path;
                var text = (items[i] as YamlScalarNode)?.Value ?? string.Empty;
                var match = WeeklySpanPattern().Match(text);
                if (match.Success && Day(match.Groups["d1"].Value) is { } d1 && Day(match.Groups["d2"].Value) is { } d2 &&
                    Time(match.Groups["t1"].Value) is { } t1 && Time(match.Groups["t2"].Value) is { } t2 && t1 < TimeSpan.FromDays(1) && t2 < TimeSpan.FromDays(1) &&
                    (d1, t1) != (d2, t2))
                {
                    spans.Add(new WeeklySpan(new WeeklyTime(d1, TimeOnly.FromTimeSpan(t1)), new WeeklyTime(d2, TimeOnly.FromTimeSpan(t2))));
                }
                else
                {
                    r.Add(items[i], itemPath, $"expected a weekly span such as \"Fri 16:00 - Mon 08:00\" (start included, end excluded), got {PolicyReader.Describe(items[i])}");
                }
            }

            return spans.Count == items.Count ? spans : null;
        }

        private List<WeeklySpan>? DailySpans(YamlMappingNode map, YamlNode? daysNode, YamlNode? hoursNode, string path)
        {
            if (daysNode is null || hoursNode is null)
            {
                r.Add(map, path, "expected both 'days' (e.g. [mon, fri]) and 'hours' (e.g. \"22:00-06:00\")");
                return null;
            }

            var dayNames = r.Strings(daysNode, PolicyReader.Join(path, "days"), "days such as mon, tue");
            var days = new List<DayOfWeek>();
            if (dayNames is not null)
            {
                var dayItems = daysNode is YamlSequenceNode s ? s.Children.ToArray() : [daysNode];
                for (var i = 0; i < dayNames.Count; i++)
                {
                    if (Day(dayNames[i]) is { } day)
                    {
                        days.Add(day);
                    }
                    else
                    {
                        r.Add(dayItems[i], daysNode is YamlSequenceNode ? $"{path}.days[{i}]" : $"{path}.days", $"expected a day such as mon, tue, wed, thu, fri, sat, sun, got '{dayNames[i]}'");
                    }
                }
            }

            var hoursText = (hoursNode as YamlScalarNode)?.Value ?? string.Empty;
            var hours = HoursPattern().Match(hoursText);
            TimeSpan? from = hours.Success ? Time(hours.Groups["t1"].Value) : null;
            TimeSpan? to = hours.Success ? Time(hours.Groups["t2"].Value) : null;
            if (from is null || to is null || from >= TimeSpan.FromDays(1) || from == to)
            {
                r.Add(hoursNode, PolicyReader.Join(path, "hours"), $"expected hours such as \"22:00-06:00\" or \"00:00-24:00\" (start included, end excluded), got {PolicyReader.Describe(hoursNode)}");
                return null;
            }

            if (dayNames is null || days.Count != dayNames.Count)
            {
                return null;
            }

            // An end at or before the start falls on the next day; 24:00 is the next day's 00:00.
            return days.Select(day =>
            {
                var end = to.Value <= from.Value ? TimeSpan.FromDays(1) + to.Value : to.Value;
                var endDay = (DayOfWeek)(((int)day + end.Days) % 7);
                return new WeeklySpan(new WeeklyTime(day, TimeOnly.FromTimeSpan(from.Value)), new WeeklyTime(endDay, TimeOnly.FromTimeSpan(end - TimeSpan.FromDays(end.Days))));
            }).ToList();
        }

        private (DateOnly First, DateOnly Last)? DateRange(YamlNode node, string path)
        {
            var text = (node as YamlScalarNode)?.Value?.Trim() ?? string.Empty;
            var parts = text.Split("..", StringSplitOptions.TrimEntries);
            if (parts.Length is 1 or 2 &&
                DateOnly.TryParseExact(parts[0], "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var first) &&
                DateOnly.TryParseExact(parts[^1], "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var last))
            {
                if (last >= first)
                {
                    return (first, last);
                }

                r.Add(node, path, $"expected the last day on or after the first, got {PolicyReader.Describe(node)}");
                return null;
            }

            r.Add(node, path, $"expected dates such as \"2026-12-20..2027-01-03\" (both days included) or one day \"2026-12-25\", got {PolicyReader.Describe(node)}");
            return null;
        }

        private ErrorBudgetPolicy? ErrorBudget(YamlNode node, string path)
        {
            var map = r.Mapping(node, path, "slo", "window", "provider", "good_events", "total_events", "exempt_labels", "min_remaining");
            if (map is null)
            {
                return null;
            }

            var before = r.ProblemCount;
            var slo = r.Required(map, path, "slo", "a percentage such as 99.9%") is { } sloNode
                ? r.Percent(sloNode, PolicyReader.Join(path, "slo"), 0.001, 100, maxExclusive: true, "99.9%")
                : null;
            var window = r.Required(map, path, "window", "a duration such as 28d") is { } windowNode ? r.Duration(windowNode, PolicyReader.Join(path, "window"), null) : null;
            var provider = r.RequiredString(map, path, "provider", "an SLI provider name");
            var good = r.RequiredString(map, path, "good_events", "the query counting good events over the window");
            var total = r.RequiredString(map, path, "total_events", "the query counting all events over the window");
            if (provider is not null && KnownSliProvider(provider, PolicyReader.Get(map, "provider")!, PolicyReader.Join(path, "provider")))
            {
                var source = ProviderCatalogue.SliSource(provider)!;
                if (source.MissingParameters([]) is { } missing)
                {
                    r.Add(PolicyReader.Get(map, "provider")!, PolicyReader.Join(path, "provider"), $"{source.Name} cannot count an error budget: an error budget query takes no parameters, and {missing}");
                }

                var available = QueryTemplate.ReleaseParameters.Concat(source.BuiltInPlaceholders ?? []).ToArray();
                foreach (var (key, text) in new[] { ("good_events", good), ("total_events", total) })
                {
                    if (text is not null && source.Language is not null)
                    {
                        CheckPlaceholders(text, PolicyReader.Get(map, key)!, PolicyReader.Join(path, key), available);
                    }
                }
            }
            var labels = r.Strings(PolicyReader.Get(map, "exempt_labels"), PolicyReader.Join(path, "exempt_labels"), "labels");
            var minimum = PolicyReader.Get(map, "min_remaining") is { } minimumNode
                ? r.Percent(minimumNode, PolicyReader.Join(path, "min_remaining"), 0, 100, maxExclusive: true, "10%")
                : 0;
            return r.ProblemCount > before
                ? null
                : r.Build(node, path, () => new ErrorBudgetPolicy(slo!.Value, window!.Value, ProviderCatalogue.SliSource(provider!)!.Name, good!, total!, labels!, minimum!.Value));
        }

        private RollbackPolicy? Rollback(YamlNode? node, string path)
        {
            if (node is null)
            {
                return RollbackPolicy.Default;
            }

            var map = r.Mapping(node, path, "on_failed_gate", "on_approval_timeout", "on_inconclusive");
            if (map is null)
            {
                return null;
            }

            var d = RollbackPolicy.Default;
            var failedGate = r.Bool(PolicyReader.Get(map, "on_failed_gate"), PolicyReader.Join(path, "on_failed_gate"), d.OnFailedGate);
            var timeout = r.Bool(PolicyReader.Get(map, "on_approval_timeout"), PolicyReader.Join(path, "on_approval_timeout"), d.OnApprovalTimeout);
            var inconclusive = r.Choice(PolicyReader.Get(map, "on_inconclusive"), PolicyReader.Join(path, "on_inconclusive"), InconclusiveActions, d.OnInconclusive);
            return failedGate is null || timeout is null || inconclusive is null
                ? null
                : new RollbackPolicy(failedGate.Value, timeout.Value, inconclusive.Value);
        }

        private static DayOfWeek? Day(string text) => text.Trim().ToLowerInvariant() switch
        {
            "mon" or "monday" => DayOfWeek.Monday,
            "tue" or "tuesday" => DayOfWeek.Tuesday,
            "wed" or "wednesday" => DayOfWeek.Wednesday,
            "thu" or "thursday" => DayOfWeek.Thursday,
            "fri" or "friday" => DayOfWeek.Friday,
            "sat" or "saturday" => DayOfWeek.Saturday,
            "sun" or "sunday" => DayOfWeek.Sunday,
            _ => null,
        };

        /// <summary>"HH:mm" from 00:00 to 24:00.</summary>
        private static TimeSpan? Time(string text)
        {
            var parts = text.Split(':');
            return parts.Length == 2 && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var h) &&
                   int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var m) && parts[1].Length == 2 &&
                   m < 60 && (h < 24 || (h == 24 && m == 0))
                ? new TimeSpan(h, m, 0)
                : null;
        }

        private static readonly Dictionary<string, NotificationChannelKind> ChannelKinds = new(StringComparer.Ordinal)
        {
            ["teams"] = NotificationChannelKind.Teams,
            ["slack"] = NotificationChannelKind.Slack,
            ["webhook"] = NotificationChannelKind.Webhook,
        };

        /// <summary>Keys that would put a channel's address or secret in the policy, which anyone who reads the repository reads.</summary>
        private static readonly string[] ChannelSecretKeys = ["url", "webhook", "webhook_url", "secret", "token"];

        /// <summary><c>notifications: { channels: [ { name, type, events, setting } ] }</c>.</summary>
        private NotificationPolicy? NotificationRouting(YamlNode node, string path)
        {
            if (r.Mapping(node, path, "channels") is not { } map)
            {
                return null;
            }

            var before = r.ProblemCount;
            var channelsPath = PolicyReader.Join(path, "channels");
            var channels = new List<NotificationChannel?>();
            if (r.Required(map, path, "channels", "a list of channels { name, type, events }") is { } channelsNode &&
                r.Sequence(channelsNode, channelsPath, "channels { name, type, events }") is { } items)
            {
                if (items.Count == 0)
                {
                    r.Add(channelsNode, channelsPath, "expected at least one channel");
                }

                for (var i = 0; i < items.Count; i++)
                {
                    channels.Add(Channel(items[i], $"{channelsPath}[{i}]"));
                }

                UniqueNames(items, channelsPath, "channel", StringComparer.Ordinal);
            }

            return r.ProblemCount > before || channels.Count == 0 || channels.Any(c => c is null)
                ? null
                : r.Build(node, path, () => new NotificationPolicy(channels.Select(c => c!).ToArray()));
        }

        private NotificationChannel? Channel(YamlNode node, string path)
        {
            // An address or secret written here gets a problem of its own saying where it goes, not "unknown key".
            var secretKeys = node is YamlMappingNode given
                ? given.Children.Keys.OfType<YamlScalarNode>().Where(k => k.Value is { } key && ChannelSecretKeys.Contains(key, StringComparer.OrdinalIgnoreCase)).ToArray()
                : [];
            if (r.Mapping(node, path, ["name", "type", "events", "setting", .. secretKeys.Select(k => k.Value!)]) is not { } map)
            {
                return null;
            }

            var before = r.ProblemCount;
            var name = r.RequiredString(map, path, "name", "a channel name");
            if (name is not null && !NotificationChannel.NamePattern().IsMatch(name))
            {
                r.Add(PolicyReader.Get(map, "name")!, PolicyReader.Join(path, "name"), $"expected lower-case letters, digits and '-', starting with a letter, got '{name}'");
            }

            var kind = r.Required(map, path, "type", "teams, slack or webhook") is { } typeNode
                ? r.Choice(typeNode, PolicyReader.Join(path, "type"), ChannelKinds, default(NotificationChannelKind?))
                : null;
            var setting = name is null ? null : NotificationChannel.DefaultSetting(name);
            if (PolicyReader.Get(map, "setting") is { } settingNode && r.String(settingNode, PolicyReader.Join(path, "setting"), "the name of the channel's app setting group") is { } named)
            {
                setting = named;
                if (named.Contains("://", StringComparison.Ordinal))
                {
                    r.Add(settingNode, PolicyReader.Join(path, "setting"),
                        $"expected the name of an app setting group such as {NotificationChannel.DefaultSetting(name ?? "sre-teams").ToUpperInvariant()}, not a URL: a webhook URL is a secret and belongs in the app setting {NotificationChannel.SettingKey("<setting>", "Url")}");
                    setting = null;
                }
                else if (!NotificationChannel.SettingPattern().IsMatch(named))
                {
                    r.Add(settingNode, PolicyReader.Join(path, "setting"), $"expected letters, digits and '_' (the setting names app settings), got '{named}'");
                    setting = null;
                }
            }

            foreach (var key in secretKeys)
            {
                var where = setting ?? "<setting>";
                var secret = kind == NotificationChannelKind.Webhook ? $", and its signing secret in {NotificationChannel.SettingKey(where, "Secret")}" : string.Empty;
                r.Add(key, PolicyReader.Join(path, key.Value!),
                    $"'{key.Value}' does not belong in the policy: it is in the repository for anyone to read, and a channel's address is a secret; put the URL in the app setting {NotificationChannel.SettingKey(where, "Url")}{secret} (name the group with 'setting')");
            }

            var events = new List<NotificationEvent>();
            var eventsPath = PolicyReader.Join(path, "events");
            var expectedEvents = string.Join(", ", NotificationEvents.Names);
            if (r.Required(map, path, "events", $"a list of events: {expectedEvents}") is { } eventsNode &&
                r.Strings(eventsNode, eventsPath, $"events ({expectedEvents})") is { } names)
            {
                var eventItems = eventsNode is YamlSequenceNode sequence ? sequence.Children.ToArray() : [eventsNode];
                if (names.Count == 0)
                {
                    r.Add(eventsNode, eventsPath, $"expected at least one event: {expectedEvents}");
                }

                for (var i = 0; i < names.Count; i++)
                {
                    if (NotificationEvents.ByPolicyName.TryGetValue(names[i], out var notificationEvent))
                    {
                        events.Add(notificationEvent);
                    }
                    else
                    {
                        r.Add(eventItems[i], eventsNode is YamlSequenceNode ? $"{eventsPath}[{i}]" : eventsPath, $"unknown event '{names[i]}'; expected one of: {expectedEvents}");
                    }
                }

                if (eventsNode is YamlSequenceNode items)
                {
                    UniqueValues(items, eventsPath, "event", StringComparer.Ordinal);
                }
            }

            return r.ProblemCount > before || name is null || kind is null || setting is null
                ? null
                : r.Build(node, path, () => new NotificationChannel(name, kind.Value, events, setting));
        }

        private static readonly Dictionary<string, VersionSource> VersionSources = new(StringComparer.Ordinal)
        {
            ["labels"] = VersionSource.Labels,
            ["policy"] = VersionSource.Policy,
        };

        /// <summary>
        /// <c>release: { version: { from, value, initial, prefix, major_labels, minor_labels } | 2.3.0, notes, groups, tag, github_release }</c>;
        /// <c>release: {}</c> is every default.
        /// </summary>
        private ReleaseNotesPolicy? ReleaseSection(YamlNode node, string path)
        {
            if (r.Mapping(node, path, "version", "notes", "groups", "tag", "github_release") is not { } map)
            {
                return null;
            }

            var before = r.ProblemCount;
            var versionPath = PolicyReader.Join(path, "version");
            var from = VersionSource.Labels;
            SemanticVersion? value = null, initial = null;
            var prefix = ReleaseNotesPolicy.DefaultTagPrefix;
            IReadOnlyList<string>? major = null, minor = null;
            if (PolicyReader.Get(map, "version") is YamlScalarNode fixedNode)
            {
                // `version: 2.3.0` is short for { from: policy, value: 2.3.0 }.
                from = VersionSource.Policy;
                value = ReleaseVersion(fixedNode, versionPath);
            }
            else if (PolicyReader.Get(map, "version") is { } versionNode
                     && r.Mapping(versionNode, versionPath, "from", "value", "initial", "prefix", "major_labels", "minor_labels") is { } version)
            {
                var valueNode = PolicyReader.Get(version, "value");
                from = r.Choice(PolicyReader.Get(version, "from"), PolicyReader.Join(versionPath, "from"), VersionSources, valueNode is null ? VersionSource.Labels : VersionSource.Policy) ?? from;
                if (from == VersionSource.Policy)
                {
                    value = r.Required(version, versionPath, "value", "the version to release with from: policy, such as 2.3.0") is { } given
                        ? ReleaseVersion(given, PolicyReader.Join(versionPath, "value"))
                        : null;
                    foreach (var key in new[] { "initial", "major_labels", "minor_labels" })
                    {
                        if (version.Children.Keys.OfType<YamlScalarNode>().FirstOrDefault(k => k.Value == key) is { } unused)
                        {
                            r.Add(unused, PolicyReader.Join(versionPath, key), $"'{key}' is read only with from: labels; with from: policy the version is 'value' (remove '{key}', or set from: labels)");
                        }
                    }
                }
                else if (valueNode is not null)
                {
                    r.Add(valueNode, PolicyReader.Join(versionPath, "value"),
                        "'value' is the version of from: policy; with from: labels the version is the previous one bumped by the merged pull requests' labels (remove 'value', or set from: policy)");
                }

                initial = PolicyReader.Get(version, "initial") is { } initialNode ? ReleaseVersion(initialNode, PolicyReader.Join(versionPath, "initial")) : null;
                if (version.Children.TryGetValue(new YamlScalarNode("prefix"), out var prefixNode))
                {
                    var prefixPath = PolicyReader.Join(versionPath, "prefix");
                    // A quoted "" is no prefix: tags are the bare version.
                    if (prefixNode is YamlScalarNode { Value: { } text } && (text.Length > 0 || prefixNode is YamlScalarNode { Style: not (ScalarStyle.Plain or ScalarStyle.Any) }) && ReleaseNotesPolicy.IsTagPrefix(text))
                    {
                        prefix = text;
                    }
                    else
                    {
                        r.Add(prefixNode, prefixPath,
                            $"expected a tag prefix such as v or checkout/v (up to 64 letters, digits, '_' and '-', single '.' or '/' between them, not starting with '-'; \"\" for none), got {PolicyReader.Describe(prefixNode)}");
                    }
                }

                major = ReleaseLabels(version, versionPath, "major_labels");
                minor = ReleaseLabels(version, versionPath, "minor_labels");
                var both = (major ?? ReleaseNotesPolicy.DefaultMajorLabels).Intersect(minor ?? ReleaseNotesPolicy.DefaultMinorLabels, StringComparer.OrdinalIgnoreCase).FirstOrDefault();
                if (both is not null)
                {
                    var at = PolicyReader.Get(version, "minor_labels") ?? PolicyReader.Get(version, "major_labels")!;
                    r.Add(at, PolicyReader.Join(versionPath, PolicyReader.Get(version, "minor_labels") is null ? "major_labels" : "minor_labels"),
                        $"label '{both}' cannot mean both a major and a minor version; name it in one of major_labels and minor_labels");
                }
            }

            var notes = r.Bool(PolicyReader.Get(map, "notes"), PolicyReader.Join(path, "notes"), true);
            var tag = r.Bool(PolicyReader.Get(map, "tag"), PolicyReader.Join(path, "tag"), true);
            // Without a tag there is no GitHub release by default; asking for one is a problem below.
            var gitHubRelease = r.Bool(PolicyReader.Get(map, "github_release"), PolicyReader.Join(path, "github_release"), tag ?? true);
            if (tag == false && gitHubRelease == true)
            {
                r.Add(PolicyReader.Get(map, "github_release")!, PolicyReader.Join(path, "github_release"), "a GitHub release is made on the release's tag: github_release: true needs tag: true (or leave github_release out)");
            }

            var groups = ReleaseGroups(map, path);
            return r.ProblemCount > before || notes is null || tag is null || gitHubRelease is null || (from == VersionSource.Policy && value is null)
                ? null
                : r.Build(node, path, () => new ReleaseNotesPolicy(from, value, initial, prefix, major, minor, groups, notes.Value, tag.Value, gitHubRelease.Value));
        }

        /// <summary>A semantic version written in the policy ("2.3.0", "v2.3.0"); null with a problem otherwise.</summary>
        private SemanticVersion? ReleaseVersion(YamlNode node, string path)
        {
            var text = (node as YamlScalarNode)?.Value;
            try
            {
                return text is null ? throw new FormatException() : SemanticVersion.Parse(text);
            }
            catch (FormatException)
            {
                r.Add(node, path, text is null ? $"expected a semantic version such as 2.3.0, got {PolicyReader.Describe(node)}" : SemanticVersion.Problem(text));
                return null;
            }
        }

        /// <summary>A list of label names under <paramref name="key"/>: at least one, each once (GitHub compares labels case-insensitively); null when absent or wrong.</summary>
        private IReadOnlyList<string>? ReleaseLabels(YamlMappingNode map, string path, string key)
        {
            if (PolicyReader.Get(map, key) is not { } node)
            {
                return null;
            }

            var labelsPath = PolicyReader.Join(path, key);
            var labels = r.Strings(node, labelsPath, "label names");
            if (labels is { Count: 0 })
            {
                r.Add(node, labelsPath, "expected at least one label name");
            }

            if (node is YamlSequenceNode items)
            {
                UniqueValues(items, labelsPath, "label", StringComparer.OrdinalIgnoreCase);
            }

            return labels is { Count: > 0 } ? labels : null;
        }

        /// <summary><c>groups: [ { title, labels } ]</c>, the headings of the notes in order; null (the defaults) when absent.</summary>
        private IReadOnlyList<NoteGroup>? ReleaseGroups(YamlMappingNode map, string path)
        {
            var groupsPath = PolicyReader.Join(path, "groups");
            if (PolicyReader.Get(map, "groups") is not { } groupsNode || r.Sequence(groupsNode, groupsPath, "groups { title, labels }") is not { } items)
            {
                return null;
            }

            if (items.Count == 0)
            {
                r.Add(groupsNode, groupsPath, "expected at least one group { title, labels }; leave groups out for the defaults (Breaking changes, Features, Fixes)");
            }

            var groups = new List<NoteGroup>();
            var titles = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
            for (var i = 0; i < items.Count; i++)
            {
                var itemPath = $"{groupsPath}[{i}]";
                if (r.Mapping(items[i], itemPath, "title", "labels") is not { } group)
                {
                    continue;
                }

                var title = r.RequiredString(group, itemPath, "title", "the group's heading, such as Features");
                if (title is not null && string.Equals(title, ReleaseNotesPolicy.OtherChanges, StringComparison.OrdinalIgnoreCase))
                {
                    r.Add(PolicyReader.Get(group, "title")!, PolicyReader.Join(itemPath, "title"), $"'{ReleaseNotesPolicy.OtherChanges}' is the heading of pull requests no group takes; give this group another title");
                }
                else if (title is not null && !titles.TryAdd(title, i))
                {
                    r.Add(PolicyReader.Get(group, "title")!, PolicyReader.Join(itemPath, "title"), $"expected a unique group title; '{title}' is already groups[{titles[title]}]");
                }

                var labels = r.Required(group, itemPath, "labels", "the labels that put a pull request under this heading") is not null ? ReleaseLabels(group, itemPath, "labels") : null;
                if (title is not null && labels is not null)
                {
                    groups.Add(new NoteGroup(title, labels));
                }
            }

            return groups;
        }
    }

    [GeneratedRegex(@"^\s*(?<d1>[A-Za-z]+)\s+(?<t1>\d{1,2}:\d{2})\s*(?:-|–|to)\s*(?<d2>[A-Za-z]+)\s+(?<t2>\d{1,2}:\d{2})\s*$", RegexOptions.CultureInvariant)]
    private static partial Regex WeeklySpanPattern();

    [GeneratedRegex(@"^\s*(?<t1>\d{1,2}:\d{2})\s*(?:-|–|to)\s*(?<t2>\d{1,2}:\d{2})\s*$", RegexOptions.CultureInvariant)]
    private static partial Regex HoursPattern();

    [GeneratedRegex("^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$", RegexOptions.CultureInvariant)]
    private static partial Regex TeamPattern();
}
