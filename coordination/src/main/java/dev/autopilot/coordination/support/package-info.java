/**
 * Backend-neutral machinery shared by the etcd and Consul backends: connectivity state logging, bounded retries,
 * holding a leader lock's lease (renewal, the lease-deadline watchdog, loss, release), key scoping and the member
 * record codec. Not for use outside this module.
 */
package dev.autopilot.coordination.support;
