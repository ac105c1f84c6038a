package dev.autopilot.mysql.flavor;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class FlavorDetectionTest {

    @Test
    void debianMariaDbIsMariaDbFlavor() {
        Flavor f = Flavor.detect("10.11.19-MariaDB-0+deb12u1");
        assertThat(f).isInstanceOf(MariaDbFlavor.class);
        assertThat(f.version()).isEqualTo(new ServerVersion(ServerVersion.Product.MARIADB, 10, 11, 19, "10.11.19-MariaDB-0+deb12u1"));
        assertThat(Flavor.detect("11.4.2-MariaDB-log")).isInstanceOf(MariaDbFlavor.class);
        assertThat(Flavor.detect("10.5.0-MariaDB")).isInstanceOf(MariaDbFlavor.class);
    }

    @Test
    void replicationProtocolPrefixIsIgnored() {
        assertThat(Flavor.detect("5.5.5-10.6.12-MariaDB").version().minor()).isEqualTo(6);
    }

    @Test
    void mySqlAndPerconaAreMySqlFlavor() {
        assertThat(Flavor.detect("8.0.36")).isInstanceOf(MySqlFlavor.class);
        assertThat(Flavor.detect("8.0.36-28")).isInstanceOf(MySqlFlavor.class);
        assertThat(Flavor.detect("8.4.3")).isInstanceOf(MySqlFlavor.class);
    }

    @Test
    void oldMariaDbIsRejectedNamingTheMinimum() {
        assertThatThrownBy(() -> Flavor.detect("10.4.32-MariaDB"))
                .isInstanceOf(UnsupportedServerException.class)
                .hasMessageContaining("10.4.32-MariaDB").hasMessageContaining("MariaDB 10.5 or later");
    }

    @Test
    void oldMySqlIsRejectedNamingTheMinimum() {
        assertThatThrownBy(() -> Flavor.detect("5.7.44-log"))
                .isInstanceOf(UnsupportedServerException.class).hasMessageContaining("MySQL 8.0.26 or later");
        assertThatThrownBy(() -> Flavor.detect("8.0.20"))
                .isInstanceOf(UnsupportedServerException.class).hasMessageContaining("8.0.26");
    }

    @Test
    void unreadableVersionIsRejected() {
        assertThatThrownBy(() -> Flavor.detect("banana")).isInstanceOf(UnsupportedServerException.class)
                .hasMessageContaining("'banana'");
        assertThatThrownBy(() -> Flavor.detect(null)).isInstanceOf(UnsupportedServerException.class);
    }
}
