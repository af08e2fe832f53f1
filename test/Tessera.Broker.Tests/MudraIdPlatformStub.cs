using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Tessera.Broker.Tests;

/// <summary>One request as the platform saw it.</summary>
public sealed record PlatformHit(string Method, string Path, string? Jti, int Status);

/// <summary>
/// A platform API on a loopback port guarded like one behind MudraID's middleware: every route
/// needs its scope, checked by <see cref="MudraIdMiddlewareVerifier"/>, and refusals carry the
/// middleware's body <c>{error_code, message}</c>. <see cref="Refuse"/> makes it answer 401 to a
/// token by jti (or to every token of an agent by sub), as a platform that learned of a revocation would.
/// </summary>
public sealed class MudraIdPlatformStub : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, byte> _refused = new(StringComparer.Ordinal);

    private MudraIdPlatformStub(WebApplication app) => _app = app;

    public int Port => new Uri(_app.Urls.First()).Port;

    public ConcurrentQueue<PlatformHit> Hits { get; } = new();

    public static async Task<MudraIdPlatformStub> StartAsync(MudraIdMiddlewareVerifier verifier, string scope)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var stub = new MudraIdPlatformStub(app);
        app.Run(async context =>
        {
            var decision = await verifier.VerifyAsync(context.Request.Headers.Authorization, scope);
            string? jti = decision.Claims?["jti"]?.GetValue<string>();
            string? sub = decision.Claims?["sub"]?.GetValue<string>();
            if ((jti is not null && stub._refused.ContainsKey(jti)) || (sub is not null && stub._refused.ContainsKey(sub)))
            {
                decision = MudraIdDecision.Refuse(401, "INVALID_TOKEN");
            }

            stub.Hits.Enqueue(new PlatformHit(context.Request.Method, context.Request.Path, jti, decision.Status));
            context.Response.StatusCode = decision.Status;
            await context.Response.WriteAsJsonAsync(decision.ErrorCode is { } code
                ? new Dictionary<string, string> { ["error_code"] = code, ["message"] = code.ToLowerInvariant().Replace('_', ' ') }
                : new Dictionary<string, string> { ["ok"] = "true", ["agent"] = decision.Claims!["sub"]!.GetValue<string>() });
        });
        await app.StartAsync();
        return stub;
    }

    /// <summary>Answer 401 to the token with this jti, or to every token whose sub is this agent id.</summary>
    public void Refuse(string jtiOrAgentId) => _refused[jtiOrAgentId] = 0;

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
