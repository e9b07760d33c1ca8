using ReleaseFunctions.Core.Gates;
using ReleaseFunctions.Core.Policy;

namespace ReleaseFunctions.Core.Preflight;

/// <summary>What open security alerts at or above the policy's severity do to a release.</summary>
public enum SecurityAlertAction
{
    /// <summary>The release waits until the approvals quorum overrides, or someone stops it (the default).</summary>
    RequireOverride,
    /// <summary>The release fails before any traffic moves.</summary>
    Fail,
}

/// <summary>
/// The pre-flight gate (<c>preflight</c> in the policy), judged on the merge commit before any traffic moves: the
/// <see cref="RequiredChecks"/> (every check reported on the commit when none are named) must have passed, none
/// pending past <see cref="PendingTimeout"/>; the repository's open code scanning and Dependabot alerts at or above
/// <see cref="CodeScanningAt"/> and <see cref="DependabotAt"/> block the release as <see cref="OnSecurityAlerts"/> says.
/// </summary>
public sealed record PreflightPolicy
{
    /// <summary>30 minutes.</summary>
    public static readonly TimeSpan DefaultPendingTimeout = TimeSpan.FromMinutes(30);

    /// <summary>30 seconds.</summary>
    public static readonly TimeSpan DefaultPollInterval = TimeSpan.FromSeconds(30);

    public PreflightPolicy(
        IReadOnlyList<string> requiredChecks,
        TimeSpan? pendingTimeout = null,
        TimeSpan? pollInterval = null,
        SecuritySeverity? codeScanningAt = null,
        SecuritySeverity? dependabotAt = null,
        SecurityAlertAction onSecurityAlerts = SecurityAlertAction.RequireOverride)
    {
        ArgumentNullException.ThrowIfNull(requiredChecks);
        if (requiredChecks.Any(string.IsNullOrWhiteSpace))
        {
            throw new ArgumentException("A required check is named by its status context or check run name; got an empty name.", nameof(requiredChecks));
        }

        var duplicate = requiredChecks.GroupBy(c => c, StringComparer.OrdinalIgnoreCase).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new ArgumentException($"Required check '{duplicate.Key}' is named {duplicate.Count()} times.", nameof(requiredChecks));
        }

