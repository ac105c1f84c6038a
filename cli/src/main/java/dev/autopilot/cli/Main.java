package dev.autopilot.cli;

/** Entry point of {@code bin/autopilot}. */
public final class Main {
    private Main() {}

    public static void main(String[] args) {
        System.out.println("autopilot");
    }
}
