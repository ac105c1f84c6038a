package dev.autopilot.storage.manta;

import dev.autopilot.storage.Secret;
import dev.autopilot.storage.StoreSettings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.Signature;
import java.util.Base64;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Reading keys in every supported format, their fingerprints as ssh-keygen prints them, and settings validation. */
class SigningKeyTest {

    @TempDir
    Path dir;

    @Test
    void fixtureKeysHaveTheFingerprintsSshKeygenPrintedForThem() {
        // Printed by ssh-keygen -l [-E md5] -f <key>.pub when the fixtures were made.
        record Fixture(String file, String md5, String sha256, String algorithm) {
        }
        for (Fixture f : List.of(
                new Fixture("rsa-pkcs1.pem", "01:65:1a:04:26:13:e7:c8:40:63:27:43:73:12:24:df",
                        "SHA256:N9XTrT9UukaeUxOpsn05Tv0Yxt8oeXLGfqKef5ev7z0", "rsa-sha256"),
                new Fixture("rsa-pkcs8.pem", "01:65:1a:04:26:13:e7:c8:40:63:27:43:73:12:24:df",
                        "SHA256:N9XTrT9UukaeUxOpsn05Tv0Yxt8oeXLGfqKef5ev7z0", "rsa-sha256"),
                new Fixture("ec-sec1.pem", "42:08:dc:b3:0a:35:a6:42:99:44:8b:e1:6f:52:7a:c9",
                        "SHA256:VbHSiVc7Vkg1MLe4C/gCTmz56Os73uVQAfCQWedLJy0", "ecdsa-sha384"),
                new Fixture("ec-pkcs8.pem", "42:08:dc:b3:0a:35:a6:42:99:44:8b:e1:6f:52:7a:c9",
                        "SHA256:VbHSiVc7Vkg1MLe4C/gCTmz56Os73uVQAfCQWedLJy0", "ecdsa-sha384"))) {
            SigningKey key = SigningKey.load(new StoreSettings.MantaKey.KeyFile(TestKeys.fixture(f.file())));
            assertThat(key.md5()).as(f.file()).isEqualTo(f.md5());
            assertThat(key.sha256()).as(f.file()).isEqualTo(f.sha256());
            assertThat(key.algorithm()).as(f.file()).isEqualTo(f.algorithm());
            assertThat(key.matches("MD5:" + f.md5().toUpperCase())).isTrue();
            assertThat(key.matches(f.sha256())).isTrue();
        }
    }

    @Test
    void generatedKeysSignWhatTheirPublicKeysVerify() throws Exception {
        for (KeyPair pair : List.of(TestKeys.rsa(), TestKeys.ec("secp256r1"), TestKeys.ec("secp384r1"), TestKeys.ec("secp521r1"))) {
            SigningKey key = SigningKey.parse(TestKeys.pem(pair), "generated");
            String jca = switch (key.algorithm()) {
                case "rsa-sha256" -> "SHA256withRSA";
                case "ecdsa-sha256" -> "SHA256withECDSA";
                case "ecdsa-sha384" -> "SHA384withECDSA";
                default -> "SHA512withECDSA";
            };
            Signature verify = Signature.getInstance(jca);
            verify.initVerify(pair.getPublic());
            verify.update("date: Thu, 03 Dec 2026 12:00:00 GMT".getBytes());
            assertThat(verify.verify(Base64.getDecoder().decode(key.sign("date: Thu, 03 Dec 2026 12:00:00 GMT"))))
                    .as(key.toString()).isTrue();
        }
    }

    @Test
    void theKeyFromTheOriginalsEnvironmentVariableMayWriteLineBreaksAsHashes() throws Exception {
        String munged = Files.readString(TestKeys.fixture("rsa-pkcs1.pem")).replace('\n', '#');
        SigningKey key = SigningKey.load(new StoreSettings.MantaKey.KeyText(new Secret(munged), "MANTA_PRIVATE_KEY"));
        assertThat(key.md5()).isEqualTo("01:65:1a:04:26:13:e7:c8:40:63:27:43:73:12:24:df");
    }

    @Test
    void openSshAndEncryptedKeysAreRefusedWithTheCommandThatConvertsThem() throws Exception {
        assertThatThrownBy(() -> SigningKey.load(new StoreSettings.MantaKey.KeyFile(TestKeys.fixture("ec-openssh.key"))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContainingAll("ec-openssh.key", "OpenSSH format", "ssh-keygen -p -N '' -m PEM");
        Path encrypted = dir.resolve("encrypted.pem");
        Files.writeString(encrypted, "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\nAAAA\n"
                + "-----END RSA PRIVATE KEY-----\n");
        assertThatThrownBy(() -> SigningKey.load(new StoreSettings.MantaKey.KeyFile(encrypted)))
                .hasMessageContainingAll("encrypted.pem", "encrypted with a passphrase");
    }

    @Test
    void settingsListEveryProblemAndNeverShowTheKeyText() throws Exception {
        Path unreadable = dir.resolve("missing.pem");
        var settings = new StoreSettings.Manta(URI.create("ftp://manta"), "", "bad sub", List.of("ok", "no way"),
                "SHA1:abc", new StoreSettings.MantaKey.KeyFile(unreadable), "/someone-else/stor/x");

        assertThat(settings.problems("storage")).anySatisfy(p -> assertThat(p).startsWith("storage.manta.url: 'ftp://manta'"))
                .anySatisfy(p -> assertThat(p).startsWith("storage.manta.user: missing"))
                .anySatisfy(p -> assertThat(p).startsWith("storage.manta.subuser: 'bad sub'"))
                .anySatisfy(p -> assertThat(p).startsWith("storage.manta.role: 'no way'"))
                .anySatisfy(p -> assertThat(p).startsWith("storage.manta.keyId: 'SHA1:abc' is not a key fingerprint"))
                .anySatisfy(p -> assertThat(p).contains("storage.manta.keyFile: '" + unreadable + "' does not exist"));

        KeyPair pair = TestKeys.rsa();
        String other = "01:65:1a:04:26:13:e7:c8:40:63:27:43:73:12:24:df"; // the fixture RSA key's
        var mismatched = new StoreSettings.Manta(URI.create("https://us-central.manta.mnx.io"), "ops", null, List.of(),
                other, new StoreSettings.MantaKey.KeyText(new Secret(TestKeys.pem(pair)), "MANTA_PRIVATE_KEY"),
                "/ops/public/elsewhere/../x");
        assertThat(mismatched.problems("backup")).anySatisfy(p -> assertThat(p).startsWith("backup.manta.keyId: '" + other
                        + "' is not the fingerprint of the private key in MANTA_PRIVATE_KEY"))
                .anySatisfy(p -> assertThat(p).startsWith("backup.manta.directory"));
        assertThat(mismatched.toString()).doesNotContain(TestKeys.pem(pair).substring(40, 80));

        var valid = new StoreSettings.Manta(URI.create("https://us-central.manta.mnx.io"), "ops", null, List.of(),
                TestKeys.keyId(pair), TestKeys.file(pair, dir.resolve("id.pem")), "backups/orders");
        assertThat(valid.problems("storage")).isEmpty();
        assertThat(valid.root()).isEqualTo("/ops/stor/backups/orders");
    }
}
