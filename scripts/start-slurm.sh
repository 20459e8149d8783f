#!/usr/bin/env bash
# Starts a one-node Slurm cluster on this machine for the Slurm executor's tests (Debian's
# slurm-wlm and munge; the recipe of shared/environment.md). Idempotent: when `sinfo` already
# answers it returns at once. Needs root. Stops nothing it did not start; the daemons are stopped
# by their pid files (/run/slurmctld.pid, /run/slurmd.pid), never by name.
set -euo pipefail

say() { echo "start-slurm: $*" >&2; }

if command -v sinfo >/dev/null 2>&1 && timeout 10 sinfo -h >/dev/null 2>&1; then
  say "Slurm is up ($(sinfo -h -o '%P %a %D %t' | head -n 1))"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  say "Slurm is not running and this is not root; the Slurm tests will skip"
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
if ! command -v slurmctld >/dev/null 2>&1 || ! command -v munged >/dev/null 2>&1; then
  say "installing slurm-wlm and munge"
  apt-get install -y -q slurm-wlm munge >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q slurm-wlm munge >/dev/null; }
fi

H=$(hostname -s)
NC=$(nproc)
MEM=$(($(free -m | awk '/Mem:/{print $2}') - 1024))
mkdir -p /etc/slurm /var/spool/slurmctld /var/spool/slurmd /var/log/slurm /run/munge
# No cgroups in these VMs: processes are tracked by pid, tasks are not confined.
cat >/etc/slurm/slurm.conf <<CONF
ClusterName=local
SlurmctldHost=$H
AuthType=auth/munge
SlurmUser=root
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
JobAcctGatherType=jobacct_gather/none
KillWait=15
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
NodeName=$H CPUs=$NC RealMemory=$MEM State=UNKNOWN
PartitionName=debug Nodes=$H Default=YES MaxTime=INFINITE State=UP
CONF

if [ ! -s /etc/munge/munge.key ]; then
  dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key 2>/dev/null
  chmod 400 /etc/munge/munge.key
fi
chown -R munge:munge /etc/munge /run/munge /var/lib/munge /var/log/munge
pgrep -u munge munged >/dev/null 2>&1 || runuser -u munge -- /usr/sbin/munged
for d in slurmctld slurmd; do
  pidfile=/run/$d.pid
  if [ -s "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then continue; fi
  $d
done
for _ in $(seq 1 30); do
  if sinfo -h -o '%t' 2>/dev/null | grep -qE '^(idle|mix|alloc)'; then
    say "Slurm is up ($(sinfo -h -o '%P %a %D %t' | head -n 1))"
    exit 0
  fi
  sleep 1
done
say "FAILED: the node did not come up; see /var/log/slurm/slurmctld.log and slurmd.log"
exit 1
