/**
 * Live clone between peers: a {@link dev.autopilot.backup.clone.CloneDonor} streams mariabackup's
 * output over an authenticated, framed connection; a {@link dev.autopilot.backup.clone.LiveCloneSource}
 * is the joiner's end, one of the {@link dev.autopilot.backup.restore.ProvisionSource}s.
 */
package dev.autopilot.backup.clone;
