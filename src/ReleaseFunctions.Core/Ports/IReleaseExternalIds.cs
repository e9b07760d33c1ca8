namespace ReleaseFunctions.Core.Ports;

/// <summary>
/// The ids a release has on channels outside the app (on GitHub: its check run, its deployment per stage, its sticky
/// status comment), kept with the release so that a notifier that restarted, or runs on another instance, updates
/// what it created before instead of creating it again.
/// </summary>
public interface IReleaseExternalIds
{
    /// <summary>Every id kept for the release, by name (empty when none is).</summary>
    Task<IReadOnlyDictionary<string, long>> GetExternalIdsAsync(string instanceId, CancellationToken cancellationToken);

    /// <summary>Keeps <paramref name="id"/> under <paramref name="name"/> for the release, replacing an id kept before under that name. Idempotent.</summary>
    Task SaveExternalIdAsync(string instanceId, string name, long id, CancellationToken cancellationToken);
}
