namespace ReleaseFunctions.Core.Sli;

/// <summary>
/// A span of time an SLI is read over. The start is included, the end excluded.
/// </summary>
public readonly record struct SliWindow
{
    [System.Text.Json.Serialization.JsonConstructor]
    public SliWindow(DateTimeOffset start, DateTimeOffset end)
    {
        if (end <= start)
        {
            throw new ArgumentException($"An SLI window must end after it starts; got start {start:O}, end {end:O}.", nameof(end));
        }

        Start = start.ToUniversalTime();
        End = end.ToUniversalTime();
    }

    /// <summary>First instant in the window (included).</summary>
    public DateTimeOffset Start { get; }

    /// <summary>First instant after the window (excluded).</summary>
    public DateTimeOffset End { get; }

    public TimeSpan Duration => End - Start;

    public bool Contains(DateTimeOffset instant) => instant >= Start && instant < End;

    /// <summary>The window of this one's length that ends at <paramref name="end"/> (excluded): e.g. just before a release started.</summary>
    public SliWindow Preceding(DateTimeOffset end) => new(end - Duration, end);

    public override string ToString() => $"[{Start:O}, {End:O})";
}
