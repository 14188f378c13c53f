"""Coordination: roster and invites, readiness, reports, charts, reminders, coordinators."""
