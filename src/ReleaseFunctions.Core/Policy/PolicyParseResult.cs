namespace ReleaseFunctions.Core.Policy;

/// <summary>One problem in a policy file: where it is (1-based line and column), the path of the value, and what was expected.</summary>
/// <param name="Path">The value's path, list indexes from 0 (e.g. <c>stages[1].strategy.canary.steps[2].weight</c>).</param>
public sealed record PolicyProblem(int Line, int Column, string Path, string Message)
{
    public override string ToString() => $"line {Line}, column {Column}: {Path}: {Message}";
}

/// <summary>Either a complete, valid policy, or every problem found; never a partly applied policy.</summary>
public sealed record PolicyParseResult
{
    private PolicyParseResult(ReleasePolicy? policy, IReadOnlyList<PolicyProblem> problems)
    {
        Policy = policy;
        Problems = problems;
    }

    public ReleasePolicy? Policy { get; }
    public IReadOnlyList<PolicyProblem> Problems { get; }
    public bool IsValid => Policy is not null;

    internal static PolicyParseResult Valid(ReleasePolicy policy) => new(policy, []);

    /// <summary>An invalid result; problems are listed in file order (stable for problems at the same position).</summary>
    internal static PolicyParseResult Invalid(IReadOnlyList<PolicyProblem> problems) =>
        problems.Count > 0
            ? new(null, problems.OrderBy(p => p.Line).ThenBy(p => p.Column).ToArray())
            : throw new ArgumentException("An invalid result needs at least one problem.", nameof(problems));

    /// <summary>All problems, one per line, for a PR comment or a log.</summary>
    public string Describe() => IsValid ? "the policy is valid" : string.Join(Environment.NewLine, Problems);
}
