namespace ReleaseFunctions.Core.Freeze;

/// <summary>
/// Whether a release may start at an instant. <see cref="Frozen"/>: a window covers the instant;
/// <see cref="Blocked"/>: the release must wait (frozen and not exempt). <see cref="AllowedFrom"/> is the first
/// instant no window covers, following windows that touch or overlap.
/// </summary>
public sealed record FreezeStatus(bool Frozen, bool Blocked, string? Window, DateTimeOffset? AllowedFrom, string? ExemptBy, string Reason);

/// <summary>What a release already rolling out does when a freeze window opens before its next traffic increase.</summary>
public enum FreezeDuringRollout
{
    /// <summary>Stay at the current weight until the window ends (or an authorised override); the default.</summary>
    Hold,
    /// <summary>Move traffic back to the stable version.</summary>
    Rollback,
}

/// <summary>The freeze windows of a policy and the labels that exempt a release from them (e.g. <c>hotfix</c>).</summary>
public sealed record FreezeCalendar
{
    /// <summary>No windows, no exemptions.</summary>
    public static FreezeCalendar None { get; } = new([], []);

    // Touching windows are followed one after another; this bounds the walk for a calendar frozen for ever.
    private const int MaxChainedWindows = 1000;

    /// <param name="duringRollout">What a release that has moved traffic does when a window opens mid-rollout (default: hold).</param>
    public FreezeCalendar(IReadOnlyList<FreezeWindow> windows, IEnumerable<string> exemptLabels, FreezeDuringRollout duringRollout = FreezeDuringRollout.Hold)
    {
        ArgumentNullException.ThrowIfNull(windows);
        ArgumentNullException.ThrowIfNull(exemptLabels);
        var duplicate = windows.GroupBy(w => w.Name, StringComparer.OrdinalIgnoreCase).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new ArgumentException($"Freeze window names must be unique; '{duplicate.Key}' appears {duplicate.Count()} times.", nameof(windows));
        }

        Windows = windows;
        ExemptLabels = exemptLabels.ToHashSet(StringComparer.OrdinalIgnoreCase);
        DuringRollout = duringRollout;
    }

    /// <summary>Checked before every stage and every traffic increase, not only before the first.</summary>
    public FreezeDuringRollout DuringRollout { get; }

    public IReadOnlyList<FreezeWindow> Windows { get; }
    public IReadOnlySet<string> ExemptLabels { get; }

    /// <summary>Checks an instant for a release carrying <paramref name="labels"/> (the PR's labels).</summary>
    public FreezeStatus Check(DateTimeOffset instant, IEnumerable<string> labels)
    {
        ArgumentNullException.ThrowIfNull(labels);
        var window = Windows.FirstOrDefault(w => w.Contains(WallClock(instant, w)));
        if (window is null)
        {
            return new FreezeStatus(false, false, null, null, null, "no freeze window covers this instant");
        }

        var allowedFrom = NextAllowed(instant);
        var until = allowedFrom is { } at ? $"until {at:O}" : "with no end in sight";
        var exemptBy = labels.FirstOrDefault(ExemptLabels.Contains);
        return exemptBy is not null
            ? new FreezeStatus(true, false, window.Name, allowedFrom, exemptBy, $"freeze window '{window.Name}' is active {until}, but label '{exemptBy}' exempts this release")
            : new FreezeStatus(true, true, window.Name, allowedFrom, null, $"frozen by window '{window.Name}' {until}");
    }

    private DateTimeOffset? NextAllowed(DateTimeOffset instant)
    {
        var at = instant;
        for (var i = 0; i < MaxChainedWindows; i++)
        {
            var covering = Windows.Where(w => w.Contains(WallClock(at, w))).ToArray();
            if (covering.Length == 0)
            {
                return at;
            }

            at = covering.Select(w => ToInstant(w.EndOf(WallClock(at, w)), w.TimeZone)).Max();
        }

        return null;
    }

    private static DateTime WallClock(DateTimeOffset instant, FreezeWindow window) =>
        DateTime.SpecifyKind(TimeZoneInfo.ConvertTime(instant, window.TimeZone).DateTime, DateTimeKind.Unspecified);

    /// <summary>
    /// The instant a wall-clock end time means. In a spring-forward gap the end is the first valid instant after it;
    /// when the time occurs twice (fall back) it is the first occurrence, the first instant the wall clock leaves the
    /// window (the repeated hour re-enters it, and <see cref="Check"/> says so then).
    /// </summary>
    private static DateTimeOffset ToInstant(DateTime wallClock, TimeZoneInfo zone)
    {
        while (zone.IsInvalidTime(wallClock))
        {
            wallClock = wallClock.AddMinutes(1);
        }

        var offset = zone.IsAmbiguousTime(wallClock) ? zone.GetAmbiguousTimeOffsets(wallClock).Max() : zone.GetUtcOffset(wallClock);
        return new DateTimeOffset(wallClock, offset).ToUniversalTime();
    }
}
