namespace Tessera.Storage.Keys;

/// <summary>One stored key ring.</summary>
/// <param name="Name">Which ring (<c>main</c>, <c>profile</c>).</param>
/// <param name="Version">Incremented on every change, from 1.</param>
/// <param name="Sealed">The ring as the broker sealed it.</param>
public sealed record StoredKeyRing(string Name, long Version, byte[] Sealed);
