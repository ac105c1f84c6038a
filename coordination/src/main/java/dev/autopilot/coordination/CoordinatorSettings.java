package dev.autopilot.coordination;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * How to reach the coordination store and which cluster scope to use. Immutable; {@link #validate()} lists every
 * problem by its configuration path; {@link #toString()} masks secrets.
 *
 * @param backend        etcd or consul
 * @param endpoints      etcd client URLs (several: fail-over between them) or the Consul agent's HTTP(S) URL
 * @param cluster        cluster name; keys live under {@code keyPrefix/cluster/}
 * @param keyPrefix      root of every key, default {@code /autopilot}
 * @param requestTimeout bound of one operation including retries; after it, {@link CoordinationException}
 * @param startupTimeout how long {@link Coordinators#open} retries before reporting the store unreachable
 * @param tls            CA (and optional client certificate/key) files, PEM; endpoints must then be https
 * @param user           etcd user (with {@code password})
 * @param password       etcd password
 * @param token          Consul ACL token
 */
public record CoordinatorSettings(Backend backend, List<URI> endpoints, String cluster, String keyPrefix,
                                  Duration requestTimeout, Duration startupTimeout, Optional<Tls> tls,
                                  Optional<String> user, Optional<Secret> password, Optional<Secret> token) {

    /** Supported stores. */
    public enum Backend { ETCD, CONSUL }

    /**
     * TLS material, PEM files.
     *
     * @param caFile     certificates that sign the store's server certificate
     * @param certFile   client certificate, or null without client authentication
     * @param keyFile    client private key (PKCS#8), or null
     * @param serverName for endpoints given as IP addresses, the TLS server name sent to every store member and checked
     *                   against its certificate (before the address), or null. With several members give every member's
     *                   certificate a common subjectAltName (e.g. {@code DNS:etcd}) and name it here; endpoints given as
     *                   host names are checked against their own host
     */
    public record Tls(Path caFile, Path certFile, Path keyFile, String serverName) {
        /** With the first endpoint's host as the server name. */
        public Tls(Path caFile, Path certFile, Path keyFile) {
            this(caFile, certFile, keyFile, null);
        }
    }

    public CoordinatorSettings {
        endpoints = endpoints == null ? List.of() : List.copyOf(endpoints);
        keyPrefix = keyPrefix == null || keyPrefix.isBlank() ? "/autopilot" : keyPrefix;
        requestTimeout = requestTimeout == null ? Duration.ofSeconds(5) : requestTimeout;
        startupTimeout = startupTimeout == null ? Duration.ofSeconds(10) : startupTimeout;
        tls = tls == null ? Optional.empty() : tls;
        user = user == null ? Optional.empty() : user;
        password = password == null ? Optional.empty() : password;
        token = token == null ? Optional.empty() : token;
    }

    /** etcd settings with defaults (prefix {@code /autopilot}, 5 s requests, 10 s startup, no TLS, no auth). */
    public static CoordinatorSettings etcd(String cluster, List<URI> endpoints) {
        return new CoordinatorSettings(Backend.ETCD, endpoints, cluster, null, null, null, null, null, null, null);
    }

    /** Consul settings with defaults; {@code agent} is the local agent, e.g. {@code http://127.0.0.1:8500}. */
    public static CoordinatorSettings consul(String cluster, URI agent) {
        return new CoordinatorSettings(Backend.CONSUL, List.of(agent), cluster, null, null, null, null, null, null, null);
    }

    /** Copy with another key prefix. */
    public CoordinatorSettings withKeyPrefix(String prefix) {
        return new CoordinatorSettings(backend, endpoints, cluster, prefix, requestTimeout, startupTimeout, tls, user, password, token);
    }

    /** Copy with other timeouts. */
    public CoordinatorSettings withTimeouts(Duration request, Duration startup) {
        return new CoordinatorSettings(backend, endpoints, cluster, keyPrefix, request, startup, tls, user, password, token);
    }

    /** Copy with TLS. */
    public CoordinatorSettings withTls(Tls value) {
        return new CoordinatorSettings(backend, endpoints, cluster, keyPrefix, requestTimeout, startupTimeout, Optional.of(value), user, password, token);
    }

    /** Copy with etcd user and password. */
    public CoordinatorSettings withUser(String name, Secret secret) {
        return new CoordinatorSettings(backend, endpoints, cluster, keyPrefix, requestTimeout, startupTimeout, tls,
                Optional.of(name), Optional.of(secret), token);
    }

    /** Copy with a Consul ACL token. */
    public CoordinatorSettings withToken(Secret secret) {
        return new CoordinatorSettings(backend, endpoints, cluster, keyPrefix, requestTimeout, startupTimeout, tls, user, password,
                Optional.of(secret));
    }

    /** The absolute scope of this cluster's keys, {@code keyPrefix/cluster/} with exactly one slash between. */
    public String scope() {
        String p = keyPrefix.endsWith("/") ? keyPrefix.substring(0, keyPrefix.length() - 1) : keyPrefix;
        return p + "/" + cluster + "/";
    }

    /** Every problem, as {@code coordination.<path>: <problem and fix>}; empty when valid. */
    public List<String> validate() {
        List<String> problems = new ArrayList<>();
        if (backend == null) {
            problems.add("coordination.backend: missing; use etcd or consul");
        }
        if (endpoints.isEmpty()) {
            problems.add("coordination.endpoints: missing; e.g. http://127.0.0.1:2379 (etcd) or http://127.0.0.1:8500 (consul)");
        }
        for (int i = 0; i < endpoints.size(); i++) {
            URI e = endpoints.get(i);
            String scheme = e.getScheme();
            if (scheme == null || !(scheme.equals("http") || scheme.equals("https")) || e.getHost() == null || e.getPort() < 0) {
                problems.add("coordination.endpoints[" + i + "]: '" + e + "' must be http(s)://host:port");
            } else if (tls.isPresent() != scheme.equals("https")) {
                problems.add("coordination.endpoints[" + i + "]: '" + e + "' must use " + (tls.isPresent() ? "https (tls is set)" : "http (no tls set)"));
            }
        }
        if (backend == Backend.CONSUL && endpoints.size() > 1) {
            problems.add("coordination.endpoints: consul takes one endpoint (the local agent), got " + endpoints.size());
        }
        if (cluster == null || !cluster.matches("[A-Za-z0-9_-]{1,64}")) {
            problems.add("coordination.cluster: '" + cluster + "' must be 1-64 letters, digits, '_' or '-'");
        }
        if (!keyPrefix.startsWith("/") || keyPrefix.contains("//")) {
            problems.add("coordination.keyPrefix: '" + keyPrefix + "' must start with '/' and contain no empty segment");
        }
        if (requestTimeout.isNegative() || requestTimeout.toMillis() < 100) {
            problems.add("coordination.requestTimeout: " + requestTimeout + " must be at least 100 ms");
        }
        if (startupTimeout.isNegative() || startupTimeout.isZero()) {
            problems.add("coordination.startupTimeout: " + startupTimeout + " must be positive");
        }
        tls.ifPresent(t -> {
            if (t.caFile() == null || !Files.isReadable(t.caFile())) {
                problems.add("coordination.tls.caFile: '" + t.caFile() + "' is not a readable file");
            }
            if ((t.certFile() == null) != (t.keyFile() == null)) {
                problems.add("coordination.tls: certFile and keyFile go together (client authentication)");
            }
            for (Path p : new Path[] {t.certFile(), t.keyFile()}) {
                if (p != null && !Files.isReadable(p)) {
                    problems.add("coordination.tls: '" + p + "' is not a readable file");
                }
            }
        });
        if (user.isPresent() != password.isPresent()) {
            problems.add("coordination.user/password: give both or neither");
        }
        if (backend == Backend.CONSUL && user.isPresent()) {
            problems.add("coordination.user: consul authenticates with an ACL token; set coordination.token instead");
        }
        if (backend == Backend.ETCD && token.isPresent()) {
            problems.add("coordination.token: etcd authenticates with user/password; set those instead");
        }
        return problems;
    }

    @Override
    public String toString() {
        return "CoordinatorSettings[backend=" + backend + ", endpoints=" + endpoints + ", scope=" + scope()
                + ", requestTimeout=" + requestTimeout + ", startupTimeout=" + startupTimeout + ", tls=" + tls.isPresent()
                + ", user=" + user.orElse("-") + ", password=" + (password.isPresent() ? "****" : "-")
                + ", token=" + (token.isPresent() ? "****" : "-") + "]";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CoordinatorSettings s && backend == s.backend && endpoints.equals(s.endpoints)
                && Objects.equals(cluster, s.cluster) && keyPrefix.equals(s.keyPrefix);
    }

    @Override
    public int hashCode() {
        return Objects.hash(backend, endpoints, cluster, keyPrefix);
    }
}
