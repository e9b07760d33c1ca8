using System.Text.RegularExpressions;

namespace ReleaseFunctions.Core.Migrations;

/// <summary>The two halves of an expand/contract database change.</summary>
public enum MigrationPhase
{
    /// <summary>Adds what the new version needs and keeps what the old one uses: run, and read back, before any traffic moves.</summary>
    Expand,
    /// <summary>Removes what only the old version used: run only after promotion and a post-release review without regression.</summary>
    Contract,
}

/// <summary>One step of a policy's migrations: the migration the hook runs, and how long it may take to read back applied.</summary>
public sealed partial record MigrationStep
{
    /// <summary>15 minutes.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromMinutes(15);

    public MigrationStep(MigrationPhase phase, string migration, TimeSpan? timeout = null)
    {
        if (string.IsNullOrWhiteSpace(migration) || !NamePattern().IsMatch(migration))
        {
            throw new ArgumentException($"A migration is named with letters, digits, '.', '_' and '-' (e.g. 2026-12-orders-add-currency); got '{migration}'.", nameof(migration));
        }

        Phase = phase;
        Migration = migration;
        Timeout = timeout ?? DefaultTimeout;
        if (Timeout <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(timeout), timeout, "A migration timeout is a positive duration, e.g. 15m.");
        }
    }

    public MigrationPhase Phase { get; }

    /// <summary>The migration's name, as the hook knows it.</summary>
    public string Migration { get; }

    /// <summary>How long the step may run until the hook reads it back applied; past it the step failed. Default 15 minutes.</summary>
    public TimeSpan Timeout { get; }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")]
    internal static partial Regex NamePattern();
}

/// <summary>
/// A policy's database migrations (<c>migrations</c>), run by the migration hook the app's settings name: the
/// <see cref="Expand"/> step before any traffic moves (a release whose expand step fails moves nothing), the
/// <see cref="Contract"/> step from the review timer once the release was promoted and its post-release review found no
/// regression. A release that was rolled back never runs its contract step.
/// </summary>
public sealed record MigrationPolicy
{
    public MigrationPolicy(MigrationStep? expand, MigrationStep? contract)
    {
        if (expand is null && contract is null)
        {
            throw new ArgumentException("Migrations name an expand step, a contract step, or both.");
        }

        if (expand is { Phase: not MigrationPhase.Expand } || contract is { Phase: not MigrationPhase.Contract })
        {
            throw new ArgumentException("The expand step is of phase Expand and the contract step of phase Contract.");
        }

        Expand = expand;
        Contract = contract;
    }

    public MigrationStep? Expand { get; }
    public MigrationStep? Contract { get; }
}
