using Tessera.Tokens;

namespace Tessera.Core.Tests;

/// <summary>The one Authorization-header reader the broker and the verification library share.</summary>
public sealed class BearerHeaderTests
{
    [Theory]
    [InlineData("canonical", "Bearer abc", "abc")]
    [InlineData("lower_case_scheme", "bearer abc", "abc")]
    [InlineData("upper_case_scheme", "BEARER abc", "abc")]
    [InlineData("extra_spaces_trimmed", "Bearer   abc  ", "abc")]
    [InlineData("empty_token", "Bearer ", "")]
    [InlineData("inner_space_kept", "Bearer a b", "a b")]
    public void TryRead_ReturnsTrimmedToken_WhenBearerScheme(string name, string header, string expected)
    {
        _ = name;
        Assert.True(BearerHeader.TryRead(header, out string token));
        Assert.Equal(expected, token);
    }

    [Theory]
    [InlineData("null", null)]
    [InlineData("empty", "")]
    [InlineData("scheme_only", "Bearer")]
    [InlineData("tab_separator", "Bearer\tabc")]
    [InlineData("basic", "Basic abc")]
    [InlineData("no_separator", "Bearerabc")]
    [InlineData("leading_space", " Bearer abc")]
    public void TryRead_ReturnsFalse_WhenNotBearerScheme(string name, string? header)
    {
        _ = name;
        Assert.False(BearerHeader.TryRead(header, out string token));
        Assert.Equal("", token);
        Assert.False(BearerHeader.HasBearerScheme(header));
    }
}
