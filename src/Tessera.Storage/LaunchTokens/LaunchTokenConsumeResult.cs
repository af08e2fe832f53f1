namespace Tessera.Storage.LaunchTokens;

/// <summary>The outcome of an atomic launch-token use.</summary>
public enum LaunchTokenConsumeResult
{
    /// <summary>Used; for a single-use token, nobody else will get it.</summary>
    Consumed,

    /// <summary>No such token.</summary>
    NotFound,

    /// <summary>Past its expiry.</summary>
    Expired,

    /// <summary>Single-use and already used.</summary>
    AlreadyConsumed,
}
