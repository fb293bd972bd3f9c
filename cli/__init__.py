"""The `longwriter-v` command line."""
