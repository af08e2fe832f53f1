using System.Net;
using System.Net.Http.Json;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;

namespace Tessera.Cli.Tests;

/// <summary>A throw-away PKI made in the test: a CA, a server and a client certificate it signs, and a client certificate from another CA.</summary>
internal static class TestPki
{
    private const string ServerAuth = "1.3.6.1.5.5.7.3.1";
    private const string ClientAuth = "1.3.6.1.5.5.7.3.2";

    public static (X509Certificate2 Certificate, ECDsa Key) CreateCa(string name)
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var now = DateTimeOffset.UtcNow;
        return (request.CreateSelfSigned(now.AddDays(-1), now.AddYears(1)), key);
    }

    /// <summary>A leaf signed by <paramref name="ca"/> (which must hold its private key).</summary>
    public static (X509Certificate2 Certificate, ECDsa Key) Issue(X509Certificate2 ca, string name, bool server)
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(server ? ServerAuth : ClientAuth)], false));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, true, false));
        if (server)
        {
            var san = new SubjectAlternativeNameBuilder();
            san.AddIpAddress(IPAddress.Loopback);
            san.AddDnsName("localhost");
            request.CertificateExtensions.Add(san.Build());
        }

        var now = DateTimeOffset.UtcNow;
        using var issued = request.Create(ca, now.AddHours(-1), now.AddDays(30), RandomNumberGenerator.GetBytes(16));
        return (issued.CopyWithPrivateKey(key), key);
    }

    /// <summary>Re-imported through PKCS#12 so SslStream can use the private key on every platform.</summary>
    public static X509Certificate2 Usable(X509Certificate2 withKey) => X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);

    public static void WritePem(string certPath, X509Certificate2 certificate, string? keyPath = null, ECDsa? key = null)
    {
        File.WriteAllText(certPath, certificate.ExportCertificatePem());
        if (keyPath is not null)
        {
            File.WriteAllText(keyPath, key!.ExportPkcs8PrivateKeyPem());
        }
    }
}

/// <summary>PEM files of the test PKI, and a tls and an mtls broker using them.</summary>
public sealed class TlsFixture : IAsyncLifetime
{
    public string Directory { get; } = TesseraProcess.TempDirectory();

    public string CaPem => Path.Combine(Directory, "ca.pem");

    public string OtherCaPem => Path.Combine(Directory, "other-ca.pem");

    public string ServerCertPem => Path.Combine(Directory, "server.pem");

    public string ServerKeyPem => Path.Combine(Directory, "server-key.pem");

    public string ClientCertPem => Path.Combine(Directory, "client.pem");

    public string ClientKeyPem => Path.Combine(Directory, "client-key.pem");

    public string NotPem => Path.Combine(Directory, "not-a-cert.pem");

    /// <summary>Both CAs in one file.</summary>
    public string CaBundlePem => Path.Combine(Directory, "ca-bundle.pem");

    public X509Certificate2 Ca { get; private set; } = null!;

    public X509Certificate2 ClientCertificate { get; private set; } = null!;

    public X509Certificate2 ForeignClientCertificate { get; private set; } = null!;

    public X509Certificate2 ServerCertificateAsClient { get; private set; } = null!;

    private Task<CliBroker>? _tls;
    private Task<CliBroker>? _mtls;
    private Task<CliBroker>? _mtlsBundle;

    public async Task InitializeAsync()
    {
        var (ca, caKey) = TestPki.CreateCa("Tessera Test CA");
        var (otherCa, otherCaKey) = TestPki.CreateCa("Some Other CA");
        var (server, serverKey) = TestPki.Issue(ca, "127.0.0.1", server: true);
        var (client, clientKey) = TestPki.Issue(ca, "agent-client", server: false);
        var (foreign, foreignKey) = TestPki.Issue(otherCa, "foreign-client", server: false);
        using (caKey)
        using (otherCaKey)
        using (serverKey)
        using (clientKey)
        using (foreignKey)
        {
            TestPki.WritePem(CaPem, ca);
            TestPki.WritePem(OtherCaPem, otherCa);
            TestPki.WritePem(ServerCertPem, server, ServerKeyPem, serverKey);
            TestPki.WritePem(ClientCertPem, client, ClientKeyPem, clientKey);
            await File.WriteAllTextAsync(NotPem, "this is not a PEM file\n");
            await File.WriteAllTextAsync(CaBundlePem, ca.ExportCertificatePem() + "\n" + otherCa.ExportCertificatePem() + "\n");
            Ca = X509CertificateLoader.LoadCertificate(ca.RawData);
            ClientCertificate = TestPki.Usable(client);
            ForeignClientCertificate = TestPki.Usable(foreign);
            ServerCertificateAsClient = TestPki.Usable(server);
        }

    }

