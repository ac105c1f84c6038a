package dev.autopilot.backup.restore;

import dev.autopilot.mysql.gtid.GtidPosition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Parsing mariabackup's binlog info file (pure logic). */
class BackupBinlogInfoTest {

    @Test
    void mariabackupLineGivesFileOffsetAndGtidPosition() {
        BackupBinlogInfo info = BackupBinlogInfo.parse("binlog.000002\t48213\t0-1-1042,1-7-3\n");
        assertThat(info.binlogFile()).isEqualTo("binlog.000002");
        assertThat(info.binlogOffset()).isEqualTo(48213);
        assertThat(info.gtidPosition()).isEqualTo(GtidPosition.parse("0-1-1042,1-7-3"));
    }

    @Test
    void donorThatExecutedNothingHasAnEmptyPosition() {
        assertThat(BackupBinlogInfo.parse("binlog.000001\t329\t\n").gtidPosition().isEmpty()).isTrue();
        assertThat(BackupBinlogInfo.parse("binlog.000001\t329").gtidPosition().isEmpty()).isTrue();
    }

    @Test
    void garbageIsRejectedWithTheExpectedFormat() {
        assertThatThrownBy(() -> BackupBinlogInfo.parse("nonsense")).hasMessageContaining("file<TAB>position<TAB>gtid");
        assertThatThrownBy(() -> BackupBinlogInfo.parse("binlog.000001\tten\t0-1-1")).hasMessageContaining("'ten' is not a number");
    }

    @Test
    void readsEitherFileNameAndExplainsWhenNeitherExists(@TempDir Path dir) throws IOException {
        assertThatThrownBy(() -> BackupBinlogInfo.read(dir)).hasMessageContaining("log_bin");
        Files.writeString(dir.resolve("xtrabackup_binlog_info"), "binlog.000003\t10\t0-2-5\n");
        assertThat(BackupBinlogInfo.read(dir).gtidPosition()).isEqualTo(GtidPosition.parse("0-2-5"));
        Files.writeString(dir.resolve("mariadb_backup_binlog_info"), "binlog.000004\t20\t0-2-6\n");
        assertThat(BackupBinlogInfo.read(dir).binlogFile()).isEqualTo("binlog.000004");
    }
}
