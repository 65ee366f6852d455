#!/bin/sh
# Run a command as root: directly when we are root, else through sudo
# (installing into the PostgreSQL tree needs it).
if [ "$(id -u)" -eq 0 ]; then exec "$@"; else exec sudo "$@"; fi
