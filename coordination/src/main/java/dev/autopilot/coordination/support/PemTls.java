package dev.autopilot.coordination.support;

import dev.autopilot.coordination.CoordinatorSettings;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * An {@link SSLContext} from PEM files: a CA bundle that peers are verified against, and optionally this side's
 * certificate chain and PKCS#8 key (RSA or EC). Serves the coordination store's clients and, with the agent's
 * certificate, the agent's HTTPS listener.
 */
public final class PemTls {

    private PemTls() {
    }

    /** The coordination store client's context; errors name {@code coordination.tls}. */
    public static SSLContext context(CoordinatorSettings.Tls tls) {
        return context(tls.caFile(), tls.certFile(), tls.keyFile(), "coordination.tls");
    }

    /**
     * Builds the context from {@code caFile} and, when {@code certFile} is not null, {@code certFile} with {@code keyFile}.
     *
     * @param setting the setting the files come from, e.g. {@code api.tls}: errors name it and the files
     */
    public static SSLContext context(java.nio.file.Path caFile, java.nio.file.Path certFile, java.nio.file.Path keyFile, String setting) {
        var tls = new CoordinatorSettings.Tls(caFile, certFile, keyFile);
        try {
            CertificateFactory cf = CertificateFactory.getInstance("X.509");
            KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
            trust.load(null, null);
            try (InputStream in = Files.newInputStream(tls.caFile())) {
                int i = 0;
                for (Certificate c : cf.generateCertificates(in)) {
                    trust.setCertificateEntry("ca" + i++, c);
                }
                if (i == 0) {
                    throw new CertificateException(caFile + " holds no certificate");
                }
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
            KeyManagerFactory kmf = null;
            if (tls.certFile() != null) {
                KeyStore keys = KeyStore.getInstance(KeyStore.getDefaultType());
                keys.load(null, null);
                Certificate[] chain;
                try (InputStream in = Files.newInputStream(tls.certFile())) {
                    chain = cf.generateCertificates(in).toArray(Certificate[]::new);
                }
                if (chain.length == 0) {
                    throw new CertificateException(certFile + " holds no certificate");
                }
                keys.setKeyEntry("client", privateKey(Files.readString(tls.keyFile())), new char[0], chain);
                kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                kmf.init(keys, new char[0]);
            }
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(kmf == null ? null : kmf.getKeyManagers(), tmf.getTrustManagers(), null);
            return ctx;
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalArgumentException(setting + ": cannot load the PEM files (" + caFile + (certFile == null ? "" : ", "
                    + certFile + ", " + keyFile) + "): " + e.getMessage()
                    + " (PEM files; the key must be PKCS#8: openssl pkcs8 -topk8 -nocrypt)", e);
        }
    }

    private static PrivateKey privateKey(String pem) throws GeneralSecurityException {
        String b64 = pem.replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
        PKCS8EncodedKeySpec spec;
        try {
            spec = new PKCS8EncodedKeySpec(Base64.getDecoder().decode(b64));
        } catch (IllegalArgumentException notBase64) {
            throw new java.security.spec.InvalidKeySpecException("the key file is not PEM");
        }
        try {
            return KeyFactory.getInstance("RSA").generatePrivate(spec);
        } catch (GeneralSecurityException notRsa) {
            return KeyFactory.getInstance("EC").generatePrivate(spec);
        }
    }
}
