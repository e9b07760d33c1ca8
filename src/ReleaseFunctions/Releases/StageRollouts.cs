using ReleaseFunctions.Core.Policy;
using ReleaseFunctions.Core.Ports;

namespace ReleaseFunctions.Releases;

/// <summary>The parts a stage's rollout uses: traffic, waits with commands, gates, approvals and windows.</summary>
internal sealed record RolloutParts(ReleaseRun Run, ReleaseTrail Trail, ReleaseCommands Commands, ReleaseTraffic Traffic, ReleaseGates Gates, ReleaseApprovals Approvals, ReleaseWindows Windows);

/// <summary>One stage's rollout by its strategy; null when the stage ended with all traffic on the candidate.</summary>
internal static class StageRollout
{
    public static Task<Interruption?> RunAsync(RolloutParts parts, StagePolicy stage) => stage.Strategy switch
    {
        CanaryStrategy canary => CanaryRollout.RunAsync(parts, stage, canary),
        BlueGreenStrategy blueGreen => BlueGreenRollout.RunAsync(parts, stage, blueGreen),
        DirectStrategy direct => DirectRollout.RunAsync(parts, stage, direct),
        _ => throw new InvalidOperationException($"Unknown strategy {stage.Strategy.GetType().Name}."),
    };
}

/// <summary>Canary: step by step (approval, freeze check, shift, soak, gate), then all traffic.</summary>
internal static class CanaryRollout
{
    public static async Task<Interruption?> RunAsync(RolloutParts parts, StagePolicy stage, CanaryStrategy canary)
    {
        var (run, trail, commands, traffic, gates, approvals, windows) = parts;
        for (var step = 1; step <= canary.Steps.Count; step++)
        {
            var plan = canary.Steps[step - 1];
            var approval = await approvals.AwaitAllAsync(stage, step);
            if (approval is not null)
            {
                return approval;
            }

            var frozen = step == 1 ? null : await windows.WaitOutFreezeAsync(stage, $"before {stage.Name} step {step} ({plan.WeightPercent}%)");
            if (frozen is not null)
            {
                return frozen;
            }

            var shifted = await traffic.ShiftAsync(stage, step, plan.WeightPercent, TrafficAction.Shift);
            if (shifted is not null)
            {
                return shifted;
            }

            var stepStart = run.Now;
            await trail.PublishAsync($"soaking for {plan.Soak}, then judging the gate");
            var soak = await gates.SoakAsync(stage, GateScope.Stage, stage.Gate, stepStart + plan.Soak, step, stepStart);
            if (soak is { Kind: InterruptionKind.Promote })
            {
                await trail.RecordAsync("soak-skipped", soak.Actor, $"{soak.Actor} promoted step {step}: the rest of the soak and its gate are skipped", new { stage = stage.Name, step, soak.Comment });
                continue;
            }

            if (soak is not null)
            {
                return soak;
            }

            var judged = await gates.JudgeAsync(stage, GateScope.Stage, stage.Gate, stepStart, step);
            if (judged is not null)
            {
                return judged;
            }
        }

        return await windows.WaitOutFreezeAsync(stage, $"before {stage.Name} takes all traffic")
               ?? await traffic.ShiftAsync(stage, canary.Steps.Count, 100, TrafficAction.Promote);
    }
}

/// <summary>Blue-green: checks on the idle slot, the swap, then a watch after it.</summary>
internal static class BlueGreenRollout
{
    public static async Task<Interruption?> RunAsync(RolloutParts parts, StagePolicy stage, BlueGreenStrategy blueGreen)
    {
        var (run, trail, commands, traffic, gates, approvals, windows) = parts;
        var approval = await approvals.AwaitAllAsync(stage, 1);
        if (approval is not null)
        {
            return approval;
        }

        run.Release = run.Release.AdvanceTo(stage.Name, 1, ReleaseRun.Workflow, run.Now, $"checking {run.Request.Version} on the idle slot before the swap");
        var idleStart = run.Now;
        await trail.PublishAsync($"checking the idle slot for {blueGreen.IdleSoak}, then swapping");
        var idle = await gates.SoakAsync(stage, GateScope.IdleSlot, blueGreen.IdleChecks, idleStart + blueGreen.IdleSoak, 1, idleStart)
                   ?? await gates.JudgeAsync(stage, GateScope.IdleSlot, blueGreen.IdleChecks, idleStart, 1);
        if (idle is { Kind: not InterruptionKind.Promote })
        {
            return idle;
        }

        var swapped = await windows.WaitOutFreezeAsync(stage, $"before the swap of {stage.Name}") ?? await traffic.ShiftAsync(stage, 1, 100, TrafficAction.Swap);
        if (swapped is not null)
        {
            return swapped;
        }

        var swapStart = run.Now;
        await trail.PublishAsync($"swapped; watching for {blueGreen.PostSwapSoak}; the old slot stays warm for {blueGreen.KeepOldSlotFor}");
        var after = await gates.SoakAsync(stage, GateScope.Stage, stage.Gate, swapStart + blueGreen.PostSwapSoak, 1, swapStart);
        if (after is { Kind: InterruptionKind.Promote })
        {
            return null;
        }

        return after ?? await gates.JudgeAsync(stage, GateScope.Stage, stage.Gate, swapStart, 1);
    }
}

/// <summary>Direct: all traffic at once, a soak, the gate.</summary>
internal static class DirectRollout
{
    public static async Task<Interruption?> RunAsync(RolloutParts parts, StagePolicy stage, DirectStrategy direct)
    {
        var (run, trail, commands, traffic, gates, approvals, _) = parts;
        var approval = await approvals.AwaitAllAsync(stage, 1);
        if (approval is not null)
        {
            return approval;
        }

        var shifted = await traffic.ShiftAsync(stage, 1, 100, TrafficAction.Shift);
        if (shifted is not null)
        {
            return shifted;
        }

        var start = run.Now;
        await trail.PublishAsync($"soaking for {direct.Soak}, then judging the gate");
        var soak = await gates.SoakAsync(stage, GateScope.Stage, stage.Gate, start + direct.Soak, 1, start);
        if (soak is { Kind: InterruptionKind.Promote })
        {
            return null;
        }

        return soak ?? await gates.JudgeAsync(stage, GateScope.Stage, stage.Gate, start, 1);
    }
}
