namespace ReleaseFunctions.Hosting.Functions;

/// <summary>Every function the app declares: the single source for the scheduler, the custom handler and publish.</summary>
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
            // Function names are case-insensitive in Azure Functions, as are the folders they become.
            if (!_byName.TryAdd(declaration.Name, declaration))
            {
                throw new InvalidOperationException($"Function '{declaration.Name}' is declared twice; expected unique names (case-insensitive).");
            }

            ordered.Add(declaration);
        }

        All = ordered;
        Timers = ordered.OfType<TimerFunctionDeclaration>().ToList();
        Http = ordered.OfType<HttpFunctionDeclaration>().ToList();
    }

    /// <summary>All declarations in registration order.</summary>
    public IReadOnlyList<FunctionDeclaration> All { get; }

    public IReadOnlyList<TimerFunctionDeclaration> Timers { get; }

    public IReadOnlyList<HttpFunctionDeclaration> Http { get; }

    public FunctionDeclaration? Find(string name) => _byName.GetValueOrDefault(name);
}
