using System.Buffers.Text;
using System.Text;
using Microsoft.Extensions.Time.Testing;

namespace Tessera.Client.Tests;

/// <summary>A delegated token as a provider: used until it expires or a platform refuses it, never renewed.</summary>
public sealed class DelegatedTokenTests
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.FromUnixTimeSeconds(1_800_000_000));

    [Fact]
    public async Task FromToken_ReadsSubjectAndExpiry_AndHandsOutTheTokenUntilItExpires()
    {
        string jwt = Jwt("spiffe://tessera.test/agent/o/t/sub", 1_800_000_060);
        var delegated = DelegatedToken.FromToken(jwt, _time);

        Assert.Equal("spiffe://tessera.test/agent/o/t/sub", delegated.AgentId);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1_800_000_060), delegated.ExpiresAt);
        Assert.Equal(jwt, await delegated.GetTokenAsync("orders-api", default));

        _time.Advance(TimeSpan.FromSeconds(60));
        var ex = await Assert.ThrowsAsync<TesseraException>(() => delegated.GetTokenAsync("orders-api", default).AsTask());
        Assert.Equal("delegated_token_expired", ex.ErrorCode);
    }

    [Fact]
    public async Task RefreshAsync_ThrowsRevoked_AndTheTokenIsNotUsedAgain()
    {
        string jwt = Jwt("spiffe://tessera.test/agent/o/t/sub", 1_800_000_060);
        var delegated = DelegatedToken.FromToken(jwt, _time);

        await Assert.ThrowsAsync<TesseraRevokedException>(() => delegated.RefreshAsync("orders-api", jwt, default));
        await Assert.ThrowsAsync<TesseraRevokedException>(() => delegated.GetTokenAsync("orders-api", default).AsTask());
    }

    [Fact]
    public async Task RefreshAsync_SaysExpired_WhenRefusedInTheTokensLastSecond()
    {
        string jwt = Jwt("spiffe://tessera.test/agent/o/t/sub", 1_800_000_060);
        var delegated = DelegatedToken.FromToken(jwt, _time);
        _time.Advance(TimeSpan.FromSeconds(59.5));

        var ex = await Assert.ThrowsAsync<TesseraException>(() => delegated.RefreshAsync("orders-api", jwt, default));

        Assert.Equal("delegated_token_expired", ex.ErrorCode);
    }

    [Theory]
    [InlineData("not-a-jwt")]
    [InlineData("a.b.c")]
    [InlineData("eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ4In0.c2ln")]
    public void FromToken_Refuses_WhenThePayloadHasNoSubAndExp(string token) =>
        Assert.Throws<TesseraConfigurationException>(() => DelegatedToken.FromToken(token, _time));

    private static string Jwt(string subject, long exp)
    {
        static string Part(string json) => Base64Url.EncodeToString(Encoding.UTF8.GetBytes(json));
        return $"{Part("{\"alg\":\"EdDSA\",\"typ\":\"JWT\"}")}.{Part($"{{\"sub\":\"{subject}\",\"exp\":{exp}}}")}.c2lnbmF0dXJl";
    }
}