    /// <summary>A broker in tls mode, started on first use and shared.</summary>
    internal Task<CliBroker> TlsBrokerAsync() => _tls ??= CliBroker.StartAsync(new Dictionary<string, string?>
    {
        ["urls"] = "https://127.0.0.1:0",
        ["tls_mode"] = "tls",
        ["tls_cert"] = ServerCertPem,
        ["tls_key"] = ServerKeyPem,
    });

    /// <summary>A broker in mtls mode trusting the test CA for clients, started on first use and shared.</summary>
    internal Task<CliBroker> MtlsBrokerAsync() => _mtls ??= CliBroker.StartAsync(new Dictionary<string, string?>
    {
        ["urls"] = "https://127.0.0.1:0",
        ["tls_mode"] = "mtls",
        ["tls_cert"] = ServerCertPem,
        ["tls_key"] = ServerKeyPem,
        ["tls_client_ca"] = CaPem,
    });

    /// <summary>A broker in mtls mode trusting both CAs (a bundle file), started on first use.</summary>
    internal Task<CliBroker> MtlsBundleBrokerAsync() => _mtlsBundle ??= CliBroker.StartAsync(new Dictionary<string, string?>
    {
        ["urls"] = "https://127.0.0.1:0",
        ["tls_mode"] = "mtls",
        ["tls_cert"] = ServerCertPem,
        ["tls_key"] = ServerKeyPem,
        ["tls_client_ca"] = CaBundlePem,
    });

    public async Task DisposeAsync()
    {
        foreach (var broker in new[] { _tls, _mtls, _mtlsBundle })
        {
            if (broker is { IsCompletedSuccessfully: true })
            {
                await broker.Result.DisposeAsync();
            }
        }
    }

    /// <summary>A client that trusts only the test CA for the server, optionally presenting a client certificate.</summary>
    public HttpClient Client(string baseAddress, X509Certificate2? clientCertificate = null, Action<bool>? onServerCheck = null)
    {
        var ca = Ca;
        var handler = new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = (_, certificate, _, errors) =>
            {
                bool ok = certificate is not null && (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) == SslPolicyErrors.None;
                if (ok)
                {
                    using var chain = new X509Chain();
                    chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                    chain.ChainPolicy.CustomTrustStore.Add(ca);
                    chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                    chain.ChainPolicy.ApplicationPolicy.Add(new Oid("1.3.6.1.5.5.7.3.1"));
                    ok = chain.Build(certificate!);
                }

                onServerCheck?.Invoke(ok);
                return ok;
            },
        };
        if (clientCertificate is not null)
        {
            handler.ClientCertificateOptions = ClientCertificateOption.Manual;
            handler.ClientCertificates.Add(clientCertificate);
        }

        return new HttpClient(handler) { BaseAddress = new Uri(baseAddress), Timeout = TimeSpan.FromSeconds(20) };
    }
}

/// <summary>A broker serving HTTPS, and mTLS refusing clients without a certificate from the client CA.</summary>
public sealed class TlsTests(TlsFixture pki) : IClassFixture<TlsFixture>
{

