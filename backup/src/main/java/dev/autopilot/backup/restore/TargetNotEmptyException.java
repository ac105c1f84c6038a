package dev.autopilot.backup.restore;

import java.io.IOException;
import java.nio.file.Path;

/** The target data directory holds files and the caller did not mark them disposable. Nothing was changed. */
public final class TargetNotEmptyException extends IOException {

    private final Path datadir;

    public TargetNotEmptyException(Path datadir, String example) {
        super("refusing to restore into " + datadir + ": it is not empty (holds '" + example
                + "'); remove it, or pass ExistingData.DISCARD if its contents are disposable");
        this.datadir = datadir;
    }

    public Path datadir() {
        return datadir;
    }
}
