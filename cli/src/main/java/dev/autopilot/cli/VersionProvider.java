package dev.autopilot.cli;

import picocli.CommandLine.IVersionProvider;

/** Reports the version recorded in the jar's manifest (or "development" when run from classes). */
final class VersionProvider implements IVersionProvider {
    @Override
    public String[] getVersion() {
        String version = Main.class.getPackage().getImplementationVersion();
        return new String[] {"autopilot " + (version == null ? "development" : version),
                "Java " + Runtime.version()};
    }
}
