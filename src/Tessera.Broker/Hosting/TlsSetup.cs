using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.Options;
using Tessera.Broker.Configuration;

namespace Tessera.Broker.Hosting;

/// <summary>
/// TLS for the broker (<c>TESSERA_TLS_MODE=tls|mtls</c>): the server certificate and key from PEM
/// files; in mtls a client must present a certificate that chains to <c>TESSERA_TLS_CLIENT_CA</c>
/// (and only to it: the system roots are not trusted for clients), or the handshake fails.
/// </summary>
internal sealed class TlsSetup
{
    private readonly X509Certificate2 _certificate;
    private readonly X509Certificate2Collection? _clientCa;

    private TlsSetup(X509Certificate2 certificate, X509Certificate2Collection? clientCa)
    {
        _certificate = certificate;
        _clientCa = clientCa;
    }

    /// <summary>Loads the files named by the options; null in mode none.</summary>
    /// <exception cref="OptionsValidationException">A file cannot be read as PEM.</exception>
    public static TlsSetup? Load(BrokerOptions options)
    {
        if (options.TlsMode == "none")
        {
            return null;
        }

        X509Certificate2 certificate;
        try
        {
            using var pem = X509Certificate2.CreateFromPemFile(options.TlsCert!, options.TlsKey!);

            // Re-import so the private key is usable by SslStream on every platform.
            certificate = X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
        }
        catch (Exception ex) when (ex is CryptographicException or ArgumentException)
        {
            throw new OptionsValidationException(nameof(BrokerOptions), typeof(BrokerOptions), [$"TESSERA_TLS_CERT/TESSERA_TLS_KEY cannot be loaded as a PEM certificate and key: {ex.Message}"]);
        }

        X509Certificate2Collection? clientCa = null;
        if (options.TlsMode == "mtls")
        {
            try
            {
                // A bundle is fine: every certificate in the file is a trust anchor for clients.
                clientCa = [];
                clientCa.ImportFromPemFile(options.TlsClientCa!);
            }
            catch (CryptographicException ex)
            {
                throw new OptionsValidationException(nameof(BrokerOptions), typeof(BrokerOptions), [$"TESSERA_TLS_CLIENT_CA cannot be loaded as PEM certificates: {ex.Message}"]);
            }

            if (clientCa.Count == 0)
            {
                throw new OptionsValidationException(nameof(BrokerOptions), typeof(BrokerOptions), ["TESSERA_TLS_CLIENT_CA holds no PEM certificate"]);
            }
        }

        return new TlsSetup(certificate, clientCa);
    }

    public void Apply(HttpsConnectionAdapterOptions https)
    {
        https.ServerCertificate = _certificate;
        https.SslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13;
        if (_clientCa is null)
        {
            return;
        }

        https.ClientCertificateMode = ClientCertificateMode.RequireCertificate;
        https.ClientCertificateValidation = (certificate, _, _) =>
        {
            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.AddRange(_clientCa);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            chain.ChainPolicy.ApplicationPolicy.Add(new Oid("1.3.6.1.5.5.7.3.2"));
            return chain.Build(certificate);
        };
    }
}
