package dev.autopilot.coordination;

import java.net.URI;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CountDownLatch;

/**
 * A lock holder in its own process, for tests that kill it or cut it off. Prints {@code ACQUIRED <nanoTime>} once
 * it holds the lock and {@code LOST <nanoTime> <reason>} when its lease-lost callback fires; System.nanoTime is
 * CLOCK_MONOTONIC, shared by every process on the machine, so the parent can order these against its own events.
 *
 * <p>Args: {@code <endpoint,endpoint,...> <cluster> <lock> <holderId> <ttlMillis> <marginMillis>}.
 */
public final class LockHolderMain {

    private LockHolderMain() {
    }

    public static void main(String[] args) throws InterruptedException {
        var endpoints = Arrays.stream(args[0].split(",")).map(URI::create).toList();
        var settings = CoordinatorSettings.etcd(args[1], endpoints).withTimeouts(Duration.ofSeconds(2), Duration.ofSeconds(10));
        Coordinator c = Coordinators.open(settings);
        CountDownLatch lost = new CountDownLatch(1);
        LeaderLock lock = c.leaderLock(args[2], args[3], Duration.ofMillis(Long.parseLong(args[4])),
                Duration.ofMillis(Long.parseLong(args[5])), loss -> {
                    System.out.println("LOST " + loss.atNanos() + " " + loss.reason());
                    System.out.flush();
                    lost.countDown();
                });
        while (!lock.acquire(Duration.ofSeconds(30))) {
            System.out.println("WAITING");
        }
        System.out.println("ACQUIRED " + System.nanoTime());
        System.out.flush();
        lost.await();
        Thread.sleep(Duration.ofMinutes(5)); // stays alive like a fenced agent would; the test kills it
    }
}
