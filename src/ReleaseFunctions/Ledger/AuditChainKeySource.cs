using System.Security.Cryptography;
using System.Text;
using ReleaseFunctions.Core.Audit;
using ReleaseFunctions.Hosting.Settings;

namespace ReleaseFunctions.Ledger;

/// <summary>
/// The key the audit chain is sealed and verified with: <see cref="ReleaseLedgerOptions.ChainKey"/> when set, else
/// the key in <see cref="ReleaseLedgerOptions.ChainKeyPath"/>, generated there once (48 random bytes as base64 text,
/// readable by the file's owner only) and read again on every start. It is kept apart from the ledger's database, so
/// someone who can rewrite the trail's file does not thereby hold the key. Read at first use and then kept; a
/// failure to read or create the file is thrown to that use and tried again on the next.
/// </summary>
public sealed class AuditChainKeySource
{
    private readonly ReleaseLedgerOptions _options;
    private readonly Lock _gate = new();
    private AuditChainKey? _key;

    public AuditChainKeySource(ReleaseLedgerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
    }

    private AuditChainKeySource(AuditChainKey key)
    {
        _options = new ReleaseLedgerOptions();
        _key = key;
    }

    /// <summary>A source that always gives <paramref name="key"/> (tests, tools).</summary>
    public static AuditChainKeySource Fixed(AuditChainKey key) => new(key ?? throw new ArgumentNullException(nameof(key)));

    public AuditChainKey Key
    {
        get
        {
            lock (_gate)
            {
                return _key ??= Load();
            }
        }
    }

    /// <summary>What is wrong with the configured or kept key (for start-up validation), or null; creates nothing.</summary>
    internal static string? Problem(ReleaseLedgerOptions options)
    {
        if (options.ChainKey is { } configured)
        {
            var bytes = AuditChainKey.ByteCount(configured);
            return bytes >= AuditChainKey.MinimumBytes
                ? null
                : $"{SettingKeys.Of("Audit", "ChainKey")} has {bytes} byte(s); expected a random secret of at least {AuditChainKey.MinimumBytes} bytes (its UTF-8), e.g. the output of 'openssl rand -base64 48'.";
        }

        var path = options.ChainKeyPath;
        try
        {
            return File.Exists(path) && AuditChainKey.ByteCount(File.ReadAllText(path).Trim()) is var kept && kept < AuditChainKey.MinimumBytes
                ? $"The audit chain key file {path} holds {kept} byte(s); expected at least {AuditChainKey.MinimumBytes}. Restore the file this ledger's trails were sealed with, or set {SettingKeys.Of("Audit", "ChainKey")}."
                : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"The audit chain key file {path} cannot be read ({e.Message}); expected a file the app can read, or set {SettingKeys.Of("Audit", "ChainKey")}.";
        }
    }

    private AuditChainKey Load()
    {
        if (Problem(_options) is { } problem)
        {
            throw new InvalidOperationException(problem);
        }

        if (_options.ChainKey is { } configured)
        {
            return AuditChainKey.FromText(configured);
        }

        var path = _options.ChainKeyPath;
        if (!File.Exists(path))
        {
            Create(path);
        }

        return AuditChainKey.FromText(File.ReadAllText(path).Trim());
    }

    /// <summary>Writes a new key to a file of its own and moves it into place unless another process was first.</summary>
    private static void Create(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var draft = $"{path}.{Guid.NewGuid():N}.tmp";
        try
        {
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            using (var file = new FileStream(draft, options))
            {
                file.Write(Encoding.UTF8.GetBytes(Convert.ToBase64String(RandomNumberGenerator.GetBytes(48)) + "\n"));
                file.Flush(flushToDisk: true);
            }

            try
            {
                File.Move(draft, path, overwrite: false);
            }
            catch (IOException) when (File.Exists(path))
            {
                // Another instance sharing the folder created it first: its key is the one.
            }
        }
        finally
        {
            File.Delete(draft);
        }
    }
}
