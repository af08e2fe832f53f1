using Microsoft.AspNetCore.Http;

namespace Tessera.AspNetCore.Authentication;

/// <summary>Hooks of the Tessera scheme: each is a delegate and a virtual method, as in JwtBearer.</summary>
public class TesseraAuthenticationEvents
{
    /// <summary>Called after a token verified, before the principal is used.</summary>
    public Func<TokenVerifiedContext, Task> OnTokenVerified { get; set; } = _ => Task.CompletedTask;

    /// <summary>Called when verification failed, with the stable code.</summary>
    public Func<VerificationFailedContext, Task> OnVerificationFailed { get; set; } = _ => Task.CompletedTask;

    /// <summary>Invokes <see cref="OnTokenVerified"/>.</summary>
    public virtual Task TokenVerified(TokenVerifiedContext context) => OnTokenVerified(context);

    /// <summary>Invokes <see cref="OnVerificationFailed"/>.</summary>
    public virtual Task VerificationFailed(VerificationFailedContext context) => OnVerificationFailed(context);
}

/// <summary>A token verified.</summary>
/// <param name="HttpContext">The request.</param>
/// <param name="Claims">The verified claims.</param>
public sealed record TokenVerifiedContext(HttpContext HttpContext, Tessera.Tokens.AccessTokenClaims Claims);

/// <summary>Verification failed.</summary>
/// <param name="HttpContext">The request.</param>
/// <param name="Error">The stable error.</param>
public sealed record VerificationFailedContext(HttpContext HttpContext, Errors.VerifierError Error);
