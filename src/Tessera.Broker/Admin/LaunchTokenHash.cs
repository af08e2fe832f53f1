using System.Security.Cryptography;
using System.Text;

namespace Tessera.Broker.Admin;

/// <summary>Launch tokens are 256-bit random values, so a fast SHA-256 is the right at-rest hash (a slow hash protects guessable secrets, not random ones).</summary>
internal static class LaunchTokenHash
{
    public static string Of(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));
}
