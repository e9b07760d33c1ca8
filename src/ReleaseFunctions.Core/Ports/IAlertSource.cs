namespace ReleaseFunctions.Core.Ports;

/// <summary>An alert that is firing now, as the monitoring system reports it.</summary>
/// <param name="Name">The alert rule's name (Alertmanager's <c>alertname</c> label).</param>
/// <param name="StartsAt">When it started firing.</param>
/// <param name="Labels">Its labels (severity, service, ...), as reported.</param>
/// <param name="Summary">Its summary annotation, when it has one.</param>
/// <param name="Url">Where a person sees it (the rule's generator URL), when known.</param>
public sealed record FiredAlert(string Name, DateTimeOffset StartsAt, IReadOnlyDictionary<string, string> Labels, string? Summary = null, string? Url = null)
{
    public override string ToString() => $"{Name} (firing since {StartsAt:O})";
}

/// <summary>Reads the alerts firing for a service from a monitoring system ("alertmanager", "azuremonitor").</summary>
public interface IAlertSource
{
    /// <summary>The provider name a policy's <c>alerts.provider</c> selects this source by.</summary>
    string Provider { get; }

    /// <summary>
    /// The alerts firing now that the watch names (its matchers or its scope and severities), after the release's
    /// parameters (<c>{service}</c>, ...) are filled in. Throws <see cref="IntegrationException"/> when the source failed.
    /// </summary>
    Task<IReadOnlyList<FiredAlert>> FiringAsync(Gates.AlertWatch watch, IReadOnlyDictionary<string, string> parameters, CancellationToken cancellationToken);
}
