using Microsoft.EntityFrameworkCore;

namespace Tessera.ExchangeBench;

/// <summary>The peer's EF Core context: only OpenIddict's own entities (registered by <c>UseOpenIddict()</c>).</summary>
internal sealed class PeerDbContext(DbContextOptions<PeerDbContext> options) : DbContext(options);
