namespace Tessera.Storage.Nonces;

/// <summary>The outcome of an atomic nonce use.</summary>
public enum NonceConsumeResult
{
    /// <summary>Used now; valid.</summary>
    Consumed,

    /// <summary>Unknown, or known but past its expiry (it is used up either way).</summary>
    NotFoundOrExpired,

    /// <summary>Used before.</summary>
    AlreadyConsumed,
}
