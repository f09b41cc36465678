"""Personal data: export and erase what Sovereign holds about one person, and a retention for webhook bodies."""
