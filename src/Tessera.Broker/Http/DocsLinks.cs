using Microsoft.Extensions.Options;
using Tessera.Broker.Configuration;
using Tessera.Errors;

namespace Tessera.Broker.Http;

/// <summary>Builds the <c>docs_url</c> of an error: the broker serves its own error reference.</summary>
/// <remarks>Reads the issuer per call: with port 0 it is final only once the server has bound.</remarks>
internal sealed class DocsLinks(IOptions<BrokerOptions> options)
{
    public string For(ErrorDescriptor error) => options.Value.Issuer.TrimEnd('/') + "/docs/" + error.DocsAnchor;
}
