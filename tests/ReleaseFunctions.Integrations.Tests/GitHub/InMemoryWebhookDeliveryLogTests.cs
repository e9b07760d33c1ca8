using ReleaseFunctions.Integrations.GitHub.Webhooks;

namespace ReleaseFunctions.Integrations.Tests.GitHub;

public sealed class InMemoryWebhookDeliveryLogTests
{
    [Fact]
    public async Task An_id_is_remembered_for_the_retention_and_then_forgotten()
    {
        var clock = new FakeTimeProvider(WebhookTestKit.Start);
        var log = new InMemoryWebhookDeliveryLog(clock, capacity: 100, retention: TimeSpan.FromHours(1));
        Assert.True(await log.TryRecordAsync("a", clock.GetUtcNow(), default));

        clock.Advance(TimeSpan.FromMinutes(59));
        Assert.False(await log.TryRecordAsync("a", clock.GetUtcNow(), default));

        clock.Advance(TimeSpan.FromMinutes(1));
        Assert.True(await log.TryRecordAsync("a", clock.GetUtcNow(), default));
    }

    [Fact]
    public async Task Beyond_capacity_the_oldest_ids_are_dropped_first()
    {
        var clock = new FakeTimeProvider(WebhookTestKit.Start);
        var log = new InMemoryWebhookDeliveryLog(clock, capacity: 3);
        foreach (var id in new[] { "a", "b", "c", "d" })
        {
            Assert.True(await log.TryRecordAsync(id, clock.GetUtcNow(), default));
            clock.Advance(TimeSpan.FromSeconds(1));
        }

        Assert.False(await log.TryRecordAsync("d", clock.GetUtcNow(), default));
        Assert.False(await log.TryRecordAsync("b", clock.GetUtcNow(), default));
        Assert.True(await log.TryRecordAsync("a", clock.GetUtcNow(), default));
    }
}
