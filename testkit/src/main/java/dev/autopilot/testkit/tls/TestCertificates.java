package dev.autopilot.testkit.tls;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * A throw-away certificate authority and one certificate per loopback address, made with Debian's {@code openssl}
 * the way an operator would (docs: {@code deploy/secured/make-certificates.sh} does the same). Keys are EC P-256,
 * PKCS#8 PEM, unencrypted; every certificate is valid for server and client use, for its IP address and
 * {@code localhost}, for 30 days.
 *
 * <pre>{@code
 * TestCertificates certs = TestCertificates.create(dir, "127.0.43.1", "127.0.43.2");
 * certs.caFile(); certs.certFile("127.0.43.1"); certs.keyFile("127.0.43.1");
 * }</pre>
 */
public final class TestCertificates {
    private static final String PASSWORD = "changeit";

    private final Path dir;

    private TestCertificates(Path dir) {
        this.dir = dir;
    }

    /**
     * Certificates already in {@code dir} in the same layout ({@code ca.pem}, {@code NAME.pem}, {@code NAME.key}), e.g.
     * made by {@code deploy/secured/make-certificates.sh}.
     */
    public static TestCertificates existing(Path dir) {
        if (!Files.isRegularFile(dir.resolve("ca.pem"))) {
            throw new IllegalArgumentException(dir + " has no ca.pem");
        }
        return new TestCertificates(dir);
    }

    /** Creates the CA in {@code dir} and a certificate for each of {@code names} (IP addresses or host names); see {@link #issue}. */
    public static TestCertificates create(Path dir, String... names) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        TestCertificates certs = new TestCertificates(dir);
        certs.openssl("req", "-x509", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", dir.resolve("ca.key").toString(), "-out", dir.resolve("ca.pem").toString(), "-days", "30",
                "-subj", "/CN=autopilot test CA", "-addext", "basicConstraints=critical,CA:TRUE",
                "-addext", "keyUsage=critical,keyCertSign,cRLSign");
        for (String name : names) {
            certs.issue(name);
        }
        return certs;
    }

    /**
     * Issues a certificate for {@code name} (an IP address or a host name) signed by this CA, also valid for
     * {@code localhost} and the {@code alsoFor} host names (e.g. {@code etcd}, the name all etcd members share).
     */
    public void issue(String name, String... alsoFor) {
        boolean ip = name.matches("[0-9.]+");
        Path ext = dir.resolve(name + ".ext");
        StringBuilder san = new StringBuilder((ip ? "IP:" : "DNS:") + name + ",DNS:localhost");
        for (String other : alsoFor) {
            san.append(",DNS:").append(other);
        }
        try {
            Files.writeString(ext, "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n"
                    + "extendedKeyUsage=serverAuth,clientAuth\nsubjectAltName=" + san + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", keyFile(name).toString(), "-out", dir.resolve(name + ".csr").toString(),
                // No Common Name: the names are in subjectAltName, and with client-cert-auth and authentication on,
                // etcd's JSON gateway refuses every client certificate that has one (it cannot pass it on as a user).
                "-subj", "/O=autopilot test");
        openssl("x509", "-req", "-in", dir.resolve(name + ".csr").toString(), "-CA", caFile().toString(),
                "-CAkey", dir.resolve("ca.key").toString(), "-CAcreateserial", "-out", certFile(name).toString(), "-days", "30",
                "-extfile", ext.toString());
    }

    /** The CA certificate (PEM). */
    public Path caFile() {
        return dir.resolve("ca.pem");
    }

    /** The certificate of {@code name} (PEM). */
    public Path certFile(String name) {
        return dir.resolve(name + ".pem");
    }

    /** The private key of {@code name} (PKCS#8 PEM). */
    public Path keyFile(String name) {
        return dir.resolve(name + ".key");
    }

    /** A client context that trusts this CA and presents {@code name}'s certificate (null: no client certificate). */
    public SSLContext clientContext(String name) {
        try {
            KeyStore trust = KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            try (InputStream in = Files.newInputStream(caFile())) {
                Certificate ca = CertificateFactory.getInstance("X.509").generateCertificate(in);
                trust.setCertificateEntry("ca", ca);
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
            KeyManagerFactory kmf = null;
            if (name != null) {
                Path p12 = dir.resolve(name + ".p12");
                if (!Files.exists(p12)) {
                    openssl("pkcs12", "-export", "-in", certFile(name).toString(), "-inkey", keyFile(name).toString(),
                            "-out", p12.toString(), "-passout", "pass:" + PASSWORD);
                }
                KeyStore keys = KeyStore.getInstance("PKCS12");
                try (InputStream in = Files.newInputStream(p12)) {
                    keys.load(in, PASSWORD.toCharArray());
                }
                kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                kmf.init(keys, PASSWORD.toCharArray());
            }
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(kmf == null ? null : kmf.getKeyManagers(), tmf.getTrustManagers(), null);
            return ctx;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot build a TLS context from " + dir, e);
        }
    }

    private void openssl(String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add("openssl");
        cmd.addAll(List.of(args));
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", cmd) + " failed:\n" + out);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("openssl not found: apt-get install openssl", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
