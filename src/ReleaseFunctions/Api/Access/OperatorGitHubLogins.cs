using System.Security.Claims;
using Microsoft.Extensions.Options;
using ReleaseFunctions.Hosting.Settings;

namespace ReleaseFunctions.Api.Access;

/// <summary>
/// Which GitHub login a signed-in person acts as, so that an approval through the API is judged by the repository's
/// policy (its approvers, teams and separation of duties) like a PR comment: <c>ReleaseFunctions__Operator__GitHubLogins</c>
/// (<c>person=login</c>; the person as an Entra ID user principal name, an object id or an API key's name, case-insensitive),
/// else the claim <c>ReleaseFunctions__Operator__GitHubLoginClaim</c> names (a directory attribute).
/// </summary>
internal sealed class OperatorGitHubLogins
{
    private readonly Dictionary<string, string> _byPerson = new(StringComparer.OrdinalIgnoreCase);
    private readonly string? _claim;

    public OperatorGitHubLogins(IOptions<ReleaseFunctionsOptions> options)
    {
        var @operator = options.Value.Operator;
        foreach (var entry in @operator.GitHubLogins)
        {
            if (TryParse(entry, out var person, out var login, out _))
            {
                _byPerson[person] = login;
            }
        }

        _claim = string.IsNullOrWhiteSpace(@operator.GitHubLoginClaim) ? null : @operator.GitHubLoginClaim.Trim();
    }

    /// <summary>The login of the first of <paramref name="names"/> that is mapped, else the configured claim's value, else null.</summary>
    public string? Of(IEnumerable<string?> names, IEnumerable<Claim> claims)
    {
        foreach (var name in names)
        {
            if (!string.IsNullOrWhiteSpace(name) && _byPerson.TryGetValue(name.Trim(), out var login))
            {
                return login;
            }
        }

        return _claim is null ? null : claims.FirstOrDefault(c => string.Equals(c.Type, _claim, StringComparison.OrdinalIgnoreCase) && IsLogin(c.Value))?.Value;
    }

    /// <summary>Reads a <c>person=login</c> entry, or says what is wrong with it.</summary>
    public static bool TryParse(string? entry, out string person, out string login, out string? problem)
    {
        var parts = (entry ?? "").Split('=', 2, StringSplitOptions.TrimEntries);
        person = parts[0];
        login = parts.Length == 2 ? parts[1] : "";
        problem = person.Length == 0 || parts.Length < 2
            ? $"is '{entry}'; expected person=login, e.g. 'alice@contoso.com=alice-gh'"
            : IsLogin(login) ? null : $"maps '{person}' to '{login}', which is not a GitHub login (letters, digits and single hyphens, at most 39)";
        return problem is null;
    }

    private static bool IsLogin(string text)
        => text.Length is > 0 and <= 39 && text.All(c => char.IsAsciiLetterOrDigit(c) || c == '-') && !text.StartsWith('-') && !text.EndsWith('-') && !text.Contains("--", StringComparison.Ordinal);
}
