#!/bin/bash
# test_srv.sh - DNS SRV discovery end to end: with no controller named, straw
# asks the resolver for _slurmctld._tcp in its search domain, orders the
# records (priority, then weight) and fails over along them.  Everything runs
# in a private network namespace (only its own loopback) with a private
# resolv.conf pointing at a tiny responder on 127.0.0.1:53 in it.
set -u
. "$STRAW_TOP/tests/lib/common.sh"

fake=$BUILD/tests/fakectld
straw=$BUILD/bin/straw
work=$(mktemp -d /tmp/straw-srv.XXXXXX)
trap '[ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
printf 'ClusterName=srv\nSlurmctldHost=localhost\n' >"$work/served.conf"
printf 'nameserver 127.0.0.1\nsearch straw.test\noptions attempts:1 timeout:1\n' >"$work/resolv.conf"

# Runs inside the namespaces: lo up, a fake controller, the DNS responder,
# then straw with no controller named.  Prints "rc=N" and straw's output.
cat >"$work/inner.sh" <<'INNER'
set -u
work=$1 fake=$2 straw=$3 dns=$4
ip link set lo up
mount --bind "$work/resolv.conf" /etc/resolv.conf
"$fake" --port 0 --count 30 --lifetime 30 --scenario ok "$work/served.conf" >"$work/fake.port" 2>/dev/null &
for _ in $(seq 50); do [ -s "$work/fake.port" ] && break; sleep 0.1; done
port=$(head -n 1 "$work/fake.port")
# Priority 10 (weight 5 then 50): two dead ports; priority 20: the fake.
python3 "$dns" "$work/dns.ready" _slurmctld._tcp.straw.test \
	20:0:"$port":localhost 10:5:2:localhost 10:50:1:localhost &
for _ in $(seq 50); do [ -s "$work/dns.ready" ] && break; sleep 0.1; done
env -u STRAW_SERVERS -u SLURM_CONF_SERVER SLURM_JWT=x.y.z "$straw" -v -o "$work/out" >"$work/straw.out" 2>&1
echo "rc=$?"
echo "port=$port"
INNER

token=$(printf '{"alg":"HS256","typ":"JWT"}' | base64 -w0 | tr '+/' '-_' | tr -d '=').$(printf '{"exp":4102444800,"sun":"x"}' | base64 -w0 | tr '+/' '-_' | tr -d '=').c2ln
sed -i "s|SLURM_JWT=x.y.z|SLURM_JWT=$token|" "$work/inner.sh"
res=$(unshare -n -m --propagation private bash "$work/inner.sh" "$work" "$fake" "$straw" \
	"$STRAW_TOP/tests/integration/dns_srv.py" 2>&1)
out=$(cat "$work/straw.out" 2>/dev/null)
check_contains "SRV: straw exits 0 with no controller named" "$res" "rc=0"
port=$(printf '%s\n' "$res" | sed -n 's/^port=//p')
check_contains "SRV: the records, ordered by priority then weight" "$out" \
	"controllers from DNS SRV _slurmctld._tcp: localhost:1,localhost:2,localhost:$port"
check "SRV: the fake's slurm.conf was written" cmp "$work/served.conf" "$work/out/slurm.conf"

# No record: a clear error, exit 2 (usage: nothing names a controller).
cat >"$work/none.sh" <<'NONE'
ip link set lo up
mount --bind "$1/resolv.conf" /etc/resolv.conf
env -u STRAW_SERVERS -u SLURM_CONF_SERVER SLURM_JWT=a.b.c "$2" -o "$1/none" 2>&1
echo "rc=$?"
NONE
res=$(unshare -n -m --propagation private bash "$work/none.sh" "$work" "$straw" 2>&1)
check_contains "SRV: no answer: usage exit code 2" "$res" "rc=2"
check_contains "SRV: no answer: the message says how to name a controller" "$res" "SLURM_CONF_SERVER"
finish
