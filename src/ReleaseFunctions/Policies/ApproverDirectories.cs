using ReleaseFunctions.Core.Ports;
using ReleaseFunctions.Integrations.GitHub.Client;

namespace ReleaseFunctions.Policy;

/// <summary>Team membership from GitHub: a login belongs to a team when its membership there is active (not pending).</summary>
internal sealed class GitHubApproverDirectory(GitHubClient github) : IApproverDirectory
{
    public async Task<IReadOnlySet<string>> TeamsOfAsync(string login, IReadOnlyCollection<string> teams, long? installationId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(login);
        ArgumentNullException.ThrowIfNull(teams);
        var memberOf = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var team in teams.Distinct(StringComparer.OrdinalIgnoreCase))
        {
            var (organization, slug) = TeamName.Split(team);
            if (await github.IsActiveTeamMemberAsync(organization, slug, login, installationId, cancellationToken).ConfigureAwait(false))
            {
                memberOf.Add(team);
            }
        }

        return memberOf;
    }
}

/// <summary>Team membership from settings (<see cref="ApproverTeamsOptions"/>), for running without GitHub.</summary>
internal sealed class SettingsApproverDirectory(ApproverTeamsOptions options) : IApproverDirectory
{
    private readonly Dictionary<string, IReadOnlySet<string>> _teams = new(options.Teams, StringComparer.OrdinalIgnoreCase);

    public Task<IReadOnlySet<string>> TeamsOfAsync(string login, IReadOnlyCollection<string> teams, long? installationId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(login);
        ArgumentNullException.ThrowIfNull(teams);
        IReadOnlySet<string> memberOf = teams
            .Where(team => _teams.TryGetValue(TeamName.Validate(team), out var members) && members.Contains(login))
            .ToHashSet(StringComparer.OrdinalIgnoreCase);
        return Task.FromResult(memberOf);
    }
}

/// <summary>Teams are written <c>org/slug</c>, as in the policy file.</summary>
internal static class TeamName
{
    public static (string Organization, string Slug) Split(string team)
    {
        Validate(team);
        var slash = team.IndexOf('/', StringComparison.Ordinal);
        return (team[..slash], team[(slash + 1)..]);
    }

    public static string Validate(string team)
    {
        var slash = team?.IndexOf('/', StringComparison.Ordinal) ?? -1;
        if (team is null || slash <= 0 || slash == team.Length - 1 || team.IndexOf('/', slash + 1) >= 0 || team.Any(char.IsWhiteSpace))
        {
            throw new ArgumentException($"A team is written 'org/team-slug'; got '{team}'.", nameof(team));
        }

        return team;
    }
}
