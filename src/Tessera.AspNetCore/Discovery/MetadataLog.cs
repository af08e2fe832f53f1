using Microsoft.Extensions.Logging;

namespace Tessera.AspNetCore.Discovery;

/// <summary>Log lines of discovery (event ids 5208–5214). Values from the broker's document are cut and sanitized by the caller.</summary>
internal static partial class MetadataLog
{
    [LoggerMessage(EventId = 5208, Level = LogLevel.Warning,
        Message = "Tessera: ValidIssuers pins '{Pinned}' but the broker's metadata at {MetadataUri} names issuer '{Discovered}'; the pinned value wins. Tokens carry the broker's issuer: remove ValidIssuers to follow the metadata, or fix the broker's issuer")]
    public static partial void PinnedIssuerDiffers(ILogger logger, string pinned, string discovered, Uri metadataUri);

    [LoggerMessage(EventId = 5209, Level = LogLevel.Warning,
        Message = "Tessera: JwksUri pins '{Pinned}' but the broker's metadata at {MetadataUri} names jwks_uri '{Discovered}'; the pinned value wins")]
    public static partial void PinnedJwksDiffers(ILogger logger, Uri pinned, string discovered, Uri metadataUri);

    [LoggerMessage(EventId = 5210, Level = LogLevel.Warning,
        Message = "Tessera: refusing jwks_uri '{JwksUri}' from the broker's metadata at {MetadataUri}: it must be https, or http to a loopback host unless AllowInsecureHttp is set; keys stay at {Kept}")]
    public static partial void JwksRefused(ILogger logger, string jwksUri, Uri metadataUri, Uri kept);

    [LoggerMessage(EventId = 5211, Level = LogLevel.Warning,
        Message = "Tessera: ignoring issuer '{Issuer}' in the broker's metadata at {MetadataUri}: it must be an absolute http(s) URL of at most {MaxLength} characters")]
    public static partial void IssuerIgnored(ILogger logger, string issuer, Uri metadataUri, int maxLength);

    [LoggerMessage(EventId = 5212, Level = LogLevel.Information,
        Message = "Tessera: the broker publishes no metadata at {MetadataUri} (404); accepting the Authority '{Authority}' as issuer and fetching keys from {JwksUri}")]
    public static partial void Absent(ILogger logger, Uri metadataUri, string authority, Uri jwksUri);

    [LoggerMessage(EventId = 5213, Level = LogLevel.Warning,
        Message = "Tessera: the broker's metadata at {MetadataUri} could not be read ({Cause}); keeping {Kept}")]
    public static partial void FetchFailed(ILogger logger, Uri metadataUri, string cause, string kept);

    [LoggerMessage(EventId = 5214, Level = LogLevel.Information,
        Message = "Tessera: accepting issuer '{Issuer}' ({Origin})")]
    public static partial void IssuerAccepted(ILogger logger, string issuer, string origin);
}
