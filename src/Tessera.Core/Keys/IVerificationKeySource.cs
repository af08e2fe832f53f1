namespace Tessera.Keys;

/// <summary>Where a verifier finds public keys by <c>kid</c>: the broker's key ring or a JWKS cache.</summary>
public interface IVerificationKeySource
{
    /// <summary>Looks a key up by id; false when unknown.</summary>
    bool TryGetKey(string keyId, out VerificationKey? key);
}
