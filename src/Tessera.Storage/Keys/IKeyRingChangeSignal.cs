namespace Tessera.Storage.Keys;

/// <summary>
/// Offered by a store that several broker processes share: tells this process that another one
/// may have changed a key ring, so it reloads at once and publishes the same keys.
/// </summary>
public interface IKeyRingChangeSignal
{
    /// <summary>
    /// Completes when a key ring may have changed after this property was read (also after a lost
    /// connection to the change source is re-established). Read it before reading the store.
    /// </summary>
    Task Changed { get; }
}
