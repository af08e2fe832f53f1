using System.Text.Json;
using NSec.Cryptography;

namespace Tessera.Client;

/// <summary>Options of <see cref="TesseraAgent.RegisterAsync(Uri, string, string, string, IReadOnlyList{string}, TesseraAgentRegistrationOptions?, CancellationToken)"/>.</summary>
public sealed class TesseraAgentRegistrationOptions
{
    /// <summary>
    /// Where to keep the agent's Ed25519 private key (created with owner-only permissions); null
    /// keeps it in memory only. An existing file that the group or others have any permission on
    /// is refused on Unix (<c>key_file_too_open</c>); on Windows its ACL is not checked.
    /// </summary>
    public string? KeyFile { get; set; }

    /// <summary>The audience to request, when the launch token allows several.</summary>
    public string? Audience { get; set; }

    /// <summary>Requested token lifetime in seconds; null for the broker's default.</summary>
    public int? TokenTtl { get; set; }

    /// <summary>Allow plain http:// to a non-loopback broker. Off by default.</summary>
    public bool AllowInsecureHttp { get; set; }

    /// <summary>A handler for broker calls (tests, proxies). It must not follow redirects.</summary>
    public HttpMessageHandler? BrokerHandler { get; set; }

    /// <summary>Broker call timeout (default 10 s).</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The clock (tests).</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;
}

/// <summary>
/// An agent registered with a launch token and an Ed25519 challenge. Its token is managed from
/// then on: cached, renewed ahead of expiry (single-flight), and dropped when a platform reports
/// it revoked. Use it through <see cref="TesseraTokenHandler"/> or call <see cref="GetTokenAsync(CancellationToken)"/>.
/// </summary>
public sealed class TesseraAgent : ITesseraTokenProvider, IDisposable
{
    private readonly BrokerConnection _broker;
    private readonly TokenManager _tokens;
    private readonly TimeProvider _time;
    private readonly Key _key;

    private TesseraAgent(BrokerConnection broker, Key key, string agentId, IssuedToken first, TimeProvider time)
    {
        _broker = broker;
        _key = key;
        _time = time;
        AgentId = agentId;
        Audience = TokenPayload.Audience(first.Token);
        _tokens = new TokenManager(RenewAsync, mintRevokesPrevious: true, time);
        _tokens.Seed(string.Empty, first);
    }

    /// <summary>The agent's SPIFFE id.</summary>
    public string AgentId { get; }

    /// <summary>The platform (audience) the agent's token is for, as the broker issued it (its <c>aud</c>).</summary>
    public string Audience { get; }

    /// <summary>The raw 32-byte Ed25519 public key the agent registered.</summary>
    public ReadOnlyMemory<byte> PublicKey => _key.PublicKey.Export(KeyBlobFormat.RawPublicKey);

    /// <summary>Number of tokens obtained: the registration's plus every renewal (diagnostics).</summary>
    public int TokensMinted => _tokens.Mints + 1;

    /// <summary>
    /// Registers a new agent: fetches a nonce, signs its hex-decoded bytes with a fresh Ed25519
    /// key (or the one in <see cref="TesseraAgentRegistrationOptions.KeyFile"/>), and presents the
    /// launch token.
    /// </summary>
    public static async Task<TesseraAgent> RegisterAsync(
        Uri brokerUrl, string launchToken, string orchId, string taskId, IReadOnlyList<string> scopes,
        TesseraAgentRegistrationOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(brokerUrl);
        ArgumentException.ThrowIfNullOrEmpty(launchToken);
        ArgumentException.ThrowIfNullOrEmpty(orchId);
        ArgumentException.ThrowIfNullOrEmpty(taskId);
        ArgumentNullException.ThrowIfNull(scopes);
        options ??= new TesseraAgentRegistrationOptions();

        // The transport check comes first: a refused broker URL must not leave a new key file behind.
        BrokerConnection? broker = new(brokerUrl, options.AllowInsecureHttp, options.BrokerHandler, options.Timeout);
        Key? key = null;
        try
        {
            key = LoadKey(options.KeyFile);
            var agent = await RegisterWithKeyAsync(broker, key, launchToken, orchId, taskId, scopes, options, cancellationToken).ConfigureAwait(false);
            (key, broker) = (null, null);
            return agent;
        }
        finally
        {
            key?.Dispose();
            broker?.Dispose();
        }
    }

    private static Key LoadKey(string? keyFile)
    {
        try
        {
            return AgentKeyFile.LoadOrCreate(keyFile);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or ArgumentException or NotSupportedException)
        {
            throw new TesseraConfigurationException($"cannot use the agent key file '{keyFile}': {ex.Message}", ex);
        }
    }

