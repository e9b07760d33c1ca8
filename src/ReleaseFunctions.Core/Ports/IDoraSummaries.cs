using ReleaseFunctions.Core.Dora;

namespace ReleaseFunctions.Core.Ports;

/// <summary>The periodic DORA summaries: one per repository and period, kept once.</summary>
public interface IDoraSummaries
{
    /// <summary>Keeps the summary unless one exists for its repository (case-insensitive) and period start; true when this call kept it.</summary>
    Task<bool> SaveAsync(DoraMetrics summary, CancellationToken cancellationToken);

    /// <summary>The newest summaries first, of one repository or of all; at most <paramref name="max"/>.</summary>
    Task<IReadOnlyList<DoraMetrics>> ListAsync(string? repository, int max, CancellationToken cancellationToken);
}
