"""CLI command groups. Each module is thin: parse options, call the service layer, print."""
