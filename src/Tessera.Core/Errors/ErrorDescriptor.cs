namespace Tessera.Errors;

/// <summary>
/// One entry of the error catalog: a stable machine-readable code with its HTTP status and
/// the text an operator or developer needs to act on it. Codes never change once released.
/// </summary>
/// <param name="Code">The stable code carried as <c>error_code</c>.</param>
/// <param name="Status">The HTTP status the code is answered with.</param>
/// <param name="Title">A short human title.</param>
/// <param name="Cause">What usually causes it.</param>
/// <param name="Fix">What to do about it.</param>
public sealed record ErrorDescriptor(string Code, int Status, string Title, string Cause, string Fix)
{
    /// <summary>The documentation anchor for this code, relative to the docs root.</summary>
    public string DocsAnchor => "errors.md#" + Code.Replace('_', '-').ToLowerInvariant();
}
