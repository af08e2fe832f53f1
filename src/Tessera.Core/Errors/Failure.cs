namespace Tessera.Errors;

/// <summary>
/// A refusal as data: a catalog entry plus the detail for this occurrence and an optional
/// hint. Core and broker services return these instead of throwing.
/// </summary>
/// <param name="Error">The catalog entry.</param>
/// <param name="Detail">What went wrong this time; never contains a secret.</param>
/// <param name="Hint">An actionable suggestion, when one helps.</param>
public sealed record Failure(ErrorDescriptor Error, string Detail, string? Hint = null);
