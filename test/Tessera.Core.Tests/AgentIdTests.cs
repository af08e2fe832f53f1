using System.Text.RegularExpressions;
using Tessera.Identity;

namespace Tessera.Core.Tests;

public sealed class AgentIdTests
{
    private static readonly TrustDomain Domain = TrustDomain.Parse("tessera.local");

    [Fact]
    public void Create_ReturnsSpiffeIdWithRandomHexInstance_WhenSegmentsAreValid()
    {
        var id = AgentId.Create(Domain, "orch-1", "task_9.a");

        Assert.Matches(new Regex("^spiffe://tessera\\.local/agent/orch-1/task_9\\.a/[0-9a-f]{16}$"), id.Value);
        Assert.Equal(id.Value, id.ToString());
    }

    [Fact]
    public void Create_DrawsFreshInstance_WhenCalledTwiceWithSameInput()
    {
        var a = AgentId.Create(Domain, "orch", "task");
        var b = AgentId.Create(Domain, "orch", "task");

        Assert.NotEqual(a, b);
        Assert.Equal(a.Value[..^16], b.Value[..^16]);
    }

    [Fact]
    public void TryParse_AcceptsAndPreserves_WhenGivenCreatedId()
    {
        var id = AgentId.Create(Domain, "orch-1", "task-1");

        Assert.True(AgentId.TryParse(id.Value, out var parsed));
        Assert.Equal(id, parsed);
        Assert.Equal(id.Value, parsed.Value);
    }

    [Theory]
    [InlineData("spiffe://tessera.local/agent/orch-1/task-1/0123456789abcdef")]
    [InlineData("spiffe://td/agent/O.r_c-h/T/0123456789abcdef")]
    public void TryParse_Accepts_WhenWellFormed(string text)
    {
        Assert.True(AgentId.TryParse(text, out var id));
        Assert.Equal(text, id.Value);
    }

    public static TheoryData<string, string?> Malformed => new()
    {
        { "null", null },
        { "empty", "" },
        { "wrong scheme", "https://tessera.local/agent/o/t/0123456789abcdef" },
        { "scheme case", "SPIFFE://tessera.local/agent/o/t/0123456789abcdef" },
        { "scheme only", "spiffe://" },
        { "no path", "spiffe://tessera.local" },
        { "empty trust domain", "spiffe:///agent/o/t/0123456789abcdef" },
        { "uppercase trust domain", "spiffe://Tessera.local/agent/o/t/0123456789abcdef" },
        { "port in trust domain", "spiffe://tessera.local:8443/agent/o/t/0123456789abcdef" },
        { "userinfo", "spiffe://user@tessera.local/agent/o/t/0123456789abcdef" },
        { "not agent", "spiffe://tessera.local/workload/o/t/0123456789abcdef" },
        { "agents", "spiffe://tessera.local/agents/o/t/0123456789abcdef" },
        { "missing instance", "spiffe://tessera.local/agent/o/t" },
        { "extra segment", "spiffe://tessera.local/agent/o/t/0123456789abcdef/x" },
        { "trailing slash", "spiffe://tessera.local/agent/o/t/0123456789abcdef/" },
        { "empty orch", "spiffe://tessera.local/agent//t/0123456789abcdef" },
        { "dot-dot", "spiffe://tessera.local/agent/../t/0123456789abcdef" },
        { "dot", "spiffe://tessera.local/agent/o/./0123456789abcdef" },
        { "percent", "spiffe://tessera.local/agent/o/t%20x/0123456789abcdef" },
        { "query", "spiffe://tessera.local/agent/o/t/0123456789abcdef?x=1" },
        { "fragment", "spiffe://tessera.local/agent/o/t/0123456789abcdef#x" },
        { "space", "spiffe://tessera.local/agent/o/t x/0123456789abcdef" },
        { "non-ascii", "spiffe://tessera.local/agent/ö/t/0123456789abcdef" },
        { "too long", "spiffe://tessera.local/agent/o/t/" + new string('a', 2048) },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void TryParse_Rejects_WhenMalformed(string name, string? text)
    {
        Assert.False(AgentId.TryParse(text, out var id), name);
        Assert.Equal(default, id);
    }

    [Theory]
    [InlineData("not-hex")]
    [InlineData("0123456789ABCDEF")]
    [InlineData("0123456789abcde")]
    [InlineData("0123456789abcdef0")]
    [InlineData("0123456789abcdeg")]
    public void TryParse_Rejects_WhenInstanceIsNot16LowercaseHex(string instance)
    {
        Assert.False(AgentId.TryParse($"spiffe://tessera.local/agent/o/t/{instance}", out _));
    }

    [Theory]
    [InlineData("")]
    [InlineData(".")]
    [InlineData("..")]
    [InlineData("a/b")]
    [InlineData("a b")]
    [InlineData("ö")]
    [InlineData("a:b")]
    public void Create_ThrowsNamingOrchId_WhenOrchIdIsNotAPathSegment(string orchId)
    {
        var ex = Assert.Throws<ArgumentException>(() => AgentId.Create(Domain, orchId, "task"));
        Assert.Equal("orchId", ex.ParamName);
    }

    [Theory]
    [InlineData("")]
    [InlineData("..")]
    [InlineData("t/x")]
    public void Create_ThrowsNamingTaskId_WhenTaskIdIsNotAPathSegment(string taskId)
    {
        var ex = Assert.Throws<ArgumentException>(() => AgentId.Create(Domain, "orch", taskId));
        Assert.Equal("taskId", ex.ParamName);
    }

    [Fact]
    public void IsPathSegment_EnforcesLengthLimit_At128()
    {
        Assert.True(AgentId.IsPathSegment(new string('a', 128)));
        Assert.False(AgentId.IsPathSegment(new string('a', 129)));
        Assert.True(AgentId.IsPathSegment("..."));
    }

    [Fact]
    public void ToString_ReturnsEmpty_WhenDefault()
    {
        Assert.Equal(string.Empty, default(AgentId).ToString());
    }
}

public sealed class TrustDomainTests
{
    [Theory]
    [InlineData("tessera.local")]
    [InlineData("example-org_1.io")]
    [InlineData("td")]
    [InlineData("0")]
    public void TryParse_Accepts_WhenLowercaseLettersDigitsDotDashUnderscore(string text)
    {
        Assert.True(TrustDomain.TryParse(text, out var domain));
        Assert.Equal(text, domain.Name);
        Assert.Equal(text, domain.ToString());
    }

    [Fact]
    public void TryParse_Accepts_WhenExactly255Characters()
    {
        Assert.True(TrustDomain.TryParse(new string('a', 255), out _));
        Assert.False(TrustDomain.TryParse(new string('a', 256), out _));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("Tessera.local")]
    [InlineData("tessera.local/x")]
    [InlineData("tessera.local:8443")]
    [InlineData(" tessera.local")]
    [InlineData("täst")]
    [InlineData("user@td")]
    public void TryParse_Rejects_WhenNotAValidName(string? text)
    {
        Assert.False(TrustDomain.TryParse(text, out var domain));
        Assert.Equal(default, domain);
    }

    [Fact]
    public void Parse_ThrowsFormatException_WhenInvalid()
    {
        var ex = Assert.Throws<FormatException>(() => TrustDomain.Parse("Bad Domain"));
        Assert.Equal("'Bad Domain' is not a valid trust domain", ex.Message);
    }

    [Fact]
    public void ToString_ReturnsEmpty_WhenDefault()
    {
        Assert.Equal(string.Empty, default(TrustDomain).ToString());
    }
}
