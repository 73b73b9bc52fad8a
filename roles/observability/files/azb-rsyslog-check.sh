#!/bin/sh
# Validate an rsyslog.d snippet as rsyslog will read it: inside a master config that has the
# work directory Debian's rsyslog.conf sets (a snippet alone warns about it, and -N1 then fails).
#   azb-rsyslog-check.sh FILE
set -eu
master=$(mktemp)
trap 'rm -f "$master"' EXIT
printf 'global(workDirectory="/var/spool/rsyslog")\ninclude(file="%s")\n' "$1" >"$master"
exec /usr/sbin/rsyslogd -N1 -f "$master"
