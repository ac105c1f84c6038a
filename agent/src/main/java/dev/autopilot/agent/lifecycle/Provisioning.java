package dev.autopilot.agent.lifecycle;

import dev.autopilot.agent.cluster.ClusterView;
import dev.autopilot.agent.cluster.MemberRecord;
import dev.autopilot.agent.cluster.MemberState;
import dev.autopilot.agent.cluster.Role;
import dev.autopilot.agent.config.ClusterSecrets;
import dev.autopilot.agent.history.EventKind;
import dev.autopilot.agent.history.History;
import dev.autopilot.backup.clone.CloneToken;
import dev.autopilot.backup.clone.LiveCloneSource;
import dev.autopilot.backup.restore.ExistingData;
import dev.autopilot.backup.restore.ProvisionSource;
import dev.autopilot.backup.restore.RestoredCopy;
import dev.autopilot.backup.restore.Restorer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;
import java.util.Optional;
import java.util.function.UnaryOperator;
import javax.net.ssl.SSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gives a joining member a copy of the data: a live clone streamed from a healthy peer (a replica when there
 * is one, so the primary is spared the load; otherwise the primary). The snapshot source from the object
 * store plugs in here through the same {@link Restorer}.
 */
public final class Provisioning {
    private static final Logger LOG = LoggerFactory.getLogger(Provisioning.class);

    private final String member;
    private final ClusterSecrets secrets;
    private final Restorer restorer;
    private final Optional<SSLContext> cloneTls;
    private final UnaryOperator<ProvisionSource> counted;
    private final History history;
    /** The source whose start was recorded last: a clone retried every second from one donor is one start, not many. */
    private String announced = "";

    /**
     * @param cloneTls the clone stream's TLS (the member's {@code mysql.tls}); empty: plain TCP
     * @param counted  the source with its bytes counted (metrics)
     * @param history  where copies starting, progressing and finishing are recorded
     */
    public Provisioning(String member, ClusterSecrets secrets, Restorer restorer, Optional<SSLContext> cloneTls,
                        UnaryOperator<ProvisionSource> counted, History history) {
        this.member = member;
        this.history = history;
        this.secrets = secrets;
        this.restorer = restorer;
        this.cloneTls = cloneTls;
        this.counted = counted;
    }

    /** The best donor in the view: a healthy running replica, else the healthy primary. */
    public Optional<MemberRecord> donor(ClusterView view) {
        return view.members().values().stream()
                .filter(m -> !m.name().equals(member) && m.healthy() && m.state() == MemberState.RUNNING && m.role() != Role.NONE)
                .min(Comparator.comparing((MemberRecord m) -> m.role() == Role.PRIMARY).thenComparing(MemberRecord::name));
    }

    /** Clones {@code donor} into {@code datadir}; {@code existing} says whether old files may be discarded. */
    public RestoredCopy cloneFrom(MemberRecord donor, Path datadir, ExistingData existing) throws IOException, InterruptedException {
        LOG.info("{}: provisioning by live clone from {} ({}:{}) into {}", member, donor.name(), donor.address(), donor.clonePort(), datadir);
        String from = "live clone from " + donor.name();
        if (!from.equals(announced)) {
            announced = from;
            history.record(EventKind.PROVISIONING_STARTED, member + " copies its data by " + from, Map.of("source", from));
        }
        var source = LiveCloneSource.of(new InetSocketAddress(donor.address(), donor.clonePort()), CloneToken.of(secrets.cloneToken()))
                .withTls(cloneTls);
        RestoredCopy copy = restorer.withProgress(new CopyProgress(member, from, history))
                .restore(counted.apply(source), datadir, existing);
        LOG.info("{}: copy from {} ready: {} MB in {} s, GTID position {}; next: start the server and replicate",
                member, donor.name(), copy.bytes() >> 20, copy.elapsed().toSeconds(), copy.gtidPosition());
        history.record(EventKind.PROVISIONING_FINISHED, member + " has its copy from " + donor.name() + " at GTID position "
                + copy.gtidPosition(), Map.of("source", from, "bytes", copy.bytes(),
                "durationMillis", copy.elapsed().toMillis(),
                "bytesPerSecond", copy.bytes() * 1000 / Math.max(1, copy.elapsed().toMillis())));
        return copy;
    }
}
