using System.Security.Claims;
using ReleaseFunctions.Core.Releases;

namespace ReleaseFunctions.Api.Access;

/// <summary>
/// The app roles that say who may do what through the dashboard and the operator API (registered on the Entra ID
/// app, or given to an API key). Every role lets its holder read; <see cref="Admin"/> holds all of them. Approving
/// stays subject to the repository's policy (its approvers and separation of duties) on top of the role.
/// </summary>
public static class ReleaseRoles
{
    /// <summary>See releases, their timelines and evidence, DORA metrics and summaries.</summary>
    public const string Read = "Release.Read";

    /// <summary>Steer a running release: pause, resume, promote (cut a soak short or proceed past a failed gate), rollback, abort.</summary>
    public const string Operate = "Release.Operate";

    /// <summary>Approve and reject releases (as the GitHub login the person maps to, judged by the policy).</summary>
    public const string Approve = "Release.Approve";

    /// <summary>Everything the other roles allow.</summary>
    public const string Admin = "Release.Admin";

    /// <summary>The roles, weakest first.</summary>
    public static IReadOnlyList<string> All => Ordered;

    private static readonly string[] Ordered = [Read, Operate, Approve, Admin];

    /// <summary>Where a role stands in <see cref="All"/> (for listing roles in one order).</summary>
    internal static int Rank(string role) => Array.IndexOf(Ordered, role);

    /// <summary>The role a name stands for (case-insensitive), or null when it is none of <see cref="All"/>.</summary>
    public static string? Parse(string name) => All.FirstOrDefault(role => string.Equals(role, name.Trim(), StringComparison.OrdinalIgnoreCase));

    /// <summary>Whether <paramref name="user"/> holds <paramref name="role"/>, directly or through a role that implies it.</summary>
    public static bool Grants(ClaimsPrincipal user, string role)
    {
        ArgumentNullException.ThrowIfNull(user);
        var held = Held(user);
        return held.Contains(Admin) || held.Contains(role) || (role == Read && held.Count > 0);
    }

    /// <summary>The release roles <paramref name="user"/> holds, as granted (not expanded).</summary>
    public static IReadOnlySet<string> Held(ClaimsPrincipal user)
    {
        ArgumentNullException.ThrowIfNull(user);
        return user.Identities
            .SelectMany(identity => identity.FindAll(identity.RoleClaimType))
            .Select(claim => Parse(claim.Value))
            .OfType<string>()
            .ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>The role a release command needs.</summary>
    public static string RequiredFor(ReleaseCommandKind command) => command switch
    {
        ReleaseCommandKind.Approve or ReleaseCommandKind.Reject => Approve,
        ReleaseCommandKind.Status => Read,
        _ => Operate,
    };
}
