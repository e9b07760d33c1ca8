using ReleaseFunctions.Core.Ports;
using ReleaseFunctions.Core.Sli;

namespace ReleaseFunctions.Integrations.AzureMonitor;

/// <summary>Brings a returned unit to the unit the policy expects, or refuses with both units named.</summary>
internal static class UnitAlignment
{
    /// <summary>The factor to multiply returned values by, and the unit the series then carries.</summary>
    public static (double Factor, string? Unit) To(string? returned, string? expected, string system, string query)
    {
        if (expected is null || returned is null)
        {
            return (1, expected ?? returned);
        }

        return SliUnits.Factor(returned, expected) is { } factor
            ? (factor, expected)
            : throw new IntegrationException(system, IntegrationFailureKind.Rejected,
                $"'{query}' returned values in {returned}, but the policy expects {expected} and there is no known conversion; fix the expected unit or the query.");
    }
}
