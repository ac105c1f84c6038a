package dev.autopilot.storage;

import org.junit.jupiter.api.Test;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Pure logic: settings validation lists every problem by path, and secrets never reach toString. */
class StoreSettingsTest {

    @Test
    void everyProblemIsListedByItsPath() {
        var s3 = new StoreSettings.S3("", "p", URI.create("ftp://x"), " ", true,
                new StoreSettings.Credentials.AccessKey("", new Secret("")), 2, 40, Duration.ZERO, Duration.ofSeconds(1));

        assertThatThrownBy(() -> SnapshotStores.open(s3)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContainingAll("storage.s3.bucket: missing", "storage.s3.endpoint: 'ftp://x'",
                        "storage.s3.region: blank", "storage.s3.credentials.access-key-id: missing",
                        "storage.s3.credentials.secret-access-key: missing", "storage.s3.part-size-mib: 2",
                        "storage.s3.upload-concurrency: 40", "storage.s3.connect-timeout");
        assertThat(new StoreSettings.Directory(null).problems("backup.store"))
                .containsExactly("backup.store.directory.path: missing");
    }

    @Test
    void validSettingsHaveNoProblemsAndPrefixIsNormalized() {
        var s3 = new StoreSettings.S3("my-bucket", "/cluster1", null, null, false,
                new StoreSettings.Credentials.DefaultChain());

        assertThat(s3.problems("storage")).isEmpty();
        assertThat(s3.prefix()).isEqualTo("cluster1/");
        assertThat(new StoreSettings.Directory(Path.of("/backups")).problems("storage")).isEmpty();
    }

    @Test
    void secretAccessKeyNeverAppearsInToString() {
        var s3 = new StoreSettings.S3("b", "", null, "us-east-1", true,
                new StoreSettings.Credentials.AccessKey("AKIDEXAMPLE", new Secret("wJalrXUtnFEMI/K7MDENG")));

        assertThat(s3.toString()).contains("AKIDEXAMPLE").doesNotContain("wJalrXUtnFEMI");
    }

    @Test
    void keysOutsideTheRulesAreRejectedNamingTheRule() {
        assertThat(ObjectKeys.requireValid("snapshots/2026-11-25T12:00:00Z/full.xb.zst"))
                .isEqualTo("snapshots/2026-11-25T12:00:00Z/full.xb.zst");
        for (String bad : new String[] {"", "/abs", "a//b", "a/../b", ".hidden", "a/.b", "sp ace", "a/"}) {
            assertThatThrownBy(() -> ObjectKeys.requireValid(bad)).as(bad)
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'" + bad + "'");
        }
        assertThatThrownBy(() -> ObjectKeys.requireValidMetadata(java.util.Map.of("Bad Name", "v")))
                .hasMessageContaining("Bad Name");
    }
}
