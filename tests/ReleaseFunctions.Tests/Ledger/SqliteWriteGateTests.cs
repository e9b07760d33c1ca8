using ReleaseFunctions.Ledger;

namespace ReleaseFunctions.Tests.Ledger;

/// <summary>The per-file write gate: one writer at a time; intake writers go before normal ones that waited longer.</summary>
public sealed class SqliteWriteGateTests
{
    [Fact]
    public async Task A_leaving_writer_hands_the_gate_to_waiting_intake_first_then_normal_writers_in_arrival_order()
    {
        var gate = new SqliteWriteGate.Gate();
        await gate.EnterAsync(WritePriority.Normal, default);
        var order = new List<string>();
        var normal1 = gate.EnterAsync(WritePriority.Normal, default).ContinueWith(_ => order.Add("normal-1"), TaskContinuationOptions.ExecuteSynchronously);
        var normal2 = gate.EnterAsync(WritePriority.Normal, default).ContinueWith(_ => order.Add("normal-2"), TaskContinuationOptions.ExecuteSynchronously);
        var intake = gate.EnterAsync(WritePriority.Intake, default).ContinueWith(_ => order.Add("intake"), TaskContinuationOptions.ExecuteSynchronously);
        Assert.Equal(3, gate.Waiting);

        foreach (var next in new[] { intake, normal1, normal2 })
        {
            gate.Leave();
            await next;
        }

        Assert.Equal(["intake", "normal-1", "normal-2"], order);
        gate.Leave();
        Assert.True(gate.EnterAsync(WritePriority.Normal, default).IsCompletedSuccessfully); // free again
    }

    [Fact]
    public async Task A_waiter_that_gives_up_leaves_the_queue_and_is_never_handed_the_gate()
    {
        var gate = new SqliteWriteGate.Gate();
        await gate.EnterAsync(WritePriority.Normal, default);
        using var giveUp = new CancellationTokenSource();
        var cancelled = gate.EnterAsync(WritePriority.Intake, giveUp.Token);
        var next = gate.EnterAsync(WritePriority.Normal, default);

        giveUp.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        Assert.Equal(1, gate.Waiting);
        gate.Leave();
        await next; // the gate passed over the one that gave up
        Assert.Equal(0, gate.Waiting);
    }
}
