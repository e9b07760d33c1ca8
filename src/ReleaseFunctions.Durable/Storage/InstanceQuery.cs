namespace ReleaseFunctions.Durable.Storage;

/// <summary>
/// Filters for listing instances. Created-time bounds: <see cref="CreatedFrom"/> included, <see cref="CreatedTo"/> excluded.
/// Results are ordered by creation time, newest first; <see cref="ContinuationToken"/> comes from the previous page.
/// </summary>
public sealed record InstanceQuery(
    IReadOnlyCollection<OrchestrationRuntimeStatus>? Statuses = null,
    string? NamePrefix = null,
    string? InstanceIdPrefix = null,
    DateTimeOffset? CreatedFrom = null,
    DateTimeOffset? CreatedTo = null,
    int PageSize = 100,
    string? ContinuationToken = null,
    bool IncludePayloads = false)
{
    public int PageSize { get; } = PageSize is >= 1 and <= 1000
        ? PageSize
        : throw new ArgumentOutOfRangeException(nameof(PageSize), PageSize, "A page holds from 1 to 1000 instances.");
}
