using Tessera.Storage.Clients;
using Tessera.Storage.Tests.Infrastructure;
using static Tessera.Storage.Tests.Infrastructure.TestData;

namespace Tessera.Storage.Tests.Contracts;

/// <summary>The contract of <see cref="IClientStore"/> for creating, finding and describing clients.</summary>
public abstract class ClientStoreContract(IStorageHarness harness) : ClientContract(harness)
{
    [Fact]
    public async Task FindByEntityIdAsync_ReturnsEveryField_WhenClientWasCreated()
    {
        var created = Client("round-trip") with
        {
            Owner = "team-data \u00e9\u00e8",
            MetadataJson = """{"cost_center":"cc-42","note":"\u201cquoted\u201d"}""",
            Jwks = """{"keys":[{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","kid":"k1"}]}""",
            SecretEnabled = false,
        };

        Assert.True(await Store.CreateAsync(created, Ct));
        var found = await Store.FindByEntityIdAsync(created.EntityId, Ct);

        Assert.NotNull(found);
        Assert.Equal(created.ClientId, found.ClientId);
        Assert.Equal(created.Kind, found.Kind);
        Assert.Equal(created.EntityId, found.EntityId);
        Assert.Equal(created.Name, found.Name);
        Assert.Equal(created.SecretHash, found.SecretHash);
        Assert.Null(found.PreviousSecretHash);
        Assert.Null(found.PreviousValidUntilMs);
        Assert.Equal(created.Scopes, found.Scopes);
        Assert.Equal(created.TokenTtl, found.TokenTtl);
        Assert.Equal(created.Status, found.Status);
        Assert.Equal(created.CreatedAtMs, found.CreatedAtMs);
        Assert.Equal(created.CreatedAtMs, found.UpdatedAtMs);
        Assert.Equal(created.Owner, found.Owner);
        Assert.Equal(created.MetadataJson, found.MetadataJson);
        Assert.Equal(created.Jwks, found.Jwks);
        Assert.False(found.SecretEnabled);
        Assert.Equal(0, found.ConsecutiveDenials);
        Assert.Equal("", found.StatusReason);
        Assert.Equal(found, await Store.FindByClientIdAsync(created.ClientId, Ct), ClientComparer.Instance);
    }

    [Fact]
    public async Task FindByEntityIdAsync_ReturnsDefaults_WhenOptionalFieldsWereNotSet()
    {
        var created = Client("defaults");

        await Store.CreateAsync(created, Ct);
        var found = await Store.FindByEntityIdAsync(created.EntityId, Ct);

        Assert.NotNull(found);
        Assert.Equal("", found.Owner);
        Assert.Equal("{}", found.MetadataJson);
        Assert.Equal("", found.Jwks);
        Assert.True(found.SecretEnabled);
        Assert.Equal(0, found.ConsecutiveDenials);
        Assert.Equal("", found.StatusReason);
    }

    [Fact]
    public async Task CreateAsync_ReturnsFalse_WhenNameIsTakenForSameKind()
    {
        var original = Client("a");
        Assert.True(await Store.CreateAsync(original, Ct));

        var sameName = Client("b") with { Name = original.Name };
        Assert.False(await Store.CreateAsync(sameName, Ct));
        Assert.Null(await Store.FindByEntityIdAsync(sameName.EntityId, Ct));

        var otherKind = Client("c", kind: "platform") with { Name = original.Name };
        Assert.True(await Store.CreateAsync(otherKind, Ct));
    }

    [Fact]
    public async Task ListAsync_ReturnsOnlyThatKindOldestFirst_WhenSeveralKindsExist()
    {
        await Store.CreateAsync(Client("late", createdAtMs: Now + 2), Ct);
        await Store.CreateAsync(Client("early", createdAtMs: Now), Ct);
        await Store.CreateAsync(Client("app", kind: "app", createdAtMs: Now + 1), Ct);

        var agents = await Store.ListAsync("agent", Ct);

        Assert.Equal([Client("early").EntityId, Client("late").EntityId], agents.Select(c => c.EntityId));
        Assert.Equal([Client("app", kind: "app").EntityId], (await Store.ListAsync("app", Ct)).Select(c => c.EntityId));
        Assert.Empty(await Store.ListAsync("platform", Ct));
    }

    [Fact]
    public async Task UpdateDetailsAsync_ChangesNothingButTime_WhenEveryFieldIsNull()
    {
        var client = await CreateAsync("c1", configure: c => c with { Owner = "alice", MetadataJson = """{"a":"1"}""", Jwks = """{"keys":[]}""", SecretEnabled = false });

        Assert.True(await Store.UpdateDetailsAsync(client.EntityId, new ClientDetailsUpdate(), Now + Minute, Ct));

        var found = await FindAsync(client);
        Assert.Equal("alice", found.Owner);
        Assert.Equal("""{"a":"1"}""", found.MetadataJson);
        Assert.Equal("""{"keys":[]}""", found.Jwks);
        Assert.Equal(client.TokenTtl, found.TokenTtl);
        Assert.False(found.SecretEnabled);
        Assert.Equal(Now + Minute, found.UpdatedAtMs);
    }

