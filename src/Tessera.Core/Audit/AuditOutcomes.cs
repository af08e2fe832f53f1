namespace Tessera.Audit;

/// <summary>The <c>outcome</c> values of an audit event, as stored, exported and filtered on.</summary>
public static class AuditOutcomes
{
    /// <summary>The action was carried out.</summary>
    public const string Success = "success";

    /// <summary>The action was refused: bad credentials, a missing scope, a revoked subject, a limit.</summary>
    public const string Denied = "denied";

    /// <summary>True when <paramref name="value"/> is one of the outcomes above, exactly (ordinal).</summary>
    public static bool IsKnown(string? value) => value is Success or Denied;
}