        PendingTimeout = pendingTimeout ?? DefaultPendingTimeout;
        PollInterval = pollInterval ?? DefaultPollInterval;
        if (PendingTimeout < TimeSpan.Zero || PollInterval <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(pendingTimeout), $"A pending timeout is zero or more and a poll interval positive; got {PendingTimeout} and {PollInterval}.");
        }

        RequiredChecks = requiredChecks;
        CodeScanningAt = codeScanningAt;
        DependabotAt = dependabotAt;
        OnSecurityAlerts = onSecurityAlerts;
    }

    /// <summary>Check names (status contexts or check run names, as branch protection names them); empty: every check reported.</summary>
    public IReadOnlyList<string> RequiredChecks { get; }

    /// <summary>How long a required check may be pending, or not reported yet, before it fails the release. Default 30 minutes.</summary>
    public TimeSpan PendingTimeout { get; }

    /// <summary>How often the checks are read again while some are pending. Default 30 seconds.</summary>
    public TimeSpan PollInterval { get; }

    /// <summary>Open code scanning alerts at or above this severity block the release; null: not checked.</summary>
    public SecuritySeverity? CodeScanningAt { get; }

    /// <summary>Open Dependabot alerts at or above this severity block the release; null: not checked.</summary>
    public SecuritySeverity? DependabotAt { get; }

    public SecurityAlertAction OnSecurityAlerts { get; }

    /// <summary>
    /// Judges what the code host reported after <paramref name="waited"/> of waiting. A failed required check fails at
    /// once; a pending or missing one waits until <see cref="PendingTimeout"/>, then fails naming it; once every
    /// required check passed, open alerts at or above the policy's severities block (or fail). Pure.
    /// </summary>
    public PreflightVerdict Judge(IReadOnlyList<CommitCheck> reported, IReadOnlyList<SecurityAlert> alerts, TimeSpan waited)
    {
        ArgumentNullException.ThrowIfNull(reported);
        ArgumentNullException.ThrowIfNull(alerts);
        var required = RequiredChecks.Count == 0
            ? reported
            : reported.Where(c => RequiredChecks.Contains(c.Name, StringComparer.OrdinalIgnoreCase)).ToArray();
        var missing = RequiredChecks.Where(name => !reported.Any(c => string.Equals(c.Name, name, StringComparison.OrdinalIgnoreCase))).ToArray();
        // A check reported twice (a status and a run of the same name) counts at its worst.
        var failed = required.Where(c => c.State == CommitCheckState.Failed).ToArray();
        var pending = required.Where(c => c.State == CommitCheckState.Pending && !failed.Any(f => string.Equals(f.Name, c.Name, StringComparison.OrdinalIgnoreCase))).ToArray();
        var passed = required.Where(c => !failed.Concat(pending).Any(f => string.Equals(f.Name, c.Name, StringComparison.OrdinalIgnoreCase))).ToArray();
        var blocking = alerts.Where(a => a.Severity >= (a.Kind == SecurityAlertKind.CodeScanning ? CodeScanningAt : DependabotAt)).ToArray();
        var timedOut = waited >= PendingTimeout;
        var checks = RequiredChecks.Count == 0 ? $"all {reported.Count} reported check(s)" : $"{RequiredChecks.Count} required check(s)";
        PreflightVerdict Verdict(PreflightOutcome outcome, string reason) => new(outcome, passed, pending, failed, missing, blocking, reason);

        if (failed.Length > 0)
        {
            return Verdict(PreflightOutcome.Fail, $"required check(s) failed: {string.Join(", ", failed.Select(c => c.ToString()))}");
        }

        if (pending.Length > 0 || missing.Length > 0)
        {
            var waiting = string.Join("; ", new[]
            {
                pending.Length > 0 ? $"pending: {string.Join(", ", pending.Select(c => c.ToString()))}" : null,
                missing.Length > 0 ? $"not reported: {string.Join(", ", missing)}" : null,
            }.Where(part => part is not null));
            return timedOut
                ? Verdict(PreflightOutcome.Fail, $"required check(s) still not passed after {PolicyValues.FormatDuration(PendingTimeout)}: {waiting}")
                : Verdict(PreflightOutcome.Pending, $"waiting for required check(s), {PolicyValues.FormatDuration(waited)} of {PolicyValues.FormatDuration(PendingTimeout)}: {waiting}");
        }

        if (blocking.Length > 0)
        {
            var listed = $"{blocking.Length} open security alert(s) at or above the policy's severity: {string.Join("; ", blocking.Select(a => a.ToString()))}";
            return OnSecurityAlerts == SecurityAlertAction.Fail
                ? Verdict(PreflightOutcome.Fail, listed)
                : Verdict(PreflightOutcome.Blocked, $"{listed}; an override needs the approvals quorum");
        }

        var scanned = string.Concat(
            CodeScanningAt is { } code ? $"; no open code scanning alert at {code.ToString().ToLowerInvariant()} or above" : "",
            DependabotAt is { } dependabot ? $"; no open Dependabot alert at {dependabot.ToString().ToLowerInvariant()} or above" : "");
        return Verdict(PreflightOutcome.Pass, $"{checks} passed{scanned}");
    }
}

/// <summary>Where the pre-flight gate stands.</summary>
public enum PreflightOutcome
{
    Pass,
    /// <summary>Some required check has no result yet, within the pending timeout: read again later.</summary>
    Pending,
    /// <summary>A required check failed, or stayed pending or missing past the timeout, or alerts fail the release.</summary>
    Fail,
    /// <summary>Checks passed; open security alerts hold the release until the approvals quorum overrides.</summary>
    Blocked,
}

/// <summary>The pre-flight gate's verdict with every check and alert it rests on, and a one-line reason naming each that held it back.</summary>
public sealed record PreflightVerdict(
    PreflightOutcome Outcome,
    IReadOnlyList<CommitCheck> Passed,
    IReadOnlyList<CommitCheck> Pending,
    IReadOnlyList<CommitCheck> Failed,
    IReadOnlyList<string> Missing,
    IReadOnlyList<SecurityAlert> BlockingAlerts,
    string Reason);
