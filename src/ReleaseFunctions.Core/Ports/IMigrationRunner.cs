using ReleaseFunctions.Core.Migrations;

namespace ReleaseFunctions.Core.Ports;

/// <summary>Where a migration step stands, as the migration hook reads it back.</summary>
public enum MigrationState
{
    Running,
    Applied,
    Failed,
}

/// <param name="IdempotencyKey">The same for every attempt of one step of one release: the hook runs it once.</param>
public sealed record MigrationRequest(string ReleaseId, string Service, string Version, MigrationPhase Phase, string Migration, string IdempotencyKey);

/// <summary>What the hook reported of a step: its state, its own words, and when it was read.</summary>
public sealed record MigrationReport(MigrationState State, string Detail, DateTimeOffset ReadAt);

/// <summary>Runs the database migrations a policy names, and reads back where each stands.</summary>
public interface IMigrationRunner
{
    /// <summary>Starts the step (once per idempotency key) and returns what the hook reports. Throws <see cref="IntegrationException"/> when the hook failed.</summary>
    Task<MigrationReport> StartAsync(MigrationRequest request, CancellationToken cancellationToken);

    /// <summary>Reads where the step stands now, without running anything. Throws <see cref="IntegrationException"/> when the hook failed.</summary>
    Task<MigrationReport> ReadAsync(MigrationRequest request, CancellationToken cancellationToken);
}
