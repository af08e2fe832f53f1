using System.Reflection;
using System.Text.RegularExpressions;
using Tessera.Errors;

namespace Tessera.Core.Tests;

public sealed class ErrorCatalogTests
{
    public static TheoryData<string> Codes => [.. ErrorCatalog.All.Select(e => e.Code)];

    [Fact]
    public void All_HasUniqueCodes()
    {
        var codes = ErrorCatalog.All.Select(e => e.Code).ToList();

        Assert.Equal(codes.Count, codes.Distinct(StringComparer.Ordinal).Count());
    }

    [Fact]
    public void All_ContainsEveryPublicDescriptorField()
    {
        var fields = typeof(ErrorCatalog)
            .GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.FieldType == typeof(ErrorDescriptor))
            .Select(f => (ErrorDescriptor)f.GetValue(null)!)
            .ToList();

        Assert.Equal(fields.Count, ErrorCatalog.All.Count);
        Assert.All(fields, d => Assert.Contains(d, ErrorCatalog.All));
    }

    [Theory]
    [MemberData(nameof(Codes))]
    public void Entry_IsWellFormed_ForEveryCode(string code)
    {
        Assert.True(ErrorCatalog.TryGet(code, out var e));

        Assert.Matches(new Regex("^[a-z]+(_[a-z]+)*$"), e.Code);
        Assert.InRange(e.Status, 400, 599);
        Assert.False(string.IsNullOrWhiteSpace(e.Title));
        Assert.False(string.IsNullOrWhiteSpace(e.Cause));
        Assert.False(string.IsNullOrWhiteSpace(e.Fix));
        Assert.NotEqual(e.Cause, e.Fix);
        Assert.Equal("errors.md#" + code.Replace('_', '-'), e.DocsAnchor);
    }

    [Theory]
    [InlineData("invalid_request", 400)]
    [InlineData("invalid_scope_format", 400)]
    [InlineData("invalid_ttl", 400)]
    [InlineData("unauthorized", 401)]
    [InlineData("scope_violation", 403)]
    [InlineData("audience_not_allowed", 403)]
    [InlineData("insufficient_scope", 403)]
    [InlineData("not_found", 404)]
    [InlineData("method_not_allowed", 405)]
    [InlineData("payload_too_large", 413)]
    [InlineData("unsupported_media_type", 415)]
    [InlineData("rate_limited", 429)]
    [InlineData("internal_error", 500)]
    [InlineData("service_unavailable", 503)]
    public void TryGet_ReturnsDescriptorWithStatus_WhenCodeKnown(string code, int status)
    {
        Assert.True(ErrorCatalog.TryGet(code, out var descriptor));
        Assert.Equal(code, descriptor.Code);
        Assert.Equal(status, descriptor.Status);
    }

    [Theory]
    [InlineData("")]
    [InlineData("INVALID_REQUEST")]
    [InlineData("invalid-request")]
    [InlineData("no_such_code")]
    public void TryGet_ReturnsFalseWithInternalError_WhenCodeUnknown(string code)
    {
        Assert.False(ErrorCatalog.TryGet(code, out var descriptor));
        Assert.Same(ErrorCatalog.InternalError, descriptor);
    }

    [Fact]
    public void StaticFields_MatchTheirCodes()
    {
        Assert.Equal("invalid_scope_format", ErrorCatalog.InvalidScopeFormat.Code);
        Assert.Equal("scope_violation", ErrorCatalog.ScopeViolation.Code);
        Assert.Equal("service_unavailable", ErrorCatalog.ServiceUnavailable.Code);
    }

    [Fact]
    public void Failure_CarriesDescriptorDetailAndOptionalHint()
    {
        var failure = new Failure(ErrorCatalog.ScopeViolation, "scope orders:write not covered");

        Assert.Same(ErrorCatalog.ScopeViolation, failure.Error);
        Assert.Equal("scope orders:write not covered", failure.Detail);
        Assert.Null(failure.Hint);
        Assert.Equal("try orders:read", (failure with { Hint = "try orders:read" }).Hint);
    }
}
