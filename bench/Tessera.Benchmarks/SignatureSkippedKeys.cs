using System.Text.Json;
using Tessera.Keys;

namespace Tessera.Benchmarks;

/// <summary>
/// A key source whose one key accepts every signature, so a benchmark over it measures
/// everything the verifier does except the signature arithmetic: the overhead the library
/// adds to the physical floor, without the floor's noise. Benchmarks only.
/// </summary>
internal sealed class SignatureSkippedKeys(VerificationKey real) : IVerificationKeySource
{
    private readonly SkippedKey _key = new(real);

    public bool TryGetKey(string keyId, out VerificationKey? key)
    {
        key = keyId == _key.KeyId ? _key : null;
        return key is not null;
    }

    private sealed class SkippedKey(VerificationKey real) : VerificationKey(real.KeyId, real.Algorithm)
    {
        public override bool Verify(ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature) => signature.Length > 0;

        private protected override void WriteKeyMembers(Utf8JsonWriter writer)
        {
        }
    }
}
