"""Training driver: knows about files, configs and devices; models know none of that."""
