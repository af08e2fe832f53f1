using System.Security.Claims;
using Microsoft.AspNetCore;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Abstractions;
using OpenIddict.Server.AspNetCore;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Tessera.ExchangeBench;

/// <summary>
/// The baseline: a stock OpenIddict server (from NuGet) issuing client_credentials tokens at
/// <c>/connect/token</c>, with its Entity Framework Core store on a SQLite file.
/// </summary>
/// <remarks>
/// Configured as OpenIddict's documentation shows for machine-to-machine clients, with these
/// choices, each made so both sides do the same job:
/// <list type="bullet">
/// <item>ES256 JWT access tokens (an ephemeral P-256 key; Tessera is started with ES256 too), access
/// token encryption disabled, so both issue plain signed JWTs.</item>
/// <item>Token storage left ON (OpenIddict's default): every issued token is a row in
/// <c>OpenIddictTokens</c>, the durable record that is the fair counterpart of Tessera's durable
/// audit event written before each response.</item>
/// <item>The client secret is stored the way OpenIddict stores it by default (its own salted,
/// iterated hash), one confidential client with a scope and a resource permission.</item>
/// <item>SQLite in WAL mode with a full fsync per commit and a busy timeout, as Tessera's store
/// runs it (<see cref="SqlitePragmas"/>); the EF Core context is the plain scoped one of the docs.</item>
/// <item>The scope and resource are registered in the options, so validating them costs no
/// database lookup (as a tuned deployment would do).</item>
/// </list>
/// </remarks>
internal sealed class OpenIddictPeer : IAsyncDisposable
{
    public const string ClientId = "bench-client";
    public const string ClientSecret = "bench-client-secret-0123456789abcdef";

    private readonly WebApplication _app;

    private OpenIddictPeer(WebApplication app) => _app = app;

    public Uri BaseAddress => new(_app.Urls.First());

    public static async Task<OpenIddictPeer> StartAsync(string directory, string scope, string resource)
    {
        string databasePath = Path.Combine(directory, "openiddict.db");
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = directory });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.WebHost.ConfigureKestrel(k => k.AddServerHeader = false);
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);

        builder.Services.AddDbContext<PeerDbContext>(options =>
        {
            options.UseSqlite($"Data Source={databasePath}");
            options.UseOpenIddict();
            options.AddInterceptors(new SqlitePragmas());
        });

        builder.Services.AddOpenIddict()
            .AddCore(options => options.UseEntityFrameworkCore().UseDbContext<PeerDbContext>())
            .AddServer(options =>
            {
                options.SetTokenEndpointUris("connect/token");
                options.AllowClientCredentialsFlow();
                options.RegisterScopes(scope);
                options.RegisterResources(resource);
                options.AddEphemeralSigningKey(SecurityAlgorithms.EcdsaSha256);
                // OpenIddict insists on an encryption key even when access tokens are not
                // encrypted (it protects its other token kinds); none of those is issued here.
                options.AddEphemeralEncryptionKey();
                options.DisableAccessTokenEncryption();
                options.UseAspNetCore()
                    .EnableTokenEndpointPassthrough()
                    .DisableTransportSecurityRequirement();
            });

        var app = builder.Build();
        app.UseAuthentication();
        app.MapPost("/connect/token", IssueAsync);

        await using (var setup = app.Services.CreateAsyncScope())
        {
            var db = setup.ServiceProvider.GetRequiredService<PeerDbContext>();
            await db.Database.EnsureCreatedAsync();
            var applications = setup.ServiceProvider.GetRequiredService<IOpenIddictApplicationManager>();
            await applications.CreateAsync(new OpenIddictApplicationDescriptor
            {
                ClientId = ClientId,
                ClientSecret = ClientSecret,
                ClientType = ClientTypes.Confidential,
                DisplayName = "Exchange bench client",
                Permissions =
                {
                    Permissions.Endpoints.Token,
                    Permissions.GrantTypes.ClientCredentials,
                    Permissions.Prefixes.Scope + scope,
                    Permissions.Prefixes.Resource + resource,
                },
            });
        }

        await app.StartAsync();
        return new OpenIddictPeer(app);
    }

    /// <summary>Rows in a table of the peer's store (to show that every token was stored).</summary>
    public async Task<long> CountRowsAsync(string table)
    {
        await using var scope = _app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PeerDbContext>();
        var connection = db.Database.GetDbConnection();
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT COUNT(*) FROM \"{table}\"";
        return Convert.ToInt64(await command.ExecuteScalarAsync());
    }

    /// <summary>A PRAGMA's value as a fresh connection of the peer sees it.</summary>
    public async Task<string> PragmaAsync(string name)
    {
        await using var scope = _app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PeerDbContext>();
        var connection = db.Database.GetDbConnection();
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = $"PRAGMA {name}";
        return Convert.ToString(await command.ExecuteScalarAsync()) ?? "";
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    /// <summary>
    /// The passthrough token endpoint, as OpenIddict's client-credentials sample writes it:
    /// OpenIddict has already authenticated the client and validated grant, scope and resource;
    /// this signs in a principal for the client and OpenIddict issues (and stores) the token.
    /// </summary>
    private static async Task<IResult> IssueAsync(HttpContext context, IOpenIddictApplicationManager applications)
    {
        var request = context.GetOpenIddictServerRequest()
            ?? throw new InvalidOperationException("The OpenID Connect request cannot be retrieved.");
        if (!request.IsClientCredentialsGrantType())
        {
            return Results.BadRequest();
        }

        var application = await applications.FindByClientIdAsync(request.ClientId!)
            ?? throw new InvalidOperationException("The application cannot be found.");

        var identity = new ClaimsIdentity(TokenValidationParameters.DefaultAuthenticationType, Claims.Name, Claims.Role);
        identity.SetClaim(Claims.Subject, await applications.GetClientIdAsync(application));
        identity.SetClaim(Claims.Name, await applications.GetDisplayNameAsync(application));
        identity.SetScopes(request.GetScopes());
        identity.SetResources(request.GetResources());
        identity.SetDestinations(static _ => [Destinations.AccessToken]);
        return Results.SignIn(new ClaimsPrincipal(identity), properties: null, OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
    }
}
