using Microsoft.Extensions.DependencyInjection;

namespace ReleaseFunctions.Durable;

/// <summary>
/// Orchestrators and activities by name. Names are case-insensitive; each is created from DI per use, so an
/// orchestrator may keep state in fields for the length of one episode.
/// </summary>
public sealed class TaskRegistry
{
    private readonly Dictionary<string, Type> _orchestrators = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, Type> _activities = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Registers an orchestrator under <paramref name="name"/> (default: the class name).</summary>
    public TaskRegistry AddOrchestrator<T>(string? name = null) where T : class, ITaskOrchestrator
    {
        Add(_orchestrators, name ?? typeof(T).Name, typeof(T), "orchestrator");
        return this;
    }

    /// <summary>Registers an activity under <paramref name="name"/> (default: the class name).</summary>
    public TaskRegistry AddActivity<T>(string? name = null) where T : class, ITaskActivity
    {
        Add(_activities, name ?? typeof(T).Name, typeof(T), "activity");
        return this;
    }

    /// <summary>
    /// Wraps every activity this registry creates (for example with telemetry, or, in tests, injected faults). The
    /// decorator gets the activity's registered name and the activity created from DI, and returns the one to run.
    /// </summary>
    public TaskRegistry DecorateActivities(Func<string, ITaskActivity, ITaskActivity> decorator)
    {
        ArgumentNullException.ThrowIfNull(decorator);
        var inner = _activityDecorator;
        _activityDecorator = inner is null ? decorator : (name, activity) => decorator(name, inner(name, activity));
        return this;
    }

    private Func<string, ITaskActivity, ITaskActivity>? _activityDecorator;

    public bool HasOrchestrator(string name) => _orchestrators.ContainsKey(name);

    public IReadOnlyCollection<string> OrchestratorNames => _orchestrators.Keys;

    internal bool TryCreateOrchestrator(string name, IServiceProvider services, out ITaskOrchestrator orchestrator)
    {
        orchestrator = null!;
        if (!_orchestrators.TryGetValue(name, out var type))
        {
            return false;
        }

        orchestrator = (ITaskOrchestrator)ActivatorUtilities.CreateInstance(services, type);
        return true;
    }

    internal bool TryCreateActivity(string name, IServiceProvider services, out ITaskActivity activity)
    {
        activity = null!;
        if (!_activities.TryGetValue(name, out var type))
        {
            return false;
        }

        activity = (ITaskActivity)ActivatorUtilities.CreateInstance(services, type);
        if (_activityDecorator is not null)
        {
            activity = _activityDecorator(name, activity);
        }

        return true;
    }

    internal string DescribeOrchestrators() => Describe(_orchestrators);

    internal string DescribeActivities() => Describe(_activities);

    private static string Describe(Dictionary<string, Type> map)
        => map.Count == 0 ? "(none)" : string.Join(", ", map.Keys.Order(StringComparer.OrdinalIgnoreCase));

    private static void Add(Dictionary<string, Type> map, string name, Type type, string what)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (map.TryGetValue(name, out var existing) && existing != type)
        {
            throw new ArgumentException($"The {what} name '{name}' is already registered for {existing.Name}; each {what} needs its own name.", nameof(name));
        }

        map[name] = type;
    }
}
