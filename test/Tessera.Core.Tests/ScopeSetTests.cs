using Tessera.Scopes;

namespace Tessera.Core.Tests;

public sealed class ScopeSetTests
{
    [Fact]
    public void TryParse_RemovesDuplicatesKeepingFirstOrder_WhenScopesRepeat()
    {
        Assert.True(ScopeSet.TryParse(["b:x", "a:y", "b:x", "c:z", "a:y"], out var set, out string? error), error);

        Assert.Equal(3, set.Count);
        Assert.Equal(["b:x", "a:y", "c:z"], set.ToArray());
        Assert.Equal(["b:x", "a:y", "c:z"], set.Items.Select(s => s.Value));
    }

    [Fact]
    public void TryParse_TreatsCaseAsDistinct_WhenScopesDifferOnlyInCase()
    {
        Assert.True(ScopeSet.TryParse(["orders:read", "Orders:read"], out var set, out _));
        Assert.Equal(2, set.Count);
    }

    [Fact]
    public void TryParse_FailsWithScopeError_WhenOneScopeIsMalformed()
    {
        bool ok = ScopeSet.TryParse(["orders:read", "orders", "bad scope:x"], out var set, out string? error);

        Assert.False(ok);
        Assert.Null(set);
        Assert.Equal("invalid scope 'orders': expected action:resource:identifier or resource:action", error);
    }

    [Fact]
    public void TryParse_Fails_WhenAnElementIsNull()
    {
        Assert.False(ScopeSet.TryParse(["orders:read", null], out _, out string? error));
        Assert.Equal("scope must not be empty", error);
    }

    [Fact]
    public void TryParse_Throws_WhenListIsNull()
    {
        Assert.Throws<ArgumentNullException>(() => ScopeSet.TryParse(null!, out _, out _));
    }

    [Fact]
    public void TryParse_ReturnsEmptySet_WhenListIsEmpty()
    {
        Assert.True(ScopeSet.TryParse([], out var set, out _));
        Assert.Equal(0, set.Count);
        Assert.Equal(string.Empty, set.ToString());
    }

    [Fact]
    public void TryParse_Succeeds_WhenExactlyMaxCount()
    {
        var values = Enumerable.Range(0, ScopeSet.MaxCount).Select(i => $"read:item-{i}").ToArray();

        Assert.True(ScopeSet.TryParse(values, out var set, out string? error), error);
        Assert.Equal(128, set.Count);
    }

    [Fact]
    public void TryParse_Fails_WhenMoreThanMaxCountDistinctScopes()
    {
        var values = Enumerable.Range(0, ScopeSet.MaxCount + 1).Select(i => $"read:item-{i}").ToArray();

        Assert.False(ScopeSet.TryParse(values, out var set, out string? error));
        Assert.Null(set);
        Assert.Equal("more than 128 scopes", error);
    }

    [Fact]
    public void TryParse_Succeeds_WhenManyDuplicatesStayUnderMaxCount()
    {
        var values = Enumerable.Range(0, 1000).Select(i => $"read:item-{i % 10}").ToArray();

        Assert.True(ScopeSet.TryParse(values, out var set, out _));
        Assert.Equal(10, set.Count);
    }

