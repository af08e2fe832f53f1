using System.Security.Cryptography;

namespace Tessera.Cli.Commands;

/// <summary>Generates admin secrets: 256 random bits, URL-safe, with a recognisable prefix.</summary>
internal static class AdminSecretGenerator
{
    public static string Generate() => "tsr_admin_" + System.Buffers.Text.Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));

    public static string Hash(string secret, int cost = 12) => BCrypt.Net.BCrypt.HashPassword(secret, cost);
}
