#!/usr/bin/env bash
# Self-test of the wire and safety pieces (crafter/netio.c, responder/arp.c,
# responder/kguard.c, responder/privdrop.c) through tests/tools/netio_probe.c, in a
# throwaway two-namespace lab:
#
#   ${ID}r  responder: ra, no IPv4 address (the driver answers ARP for 198.18.0.10)
#   ${ID}p  peer:      pb 198.18.0.1/24, a real Linux stack
#
# No default routes, no link to the host namespace, IPv6 off; torn down on exit.
# Usage: tests/netio_selftest.sh      (root; builds build/tools/netio_probe if needed)
set -Euo pipefail

cd "$(dirname "$0")/.."
[ "$(id -u)" -eq 0 ] || { echo "netio_selftest: must run as root" >&2; exit 2; }

ID=nio$$
R=${ID}r
P=${ID}p
TMP=$(mktemp -d /tmp/netio_selftest.XXXXXX)
chmod 755 "$TMP"
BIN=$TMP/netio_probe
PIDS=()
FAILS=0

cleanup() {
    local p
    for p in "${PIDS[@]}"; do
        kill -9 "$p" 2>/dev/null || true
    done
    wait 2>/dev/null || true
    ip netns del "$R" 2>/dev/null || true
    ip netns del "$P" 2>/dev/null || true
    rm -rf "$TMP"
}
trap cleanup EXIT

ok()   { echo "ok   $*"; }
bad()  { echo "FAIL $*"; FAILS=$((FAILS + 1)); }
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }
inr()  { ip netns exec "$R" "$@"; }
inp()  { ip netns exec "$P" "$@"; }

# ---- the driver ----
mkdir -p build/tools
if [ ! -x build/tools/netio_probe ] || [ tests/tools/netio_probe.c -nt build/tools/netio_probe ] ||
   [ build/libresponder.a -nt build/tools/netio_probe ]; then
    cc -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Iinclude \
       -o build/tools/netio_probe tests/tools/netio_probe.c build/libresponder.a build/libcrafter.a -lpcap -lnet ||
        { echo "netio_selftest: cannot build the driver" >&2; exit 2; }
fi
# a copy nobody can run too (the privilege tests)
install -m 0755 build/tools/netio_probe "$BIN"

# ---- the lab ----
for ns in "$R" "$P"; do
    ip netns add "$ns"
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
    ip netns exec "$ns" ip link set lo up
done
inr ip link add ra type veth peer name pb netns "$P"
inr ip link set ra up
inp ip addr add 198.18.0.1/24 dev pb
inp ip link set pb up
RMAC=$(inr cat /sys/class/net/ra/address)
PMAC=$(inp cat /sys/class/net/pb/address)
sleep 0.2

# Start the driver in the background in the responder namespace; wait for "ready".
start_answer() {   # OUTFILE ARGS...
    local out=$1; shift
    ip netns exec "$R" "$BIN" answer "$@" >"$out" 2>&1 &
    LAST=$!
    PIDS+=("$LAST")
    local i
    for i in $(seq 50); do
        grep -q '^ready' "$out" 2>/dev/null && return 0
        kill -0 "$LAST" 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}
stop_pid() { kill -TERM "$1" 2>/dev/null; wait "$1" 2>/dev/null; true; }

neigh_ok() {   # the peer resolved 198.18.0.10 to the responder's MAC
    local n
    n=$(inp ip neigh show 198.18.0.10 dev pb)
    echo "     peer neigh: $n"
    [[ "$n" == *"lladdr $RMAC"* && "$n" != *FAILED* && "$n" != *INCOMPLETE* ]]
}

