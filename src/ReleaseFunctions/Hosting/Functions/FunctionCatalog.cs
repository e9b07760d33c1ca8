namespace ReleaseFunctions.Hosting.Functions;

/// <summary>
/// The timer functions the standalone scheduler runs (under the Functions host the same work runs from the
/// <c>[TimerTrigger]</c> functions in <c>Functions/</c>, with the same schedules).
/// </summary>
public sealed class FunctionCatalog
{
    private readonly Dictionary<string, FunctionDeclaration> _byName;

    public FunctionCatalog(IEnumerable<FunctionDeclaration> declarations)
    {
        ArgumentNullException.ThrowIfNull(declarations);
        _byName = new Dictionary<string, FunctionDeclaration>(StringComparer.OrdinalIgnoreCase);
        var ordered = new List<FunctionDeclaration>();
        foreach (var declaration in declarations)
        {
            // Function names are case-insensitive in Azure Functions.
            if (!_byName.TryAdd(declaration.Name, declaration))
            {
                throw new InvalidOperationException($"Function '{declaration.Name}' is declared twice; expected unique names (case-insensitive).");
            }

            ordered.Add(declaration);
        }

        All = ordered;
        Timers = ordered.OfType<TimerFunctionDeclaration>().ToList();
    }

    /// <summary>All declarations in registration order.</summary>
    public IReadOnlyList<FunctionDeclaration> All { get; }

    public IReadOnlyList<TimerFunctionDeclaration> Timers { get; }

    public FunctionDeclaration? Find(string name) => _byName.GetValueOrDefault(name);
}
