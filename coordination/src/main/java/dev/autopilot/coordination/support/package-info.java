/**
 * Backend-neutral machinery shared by the etcd and Consul backends: connectivity state logging, bounded retries,
 * the lease-deadline watchdog, key scoping and the member record codec. Not for use outside this module.
 */
package dev.autopilot.coordination.support;