# ---- error lines ----
echo "== netio_open errors"
e=$(inr "$BIN" open nosuch0 2>&1); echo "     $e"
check "no such interface" [ "$e" = "netio_probe: open: no such interface: nosuch0" ]
e=$(inr setpriv --reuid=65534 --regid=65534 --clear-groups "$BIN" open ra 2>&1); echo "     $e"
check "permission denied" [ "$e" = "netio_probe: open: permission denied: capturing on ra needs root or CAP_NET_RAW" ]
inr ip link set ra down
e=$(inr "$BIN" open ra 2>&1); echo "     $e"
check "interface down" [ "$e" = "netio_probe: open: interface ra is down" ]
inr ip link set ra up
sleep 0.2
e=$(inr "$BIN" open ra 'not a filter (' 2>&1); echo "     $e"
check "bad filter is one line" [ "$(printf '%s\n' "$e" | wc -l)" -eq 1 ]
e=$(inr "$BIN" open ra 'arp' 2>&1); echo "     $e"
check "open with a filter, mac $RMAC" grep -q "mac $RMAC" <<<"$e"

# ---- (a) + (d): ARP answered, pcap holds received and sent frames ----
echo "== (a) ARP answering, (d) pcap"
check "driver ready" start_answer "$TMP/a.out" ra 198.18.0.10 -w "$TMP/a.pcap" -t 8
A=$LAST
inp ping -c1 -W1 198.18.0.10 >/dev/null 2>&1 || true   # no ICMP answer: only ARP matters
check "peer resolved 198.18.0.10 to $RMAC" neigh_ok
stop_pid "$A"
cat "$TMP/a.out" | sed 's/^/     /'
answered=$(sed -n 's/.* answered=\([0-9]*\).*/\1/p' "$TMP/a.out")
check "driver answered at least one request" [ "${answered:-0}" -ge 1 ]
req=$(tcpdump -nn -r "$TMP/a.pcap" 'arp[6:2] = 1 and arp[24:4] = 0xc612000a' 2>/dev/null | wc -l)
rep=$(tcpdump -nn -r "$TMP/a.pcap" "arp[6:2] = 2 and ether src $RMAC" 2>/dev/null | wc -l)
icmp=$(tcpdump -nn -r "$TMP/a.pcap" 'icmp[icmptype] = icmp-echo' 2>/dev/null | wc -l)
echo "     pcap: $req requests received, $rep replies sent, $icmp echo requests received"
check "pcap has the received requests" [ "$req" -ge 1 ]
check "pcap has every sent reply, once (none came back in)" [ "$rep" -eq "$answered" ]
check "pcap has the ping that followed" [ "$icmp" -ge 1 ]
tcpdump -nn -e -r "$TMP/a.pcap" 2>/dev/null | head -4 | sed 's/^/     /'

# a burst: the peer announces a /23 twice (2 x 512 broadcast frames back to back)
check "driver ready" start_answer "$TMP/b.out" ra 198.18.0.10 -t 3
A=$LAST
inp "$BIN" announce pb 198.18.2.0/23 >/dev/null
sleep 0.3
stop_pid "$A"
tail -1 "$TMP/b.out" | sed 's/^/     /'
check "a burst of 1024 frames: all received, no kernel drop" grep -q "arp=1024 answered=0 drop=0" "$TMP/b.out"