    [Theory]
    [InlineData("read:data:* orders:read", new[] { "read:data:*", "orders:read" })]
    [InlineData("  read:data:*   orders:read  ", new[] { "read:data:*", "orders:read" })]
    [InlineData("orders:read orders:read", new[] { "orders:read" })]
    [InlineData(" ", new string[0])]
    public void TryParseSpaceDelimited_SplitsOnSpaces_WhenValid(string text, string[] expected)
    {
        Assert.True(ScopeSet.TryParseSpaceDelimited(text, out var set, out string? error), error);
        Assert.Equal(expected, set.ToArray());
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    public void TryParseSpaceDelimited_ReturnsEmpty_WhenNullOrEmpty(string? text)
    {
        Assert.True(ScopeSet.TryParseSpaceDelimited(text, out var set, out string? error));
        Assert.Null(error);
        Assert.Same(ScopeSet.Empty, set);
    }

    [Theory]
    [InlineData("orders:read\torders:write", "invalid scope 'orders:read?orders:write': character not allowed")]
    [InlineData("orders:read orders", "invalid scope 'orders': expected action:resource:identifier or resource:action")]
    [InlineData("orders:read,orders:write", "invalid scope 'orders:read,orders:write': character not allowed")]
    public void TryParseSpaceDelimited_Fails_WhenNotSpaceSeparatedScopes(string text, string expectedError)
    {
        Assert.False(ScopeSet.TryParseSpaceDelimited(text, out _, out string? error));
        Assert.Equal(expectedError, error);
    }

    [Fact]
    public void ToString_RoundTripsThroughSpaceDelimitedParse_WhenSetIsValid()
    {
        var set = ScopeSet.Of("read:data:*", "orders:read", "admin:launch-tokens:*");

        Assert.Equal("read:data:* orders:read admin:launch-tokens:*", set.ToString());
        Assert.True(ScopeSet.TryParseSpaceDelimited(set.ToString(), out var again, out _));
        Assert.Equal(set.ToArray(), again.ToArray());
    }

    [Fact]
    public void Of_ThrowsFormatException_WhenAScopeIsInvalid()
    {
        Assert.Throws<FormatException>(() => ScopeSet.Of("orders:read", "nope"));
    }

    [Fact]
    public void CoversScope_ReturnsTrue_WhenAnyMemberCovers()
    {
        var ceiling = ScopeSet.Of("orders:read", "read:data:*");

        Assert.True(ceiling.Covers(Scope.Parse("read:data:customer-123")));
        Assert.True(ceiling.Covers(Scope.Parse("orders:read")));
        Assert.False(ceiling.Covers(Scope.Parse("orders:write")));
        Assert.False(ceiling.Covers(Scope.Parse("read:*:x")));
    }

    [Fact]
    public void CoversSet_ReturnsTrue_WhenEveryRequestedScopeIsCovered()
    {
        var ceiling = ScopeSet.Of("read:data:*", "orders:read");
        var requested = ScopeSet.Of("read:data:customer-123", "read:data:customer-456", "orders:read");

        Assert.True(ceiling.Covers(requested));
        Assert.Null(ceiling.FirstUncovered(requested));
    }

    [Fact]
    public void FirstUncovered_ReturnsFirstMissingInRequestOrder_WhenSomeAreNotCovered()
    {
        var ceiling = ScopeSet.Of("read:data:*", "orders:read");
        var requested = ScopeSet.Of("orders:read", "write:data:x", "read:data:*", "orders:write");

        Assert.False(ceiling.Covers(requested));
        Assert.Equal(Scope.Parse("write:data:x"), ceiling.FirstUncovered(requested));
    }

    [Fact]
    public void FirstUncovered_ReportsWildcard_WhenCeilingIsConcreteButRequestIsWildcard()
    {
        var ceiling = ScopeSet.Of("read:data:customer-123");
        var requested = ScopeSet.Of("read:data:*");

        Assert.Equal(Scope.Parse("read:data:*"), ceiling.FirstUncovered(requested));
    }

    [Fact]
    public void Covers_ReturnsTrue_WhenRequestIsEmpty()
    {
        Assert.True(ScopeSet.Empty.Covers(ScopeSet.Empty));
        Assert.True(ScopeSet.Of("orders:read").Covers(ScopeSet.Empty));
    }

    [Fact]
    public void Covers_ReturnsFalse_WhenCeilingIsEmpty()
    {
        Assert.False(ScopeSet.Empty.Covers(ScopeSet.Of("orders:read")));
        Assert.False(ScopeSet.Empty.Covers(Scope.Parse("orders:read")));
    }

    [Fact]
    public void CoversSet_Throws_WhenRequestIsNull()
    {
        Assert.Throws<ArgumentNullException>(() => ScopeSet.Empty.Covers((ScopeSet)null!));
        Assert.Throws<ArgumentNullException>(() => ScopeSet.Empty.FirstUncovered(null!));
    }
}
