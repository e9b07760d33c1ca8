namespace ReleaseFunctions.Durable;

/// <summary>What went wrong in an activity, a sub-orchestration or an orchestration, as recorded in history.</summary>
public sealed record TaskFailureDetails(string ErrorType, string ErrorMessage, string? StackTrace = null, TaskFailureDetails? InnerFailure = null)
{
    /// <summary>True when the failure was caused by an exception of type <typeparamref name="T"/> (or a subtype known by name).</summary>
    public bool IsCausedBy<T>() where T : Exception => string.Equals(ErrorType, typeof(T).FullName, StringComparison.Ordinal);

    public override string ToString() => $"{ErrorType}: {ErrorMessage}";
}
