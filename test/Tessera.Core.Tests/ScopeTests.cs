using Tessera.Scopes;

namespace Tessera.Core.Tests;

public sealed class ScopeTests
{
    [Theory]
    [InlineData("orders:read")]
    [InlineData("read:data:customer-123")]
    [InlineData("a:b:c:d:e:f")]
    [InlineData("read:data:*")]
    [InlineData("*:*")]
    [InlineData("read:*:x")]
    [InlineData("Read.V2:data_set/eu-1:X9")]
    public void TryParse_Succeeds_WhenScopeFollowsGrammar(string text)
    {
        bool ok = Scope.TryParse(text, out var scope, out string? error);

        Assert.True(ok, error);
        Assert.Null(error);
        Assert.Equal(text, scope.Value);
        Assert.Equal(text, scope.ToString());
    }

    public static TheoryData<string, string, string> InvalidScopes => new()
    {
        { "empty", "", "scope must not be empty" },
        { "one segment", "orders", "invalid scope 'orders': expected action:resource:identifier or resource:action" },
        { "lone wildcard", "*", "invalid scope '*': expected action:resource:identifier or resource:action" },
        { "leading colon", ":read", "invalid scope ':read': empty segment" },
        { "trailing colon", "orders:read:", "invalid scope 'orders:read:': empty segment" },
        { "double colon", "read::x", "invalid scope 'read::x': empty segment" },
        { "only colon", ":", "invalid scope ':': empty segment" },
        { "wildcard suffix", "read:data:cust*", "invalid scope 'read:data:cust*': '*' must be a whole segment" },
        { "wildcard prefix", "*read:data", "invalid scope '*read:data': '*' must be a whole segment" },
        { "double wildcard", "read:**", "invalid scope 'read:**': '*' must be a whole segment" },
        { "space", "read:da ta", "invalid scope 'read:da ta': character not allowed" },
        { "comma", "read,write:data", "invalid scope 'read,write:data': character not allowed" },
        { "question mark", "read:data?x", "invalid scope 'read:data?x': character not allowed" },
        { "non-ascii letter", "read:dätä", "invalid scope 'read:d?t?': character not allowed" },
        { "newline is echoed as ?", "read:x\nevil", "invalid scope 'read:x?evil': character not allowed" },
        { "tab", "read:\tx", "invalid scope 'read:?x': character not allowed" },
        { "too long", "a:" + new string('b', Scope.MaxLength - 1), "scope longer than 256 characters" },
    };

    [Theory]
    [MemberData(nameof(InvalidScopes))]
    public void TryParse_FailsWithReason_WhenScopeBreaksGrammar(string name, string text, string expectedError)
    {
        bool ok = Scope.TryParse(text, out var scope, out string? error);

        Assert.False(ok, name);
        Assert.Equal(expectedError, error);
        Assert.Equal(default, scope);
    }

    [Fact]
    public void TryParse_Fails_WhenNull()
    {
        Assert.False(Scope.TryParse(null, out _, out string? error));
        Assert.Equal("scope must not be empty", error);
    }

    [Fact]
    public void TryParse_Succeeds_WhenExactlyMaxLength()
    {
        string text = "a:" + new string('b', Scope.MaxLength - 2);
        Assert.Equal(256, text.Length);

        Assert.True(Scope.TryParse(text, out var scope, out _));
        Assert.Equal(text, scope.Value);
    }

    [Fact]
    public void TryParse_TruncatesEchoedInput_WhenInvalidScopeIsLong()
    {
        string text = new string('a', 100) + " :b";

        Assert.False(Scope.TryParse(text, out _, out string? error));

        Assert.Equal($"invalid scope '{new string('a', 64)}...': character not allowed", error);
    }

    [Fact]
    public void Parse_ThrowsFormatExceptionWithReason_WhenInvalid()
    {
        var ex = Assert.Throws<FormatException>(() => Scope.Parse("orders"));
        Assert.Contains("expected action:resource:identifier", ex.Message);
    }

    [Fact]
    public void Equality_ComparesByValue_WhenParsedTwice()
    {
        Assert.Equal(Scope.Parse("orders:read"), Scope.Parse("orders:read"));
        Assert.NotEqual(Scope.Parse("orders:read"), Scope.Parse("Orders:read"));
    }

    [Fact]
    public void ToString_ReturnsEmpty_WhenDefault()
    {
        Assert.Equal(string.Empty, default(Scope).ToString());
    }

    [Theory]
    [InlineData("read:data:*", "read:data:customer-123")]
    [InlineData("read:data:*", "read:data:*")]
    [InlineData("read:*:*", "read:data:*")]
    [InlineData("*:*", "orders:read")]
    [InlineData("*:data:x", "write:data:x")]
    [InlineData("orders:read", "orders:read")]
    public void Covers_ReturnsTrue_WhenCeilingIncludesRequest(string ceiling, string requested)
    {
        Assert.True(Scope.Parse(ceiling).Covers(Scope.Parse(requested)));
    }

    [Theory]
    [InlineData("read:data:customer-123", "read:data:*", "a concrete scope never covers a wildcard")]
    [InlineData("read:data:*", "read:*:*", "narrow wildcard never covers a wider one")]
    [InlineData("read:data:*", "read:data", "fewer segments requested")]
    [InlineData("read:data:*", "read:data:x:y", "more segments requested")]
    [InlineData("read:*", "read:data:x", "wildcard matches exactly one segment")]
    [InlineData("*:*", "a:b:c", "segment count differs")]
    [InlineData("orders:read", "orders:write", "different action")]
    [InlineData("orders:read", "Orders:read", "case sensitive")]
    [InlineData("read:data:customer-1", "read:data:customer-12", "no prefix matching")]
    [InlineData("read:data:customer-12", "read:data:customer-1", "no prefix matching, other way")]
    public void Covers_ReturnsFalse_WhenRequestIsWiderOrDifferent(string ceiling, string requested, string because)
    {
        Assert.False(Scope.Parse(ceiling).Covers(Scope.Parse(requested)), because);
    }
}
