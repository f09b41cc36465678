"""Model releases: evaluate a candidate on the features' own tasks, promote it if it is not worse, roll back in seconds."""
