#!/bin/bash
# Install the built extension into a private copy of the PostgreSQL tree under
# DEST (like PostgreSQL's own "make check"): no root needed, the system
# installation is never touched, and parallel runs cannot see each other's
# builds. PostgreSQL binaries are relocatable, so DEST/usr/lib/postgresql/NN/bin
# finds its share/ and lib/ directories inside DEST.
#
#   scripts/tmp-install.sh DEST     then: export PT_PGBIN=DEST/usr/lib/postgresql/NN/bin
set -euo pipefail
dest=${1:?usage: tmp-install.sh DEST}
top=$(cd "$(dirname "$0")/.." && pwd)

libdir=$(dirname "$(pg_config --pkglibdir)")      # /usr/lib/postgresql/15
sharedir=$(pg_config --sharedir)                   # /usr/share/postgresql/15
mkdir -p "$dest$(dirname "$libdir")" "$dest$(dirname "$sharedir")"
if [ ! -x "$dest$libdir/bin/postgres" ]; then
    cp -a "$libdir" "$dest$(dirname "$libdir")/"
    cp -a "$sharedir" "$dest$(dirname "$sharedir")/"
fi
make -C "$top" -s install DESTDIR="$dest" >/dev/null
chmod -R a+rX "$dest"
echo "$dest$libdir/bin"