    [Fact]
    public async Task TlsMode_ServesHealthOverHttps_WhenClientTrustsTheTestCa()
    {
        var tls = await pki.TlsBrokerAsync();
        bool? serverChecked = null;
        using var client = pki.Client(tls.Url, onServerCheck: ok => serverChecked = ok);

        using var response = await client.GetAsync("/v1/health");

        Assert.StartsWith("https://127.0.0.1:", tls.Url, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(serverChecked);
        var body = await response.Content.ReadFromJsonAsync<JsonObject>();
        Assert.Equal("ok", body!["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task TlsMode_FailsHandshake_WhenClientTrustsOnlyTheSystemRoots()
    {
        var tls = await pki.TlsBrokerAsync();
        using var client = new HttpClient { BaseAddress = new Uri(tls.Url), Timeout = TimeSpan.FromSeconds(20) };

        var ex = await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync("/v1/health"));

        Assert.IsType<System.Security.Authentication.AuthenticationException>(ex.InnerException);
    }

    [Fact]
    public async Task TlsMode_RefusesPlainHttp_WhenSentToTheHttpsPort()
    {
        var tls = await pki.TlsBrokerAsync();
        var port = new Uri(tls.Url).Port;
        using var plain = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(20) };

        var ex = await Record.ExceptionAsync(async () =>
        {
            using var response = await plain.GetAsync("/v1/health");
            Assert.Fail($"plain HTTP was answered: {(int)response.StatusCode}");
        });

        Assert.IsType<HttpRequestException>(ex);
    }

    [Fact]
    public async Task TlsMode_AcceptsClientWithoutCertificate_WhenNotMutual()
    {
        var tls = await pki.TlsBrokerAsync();
        using var client = pki.Client(tls.Url);

        using var response = await client.GetAsync("/.well-known/jwks.json");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task MtlsMode_RefusesClientWithoutCertificate_AtTheHandshake()
    {
        var mtls = await pki.MtlsBrokerAsync();
        using var client = pki.Client(mtls.Url);

        await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync("/v1/health"));
    }

    [Fact]
    public async Task MtlsMode_AcceptsClient_WhenCertificateIsSignedByTheClientCa()
    {
        var mtls = await pki.MtlsBrokerAsync();
        using var client = pki.Client(mtls.Url, pki.ClientCertificate);

        using var response = await client.GetAsync("/v1/health");
        using var auth = await client.PostAsJsonAsync("/v1/admin/auth", new { secret = CliBroker.AdminSecret });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(HttpStatusCode.OK, auth.StatusCode);
    }

    [Fact]
    public async Task MtlsMode_RefusesClient_WhenCertificateIsFromAnotherCa()
    {
        var mtls = await pki.MtlsBrokerAsync();
        using var client = pki.Client(mtls.Url, pki.ForeignClientCertificate);

        await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync("/v1/health"));
    }

    [Fact]
    public async Task MtlsMode_RefusesClient_WhenCertificateLacksClientAuthUsage()
    {
        var mtls = await pki.MtlsBrokerAsync();
        // Signed by the right CA, but issued for serverAuth only.
        using var client = pki.Client(mtls.Url, pki.ServerCertificateAsClient);

        await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync("/v1/health"));
    }

    [Fact]
    public async Task MtlsMode_AcceptsClientsOfEveryCa_WhenClientCaFileIsABundle()
    {
        var bundle = await pki.MtlsBundleBrokerAsync();
        using var ours = pki.Client(bundle.Url, pki.ClientCertificate);
        using var theirs = pki.Client(bundle.Url, pki.ForeignClientCertificate);
        using var none = pki.Client(bundle.Url);

        using var a = await ours.GetAsync("/v1/health");
        using var b = await theirs.GetAsync("/v1/health");

        Assert.Equal(HttpStatusCode.OK, a.StatusCode);
        Assert.Equal(HttpStatusCode.OK, b.StatusCode);
        await Assert.ThrowsAsync<HttpRequestException>(() => none.GetAsync("/v1/health"));
    }

