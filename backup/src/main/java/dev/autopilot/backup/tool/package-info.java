/** Running the external backup tools (mariabackup, mbstream) with their output in the log. */
package dev.autopilot.backup.tool;
