using System.Security.Cryptography;
using System.Text;

namespace ReleaseFunctions.Api.Access;

/// <summary>
/// One entry of <c>ReleaseFunctions__Operator__ApiKeys</c>: <c>KEY</c> (named <c>api-key-N</c>), <c>name:KEY</c>, or
/// <c>name:roles:KEY</c> with the roles joined by <c>+</c> (<c>ci:Release.Read+Release.Operate:KEY</c>). An entry
/// without roles holds <see cref="ReleaseRoles.Admin"/>, as every key did before keys had roles. Only the key's
/// SHA-256 is kept.
/// </summary>
internal sealed class OperatorApiKey
{
    public const int MinimumKeyLength = 16;

    private OperatorApiKey(string name, IReadOnlyList<string> roles, byte[] hash)
    {
        Name = name;
        Roles = roles;
        Hash = hash;
    }

    public string Name { get; }

    public IReadOnlyList<string> Roles { get; }

    public byte[] Hash { get; }

    /// <summary>
    /// Reads entry <paramref name="index"/> (from 0), or says what is wrong with it without repeating the key, which
    /// is a secret.
    /// </summary>
    public static OperatorApiKey? TryParse(string? entry, int index, out string? problem)
    {
        problem = null;
        var text = entry?.Trim() ?? "";
        var parts = text.Split(':');
        var (name, roleList, key) = parts.Length switch
        {
            >= 3 when IsName(parts[0]) => (parts[0], parts[1], string.Join(':', parts[2..])),
            >= 2 when IsName(parts[0]) && parts[1].Length > 0 => (parts[0], null, string.Join(':', parts[1..])),
            _ => ($"api-key-{index + 1}", null, text),
        };

        var roles = new List<string>();
        foreach (var word in (roleList ?? ReleaseRoles.Admin).Split('+', StringSplitOptions.TrimEntries))
        {
            if (ReleaseRoles.Parse(word) is not { } role)
            {
                problem = $"names the role '{word}'; expected roles joined by '+' from {string.Join(", ", ReleaseRoles.All)} (e.g. 'reader:{ReleaseRoles.Read}:KEY')";
                return null;
            }

            roles.Add(role);
        }

        if (key.Length < MinimumKeyLength)
        {
            problem = $"has a key of {key.Length} characters; expected a random key of at least {MinimumKeyLength} (e.g. from 'openssl rand -hex 32'), as KEY, name:KEY or name:roles:KEY";
            return null;
        }

        return new OperatorApiKey(name, roles, HashOf(key));
    }

    public static byte[] HashOf(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));

    private static bool IsName(string text) => text.Length > 0 && text.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '@');
}
