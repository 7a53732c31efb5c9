"""Admin pages for business-hours schedules and holidays."""
