/**
 * The binlog archive: every closed binlog of the primary, compressed, in the object store under
 * {@code binlogs/<server_id>/<file>} with the GTID and time range it covers
 * ({@link dev.autopilot.backup.binlog.BinlogArchiver}, {@link dev.autopilot.backup.binlog.ArchivedBinlog}).
 */
package dev.autopilot.backup.binlog;
