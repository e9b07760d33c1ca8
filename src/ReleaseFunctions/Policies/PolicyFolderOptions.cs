namespace ReleaseFunctions.Policy;

/// <summary>
/// Where policy files come from when GitHub is not configured (<see cref="FolderPolicySource"/>): set as
/// <c>ReleaseFunctions__Policies__Folder</c>, relative to the content root when not rooted. When set, the folder must
/// exist (checked at start); when not, it is the <c>policies</c> folder shipped with the app, and may be absent.
/// </summary>
public sealed class PolicyFolderOptions
{
    /// <summary>The folder shipped with the app, relative to its content root.</summary>
    public const string DefaultFolder = "policies";

    /// <summary>The folder's full path.</summary>
    public string Folder { get; set; } = DefaultFolder;
}
