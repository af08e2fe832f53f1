namespace Tessera.Storage.Revocations;

/// <summary>What a revocation matches. Stored as lowercase text.</summary>
public static class RevocationLevel
{
    /// <summary>One token, by <c>jti</c>.</summary>
    public const string Token = "token";

    /// <summary>Every token whose <c>sub</c> is the agent.</summary>
    public const string Agent = "agent";

    /// <summary>Every token carrying the <c>task_id</c>.</summary>
    public const string Task = "task";

    /// <summary>Every token whose delegation chain is rooted at the agent.</summary>
    public const string Chain = "chain";

    /// <summary>Every token descending from an app: its own app tokens and its agents' tokens.</summary>
    public const string App = "app";

    /// <summary>True for one of the levels.</summary>
    public static bool IsValid(string? level) => level is Token or Agent or Task or Chain or App;
}
