using ReleaseFunctions.Core.Gates;

namespace ReleaseFunctions.Core.Policy;

/// <summary>How a stage moves traffic to the new version.</summary>
public abstract record ReleaseStrategy
{
    private protected ReleaseStrategy()
    {
    }

    /// <summary>How many steps the stage has; an approval may guard step 1 to this number.</summary>
    public abstract int StepCount { get; }

    private protected static TimeSpan NotNegative(TimeSpan value, string what) =>
        value >= TimeSpan.Zero ? value : throw new ArgumentOutOfRangeException(what, value, $"{what} is a duration of zero or more.");
}

/// <summary>One canary step: send <see cref="WeightPercent"/> of traffic to the canary and watch it for <see cref="Soak"/>.</summary>
public sealed record CanaryStep
{
    public CanaryStep(int weightPercent, TimeSpan soak)
    {
        if (weightPercent is < 1 or > 100)
        {
            throw new ArgumentOutOfRangeException(nameof(weightPercent), weightPercent, "A canary weight is an integer from 1 to 100.");
        }

        if (soak < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(soak), soak, "A soak time is a duration of zero or more.");
        }

        WeightPercent = weightPercent;
        Soak = soak;
    }

    public int WeightPercent { get; }
    public TimeSpan Soak { get; }
}

/// <summary>
/// Canary: traffic moves to the new version in steps of increasing weight, each soaked and judged by the stage's gate;
/// after the last step the new version is promoted to all traffic.
/// </summary>
public sealed record CanaryStrategy : ReleaseStrategy
{
    public CanaryStrategy(IReadOnlyList<CanaryStep> steps)
    {
        ArgumentNullException.ThrowIfNull(steps);
        if (steps.Count == 0)
        {
            throw new ArgumentException("A canary strategy needs at least one step.", nameof(steps));
        }

        for (var i = 1; i < steps.Count; i++)
        {
            if (steps[i].WeightPercent <= steps[i - 1].WeightPercent)
            {
                throw new ArgumentException($"Canary weights must increase; step {i + 1} has {steps[i].WeightPercent} after {steps[i - 1].WeightPercent}.", nameof(steps));
            }
        }

        Steps = steps;
    }

    public IReadOnlyList<CanaryStep> Steps { get; }
    public override int StepCount => Steps.Count;
}

/// <summary>
/// Blue-green: deploy to the idle slot, soak it for <see cref="IdleSoak"/> and run <see cref="IdleChecks"/> on it,
/// swap, watch for <see cref="PostSwapSoak"/> (judged by the stage's gate), and keep the old slot warm for
/// <see cref="KeepOldSlotFor"/> so a rollback is a swap back.
/// </summary>
public sealed record BlueGreenStrategy : ReleaseStrategy
{
    public BlueGreenStrategy(TimeSpan idleSoak, GateDefinition? idleChecks, TimeSpan postSwapSoak, TimeSpan keepOldSlotFor)
    {
        IdleSoak = NotNegative(idleSoak, nameof(idleSoak));
        IdleChecks = idleChecks;
        PostSwapSoak = NotNegative(postSwapSoak, nameof(postSwapSoak));
        KeepOldSlotFor = NotNegative(keepOldSlotFor, nameof(keepOldSlotFor));
    }

    public TimeSpan IdleSoak { get; }
    public GateDefinition? IdleChecks { get; }
    public TimeSpan PostSwapSoak { get; }
    public TimeSpan KeepOldSlotFor { get; }

    /// <summary>One step: the swap.</summary>
    public override int StepCount => 1;
}

/// <summary>Direct: the new version takes all traffic at once, then is watched for <see cref="Soak"/>.</summary>
public sealed record DirectStrategy : ReleaseStrategy
{
    public DirectStrategy(TimeSpan soak)
    {
        Soak = NotNegative(soak, nameof(soak));
    }

    public TimeSpan Soak { get; }
    public override int StepCount => 1;
}
