using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Tessera.Audit;

namespace Tessera.Core.Tests;

public sealed class AuditChainTests
{
    private static readonly object[] BaseFields =
    [
        AuditChain.GenesisHash, "evt-000001", 1_750_000_000_123L, "agent_registered",
        "spiffe://tessera.local/agent/o/t/0123456789abcdef", "task-1", "orch-1",
        "registered with 2 scopes", "orders-api", "success", 0, "",
    ];

    private static string Hash(object[] f) => AuditChain.ComputeHash(
        (string)f[0], (string)f[1], (long)f[2], (string)f[3], (string)f[4], (string)f[5], (string)f[6],
        (string)f[7], (string)f[8], (string)f[9], (int)f[10], (string)f[11]);

    private static string Hash(string detail, string resource) => AuditChain.ComputeHash(
        AuditChain.GenesisHash, "evt-000001", 1, "t", "a", "task", "orch", detail, resource, "success", 0, "");

    /// <summary>The documented encoding, written independently: tag, then each field as u32be length + UTF-8.</summary>
    private static string ReferenceHash(object[] f)
    {
        using var stream = new MemoryStream();
        stream.Write("tessera-audit-v1"u8);
        foreach (object field in f)
        {
            string text = field switch
            {
                long l => l.ToString(System.Globalization.CultureInfo.InvariantCulture),
                int i => i.ToString(System.Globalization.CultureInfo.InvariantCulture),
                _ => (string)field,
            };
            byte[] bytes = Encoding.UTF8.GetBytes(text);
            byte[] length = new byte[4];
            BinaryPrimitives.WriteInt32BigEndian(length, bytes.Length);
            stream.Write(length);
            stream.Write(bytes);
        }

        return Convert.ToHexStringLower(SHA256.HashData(stream.ToArray()));
    }

    [Fact]
    public void GenesisHash_Is64Zeros()
    {
        Assert.Equal(new string('0', 64), AuditChain.GenesisHash);
    }

    [Theory]
    [InlineData(1, "evt-000001")]
    [InlineData(42, "evt-000042")]
    [InlineData(999_999, "evt-999999")]
    [InlineData(1_000_000, "evt-1000000")]
    public void IdFor_ZeroPadsToSixDigits_WhenGivenSequence(long sequence, string expected)
    {
        Assert.Equal(expected, AuditChain.IdFor(sequence));
    }

    [Fact]
    public void ComputeHash_IsDeterministicLowercaseHex_WhenCalledTwice()
    {
        string a = Hash(BaseFields);
        string b = Hash((object[])BaseFields.Clone());

        Assert.Equal(a, b);
        Assert.Matches("^[0-9a-f]{64}$", a);
    }

    [Fact]
    public void ComputeHash_MatchesDocumentedLengthPrefixedEncoding_WhenRecomputedIndependently()
    {
        Assert.Equal(ReferenceHash(BaseFields), Hash(BaseFields));

        object[] unicode = (object[])BaseFields.Clone();
        unicode[7] = "détail — ünïcode ✓";
        unicode[10] = -3;
        Assert.Equal(ReferenceHash(unicode), Hash(unicode));
    }

    public static TheoryData<int, object> FieldChanges => new()
    {
        { 0, new string('1', 64) },
        { 1, "evt-000002" },
        { 2, 1_750_000_000_124L },
        { 3, "agent_revoked" },
        { 4, "spiffe://tessera.local/agent/o/t/fedcba9876543210" },
        { 5, "task-2" },
        { 6, "orch-2" },
        { 7, "registered with 3 scopes" },
        { 8, "billing-api" },
        { 9, "denied" },
        { 10, 1 },
        { 11, "abc" },
    };

    [Theory]
    [MemberData(nameof(FieldChanges))]
    public void ComputeHash_Changes_WhenAnyFieldChanges(int index, object value)
    {
        object[] changed = (object[])BaseFields.Clone();
        changed[index] = value;

        Assert.NotEqual(Hash(BaseFields), Hash(changed));
    }

    [Fact]
    public void ComputeHash_Differs_WhenSeparatorCharacterMovesBetweenDetailAndResource()
    {
        // With a naive "|" join both would encode as "...|a|b||..."; length prefixes keep them apart.
        Assert.NotEqual(Hash("a|b", ""), Hash("a", "b|"));
        Assert.NotEqual(Hash("a|", "b"), Hash("a", "|b"));
        Assert.NotEqual(Hash("ab", ""), Hash("a", "b"));
        Assert.NotEqual(Hash("", "ab"), Hash("ab", ""));
    }

    [Fact]
    public void ComputeHash_Differs_WhenTextShiftsBetweenAnyAdjacentStringFields()
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 3; i < 9; i++)
        {
            object[] f = (object[])BaseFields.Clone();
            f[i] = (string)f[i] + "x";
            f[i + 1] = f[i + 1] is string s ? "x" + s : f[i + 1];
            Assert.True(seen.Add(Hash(f)), $"collision at field {i}");
        }
    }

    [Fact]
    public void ComputeHash_Differs_WhenNumberTextCouldBeConfusedWithNeighbour()
    {
        object[] a = (object[])BaseFields.Clone();
        object[] b = (object[])BaseFields.Clone();
        a[9] = "success1";
        a[10] = 0;
        b[9] = "success";
        b[10] = 10;

        Assert.NotEqual(Hash(a), Hash(b));
    }

    [Fact]
    public void ComputeHash_OfEvent_EqualsFieldOverload_WhenSameValues()
    {
        var e = new AuditEvent
        {
            Sequence = 1,
            Id = AuditChain.IdFor(1),
            TimestampMs = 1_750_000_000_123L,
            EventType = "agent_registered",
            AgentId = "spiffe://tessera.local/agent/o/t/0123456789abcdef",
            TaskId = "task-1",
            OrchId = "orch-1",
            Detail = "registered with 2 scopes",
            Resource = "orders-api",
            Outcome = "success",
            DelegDepth = 0,
            DelegChainHash = "",
            PrevHash = AuditChain.GenesisHash,
            Hash = "",
        };

        Assert.Equal(Hash(BaseFields), AuditChain.ComputeHash(e));
        Assert.Equal(AuditChain.ComputeHash(e), AuditChain.ComputeHash(e with { Hash = "anything" }));
    }

    [Fact]
    public void ComputeHash_LinksEvents_WhenPrevHashIsPreviousEventHash()
    {
        string first = Hash(BaseFields);
        object[] second = (object[])BaseFields.Clone();
        second[0] = first;
        second[1] = AuditChain.IdFor(2);

        object[] forkedFirst = (object[])BaseFields.Clone();
        forkedFirst[7] = "edited";
        object[] secondAfterEdit = (object[])second.Clone();
        secondAfterEdit[0] = Hash(forkedFirst);

        Assert.NotEqual(Hash(second), Hash(secondAfterEdit));
    }

    [Fact]
    public void ComputeHash_Throws_WhenEventIsNull()
    {
        Assert.Throws<ArgumentNullException>(() => AuditChain.ComputeHash(null!));
    }
}
