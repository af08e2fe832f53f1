using System.Globalization;
using System.Reflection;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Tessera.Broker.Admin;
using Tessera.Broker.Audit;
using Tessera.Broker.Authorization;
using Tessera.Broker.Configuration;
using Tessera.Broker.Health;
using Tessera.Broker.Http;
using Tessera.Broker.Keys;
using Tessera.Broker.OpenApi;
using Tessera.Broker.Registration;
using Tessera.Broker.Revocation;
using Tessera.Broker.Tokens;
using Tessera.Errors;
using Tessera.Keys;
using Tessera.Storage.Agents;
using Tessera.Storage;
using Tessera.Storage.Clients;

namespace Tessera.Broker.Hosting;

/// <summary>
/// Builds the broker web application: configuration, services, pipeline, endpoints. The storage
/// providers come from the host (<c>BrokerHost</c> in <c>Tessera.Server</c> passes SQLite and
/// PostgreSQL): the broker references the store contracts only.
/// </summary>
public static class BrokerApplication
{
    /// <summary>Rate-limit policy of the unauthenticated endpoints.</summary>
    public const string PublicRateLimitPolicy = "public";

    /// <summary>
    /// Builds the broker. Configuration, lowest precedence first: <paramref name="configFile"/>
    /// (JSON, flat snake_case keys), environment variables prefixed <c>TESSERA_</c>, then
    /// <paramref name="overrides"/>.
    /// </summary>
    /// <remarks>
    /// With no issuer configured, the issuer is the first of <paramref name="urls"/> as
    /// <paramref name="issuerDefault"/> allows (see <see cref="IssuerResolution"/>); with port 0, the
    /// port Kestrel bound, before any request is answered.
    /// </remarks>
    /// <exception cref="OptionsValidationException">A setting is invalid; the message names it.</exception>
    public static WebApplication Build(
        IEnumerable<string> urls,
        string? configFile = null,
        IReadOnlyDictionary<string, string?>? overrides = null,
        TimeProvider? timeProvider = null,
        Action<ILoggingBuilder>? configureLogging = null,
        IssuerDefault issuerDefault = IssuerDefault.LoopbackListenUrl,
        IReadOnlyList<IStorageProvider>? storageProviders = null)
    {
        if (storageProviders is not { Count: > 0 })
        {
            throw new ArgumentException("the broker needs at least one storage provider; Tessera.Server's BrokerHost.Build passes SQLite and PostgreSQL", nameof(storageProviders));
        }

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = Directory.GetCurrentDirectory() });
        builder.Configuration.Sources.Clear();
        if (configFile is not null)
        {
            builder.Configuration.AddJsonFile(Path.GetFullPath(configFile), optional: false, reloadOnChange: false);
        }

        builder.Configuration.AddEnvironmentVariables("TESSERA_");
        if (overrides is not null)
        {
            builder.Configuration.AddInMemoryCollection(overrides);
        }

        var urlList = urls.ToList();
        var listenIssuer = ResolveListenIssuer(builder.Configuration, urlList, issuerDefault);
        builder.WebHost.UseUrls([.. urlList]);
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
            o.UseUtcTimestamp = true;
        });
        builder.Logging.SetMinimumLevel(LogLevel.Information);
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Information);
        configureLogging?.Invoke(builder.Logging);

        var options = new BrokerOptions();
        builder.Configuration.Bind(options);
        // The first provider that recognises TESSERA_DB serves it; a host lists a catch-all (SQLite: any path) last.
        var storage = storageProviders.FirstOrDefault(p => p.Handles(options.Db));
        if (BrokerOptionsValidator.FirstProblem(options, storage) is { } problem)
        {
            throw new OptionsValidationException(nameof(BrokerOptions), typeof(BrokerOptions), [problem]);
        }

        if (options.TlsMode != "none" && urlList.Any(u => !u.StartsWith("https://", StringComparison.OrdinalIgnoreCase)))
        {
            throw new OptionsValidationException(nameof(BrokerOptions), typeof(BrokerOptions), [$"TESSERA_TLS_MODE={options.TlsMode} needs https:// addresses in --urls"]);
        }

        if (options.TlsMode == "none" && urlList.Any(u => u.StartsWith("https://", StringComparison.OrdinalIgnoreCase)))
        {
            throw new OptionsValidationException(nameof(BrokerOptions), typeof(BrokerOptions), ["an https:// address in --urls needs TESSERA_TLS_MODE=tls or mtls with TESSERA_TLS_CERT and TESSERA_TLS_KEY"]);
        }

        var tls = TlsSetup.Load(options);
        if (tls is not null)
        {
            // The slim builder leaves HTTPS out unless asked for.
            builder.WebHost.UseKestrelHttpsConfiguration();
        }

        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Limits.MaxRequestBodySize = options.MaxBodyBytes;
            k.Limits.MaxRequestHeadersTotalSize = 32 * 1024;
            k.AddServerHeader = false;

            // Every open connection is a file descriptor: past this many, new ones wait in the backlog
            // instead of taking the process past its descriptor limit.
            k.Limits.MaxConcurrentConnections = options.MaxConnections;
            k.Limits.MaxConcurrentUpgradedConnections = options.MaxConnections;
            if (tls is not null)
            {
                k.ConfigureHttpsDefaults(tls.Apply);
            }
        });

        AddServices(builder.Services, builder.Configuration, options, storage!, timeProvider ?? TimeProvider.System);
        builder.Services.AddSingleton(sp => new IssuerResolution(sp.GetRequiredService<IOptions<BrokerOptions>>(), listenIssuer is not null, listenIssuer?.Loopback ?? false));
        var app = builder.Build();
        var resolution = app.Services.GetRequiredService<IssuerResolution>();
        if (listenIssuer is { PortPending: true })
        {
            // The port is known only once Kestrel has bound, which is also when it starts accepting:
            // every request waits here until the issuer is final (the wait is over before StartAsync returns).
            app.Use(async (context, next) =>
            {
                await resolution.Resolved.WaitAsync(context.RequestAborted);
                await next(context);
            });
            app.Lifetime.ApplicationStarted.Register(() => resolution.Complete(ListenIssuer.FromBound(
                urlList[0], app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [.. app.Urls])));
        }
        else
        {
            resolution.Complete(null);
        }

        Configure(app);
        return app;
    }

    /// <summary>
    /// Without a configured issuer, puts the one the first listen URL stands for into the configuration
    /// (with port 0, a placeholder the bound port replaces before the first request).
    /// </summary>
    private static ListenIssuer.Result? ResolveListenIssuer(ConfigurationManager configuration, List<string> urls, IssuerDefault policy)
    {
        if (!string.IsNullOrWhiteSpace(configuration["issuer"]))
        {
            return null;
        }

        if (urls.Count == 0)
        {
            throw new OptionsValidationException(nameof(BrokerOptions), typeof(BrokerOptions), ["TESSERA_ISSUER is not set and there is no listen URL to take it from"]);
        }

        var result = ListenIssuer.FromUrl(urls[0], policy);
        if (result.Problem is { } problem)
        {
            throw new OptionsValidationException(nameof(BrokerOptions), typeof(BrokerOptions), [problem]);
        }

        configuration.AddInMemoryCollection([new KeyValuePair<string, string?>("issuer", result.Issuer)]);
        return result;
    }

    private static void AddServices(IServiceCollection services, IConfiguration configuration, BrokerOptions options, IStorageProvider storage, TimeProvider time)
    {
        services.AddSingleton(time);
        services.AddSingleton(storage);
        services.AddOptions<BrokerOptions>().Bind(configuration).ValidateOnStart();
        services.AddSingleton<IValidateOptions<BrokerOptions>, BrokerOptionsValidator>();

        services.AddTesseraStorage(options, storage);

        services.AddSingleton(sp => sp.GetRequiredKeyedService<ISigningKeyStorage>(KeyRotation.MainRing).LoadOrCreate(options.Algorithm));
        services.AddSingleton<ProfileKeys>();
        services.AddSingleton<TokenService>();
        services.AddSingleton<RevocationList>();
        services.AddSingleton<AuditLog>();
        services.AddSingleton<AuditCheckpointer>();
        services.AddSingleton<Metrics.BrokerMetrics>();
        services.AddSingleton<RevocationFeed>();
        services.AddSingleton<RevocationStreamGate>();
        services.AddSingleton<RevocationBroadcast>();
        services.AddHostedService(sp => sp.GetRequiredService<RevocationBroadcast>());
        services.AddSingleton<KeyRotation>();
        services.AddSingleton<Apps.ClientSecrets>();
        services.AddSingleton<Apps.AppAuthLimiter>();
        services.AddSingleton<Credentials.ClientAssertionValidator>();
        services.AddSingleton<Credentials.ClientAuthenticator>();
        services.AddSingleton<Credentials.ExchangeLimiter>();
        services.AddSingleton<Audit.AuditThrottle>();
        services.AddSingleton<Credentials.CredentialExchange>();
        services.AddSingleton<Credentials.AgentDirectory>();
        services.AddSingleton<AdminSecretVerifier>();
        services.AddSingleton<BearerAuthenticator>();
        services.AddBrokerAuthorization();
        services.AddSingleton<BrokerClock>();
        services.AddSingleton<DocsLinks>();
        services.AddBrokerOpenApi();
        services.AddSingleton(sp => new Admin.AdminRequest(
            sp.GetRequiredService<IClientStore>(), sp.GetRequiredService<Apps.ClientSecrets>(), sp.GetRequiredService<AuditLog>(),
            sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<IOptions<BrokerOptions>>().Value));

        // Typed results (TypedResults.Ok, Created, ...) write with the broker's own JSON contract, and the
        // OpenAPI document describes the same names: snake_case, source-generated, strict numbers.
        services.ConfigureHttpJsonOptions(json =>
        {
            json.SerializerOptions.TypeInfoResolverChain.Insert(0, BrokerJson.Default);
            json.SerializerOptions.PropertyNamingPolicy = BrokerJson.Default.Options.PropertyNamingPolicy;
            json.SerializerOptions.NumberHandling = BrokerJson.Default.Options.NumberHandling;
            json.SerializerOptions.ReadCommentHandling = BrokerJson.Default.Options.ReadCommentHandling;
            json.SerializerOptions.MaxDepth = BrokerJson.Default.Options.MaxDepth;
            json.SerializerOptions.DefaultIgnoreCondition = BrokerJson.Default.Options.DefaultIgnoreCondition;
            json.SerializerOptions.PropertyNameCaseInsensitive = BrokerJson.Default.Options.PropertyNameCaseInsensitive;
        });
        services.AddHostedService<BrokerMaintenance>();
        services.AddSingleton<Activity.AgentActivity>();
        services.AddHostedService(sp => sp.GetRequiredService<Activity.AgentActivity>());

        services.AddRateLimiter(limiter =>
        {
            limiter.AddPolicy(AdminEndpoints.AdminAuthRateLimitPolicy, context =>
                RateLimitPartition.GetTokenBucketLimiter(
                    context.Connection.RemoteIpAddress?.ToString() ?? "unknown",
                    _ => new TokenBucketRateLimiterOptions
                    {
                        TokenLimit = options.AdminAuthBurst,
                        TokensPerPeriod = options.AdminAuthRate,
                        ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                        QueueLimit = 0,
                        AutoReplenishment = true,
                    }));
            // Unauthenticated endpoints write audit events and database rows; bound what one address can make them do.
            limiter.AddPolicy(PublicRateLimitPolicy, context =>
                RateLimitPartition.GetTokenBucketLimiter(
                    context.Connection.RemoteIpAddress?.ToString() ?? "unknown",
                    _ => new TokenBucketRateLimiterOptions
                    {
                        TokenLimit = options.PublicBurst,
                        TokensPerPeriod = options.PublicRate,
                        ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                        QueueLimit = 0,
                        AutoReplenishment = true,
                    }));
            limiter.OnRejected = async (ctx, cancellationToken) =>
            {
                int seconds = ctx.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retry) ? Math.Max(1, (int)Math.Ceiling(retry.TotalSeconds)) : 1;
                ctx.HttpContext.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
                await new ProblemResult(ErrorCatalog.RateLimited, "rate limit exceeded, try again later", $"wait {seconds} second(s) before retrying").ExecuteAsync(ctx.HttpContext);
            };
        });
    }

    private static void Configure(WebApplication app)
    {
        app.UseMiddleware<RequestIdMiddleware>();
        app.UseMiddleware<ErrorHandlingMiddleware>();
        app.UseStatusCodePages(async status =>
        {
            var context = status.HttpContext;
            var error = context.Response.StatusCode switch
            {
                StatusCodes.Status404NotFound => ErrorCatalog.NotFound,
                StatusCodes.Status405MethodNotAllowed => ErrorCatalog.MethodNotAllowed,
                StatusCodes.Status413PayloadTooLarge => ErrorCatalog.PayloadTooLarge,
                StatusCodes.Status415UnsupportedMediaType => ErrorCatalog.UnsupportedMediaType,
                >= 500 => ErrorCatalog.InternalError,
                _ => ErrorCatalog.InvalidRequest,
            };
            string detail = error == ErrorCatalog.NotFound ? "no such endpoint" : error.Title.ToLowerInvariant();
            await new ProblemResult(error, detail).ExecuteAsync(context);
        });
        app.UseRateLimiter();
        app.Use((context, next) => Metrics.MetricsEndpoints.TimeRequestAsync(context, () => next(context)));

        // Credentials are checked where the handlers used to check them: after the rate limiter, before the body
        // is read. Called explicitly, or WebApplication would put both first, before request ids and error handling.
        app.UseAuthentication();
        app.UseAuthorization();

        // Every endpoint hangs off one root group: a request body that cannot be read is answered there,
        // before any handler runs (endpoints without a RequestBody<T> parameter get no filter).
        var api = app.MapGroup("");
        api.AddEndpointFilterFactory(RequestBodyFilter.Factory);
        api.LeaveContentTypeToTheBodyReader();
        AdminEndpoints.Map(api);
        RegistrationEndpoints.Map(api);
        TokenEndpoints.Map(api);
        HealthEndpoints.Map(api);
        KeyEndpoints.Map(api);
        KeyAdminEndpoints.Map(api);
        Delegation.DelegationEndpoints.Map(api);
        RevocationEndpoints.Map(api);
        AuditEndpoints.Map(api);
        Apps.AppAdminEndpoints.Map(api);
        Apps.AppEndpoints.Map(api);
        Platforms.PlatformAdminEndpoints.Map(api);
        Credentials.AgentAdminEndpoints.Map(api);
        Credentials.TokenExchangeEndpoints.Map(api);
        Credentials.MudraIdCompatEndpoints.Map(api);
        Enforcement.EnforcementEndpoints.Map(api);
        Metrics.MetricsEndpoints.Map(api);
        BrokerOpenApi.Map(api);
        api.MapGet("/docs/errors.md", ErrorReferenceAsync)
            .AllowAnonymous()
            .WithName("getErrorReference")
            .WithTags("Documentation")
            .WithSummary("The error reference: every error code with its cause and fix (Markdown)")
            .Produces(StatusCodes.Status200OK, contentType: "text/markdown");

        // Load the live revocation set before the first request is served.
        app.Services.GetRequiredService<RevocationList>().LoadAsync(CancellationToken.None).GetAwaiter().GetResult();
        _ = app.Services.GetRequiredService<AuditLog>();
        _ = app.Services.GetRequiredService<AdminSecretVerifier>();
        _ = app.Services.GetRequiredService<TokenService>();
        _ = app.Services.GetRequiredService<Apps.ClientSecrets>();
        app.Services.GetRequiredService<KeyRotation>().Prune();
        app.Services.GetRequiredService<Metrics.BrokerMetrics>().ActiveAgents.Set(
            app.Services.GetRequiredService<IAgentStore>().CountAsync(CancellationToken.None).GetAwaiter().GetResult());
    }

    /// <summary>docs/errors.md, embedded at build time: the page every problem document's <c>docs_url</c> points into.</summary>
    private static async Task ErrorReferenceAsync(HttpContext context, CancellationToken cancellationToken)
    {
        await using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("Tessera.Broker.errors.md")!;
        context.Response.ContentType = "text/markdown; charset=utf-8";
        await stream.CopyToAsync(context.Response.Body, cancellationToken);
    }
}
