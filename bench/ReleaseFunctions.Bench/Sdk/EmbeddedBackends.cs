namespace ReleaseFunctions.Bench.Sdk;

/// <summary>
/// The project's embedded Durable Task backend (its SQLite/PostgreSQL store served in-process through the sidecar
/// protocol), on each store. It comes with the backend's own branch; until then there is none to measure.
/// </summary>
internal static class EmbeddedBackends
{
    public static IEnumerable<SdkBench.Backend> All(double scale)
    {
        _ = scale;
        return [];
    }
}
