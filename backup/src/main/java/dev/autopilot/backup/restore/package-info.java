/**
 * Turning an xbstream from a {@link dev.autopilot.backup.restore.ProvisionSource} into a ready data
 * directory ({@link dev.autopilot.backup.restore.Restorer}) and pointing the restored server at the
 * primary ({@link dev.autopilot.backup.restore.ReplicaStart}).
 */
package dev.autopilot.backup.restore;
