namespace Tessera.Storage.Clients;

/// <summary>A credentialed client of the broker: an app, an agent with standing credentials, or a platform.</summary>
public sealed record ClientRecord
{
    /// <summary>The public identifier presented at authentication (<c>tsr_kid_</c> + 32 hex).</summary>
    public required string ClientId { get; init; }

    /// <summary><c>app</c>, <c>agent</c> or <c>platform</c>.</summary>
    public required string Kind { get; init; }

    /// <summary>The entity's own id (an app's <c>app_id</c>, an agent's SPIFFE id, a platform's id).</summary>
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

    /// <summary>Apps: <c>active</c> or <c>inactive</c>; agents: <c>active</c>, <c>suspended</c> or <c>revoked</c>.</summary>
    public required string Status { get; init; }

    /// <summary>Created, Unix ms.</summary>
    public required long CreatedAtMs { get; init; }

    /// <summary>Last changed, Unix ms.</summary>
    public required long UpdatedAtMs { get; init; }

    /// <summary>Who is responsible for it (free text).</summary>
    public string Owner { get; init; } = "";

    /// <summary>Operator metadata as a JSON object of strings.</summary>
    public string MetadataJson { get; init; } = "{}";

    /// <summary>Public keys for <c>private_key_jwt</c> as a JWK Set JSON, or empty.</summary>
    public string Jwks { get; init; } = "";

    /// <summary>False for a client that authenticates only with its keys.</summary>
    public bool SecretEnabled { get; init; } = true;

    /// <summary>Denials reported by verifiers since the last allowed request.</summary>
    public int ConsecutiveDenials { get; init; }

    /// <summary>Why the status was last changed.</summary>
    public string StatusReason { get; init; } = "";
}
