/** Running the external backup tools (mariabackup) with their output in the log. */
package dev.autopilot.backup.tool;
