# Recorded helper processes for the scenarios' shell scripts (sourced). A record is the PID and the
# process's start time: PIDs wrap (pid_max is 32768 on the lab machine, a make test forks tens of
# thousands of processes), so a bare PID left behind soon names another scenario's process, which a
# `kill` would end and a liveness check would take for ours. Same format as tests/lab/azblab/system.py.

pid_start() {  # pid_start PID: its start time (clock ticks after boot), empty when it is gone (or a zombie)
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
  stat=${stat##*) }            # the fields after the command's name
  set -- $stat
  [ "$1" = Z ] || echo "${20}"
}

pid_record() {  # pid_record FILE PID
  echo "$2 $(pid_start "$2")" >"$1"
}

pid_recorded() {  # pid_recorded FILE: print the recorded PID if that very process still lives
  [ -f "$1" ] || return 1
  local pid started
  read -r pid started <"$1" || true
  [ -n "$pid" ] && [ -n "$started" ] && [ "$(pid_start "$pid")" = "$started" ] || return 1
  echo "$pid"
}

pid_stop() {  # pid_stop FILE: end the recorded process (if it is still the one) and forget it
  local pid
  if pid=$(pid_recorded "$1"); then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 100); do [ -n "$(pid_start "$pid")" ] || break; sleep 0.1; done
  fi
  rm -f "$1"
}
