package dev.autopilot.agent.db;

import dev.autopilot.mysql.admin.DatabaseAdmin;
import dev.autopilot.mysql.admin.DatabaseException;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A dead-man switch inside {@code mariadbd}, for the one fault the agent cannot fence itself: the agent frozen
 * (SIGSTOP, a long GC pause, a stalled VM) while its server stays writable. Clients connected straight to the server
 * would go on committing after a replica is promoted, and those writes are lost when the old primary rejoins.
 *
 * <p>The agent keeps a deadline in a one-row table, {@code autopilot.dead_man.expires}: the wall-clock time of its own
 * fencing deadline (the lease's last renewal send + TTL − safety margin, see {@code LeaderLock.remainingLease()}). An
 * event that the server runs every second ({@code event_scheduler=ON}) checks it every {@link #CHECK_EVERY} while the
 * server is writable; once the deadline has passed it kills client sessions (the agent's accounts spared) and sets
 * {@code read_only} — the same steps as {@link LocalDatabase#fence(String)}, without the agent. The lease cannot expire
 * in the store before the safety margin has passed after that deadline, so the server is read-only before any replica
 * can win the lock.
 *
 * <p>Every object (schema, table, procedures, event) and every heartbeat write is made with {@code sql_log_bin=0}: they
 * never reach the binlog, so they are never replicated and never become an errant transaction. The switch acts only
 * while the server is writable and is disarmed (no deadline) on a member that is not primary, so a replica or a
 * read-only server is never touched. See docs/why.md for the choice and its limits.
 *
 * <p>Thread-safe: one connection of its own (never queued behind the HA loop's or the fencing connection).
 */
public final class DeadManSwitch implements AutoCloseable {
    /** Schema of the switch's table, procedures and event (created on every member, never replicated). */
    public static final String SCHEMA = "autopilot";
    /** How often the event looks at the deadline while the server is writable. */
    public static final Duration CHECK_EVERY = Duration.ofMillis(100);
    /**
     * How long a run of the event waits for another run's fencing (the named lock that keeps them one at a time)
     * before it fences itself: far inside the lease's safety margin, so the lock can never keep the server writable.
     */
    static final Duration FENCE_ANYWAY_AFTER = Duration.ofMillis(200);
    /** How often {@link #keepArmedWhile} refreshes the deadline while this member leads. */
    public static final Duration REFRESH_EVERY = Duration.ofMillis(100);
    /**
     * How often it looks while this member does not lead, and the once-a-second chores (rewriting an unchanged
     * deadline, looking for firings). {@link #arm} wakes it at once.
     */
    private static final Duration LOOK_EVERY = Duration.ofSeconds(1);
    /** A deadline that moved later by less than this is not written again (it moves by the lease renewal interval). */
    private static final long UNCHANGED_MICROS = 10_000;
    /**
     * A deadline earlier by less than this is not a move: it is computed from two clock readings (the lease's time left,
     * then now), so between renewals it wobbles by the microseconds between them, more on a loaded host.
     */
    private static final long WOBBLE_MICROS = 1_000;

    private static final Logger LOG = LoggerFactory.getLogger(DeadManSwitch.class);
    private static final int NO_SUCH_TABLE = 1146;
    private static final int NO_SUCH_DATABASE = 1049;
    private static final int NO_SUCH_PROCEDURE = 1305;

    private final String member;
    private final DatabaseAdmin admin;
    private final Set<String> sparedUsers;
    private volatile Thread refresher;
    private volatile boolean closed;

    /**
     * @param member      for log lines
     * @param admin       a connection of the switch's own, as root (creating events and procedures needs it)
     * @param sparedUsers the agent's accounts: their sessions are never killed
     */
    public DeadManSwitch(String member, DatabaseAdmin admin, Set<String> sparedUsers) {
        this.member = member;
        this.admin = admin;
        this.sparedUsers = Set.copyOf(sparedUsers);
    }

    /**
     * Creates (or re-creates) the table, procedures and event, disarmed if the table is new; switches the event
     * scheduler on if it is off. Idempotent; safe on a primary and on a replica.
     */
    public void install() {
        String spared = sparedUsers.stream().sorted().map(DeadManSwitch::quote).collect(Collectors.joining(", "));
        String sessions = "SELECT ID FROM information_schema.PROCESSLIST WHERE ID <> CONNECTION_ID()"
                + " AND USER NOT IN (" + (spared.isEmpty() ? "" : spared + ", ") + "'system user', 'event_scheduler', '')"
                + " AND COMMAND NOT IN ('Binlog Dump', 'Binlog Dump GTID', 'Daemon', 'Slave_IO', 'Slave_SQL', 'Slave_worker',"
                + " 'Connect', 'Register Slave', 'Killed')"; // a session killed already is not counted twice
        admin.executeUnlogged(List.of(
                "SET SESSION time_zone = '+00:00'", // the event keeps the zone it was created in: UTC, no DST steps
                "CREATE DATABASE IF NOT EXISTS " + SCHEMA,
                "CREATE TABLE IF NOT EXISTS " + SCHEMA + ".dead_man (id TINYINT PRIMARY KEY,"
                        + " expires DECIMAL(17,6) NULL COMMENT 'unix time after which a writable server fences itself; NULL: disarmed',"
                        + " fired DECIMAL(17,6) NULL COMMENT 'unix time the switch last fenced the server',"
                        + " fired_killed INT NULL COMMENT 'client sessions it killed then') ENGINE=InnoDB"
                        + " COMMENT 'Autopilot dead-man switch (never replicated; see docs/why.md)'",
                "INSERT IGNORE INTO " + SCHEMA + ".dead_man (id) VALUES (1)",
                // Kill, then read_only without queueing, until granted: the agent's fence, without the agent.
                "CREATE OR REPLACE PROCEDURE " + SCHEMA + ".dead_man_fence()"
                        + " BEGIN"
                        + "  DECLARE done BOOLEAN DEFAULT FALSE;"
                        + "  DECLARE victim BIGINT;"
                        + "  DECLARE killed INT DEFAULT 0;"
                        + "  DECLARE attempts INT DEFAULT 0;"
                        + "  DECLARE failed BOOLEAN DEFAULT FALSE;"
                        + "  DECLARE sessions CURSOR FOR " + sessions + ";"
                        + "  DECLARE CONTINUE HANDLER FOR NOT FOUND SET done = TRUE;"
                        // 1094 (session ended meanwhile) and 1205 (read_only's lock busy): go on, try again.
                        + "  DECLARE CONTINUE HANDLER FOR SQLEXCEPTION SET failed = TRUE;"
                        + "  SET SESSION lock_wait_timeout = 0;"
                        + "  REPEAT"
                        + "   SET done = FALSE; OPEN sessions;"
                        + "   sweep: LOOP FETCH sessions INTO victim; IF done THEN LEAVE sweep; END IF;"
                        + "    SET failed = FALSE; KILL CONNECTION victim; IF NOT failed THEN SET killed = killed + 1; END IF; END LOOP;"
                        + "   CLOSE sessions;"
                        + "   SET GLOBAL read_only = 1;"
                        + "   SET attempts = attempts + 1;"
                        + "   IF @@GLOBAL.read_only = 0 THEN DO SLEEP(0.01); END IF;"
                        + "  UNTIL @@GLOBAL.read_only = 1 OR attempts >= 500 END REPEAT;"
                        + "  SET done = FALSE; OPEN sessions;"
                        + "  last_sweep: LOOP FETCH sessions INTO victim; IF done THEN LEAVE last_sweep; END IF;"
                        + "   SET failed = FALSE; KILL CONNECTION victim; IF NOT failed THEN SET killed = killed + 1; END IF; END LOOP;"
                        + "  CLOSE sessions;"
                        + "  SET SESSION sql_log_bin = 0;"
                        + "  UPDATE " + SCHEMA + ".dead_man SET fired = UNIX_TIMESTAMP(SYSDATE(6)), fired_killed = killed WHERE id = 1;"
                        + " END",
                // Runs for most of a second (the event's granularity), looking every CHECK_EVERY, while writable.
                "CREATE OR REPLACE PROCEDURE " + SCHEMA + ".dead_man_watch()"
                        + " BEGIN"
                        + "  DECLARE started DECIMAL(17,6);"
                        + "  DECLARE deadline DECIMAL(17,6);"
                        + "  DECLARE waiting DECIMAL(17,6) DEFAULT NULL;"
                        + "  DECLARE CONTINUE HANDLER FOR NOT FOUND SET deadline = NULL;"
                        + "  SET started = UNIX_TIMESTAMP(SYSDATE(6));"
                        + "  WHILE @@GLOBAL.read_only = 0 AND UNIX_TIMESTAMP(SYSDATE(6)) < started + 0.95 DO"
                        + "   SET deadline = NULL;"
                        + "   SELECT expires INTO deadline FROM " + SCHEMA + ".dead_man WHERE id = 1;"
                        + "   IF deadline IS NOT NULL AND deadline < UNIX_TIMESTAMP(SYSDATE(6)) THEN"
                        // One fencing at a time: runs of the event overlap at the second's edge, and a second fencing
                        // would find nobody left to kill and overwrite the firing's count. The lock only orders them:
                        // held for longer than FENCE_ANYWAY_AFTER (a fencing that is slow, or a session holding the
                        // name), this run fences regardless; a wrong count is better than a writable server.
                        + "    IF GET_LOCK('" + SCHEMA + ".dead_man', 0) = 1 THEN"
                        + "     CALL " + SCHEMA + ".dead_man_fence(); DO RELEASE_LOCK('" + SCHEMA + ".dead_man');"
                        + "    ELSEIF waiting IS NULL THEN SET waiting = UNIX_TIMESTAMP(SYSDATE(6)); DO SLEEP(0.01);"
                        + "    ELSEIF UNIX_TIMESTAMP(SYSDATE(6)) > waiting + " + seconds(FENCE_ANYWAY_AFTER) + " THEN"
                        + "     CALL " + SCHEMA + ".dead_man_fence();"
                        + "    ELSE DO SLEEP(0.01); END IF;"
                        + "   ELSE DO SLEEP(" + seconds(CHECK_EVERY) + "); END IF;"
                        + "  END WHILE;"
                        + " END",
                "CREATE OR REPLACE EVENT " + SCHEMA + ".dead_man ON SCHEDULE EVERY 1 SECOND ON COMPLETION PRESERVE ENABLE"
                        + " COMMENT 'Autopilot dead-man switch: read-only when the agent stops refreshing (docs/why.md)'"
                        + " DO CALL " + SCHEMA + ".dead_man_watch()"));
        if ("OFF".equalsIgnoreCase(admin.queryString("SELECT @@GLOBAL.event_scheduler").orElse(""))) {
            admin.execute("SET GLOBAL event_scheduler = ON");
        }
        if (!"ON".equalsIgnoreCase(admin.queryString("SELECT @@GLOBAL.event_scheduler").orElse(""))) {
            LOG.error("{}: the dead-man switch is installed but the event scheduler is not running (event_scheduler={});"
                    + " a frozen agent cannot be fenced. Remove event_scheduler from mysql.extraOptions", member,
                    admin.queryString("SELECT @@GLOBAL.event_scheduler").orElse("?"));
        }
    }

    /**
     * Arms (or refreshes) the switch: the server fences itself once {@code remainingLease} has passed from now, unless
     * armed again before. Call it before opening writes and then at least every few hundred milliseconds while they
     * are open, with the leader lock's {@code remainingLease()}. The deadline is turned into wall-clock time here, at
     * once, so a statement delayed on its way (the agent paused after this line) cannot push it later.
     *
     * @throws DatabaseException the server did not take it
     */
    public void arm(Duration remainingLease) {
        armAt(deadlineMicros(remainingLease));
        wakeRefresher();
    }

    private static long deadlineMicros(Duration remainingLease) {
        return instantMicros(Instant.now()) + remainingLease.toNanos() / 1000;
    }

    private void armAt(long micros) {
        writeDeadline(BigDecimal.valueOf(micros, 6).toPlainString());
    }

    /**
     * Disarms the switch (no deadline), whatever deadline it holds: the tests' reset. The refresher clears only a
     * deadline it saw ({@link #disarmIfStill}), so that it never wipes one a promotion armed meanwhile.
     */
    void disarm() {
        writeDeadline("NULL");
    }

    private void writeDeadline(String value) {
        List<String> update = List.of("UPDATE " + SCHEMA + ".dead_man SET expires = " + value + " WHERE id = 1");
        try {
            admin.executeUnlogged(update);
        } catch (DatabaseException e) {
            if (e.errorCode() != NO_SUCH_TABLE && e.errorCode() != NO_SUCH_DATABASE) {
                throw e;
            }
            LOG.info("{}: the dead-man switch is missing on this server (a rebuilt or restored copy?); installing it", member);
            install();
            admin.executeUnlogged(update);
        }
    }

    /**
     * Disarms the switch if its deadline is still {@code seen}: a deadline armed since — by a promotion, before it opens
     * writes — stays, where a plain {@link #disarm()} racing it would leave the new primary unprotected.
     */
    void disarmIfStill(String seen) {
        admin.executeUnlogged(List.of("UPDATE " + SCHEMA + ".dead_man SET expires = NULL WHERE id = 1 AND expires = "
                + new BigDecimal(seen).toPlainString()));
    }

    /** When the switch last fenced this server, and how many client sessions it killed then. */
    public Optional<Firing> lastFiring() {
        return look().lastFiring();
    }

    /**
     * The once-a-second look, in one statement (issue 14 §1: it was two on every member): a deadline still set on a
     * read-only server, and the last firing.
     */
    private Look look() {
        try {
            return admin.queryRows("SELECT IF(@@GLOBAL.read_only = 1, expires, NULL) AS stale, fired, fired_killed FROM "
                    + SCHEMA + ".dead_man WHERE id = 1").stream().findFirst().map(row -> new Look(Optional.ofNullable(row.get("stale")),
                    Optional.ofNullable(row.get("fired")).map(fired -> new Firing(
                            Instant.ofEpochSecond(0, new BigDecimal(fired).movePointRight(9).longValue()),
                            row.get("fired_killed") == null ? 0 : Integer.parseInt(row.get("fired_killed"))))))
                    .orElse(Look.NOTHING);
        } catch (DatabaseException e) {
            if (e.errorCode() == NO_SUCH_TABLE || e.errorCode() == NO_SUCH_DATABASE || e.errorCode() == NO_SUCH_PROCEDURE) {
                return Look.NOTHING; // nothing armed, nothing fired; installed on the next arm
            }
            throw e;
        }
    }

    /** What {@link #look()} saw: a deadline left on a read-only server, and when the switch last fired. */
    private record Look(Optional<String> staleDeadline, Optional<Firing> lastFiring) {
        static final Look NOTHING = new Look(Optional.empty(), Optional.empty());
    }

    /** One time the switch fenced the server. */
    public record Firing(Instant at, int sessionsKilled) {
    }

    /**
     * Keeps the switch armed from a thread of its own: every {@link #REFRESH_EVERY}, while {@code remainingLease} is
     * positive (the leader lock is held by its holder's clock) it arms with it; once it is zero and the server is
     * read-only, it disarms. While it is zero the thread looks once a second, and {@link #arm} wakes it at once. It
     * never disarms a writable server: a member that writes without holding the lock is fenced by the switch. Logs when it finds that the switch has fired. Stopped by {@link #close()}.
     *
     * @param remainingLease the leader lock's {@code remainingLease()}
     */
    public synchronized void keepArmedWhile(Supplier<Duration> remainingLease) {
        if (refresher != null || closed) {
            return;
        }
        refresher = Thread.ofPlatform().daemon().name("dead-man-" + member).start(() -> refreshLoop(remainingLease));
    }

    /** Wakes the refresher: this member now leads, and its rounds must follow the lease from now on. */
    private void wakeRefresher() {
        Thread t = refresher;
        if (t != null && t != Thread.currentThread()) {
            LockSupport.unpark(t);
        }
    }

    private void refreshLoop(Supplier<Duration> remainingLease) {
        String lastProblem = "";
        Optional<Firing> seen = Optional.empty();
        long lastLook = System.nanoTime() - LOOK_EVERY.toNanos();
        boolean first = true;
        long written = Long.MIN_VALUE; // the deadline this loop last wrote, in micros
        while (!closed) {
            boolean everySecond = System.nanoTime() - lastLook >= LOOK_EVERY.toNanos() - REFRESH_EVERY.toNanos() / 2;
            boolean leading = false;
            try {
                Duration left = remainingLease.get();
                leading = left.isPositive();
                if (leading) {
                    // The deadline moves only when the lease is renewed (every few hundred ms), so most rounds would
                    // write the value already there (issue 14: a commit in mariadbd 10 times a second). Rewritten when
                    // it moved later by 10 ms or more, at once when it moved earlier by 1 ms or more (the switch must
                    // never fire later than the lease allows, and the lease keeps a 1 s margin), and once a second
                    // regardless.
                    long micros = deadlineMicros(left);
                    if (everySecond || written == Long.MIN_VALUE || written - micros >= WOBBLE_MICROS || micros - written >= UNCHANGED_MICROS) {
                        written = Long.MIN_VALUE; // unknown until the write succeeded
                        armAt(micros);
                        written = micros;
                    }
                } else {
                    written = Long.MIN_VALUE;
                }
                // Once a second, leading or not. Not leading, a deadline that came with a copy of the primary's data (a
                // clone or a snapshot) only matters once the server is writable, and opening writes arms the switch
                // first (LocalDatabaseControl); the look just clears it on a read-only server.
                if (everySecond) {
                    lastLook = System.nanoTime();
                    Look look = look();
                    if (look.staleDeadline().isPresent() && !leading) {
                        disarmIfStill(look.staleDeadline().get());
                    }
                    Optional<Firing> firing = look.lastFiring();
                    if (firing.isPresent() && !first && !firing.equals(seen)) {
                        LOG.warn("{}: the dead-man switch fenced this server at {} ({} client session(s) killed): the agent"
                                + " had not refreshed its deadline (frozen or stalled)", member, firing.get().at(),
                                firing.get().sessionsKilled());
                    }
                    seen = firing;
                    first = false;
                }
                if (!lastProblem.isEmpty()) {
                    LOG.info("{}: dead-man switch refreshed again", member);
                    lastProblem = "";
                }
            } catch (RuntimeException e) {
                String problem = String.valueOf(e.getMessage());
                if (!problem.equals(lastProblem)) {
                    LOG.warn("{}: cannot refresh the dead-man switch ({}); retrying", member, problem);
                    lastProblem = problem;
                }
            }
            // A replica's refresher sleeps a second (it woke 10 times a second for nothing: issue 14 §1); a promotion
            // wakes it through arm(), which has already written the first deadline.
            LockSupport.parkNanos(leading ? REFRESH_EVERY.toNanos() : LOOK_EVERY.toNanos());
            if (Thread.interrupted()) {
                return;
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        Thread t = refresher;
        if (t != null) {
            t.interrupt();
            try {
                t.join(Duration.ofSeconds(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        admin.close();
    }

    private static long instantMicros(Instant at) {
        return at.getEpochSecond() * 1_000_000 + at.getNano() / 1000;
    }

    private static String seconds(Duration d) {
        return BigDecimal.valueOf(d.toMillis(), 3).toPlainString();
    }

    private static String quote(String user) {
        return "'" + user.replace("\\", "\\\\").replace("'", "''") + "'";
    }
}
