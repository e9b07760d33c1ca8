namespace ReleaseFunctions.Integrations.GitHub.Webhooks;

/// <summary>
/// Remembers which <c>X-GitHub-Delivery</c> ids were already handled, so a redelivery (GitHub's own retry or a manual
/// "Redeliver") does not act twice. The app backs this with its store; <see cref="InMemoryWebhookDeliveryLog"/> serves
/// a single instance and tests.
/// </summary>
public interface IWebhookDeliveryLog
{
    /// <summary>Records the delivery; false when it was already recorded (a duplicate).</summary>
    ValueTask<bool> TryRecordAsync(string deliveryId, DateTimeOffset receivedAt, CancellationToken cancellationToken);

    /// <summary>
    /// Forgets a delivery whose work could not be recorded downstream, so that GitHub's redelivery is handled again
    /// instead of being dropped as a duplicate.
    /// </summary>
    ValueTask ForgetAsync(string deliveryId, CancellationToken cancellationToken);
}
