using Tessera.Keys;

namespace Tessera.Broker.Keys;

/// <summary>A key ring in its key file: one broker owns it, so every save wins and nothing changes behind its back.</summary>
public sealed class FileSigningKeyStorage(string path, TimeProvider time) : ISigningKeyStorage
{
    /// <inheritdoc />
    public long? SharedVersion => null;

    /// <inheritdoc />
    public bool Exists => File.Exists(path);

    /// <inheritdoc />
    public SigningKeyRing LoadOrCreate(SigningAlgorithm algorithm) => SigningKeyFile.LoadOrCreate(path, algorithm, time);

    /// <inheritdoc />
    public bool TrySave(IReadOnlyList<SigningKey> keys)
    {
        SigningKeyFile.Write(path, keys);
        return true;
    }

    /// <inheritdoc />
    public IReadOnlyList<SigningKey>? ReloadIfChanged() => null;
}
