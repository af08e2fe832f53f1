namespace Tessera.AspNetCore.Authentication;

/// <summary>Claim types on <c>HttpContext.User</c> after Tessera authentication.</summary>
public static class TesseraClaimTypes
{
    /// <summary>The agent's SPIFFE ID (<c>sub</c>).</summary>
    public const string AgentId = "sub";

    /// <summary>One claim per granted scope.</summary>
    public const string Scope = "scope";

    /// <summary>The task the agent was launched for.</summary>
    public const string TaskId = "task_id";

    /// <summary>The orchestrator.</summary>
    public const string OrchId = "orch_id";

    /// <summary>The token id.</summary>
    public const string TokenId = "jti";

    /// <summary>One claim per delegating agent, root first.</summary>
    public const string Delegator = "delegator";

    /// <summary>The app the token descends from.</summary>
    public const string AppId = "app_id";
}
