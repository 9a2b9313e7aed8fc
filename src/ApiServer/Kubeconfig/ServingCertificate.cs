using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Fluid.Aspire.ApiServer.Kubeconfig;

/// <summary>
/// The TLS identity of the local API: a certificate authority of its own and a serving certificate for 127.0.0.1,
/// ::1 and localhost signed by it. TLS is not optional here: kubectl sends a bearer token only over TLS. Both are kept
/// in a directory so that a restarted server presents the same authority and kubeconfigs already handed out stay valid.
/// </summary>
internal sealed class ServingCertificate
{
    private ServingCertificate(X509Certificate2 authority, X509Certificate2 server)
    {
        Authority = authority;
        Server = server;
    }

    /// <summary>The authority clients trust (a kubeconfig's <c>certificate-authority-data</c>).</summary>
    public X509Certificate2 Authority { get; }

    /// <summary>The certificate the server presents, with its private key.</summary>
    public X509Certificate2 Server { get; }

    /// <summary>The authority in PEM, as a kubeconfig embeds it.</summary>
    public string AuthorityPem => Authority.ExportCertificatePem();

    /// <summary>New certificates, kept in memory only.</summary>
    public static ServingCertificate CreateEphemeral(TimeProvider clock) => Create(clock.GetUtcNow());

    /// <summary>Loads the certificates from <paramref name="directory"/>, creating them when missing or expiring within a week.</summary>
    public static ServingCertificate LoadOrCreate(string directory, TimeProvider clock)
    {
        Directory.CreateDirectory(directory);
        var authorityFile = Path.Combine(directory, "ca.crt");
        var serverFile = Path.Combine(directory, "apiserver.crt");
        var keyFile = Path.Combine(directory, "apiserver.key");
        if (File.Exists(authorityFile) && File.Exists(serverFile) && File.Exists(keyFile))
        {
            var authority = X509CertificateLoader.LoadCertificateFromFile(authorityFile);
            var server = X509Certificate2.CreateFromPemFile(serverFile, keyFile);
            if (server.NotAfter > clock.GetUtcNow().AddDays(7).UtcDateTime)
            {
                return new ServingCertificate(authority, server);
            }
        }

        var created = Create(clock.GetUtcNow());
        Write(authorityFile, created.AuthorityPem, secret: false);
        Write(serverFile, created.Server.ExportCertificatePem(), secret: false);
        Write(keyFile, created.Server.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem(), secret: true);
        return created;
    }

    private static ServingCertificate Create(DateTimeOffset now)
    {
        using var authorityKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var authorityRequest = new CertificateRequest("CN=fluid-apiserver-ca", authorityKey, HashAlgorithmName.SHA256);
        authorityRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        authorityRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        using var authority = authorityRequest.CreateSelfSigned(now.AddMinutes(-5), now.AddYears(5));

        var serverKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var serverRequest = new CertificateRequest("CN=fluid-apiserver", serverKey, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddIpAddress(IPAddress.IPv6Loopback);
        names.AddDnsName("localhost");
        serverRequest.CertificateExtensions.Add(names.Build());
        serverRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        serverRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        serverRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7f;
        using var signed = serverRequest.Create(authority, now.AddMinutes(-5), now.AddYears(1), serial);
        var server = signed.CopyWithPrivateKey(serverKey);
        return new ServingCertificate(X509CertificateLoader.LoadCertificate(authority.RawData), server);
    }

    private static void Write(string path, string pem, bool secret) =>
        FileWrites.Replace(path, pem, secret
            ? UnixFileMode.UserRead | UnixFileMode.UserWrite
            : UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
}
