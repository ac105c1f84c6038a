package dev.autopilot.supervisor.config;

/**
 * Where the Prometheus endpoint listens ({@code metrics: {listen: 127.0.0.1:9090, path: /metrics}}).
 *
 * @param host bind address
 * @param port TCP port (0 = any free port)
 * @param path HTTP path of the scrape endpoint
 */
public record MetricsConfig(String host, int port, String path) {}
