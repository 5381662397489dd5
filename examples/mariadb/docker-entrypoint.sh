#!/bin/sh
# Starts MariaDB in the foreground (PID 1 of the container, so `docker stop` reaches it),
# after initialising the data directory when the volume at /var/lib/mysql has no system
# tables yet: a new volume, since the image ships that directory empty.
set -eu

datadir=/var/lib/mysql

# `docker run IMAGE --some-option` passes server options through.
if [ "${1#-}" != "$1" ]; then
	set -- mariadbd "$@"
fi

if [ "$1" = mariadbd ]; then
	if [ ! -d "$datadir/mysql" ]; then
		echo "docker-entrypoint.sh: initialising the data directory $datadir"
		# Two accounts, root@localhost and mysql@localhost, each authenticated by the peer user
		# of the unix socket (no password exists anywhere); no test database.
		mariadb-install-db --datadir="$datadir" --auth-root-socket-user=mysql --skip-test-db
	fi
	shift
	# The container shares the host's network: listen where the environment says.
	set -- mariadbd --port="$MARIADB_PORT" --bind-address="$MARIADB_BIND_ADDRESS" "$@"
fi

exec "$@"
