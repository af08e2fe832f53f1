using Tessera.Errors;

namespace Tessera.Broker.Http;

/// <summary>Builds the <c>docs_url</c> of an error: the broker serves its own error reference.</summary>
internal sealed class DocsLinks(string baseUrl)
{
    private readonly string _base = baseUrl.TrimEnd('/') + "/docs/";

    public string For(ErrorDescriptor error) => _base + error.DocsAnchor;
}
