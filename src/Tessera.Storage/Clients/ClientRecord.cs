namespace Tessera.Storage.Clients;

/// <summary>A credentialed client of the broker (an app now; agents with key id + secret later).</summary>
public sealed record ClientRecord
{
    /// <summary>The public identifier presented at authentication (<c>tsr_kid_</c> + 32 hex).</summary>
    public required string ClientId { get; init; }

    /// <summary><c>app</c>.</summary>
    public required string Kind { get; init; }

    /// <summary>The entity's own id (for an app, its <c>app_id</c>).</summary>
    public required string EntityId { get; init; }

    /// <summary>Unique per kind.</summary>
    public required string Name { get; init; }

    /// <summary>HMAC-SHA256 of the secret under the server pepper.</summary>
    public required byte[] SecretHash { get; init; }

    /// <summary>The previous secret's hash while its grace window lasts.</summary>
    public byte[]? PreviousSecretHash { get; init; }

    /// <summary>Until when the previous secret still works, Unix ms.</summary>
    public long? PreviousValidUntilMs { get; init; }

    /// <summary>The grant: for an app, the ceiling of the launch tokens it may create.</summary>
    public required IReadOnlyList<string> Scopes { get; init; }

    /// <summary>Lifetime of the tokens it gets, seconds.</summary>
    public required int TokenTtl { get; init; }

    /// <summary><c>active</c> or <c>inactive</c>.</summary>
    public required string Status { get; init; }

    /// <summary>Created, Unix ms.</summary>
    public required long CreatedAtMs { get; init; }

    /// <summary>Last changed, Unix ms.</summary>
    public required long UpdatedAtMs { get; init; }
}
