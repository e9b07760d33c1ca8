using ReleaseFunctions.Core.Ports;
using ReleaseFunctions.Core.Releases;
using ReleaseFunctions.Integrations.GitHub;

namespace ReleaseFunctions.Policy;

/// <summary>
/// The policy source when GitHub is not configured: a folder of policy files, one per repository at
/// <c>{owner}/{repo}.yml</c> (or <c>.yaml</c>; owner and name compare case-insensitively, as on GitHub), in the format
/// of <c>.github/release-policy.yml</c>. A repository without a file, or a folder that does not exist, gets the default
/// policy from settings. Files are read when a release starts, so an edited file applies to the next release.
/// </summary>
internal sealed class FolderPolicySource(PolicyFolderOptions options, DefaultPolicyDocument defaultPolicy) : IPolicySource
{
    public async Task<PolicyDocument> ReadAsync(ReleaseId release, long? installationId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(release);
        var repository = GitHubRepositoryName.Parse(release.Repository);
        if (Find(options.Folder, repository) is not { } file)
        {
            return defaultPolicy.Document with
            {
                Location = $"{DefaultReleasePolicy.Location} (no {repository.Owner}/{repository.Name}.yml in the policy folder {options.Folder})",
            };
        }

        var yaml = await File.ReadAllTextAsync(file, cancellationToken).ConfigureAwait(false);
        return new PolicyDocument($"policy folder {options.Folder}: {Path.GetRelativePath(options.Folder, file)}", yaml, IsDefault: false);
    }

    /// <summary>The repository's policy file in <paramref name="folder"/>, or null.</summary>
    internal static string? Find(string folder, GitHubRepositoryName repository)
    {
        if (repository.Owner is "." or ".." || repository.Name is "." or ".." || !Directory.Exists(folder))
        {
            return null;
        }

        var owner = Directory.EnumerateDirectories(folder)
            .FirstOrDefault(d => string.Equals(Path.GetFileName(d), repository.Owner, StringComparison.OrdinalIgnoreCase));
        return owner is null
            ? null
            : Directory.EnumerateFiles(owner)
                .Where(f => string.Equals(Path.GetFileName(f), repository.Name + ".yml", StringComparison.OrdinalIgnoreCase)
                            || string.Equals(Path.GetFileName(f), repository.Name + ".yaml", StringComparison.OrdinalIgnoreCase))
                .Order(StringComparer.Ordinal)
                .FirstOrDefault();
    }
}

/// <summary>The default policy, rendered once from settings.</summary>
public sealed class DefaultPolicyDocument(PolicyDocument document)
{
    public PolicyDocument Document { get; } = document ?? throw new ArgumentNullException(nameof(document));
}