# ---- (b) RFC 5227 probe ----
echo "== (b) arp_probe"
out=$(inr "$BIN" probe ra 198.18.0.10 3 100 200); rc=$?; echo "     $out"
check "no conflict for a free address" [ $rc -eq 0 ]
out=$(inr "$BIN" probe ra 198.18.0.1 3 100 200); rc=$?; echo "     $out"
check "conflict: the peer owns 198.18.0.1 (exit 1)" [ $rc -eq 1 ]
check "conflict names address and owner" grep -q "^conflict 198.18.0.1 $PMAC" <<<"$out"
# a /22 is probed in rounds, not address by address
inp ip addr add 198.18.5.77/32 dev pb
out=$(inr "$BIN" probe ra 198.18.4.0/22 3 100 200); rc=$?; echo "     $out"
check "conflict inside a /22: 198.18.5.77" grep -q "^conflict 198.18.5.77 $PMAC" <<<"$out"
out=$(inr "$BIN" probe ra 198.18.4.0/22 3 100 200 arp 2>&1); echo "     $out" | tr '\n' ' '; echo
check "same with a user capture filter ('arp')" grep -q "^conflict 198.18.5.77 $PMAC" <<<"$out"
inp ip addr del 198.18.5.77/32 dev pb
out=$(inr "$BIN" probe ra 198.18.4.0/22 3 100 200); rc=$?; echo "     $out"
ms=$(sed -n 's/.* \([0-9]*\)ms .*/\1/p' <<<"$out")
check "a free /22: none, 3072 probes" grep -q "^none .* sent=3072$" <<<"$out"
check "a free /22 in about 3*100+200 ms (${ms}ms)" [ "${ms:-9999}" -lt 900 ]
# another host probing for the same address at the same time is a conflict for both
# (the peer's prober hears nothing, 'not arp', so it keeps probing: 5 probes 150 ms apart)
ip netns exec "$P" "$BIN" probe pb 198.18.0.10 5 150 100 'not arp' >"$TMP/pp.out" 2>&1 &
PP=$!; PIDS+=("$PP")
sleep 0.1
out=$(inr "$BIN" probe ra 198.18.0.10 3 200 200); rc=$?; echo "     $out"
wait "$PP"; echo "     peer: $(head -1 "$TMP/pp.out")"
check "a simultaneous probe from the peer is a conflict" grep -q "^conflict 198.18.0.10 $PMAC" <<<"$out"
# announcements are gratuitous requests the peer's kernel learns from
inp ip neigh flush dev pb
out=$(inr "$BIN" announce ra 198.18.0.10); echo "     $out"
check "announce sends 2 frames" grep -q "sent=2 rc=0" <<<"$out"

# ---- (c) kguard ----
echo "== (c) kguard"
inr ip addr add 198.18.0.10/24 dev ra
sleep 0.2
ip netns exec "$R" "$BIN" kguard 198.18.0.10,198.18.0.20 80,443,8000-8100 >"$TMP/k.out" 2>&1 &
K=$!; PIDS+=("$K")
for i in $(seq 50); do grep -q '^installed' "$TMP/k.out" 2>/dev/null && break; sleep 0.1; done
sed 's/^/     /' "$TMP/k.out"
check "kernel owns 198.18.0.10 (only)" grep -qx "kernel-owned: 198.18.0.10" "$TMP/k.out"
T=$(sed -n 's/^installed \(.*\)/\1/p' "$TMP/k.out")
check "table $T listed" grep -qx "table inet $T" <(inr nft list tables)
inr nft list table inet "$T" | sed 's/^/     /'
check "rule: addresses, port ranges, RST drop" \
    grep -q 'ip saddr { 198.18.0.10, 198.18.0.20 } tcp sport { 80, 443, 8000-8100 } tcp flags & rst == rst drop' \
    <(inr nft list table inet "$T")
JPID=$(pgrep -P "$K" -x rstcraft-janito || true)   # comm is cut to 15 characters
check "janitor running ($JPID)" [ -n "$JPID" ]
# the kernel's RST for a guarded port is dropped, for an unguarded one it is not
inp timeout 3 nc -zv -w1 198.18.0.10 80 2>"$TMP/nc80"; rc80=$?
inp timeout 3 nc -zv -w1 198.18.0.10 9 2>"$TMP/nc9"; rc9=$?
echo "     port 80: rc=$rc80 $(cat "$TMP/nc80")"
echo "     port 9:  rc=$rc9 $(cat "$TMP/nc9")"
check "port 9 refused (kernel RST passes)" grep -q refused "$TMP/nc9"
check "port 80 not refused (kernel RST dropped)" bash -c "! grep -q refused '$TMP/nc80'"
[ -n "$JPID" ] && kill -INT "$JPID" 2>/dev/null; kill -TERM "$JPID" 2>/dev/null
sleep 0.1
check "janitor ignores SIGINT/SIGTERM" kill -0 "$JPID"
t0=$(date +%s%N)
kill -9 "$K"; wait "$K" 2>/dev/null
gone=0
for i in $(seq 100); do
    if ! inr nft list tables | grep -q "$T"; then gone=1; break; fi
    sleep 0.01
