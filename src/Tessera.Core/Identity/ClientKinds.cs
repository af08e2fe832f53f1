namespace Tessera.Identity;

/// <summary>The <c>kind</c> of a client the broker knows, as stored: who holds the credentials.</summary>
public static class ClientKinds
{
    /// <summary>An agent: registered with a launch token, holds its own key or secret.</summary>
    public const string Agent = "agent";

    /// <summary>A platform: the service in front of the tools agents call; reports enforcement, reads the revocation feed.</summary>
    public const string Platform = "platform";

    /// <summary>An app: an operator-side program that authenticates with client credentials.</summary>
    public const string App = "app";

    /// <summary>True when <paramref name="value"/> is one of the kinds above, exactly (ordinal).</summary>
    public static bool IsKnown(string? value) => value is Agent or Platform or App;
}
