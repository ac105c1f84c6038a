package dev.autopilot.supervisor.health;

/** A job's health as last decided by its thresholds. */
public enum HealthStatus { UNKNOWN, HEALTHY, UNHEALTHY }