    [Fact]
    public async Task MtlsMode_KeepsServingGoodClients_AfterRefusingBadOnes()
    {
        var mtls = await pki.MtlsBrokerAsync();
        using var bad = pki.Client(mtls.Url);
        using var good = pki.Client(mtls.Url, pki.ClientCertificate);

        for (int i = 0; i < 3; i++)
        {
            await Assert.ThrowsAsync<HttpRequestException>(() => bad.GetAsync("/v1/health"));
        }

        using var response = await good.GetAsync("/v1/health");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task ServeProcess_ServesHttps_WhenTlsIsConfiguredThroughTheEnvironment()
    {
        string dir = TesseraProcess.TempDirectory();
        int port = TesseraProcess.FreePort();
        var env = new Dictionary<string, string?>
        {
            ["TESSERA_ADMIN_SECRET"] = CliBroker.AdminSecret,
            ["TESSERA_BCRYPT_COST"] = "4",
            ["TESSERA_DB"] = Path.Combine(dir, "t.db"),
            ["TESSERA_SIGNING_KEY_PATH"] = Path.Combine(dir, "k.json"),
            ["TESSERA_TLS_MODE"] = "mtls",
            ["TESSERA_TLS_CERT"] = pki.ServerCertPem,
            ["TESSERA_TLS_KEY"] = pki.ServerKeyPem,
            ["TESSERA_TLS_CLIENT_CA"] = pki.CaPem,
        };
        using var process = TesseraProcess.Start(dir, env, "serve", "--urls", $"https://127.0.0.1:{port}");
        await process.WaitForOutputAsync("Tessera broker listening", TimeSpan.FromSeconds(60));
        using var good = pki.Client($"https://127.0.0.1:{port}", pki.ClientCertificate);
        using var bad = pki.Client($"https://127.0.0.1:{port}");

        using var response = await good.GetAsync("/v1/health");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains($"https://127.0.0.1:{port}", process.Stdout, StringComparison.Ordinal);
        await Assert.ThrowsAsync<HttpRequestException>(() => bad.GetAsync("/v1/health"));
        Cli.AssertNoSecret(process.Stdout, process.Stderr);
    }

    [Fact]
    public async Task AdminVerbProcess_WorksOverHttps_WhenTheCaIsTrustedThroughSslCertFile()
    {
        var tls = await pki.TlsBrokerAsync();
        var env = Cli.AdminEnvironment();
        env["SSL_CERT_FILE"] = pki.CaPem;
        env["SSL_CERT_DIR"] = pki.Directory;

        var trusted = await Cli.RunProcessAsync(env, "keys", "list", "--broker", tls.Url);
        var untrusted = await Cli.RunProcessAsync(Cli.AdminEnvironment(), "keys", "list", "--broker", tls.Url);

        Assert.True(trusted.Code == 0, trusted.ToString());
        Assert.StartsWith("KID", trusted.Out, StringComparison.Ordinal);
        Assert.Equal(3, untrusted.Code);
        Assert.StartsWith("error: cannot reach the broker at https://127.0.0.1:", untrusted.Err, StringComparison.Ordinal);
    }
}

/// <summary>TLS configuration errors stop the real process with one FATAL line before anything is opened.</summary>
public sealed class TlsConfigTests(TlsFixture pki) : IClassFixture<TlsFixture>
{
    public static TheoryData<string, string, string, string> BadTlsSettings => new()
    {
        { "tls-without-cert", "TESSERA_TLS_MODE=tls", "https", "FATAL: TESSERA_TLS_MODE=tls needs TESSERA_TLS_CERT and TESSERA_TLS_KEY" },
        { "tls-without-key", "TESSERA_TLS_MODE=tls;TESSERA_TLS_CERT={cert}", "https", "FATAL: TESSERA_TLS_MODE=tls needs TESSERA_TLS_CERT and TESSERA_TLS_KEY" },
        { "mtls-without-ca", "TESSERA_TLS_MODE=mtls;TESSERA_TLS_CERT={cert};TESSERA_TLS_KEY={key}", "https", "FATAL: TESSERA_TLS_MODE=mtls needs TESSERA_TLS_CLIENT_CA" },
        { "tls-with-http-url", "TESSERA_TLS_MODE=tls;TESSERA_TLS_CERT={cert};TESSERA_TLS_KEY={key}", "http", "FATAL: TESSERA_TLS_MODE=tls needs https:// addresses in --urls" },
        { "https-url-without-tls", "", "https", "FATAL: an https:// address in --urls needs TESSERA_TLS_MODE=tls or mtls with TESSERA_TLS_CERT and TESSERA_TLS_KEY" },
        { "bad-mode", "TESSERA_TLS_MODE=x", "https", "FATAL: TESSERA_TLS_MODE must be none, tls or mtls (got 'x')" },
        { "cert-file-missing", "TESSERA_TLS_MODE=tls;TESSERA_TLS_CERT={dir}/missing.pem;TESSERA_TLS_KEY={key}", "https", "FATAL: TESSERA_TLS_CERT file not found: {dir}/missing.pem" },
        { "cert-not-pem", "TESSERA_TLS_MODE=tls;TESSERA_TLS_CERT={notpem};TESSERA_TLS_KEY={key}", "https", "FATAL: TESSERA_TLS_CERT/TESSERA_TLS_KEY cannot be loaded as a PEM certificate and key: *" },
        { "key-not-pem", "TESSERA_TLS_MODE=tls;TESSERA_TLS_CERT={cert};TESSERA_TLS_KEY={notpem}", "https", "FATAL: TESSERA_TLS_CERT/TESSERA_TLS_KEY cannot be loaded as a PEM certificate and key: *" },
        { "key-as-cert", "TESSERA_TLS_MODE=tls;TESSERA_TLS_CERT={key};TESSERA_TLS_KEY={key}", "https", "FATAL: TESSERA_TLS_CERT/TESSERA_TLS_KEY cannot be loaded as a PEM certificate and key: *" },
        { "client-ca-not-pem", "TESSERA_TLS_MODE=mtls;TESSERA_TLS_CERT={cert};TESSERA_TLS_KEY={key};TESSERA_TLS_CLIENT_CA={notpem}", "https", "FATAL: TESSERA_TLS_CLIENT_CA holds no PEM certificate" },
    };