done
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
check "after SIGKILL the janitor removed $T (${ms} ms)" [ $gone -eq 1 -a $ms -le 1000 ]
sleep 0.1
# (gone, or a zombie: it was reparented, and a container's pid 1 may not reap)
jst=$(ps -o stat= -p "$JPID" 2>/dev/null || true)
check "janitor exited (${jst:-gone})" [ -z "$jst" -o "${jst:0:1}" = Z ]
# every port, and an explicit remove after dropping root
out=$(inr "$BIN" kguard 198.18.0.10,198.18.0.11,198.18.0.12 -Z nobody -remove 2>&1); echo "     $out"
check "remove after -Z nobody: table gone on return" bash -c "! ip netns exec $R nft list tables | grep -q rstcraft_"
check "kguard without ports installed" grep -q '^installed' <<<"$out"
ip netns exec "$R" "$BIN" kguard 198.18.0.10,198.18.0.11,198.18.0.12 >"$TMP/k2.out" 2>&1 &
K=$!; PIDS+=("$K")
for i in $(seq 50); do grep -q '^installed' "$TMP/k2.out" 2>/dev/null && break; sleep 0.1; done
T=$(sed -n 's/^installed \(.*\)/\1/p' "$TMP/k2.out")
check "no ports: addresses as a range, no sport match" \
    grep -q 'ip saddr 198.18.0.10-198.18.0.12 tcp flags & rst == rst drop' <(inr nft list table inet "$T")
inr nft list table inet "$T" | grep saddr | sed 's/^/     /'
kill -TERM "$K"; wait "$K" 2>/dev/null
sleep 0.3
check "after SIGTERM the table is gone too" bash -c "! ip netns exec $R nft list tables | grep -q $T"
inr ip addr del 198.18.0.10/24 dev ra

# ---- (e) privdrop ----
echo "== (e) privdrop"
e=$(inr "$BIN" answer ra 198.18.0.10 -Z nosuchuser -t 1 2>&1); echo "     $e"
check "unknown user: one line" [ "$e" = "netio_probe: answer: -Z: no such user 'nosuchuser'" ]
inp ip neigh flush dev pb
check "driver ready as nobody" start_answer "$TMP/z.out" ra 198.18.0.10 -w "$TMP/z.pcap" -Z nobody -t 6
Z=$LAST
head -1 "$TMP/z.out" | sed 's/^/     /'
check "uid and euid are nobody's" grep -q "^ready uid=65534 euid=65534" "$TMP/z.out"
zst=$(ps -o user=,group= -p "$Z" | tr -s ' ')
check "process runs as nobody ($zst)" grep -q '^nobody ' <<<"$zst"
inp ping -c1 -W1 198.18.0.10 >/dev/null 2>&1 || true
check "capture and send still work after the drop" neigh_ok
stop_pid "$Z"
sed -n 2p "$TMP/z.out" | sed 's/^/     /'
zrep=$(tcpdump -nn -r "$TMP/z.pcap" "arp[6:2] = 2 and ether src $RMAC" 2>/dev/null | wc -l)
zreq=$(tcpdump -nn -r "$TMP/z.pcap" 'arp[6:2] = 1' 2>/dev/null | wc -l)
check "pcap written after the drop ($zreq requests, $zrep replies)" [ "$zreq" -ge 1 -a "$zrep" -ge 1 ]

echo
if [ $FAILS -eq 0 ]; then echo "netio_selftest: all passed"; else echo "netio_selftest: $FAILS failed"; fi
[ $FAILS -eq 0 ]