    private static async Task<TesseraAgent> RegisterWithKeyAsync(
        BrokerConnection broker, Key key, string launchToken, string orchId, string taskId, IReadOnlyList<string> scopes,
        TesseraAgentRegistrationOptions options, CancellationToken cancellationToken)
    {
        try
        {
            string nonce;
            using (var challenge = await broker.SendAsync(HttpMethod.Get, "v1/challenge", null, null, null, cancellationToken).ConfigureAwait(false))
            {
                nonce = challenge.RootElement.GetProperty("nonce").GetString() ?? throw new TesseraException("the broker's challenge has no nonce");
            }

            byte[] signature = SignatureAlgorithm.Ed25519.Sign(key, Convert.FromHexString(nonce));
            byte[] publicKey = key.PublicKey.Export(KeyBlobFormat.RawPublicKey);
            var content = BrokerConnection.Json(w =>
            {
                w.WriteString("launch_token", launchToken);
                w.WriteString("nonce", nonce);
                w.WriteString("public_key", Convert.ToBase64String(publicKey));
                w.WriteString("signature", Convert.ToBase64String(signature));
                w.WriteString("orch_id", orchId);
                w.WriteString("task_id", taskId);
                w.WriteStartArray("requested_scope");
                foreach (string scope in scopes)
                {
                    w.WriteStringValue(scope);
                }

                w.WriteEndArray();
                if (options.TokenTtl is { } ttl)
                {
                    w.WriteNumber("requested_ttl", ttl);
                }

                if (options.Audience is { } audience)
                {
                    w.WriteString("audience", audience);
                }
            });
            var now = options.TimeProvider.GetUtcNow();
            using var registered = await broker.SendAsync(HttpMethod.Post, "v1/register", content, null, null, cancellationToken).ConfigureAwait(false);
            var root = registered.RootElement;
            var token = ReadToken(root, now);
            string agentId = root.GetProperty("agent_id").GetString() ?? throw new TesseraException("the broker's registration answer has no agent_id");
            return new TesseraAgent(broker, key, agentId, token, options.TimeProvider);
        }
        catch (Exception ex) when (ex is FormatException or KeyNotFoundException or InvalidOperationException)
        {
            throw new TesseraException("the broker's registration answer is malformed", ex);
        }
    }

    /// <summary>The agent's current token.</summary>
    public ValueTask<string> GetTokenAsync(CancellationToken cancellationToken = default) => _tokens.GetAsync(string.Empty, cancellationToken);

    /// <inheritdoc />
    /// <remarks>
    /// A registered agent has one token, and no list of its platform's origins: it answers its
    /// <see cref="Audience"/> for an origin the application listed
    /// (<see cref="TesseraHandlerOptions.AllowedOrigins"/>) and null for every other one.
    /// </remarks>
    public ValueTask<string?> AudienceForOriginAsync(Uri origin, bool listed, CancellationToken cancellationToken) =>
        ValueTask.FromResult(listed ? Audience : null);

    /// <inheritdoc />
    ValueTask<string> ITesseraTokenProvider.GetTokenAsync(string audience, CancellationToken cancellationToken) => GetTokenAsync(cancellationToken);

    /// <inheritdoc />
    public Task<string> RefreshAsync(string audience, string rejected, CancellationToken cancellationToken) => _tokens.RefreshAsync(string.Empty, rejected, cancellationToken);

    /// <summary>
    /// Delegates part of this agent's authority to another registered agent: a token for
    /// <paramref name="delegateAgentId"/> with <paramref name="scopes"/> (which must be covered by
    /// this agent's), living at most <paramref name="ttl"/> and never beyond this agent's token.
    /// </summary>
    public async Task<DelegatedToken> DelegateAsync(string delegateAgentId, IReadOnlyList<string> scopes, TimeSpan ttl, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(delegateAgentId);
        ArgumentNullException.ThrowIfNull(scopes);
        string token = await GetTokenAsync(cancellationToken).ConfigureAwait(false);
        var content = BrokerConnection.Json(w =>
        {
            w.WriteString("delegate_to", delegateAgentId);
            w.WriteStartArray("scope");
            foreach (string scope in scopes)
            {
                w.WriteStringValue(scope);
            }

            w.WriteEndArray();
            w.WriteNumber("ttl", (int)Math.Max(1, ttl.TotalSeconds));
        });
        var now = _time.GetUtcNow();
        using var answer = await _broker.SendAsync(HttpMethod.Post, "v1/delegate", content, token, null, cancellationToken).ConfigureAwait(false);
        var issued = ReadToken(answer.RootElement, now);
        return new DelegatedToken(delegateAgentId, issued.Token, issued.ExpiresAt, _time);
    }

    /// <summary>
    /// Releases the current token at the broker, which stops it working everywhere. The agent has
    /// no token afterwards: further calls throw <see cref="TesseraRevokedException"/>. Dispose the
    /// agent as usual.
    /// </summary>
    public async Task ReleaseAsync(CancellationToken cancellationToken = default)
    {
        string token = await GetTokenAsync(cancellationToken).ConfigureAwait(false);
        await _broker.SendWithoutAnswerAsync(HttpMethod.Post, "v1/token/release", null, token, cancellationToken).ConfigureAwait(false);
        _tokens.Forget(string.Empty);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _key.Dispose();
        _broker.Dispose();
    }

    private async Task<IssuedToken> RenewAsync(string audience, IssuedToken? current, CancellationToken cancellationToken)
    {
        if (current is null)
        {
            throw new TesseraRevokedException("the agent has no token left to renew; register again with a new launch token");
        }

        var now = _time.GetUtcNow();
        using var answer = await _broker.SendAsync(HttpMethod.Post, "v1/token/renew", null, current.Token, null, cancellationToken).ConfigureAwait(false);
        return ReadToken(answer.RootElement, now);
    }

    internal static IssuedToken ReadToken(JsonElement root, DateTimeOffset now)
    {
        string token = root.GetProperty("access_token").GetString() ?? throw new TesseraException("the broker's answer has no access_token");
        int expiresIn = root.TryGetProperty("expires_in", out var e) && e.TryGetInt32(out int seconds) && seconds > 0 ? seconds : 60;
        return new IssuedToken(token, now, now.AddSeconds(expiresIn));
    }
}
