namespace Tessera.Broker.Tests;

/// <summary>The exception classes of MudraID's agent SDK that a test can meet (facts.md §1.2, §2.5).</summary>
public enum MudraIdSdkErrorKind
{
    /// <summary>MudraIDAuthError: a 401, body not read.</summary>
    Auth,

    /// <summary>MudraIDRevokedError: a 403 from the 1.x control plane, or a 400 with <c>error</c> from the 2.x token endpoint.</summary>
    Revoked,

    /// <summary>MudraIDRateLimitedError: a 429.</summary>
    RateLimited,

    /// <summary>MudraIDBillingFrozenError: a 402.</summary>
    BillingFrozen,

    /// <summary>MudraIDNetworkError: transport failure, a redirect, a 404, any other status, or a body that is not JSON.</summary>
    Network,

    /// <summary>MudraIDPlatformNotRegisteredError: the request's host is in no discovered entry (raised before any mint).</summary>
    PlatformNotRegistered,
}

/// <summary>What the SDK would raise, with the fields it reads from the answer.</summary>
public sealed class MudraIdSdkException : Exception
{
    public MudraIdSdkException()
    {
    }

    public MudraIdSdkException(string message)
        : base(message)
    {
    }

    public MudraIdSdkException(string message, Exception inner)
        : base(message, inner)
    {
    }

    public MudraIdSdkException(MudraIdSdkErrorKind kind, string message, int status, string? errorCode = null, int? retryAfterSeconds = null)
        : base(message)
    {
        Kind = kind;
        Status = status;
        ErrorCode = errorCode;
        RetryAfterSeconds = retryAfterSeconds;
    }

    public MudraIdSdkErrorKind Kind { get; }

    /// <summary>The HTTP status behind it (0 when none).</summary>
    public int Status { get; }

    /// <summary><c>error_code</c> (or <c>code</c>) of the body, or the OAuth <c>error</c> at the 2.x token endpoint.</summary>
    public string? ErrorCode { get; }

    /// <summary><c>int(Retry-After)</c> in delta-seconds form, else null.</summary>
    public int? RetryAfterSeconds { get; }
}