    [Theory]
    [MemberData(nameof(BadTlsSettings))]
    public Task Serve_ExitsWithOneFatalLine_WhenTlsIsMisconfigured(string name, string settings, string scheme, string expected)
    {
        _ = name;
        return AssertFatalAsync(settings, scheme, expected);
    }

    [Fact]
    public Task Serve_ExitsWithOneFatalLine_WhenTlsKeyBelongsToAnotherCertificate() =>
        AssertFatalAsync("TESSERA_TLS_MODE=tls;TESSERA_TLS_CERT={cert};TESSERA_TLS_KEY={clientkey}", "https", "FATAL: TESSERA_TLS_CERT/TESSERA_TLS_KEY cannot be loaded as a PEM certificate and key: *");

    private async Task AssertFatalAsync(string settings, string scheme, string expected)
    {
        string dir = TesseraProcess.TempDirectory();
        string Expand(string text) => text
            .Replace("{cert}", pki.ServerCertPem, StringComparison.Ordinal)
            .Replace("{key}", pki.ServerKeyPem, StringComparison.Ordinal)
            .Replace("{clientkey}", pki.ClientKeyPem, StringComparison.Ordinal)
            .Replace("{notpem}", pki.NotPem, StringComparison.Ordinal)
            .Replace("{dir}", dir, StringComparison.Ordinal);
        var env = new Dictionary<string, string?>
        {
            ["TESSERA_ADMIN_SECRET"] = CliBroker.AdminSecret,
            ["TESSERA_DB"] = Path.Combine(dir, "t.db"),
            ["TESSERA_SIGNING_KEY_PATH"] = Path.Combine(dir, "k.json"),
        };
        foreach (string pair in settings.Split(';', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = pair.Split('=', 2);
            env[parts[0]] = Expand(parts[1]);
        }

        using var process = TesseraProcess.Start(dir, env, "serve", "--urls", $"{scheme}://127.0.0.1:{TesseraProcess.FreePort()}");

        Assert.Equal(1, await process.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        string line = Assert.Single(Cli.Lines(process.Stderr));
        expected = Expand(expected);
        if (expected.EndsWith('*'))
        {
            Assert.StartsWith(expected[..^1], line, StringComparison.Ordinal);
        }
        else
        {
            Assert.Equal(expected, line);
        }

        Assert.DoesNotContain("listening", process.Stdout, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(dir, "t.db")), "the database was created before the configuration was checked");
    }
}
