namespace Tessera.Client;

/// <summary>
/// A refusal or failure reported by the Tessera broker (or a configuration mistake found before
/// any call). Carries the broker's stable <see cref="ErrorCode"/> and what it said about the cause.
/// </summary>
public class TesseraException : Exception
{
    /// <summary>Creates an exception without broker details.</summary>
    public TesseraException()
        : this("Tessera request failed")
    {
    }

    /// <summary>Creates an exception with a message.</summary>
    public TesseraException(string message)
        : this(message, null)
    {
    }

    /// <summary>Creates an exception with a message and its cause.</summary>
    public TesseraException(string message, Exception? innerException)
        : base(message, innerException)
    {
        ErrorCode = "client_error";
    }

    /// <summary>Creates an exception from the broker's answer.</summary>
    public TesseraException(string message, string errorCode, int status, string? requestId, string? hint, string? docsUrl, TimeSpan? retryAfter, Exception? innerException = null)
        : base(message, innerException)
    {
        ErrorCode = errorCode;
        Status = status;
        RequestId = requestId;
        Hint = hint;
        DocsUrl = docsUrl;
        RetryAfter = retryAfter;
    }

    /// <summary>The broker's stable error code (see docs/errors.md), or <c>client_error</c> for a local failure.</summary>
    public string ErrorCode { get; }

    /// <summary>The HTTP status of the broker's answer; 0 when no answer was received.</summary>
    public int Status { get; }

    /// <summary>The broker's request id, to find the request in its log and audit trail.</summary>
    public string? RequestId { get; }

    /// <summary>What the broker suggests doing about it.</summary>
    public string? Hint { get; }

    /// <summary>Where the error code is documented.</summary>
    public string? DocsUrl { get; }

    /// <summary>How long the broker asked to wait (429 and 503).</summary>
    public TimeSpan? RetryAfter { get; }
}

/// <summary>The broker refused because a rate limit was reached; wait <see cref="TesseraException.RetryAfter"/>.</summary>
public sealed class TesseraRateLimitedException : TesseraException
{
    /// <summary>Creates the exception.</summary>
    public TesseraRateLimitedException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public TesseraRateLimitedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and cause.</summary>
    public TesseraRateLimitedException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception from the broker's answer.</summary>
    public TesseraRateLimitedException(string message, string errorCode, int status, string? requestId, string? hint, string? docsUrl, TimeSpan? retryAfter)
        : base(message, errorCode, status, requestId, hint, docsUrl, retryAfter)
    {
    }
}

/// <summary>
/// The agent, its credentials or its token were revoked or suspended: retrying will not help
/// until an operator acts (or, for a registered agent, until it registers again).
/// </summary>
public sealed class TesseraRevokedException : TesseraException
{
    /// <summary>Creates the exception.</summary>
    public TesseraRevokedException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public TesseraRevokedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and cause.</summary>
    public TesseraRevokedException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception from the broker's answer.</summary>
    public TesseraRevokedException(string message, string errorCode, int status, string? requestId, string? hint, string? docsUrl)
        : base(message, errorCode, status, requestId, hint, docsUrl, null)
    {
    }
}

/// <summary>The SDK is configured in a way it refuses to run with (missing credentials, plain HTTP to a remote host, a request to an origin that is not one of the agent's platforms, credentials in the broker URL, a key file other users can read).</summary>
public sealed class TesseraConfigurationException : TesseraException
{
    /// <summary>Creates the exception.</summary>
    public TesseraConfigurationException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public TesseraConfigurationException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and cause.</summary>
    public TesseraConfigurationException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>
    /// Creates the exception with a message and a stable code naming the refusal (for example
    /// <c>origin_not_allowed</c>, <c>broker_url_has_credentials</c>, <c>key_file_too_open</c>).
    /// </summary>
    public TesseraConfigurationException(string message, string errorCode)
        : base(message, errorCode, 0, null, null, null, null)
    {
    }
}