    [Fact]
    public async Task UpdateDetailsAsync_ChangesEveryField_WhenEveryFieldIsGiven()
    {
        var client = await CreateAsync("c1");
        var update = new ClientDetailsUpdate(Owner: "bob", MetadataJson: """{"env":"prod"}""", Jwks: """{"keys":[{"kid":"k2"}]}""", TokenTtl: 300, SecretEnabled: false);

        Assert.True(await Store.UpdateDetailsAsync(client.EntityId, update, Now + Minute, Ct));

        var found = await FindAsync(client);
        Assert.Equal("bob", found.Owner);
        Assert.Equal("""{"env":"prod"}""", found.MetadataJson);
        Assert.Equal("""{"keys":[{"kid":"k2"}]}""", found.Jwks);
        Assert.Equal(300, found.TokenTtl);
        Assert.False(found.SecretEnabled);
        Assert.Equal(Now + Minute, found.UpdatedAtMs);
    }

    [Fact]
    public async Task UpdateDetailsAsync_ChangesOnlyGivenFields_WhenSomeAreNull()
    {
        var client = await CreateAsync("c1", configure: c => c with { Owner = "alice", MetadataJson = """{"a":"1"}""", Jwks = """{"keys":[]}""" });

        Assert.True(await Store.UpdateDetailsAsync(client.EntityId, new ClientDetailsUpdate(Owner: "bob"), Now + 1, Ct));
        Assert.True(await Store.UpdateDetailsAsync(client.EntityId, new ClientDetailsUpdate(TokenTtl: 60), Now + 2, Ct));

        var found = await FindAsync(client);
        Assert.Equal("bob", found.Owner);
        Assert.Equal("""{"a":"1"}""", found.MetadataJson);
        Assert.Equal("""{"keys":[]}""", found.Jwks);
        Assert.Equal(60, found.TokenTtl);
        Assert.True(found.SecretEnabled);
        Assert.Equal(Now + 2, found.UpdatedAtMs);
    }

    [Fact]
    public async Task UpdateDetailsAsync_ClearsField_WhenGivenEmptyString()
    {
        var client = await CreateAsync("c1", configure: c => c with { Owner = "alice", Jwks = """{"keys":[{"kid":"k1"}]}""" });

        Assert.True(await Store.UpdateDetailsAsync(client.EntityId, new ClientDetailsUpdate(Owner: "", Jwks: ""), Now + 1, Ct));

        var found = await FindAsync(client);
        Assert.Equal("", found.Owner);
        Assert.Equal("", found.Jwks);
    }

    [Fact]
    public async Task UpdateDetailsAsync_ReEnablesSecret_WhenSecretEnabledIsTrue()
    {
        var client = await CreateAsync("c1", configure: c => c with { SecretEnabled = false });

        Assert.True(await Store.UpdateDetailsAsync(client.EntityId, new ClientDetailsUpdate(SecretEnabled: true), Now + 1, Ct));

        Assert.True((await FindAsync(client)).SecretEnabled);
    }

    [Fact]
    public async Task UpdateDetailsAsync_LeavesIdentityGrantAndLifecycleAlone_WhenDetailsChange()
    {
        var client = await CreateAsync("c1");
        await Store.ApplyOutcomesAsync(client.EntityId, [new OutcomeRun(true, 2)], 0, Now, Ct);

        await Store.UpdateDetailsAsync(client.EntityId, new ClientDetailsUpdate("bob", """{"x":"y"}""", "", 60, false), Now + 1, Ct);

        var found = await FindAsync(client);
        Assert.Equal(client.ClientId, found.ClientId);
        Assert.Equal(client.Name, found.Name);
        Assert.Equal(client.SecretHash, found.SecretHash);
        Assert.Equal(client.Scopes, found.Scopes);
        Assert.Equal("active", found.Status);
        Assert.Equal(2, found.ConsecutiveDenials);
        Assert.Equal(client.CreatedAtMs, found.CreatedAtMs);
    }

    [Fact]
    public async Task UpdateDetailsAsync_ReturnsFalse_WhenClientIsUnknown()
    {
        var client = await CreateAsync("c1");

        Assert.False(await Store.UpdateDetailsAsync(Client("ghost").EntityId, new ClientDetailsUpdate(Owner: "bob"), Now + 1, Ct));

        Assert.Equal("", (await FindAsync(client)).Owner);
    }

    /// <summary>Records hold a byte array and a list, which record equality compares by reference.</summary>
    private sealed class ClientComparer : IEqualityComparer<ClientRecord?>
    {
        public static readonly ClientComparer Instance = new();

        public bool Equals(ClientRecord? x, ClientRecord? y) =>
            x is not null && y is not null
            && x == y with { SecretHash = x.SecretHash, PreviousSecretHash = x.PreviousSecretHash, Scopes = x.Scopes }
            && x.SecretHash.AsSpan().SequenceEqual(y.SecretHash)
            && (x.PreviousSecretHash ?? []).AsSpan().SequenceEqual(y.PreviousSecretHash ?? [])
            && x.Scopes.SequenceEqual(y.Scopes);

        public int GetHashCode(ClientRecord? obj) => obj?.ClientId.GetHashCode(StringComparison.Ordinal) ?? 0;
    }
}
