using Tessera.Broker.Revocation;
using Tessera.Errors;

namespace Tessera.Broker.Tests;

public sealed class RevocationValidationTests
{
    [Fact]
    public void CheckRevokeRequest_AcceptsEachLevel()
    {
        foreach (string level in new[] { "token", "agent", "task", "chain", "app" })
        {
            Assert.Null(RevocationValidation.CheckRevokeRequest(new RevokeRequest { Level = level, Target = "x-1" }));
        }
    }

    [Fact]
    public void CheckRevokeRequest_RequiresLevelAndTarget()
    {
        var failure = RevocationValidation.CheckRevokeRequest(new RevokeRequest { Level = "token" });

        Assert.Equal(ErrorCatalog.InvalidRequest, failure!.Error);
        Assert.Equal("level and target are required", failure.Detail);
    }

    [Fact]
    public void CheckRevokeRequest_NamesAnUnknownLevel_UnlessUnprintable()
    {
        var unknown = RevocationValidation.CheckRevokeRequest(new RevokeRequest { Level = "platform", Target = "x" });
        Assert.Equal("invalid revocation level: platform", unknown!.Detail);
        Assert.Equal("use token, agent, task, chain or app", unknown.Hint);

        var unprintable = RevocationValidation.CheckRevokeRequest(new RevokeRequest { Level = "a\u0007b", Target = "x" });
        Assert.Equal("invalid revocation level: (unprintable)", unprintable!.Detail);
    }

    [Theory]
    [InlineData("has space")]
    [InlineData("tab\there")]
    public void CheckRevokeRequest_RefusesATargetWithSpaces(string target)
    {
        var failure = RevocationValidation.CheckRevokeRequest(new RevokeRequest { Level = "task", Target = target });

        Assert.Equal("target must be at most 512 characters without spaces", failure!.Detail);
    }

    [Fact]
    public void CheckRevokeRequest_RefusesATooLongTarget_AndAdminAsAnAgent()
    {
        Assert.NotNull(RevocationValidation.CheckRevokeRequest(new RevokeRequest { Level = "token", Target = new string('a', 513) }));
        Assert.Null(RevocationValidation.CheckRevokeRequest(new RevokeRequest { Level = "token", Target = new string('a', 512) }));

        var admin = RevocationValidation.CheckRevokeRequest(new RevokeRequest { Level = "agent", Target = "admin" });
        Assert.Equal("admin tokens are revoked one by one (level token, target the jti), not as an agent", admin!.Detail);
        Assert.Null(RevocationValidation.CheckRevokeRequest(new RevokeRequest { Level = "token", Target = "admin" }));
    }

    [Fact]
    public void Reason_DefaultsWhenBlank_CutsAt200_AndDropsControlCharacters()
    {
        Assert.Equal("revoked by operator", RevocationValidation.Reason(null));
        Assert.Equal("revoked by operator", RevocationValidation.Reason("  "));
        Assert.Equal("leakedkey", RevocationValidation.Reason("leaked\nkey"));
        Assert.Equal(new string('r', 200), RevocationValidation.Reason(new string('r', 250)));

        // Cut first, then cleaned: control characters within the first 200 take no room.
        Assert.Equal(new string('r', 199), RevocationValidation.Reason("\u0001" + new string('r', 250)));
    }

    [Fact]
    public void CheckCursor_DefaultsAndParses()
    {
        Assert.Null(RevocationValidation.CheckCursor(null, null, out long since, out int limit));
        Assert.Equal(0, since);
        Assert.Equal(500, limit);

        Assert.Null(RevocationValidation.CheckCursor("42", "1000", out since, out limit));
        Assert.Equal(42, since);
        Assert.Equal(1000, limit);
    }

    [Theory]
    [InlineData("")]
    [InlineData("-1")]
    [InlineData("+3")]
    [InlineData("1,2")]
    public void CheckCursor_RefusesASinceThatIsNoCursor(string since)
    {
        var failure = RevocationValidation.CheckCursor(since, null, out _, out _);

        Assert.Equal(ErrorCatalog.InvalidRequest, failure!.Error);
        Assert.Equal("since must be a cursor returned as next_cursor (a non-negative integer)", failure.Detail);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("1001")]
    [InlineData("")]
    [InlineData("ten")]
    public void CheckCursor_RefusesALimitOutOfRange(string limit)
    {
        var failure = RevocationValidation.CheckCursor(null, limit, out _, out _);

        Assert.Equal("limit must be between 1 and 1000", failure!.Detail);
    }
}
