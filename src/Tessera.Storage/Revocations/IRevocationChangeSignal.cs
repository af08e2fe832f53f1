namespace Tessera.Storage.Revocations;

/// <summary>
/// Offered by a store that several broker processes share: tells this process that another one
/// may have committed revocations, so it reads the feed again at once instead of on a timer.
/// </summary>
public interface IRevocationChangeSignal
{
    /// <summary>
    /// Completes when revocations may have been committed after this property was read (also after
    /// a lost connection to the change source is re-established, since changes may have been missed).
    /// Read it before reading the store, so a commit between the read and the wait still wakes the reader.
    /// </summary>
    Task Changed { get; }
}
