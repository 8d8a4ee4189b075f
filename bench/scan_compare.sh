#!/usr/bin/env bash
# hasp scan against testssl.sh and sslscan, wall time, on the same servers
# on loopback, runs interleaved (one of each tool per round), medians at
# the end. Each tool runs with the flags that make it report versions,
# suites per version and groups (what the side-by-side test compares):
#   hasp scan  (defaults, and --rate 0)
#   sslscan    --no-check-certificate --no-heartbleed --no-compression --no-fallback --no-renegotiation
#   testssl    -p -E -f --nodns none --ip 127.0.0.1 (NXCONNECT set: no DNS at start-up)
#
#   bench/scan_compare.sh [ROUNDS]        (default 3; testssl.sh takes about a minute a run)
#
# Output: bench/out/scan_compare.txt (every run) and a table on stdout.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
for tool in openssl sslscan testssl; do
  command -v $tool >/dev/null || { echo "needs $tool" >&2; exit 1; }
done
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
go build -o "$work/hasp" ./cmd/hasp

# Certificates: a root, an intermediate, an RSA leaf for localhost.
(
  cd "$work"
  export OPENSSL_CONF=/dev/null
  openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 30 -subj /CN=bench-root -addext basicConstraints=critical,CA:TRUE 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -keyout leaf.key -out leaf.csr -subj /CN=localhost 2>/dev/null
  printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' > ext
  openssl x509 -req -in leaf.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out leaf.pem -days 30 -extfile ext 2>/dev/null
  openssl dhparam -out dh1024.pem 1024 2>/dev/null
  printf 'openssl_conf = init\n[init]\nssl_conf = s\n[s]\nsystem_default = d\n[d]\nOptions = -ExtendedMasterSecret\n' > weak.cnf
)
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/$1) 2>/dev/null && return; sleep 0.1; done; echo "no server on $1" >&2; exit 1; }

p1=$(port)
openssl s_server -accept 127.0.0.1:$p1 -www -cert "$work/leaf.pem" -key "$work/leaf.key" </dev/null >/dev/null 2>&1 &
pids+=($!)
p2=$(port)
OPENSSL_CONF="$work/weak.cnf" openssl s_server -accept 127.0.0.1:$p2 -www -cipher 'ALL:!aNULL:@SECLEVEL=0' \
  -cert "$work/leaf.pem" -key "$work/leaf.key" -dhparam "$work/dh1024.pem" -client_renegotiation </dev/null >/dev/null 2>&1 &
pids+=($!)
p3=$(port)
XDG_CONFIG_HOME="$work/xdg" "$work/hasp" serve --hsts 8760h --addr 127.0.0.1:$p3 >/dev/null 2>&1 &
pids+=($!)
for p in $p1 $p2 $p3; do wait_port $p; done
declare -A server=([openssl-default]=$p1 [openssl-weak]=$p2 [hasp-serve]=$p3)

out=bench/out/scan_compare.txt
mkdir -p bench/out
: > "$out"
secs() { python3 -c 'import sys,time; print(f"{time.time():.3f}")'; }
run() { # name tool command...
  local name=$1 tool=$2; shift 2
  local a b; a=$(secs); "$@" </dev/null >/dev/null 2>&1 || true; b=$(secs)
  python3 -c "print(f'$name $tool {$b-$a:.2f}')" | tee -a "$out" >&2
}
for i in $(seq "$rounds"); do
  echo "round $i/$rounds" >&2
  for name in openssl-default openssl-weak hasp-serve; do
    p=${server[$name]}
    run $name hasp-scan "$work/hasp" scan --quiet --cafile "$work/ca.pem" --servername localhost 127.0.0.1:$p
    run $name hasp-scan-rate0 "$work/hasp" scan --quiet --rate 0 --cafile "$work/ca.pem" --servername localhost 127.0.0.1:$p
    run $name sslscan sslscan --no-colour --ipv4 --timeout=3 --no-check-certificate --no-heartbleed --no-compression --no-fallback --no-renegotiation 127.0.0.1:$p
    rm -f "$work/t.json"
    run $name testssl env NXCONNECT=127.0.0.1:0 testssl --quiet --color 0 --warnings off --nodns none --ip 127.0.0.1 --jsonfile "$work/t.json" -p -E -f 127.0.0.1:$p
  done
done
python3 - "$out" <<'EOF'
import sys, statistics, collections
t = collections.defaultdict(list)
for line in open(sys.argv[1]):
    name, tool, s = line.split()
    t[(name, tool)].append(float(s))
names = ["openssl-default", "openssl-weak", "hasp-serve"]
tools = ["hasp-scan", "hasp-scan-rate0", "sslscan", "testssl"]
print("| server | " + " | ".join(tools) + " | testssl / hasp scan | sslscan / hasp scan |")
print("|---" * (len(tools) + 3) + "|")
for n in names:
    m = {tl: statistics.median(t[(n, tl)]) for tl in tools if t[(n, tl)]}
    print(f"| {n} | " + " | ".join(f"{m[tl]:.2f} s" for tl in tools) +
          f" | {m['testssl']/m['hasp-scan']:.0f}x | {m['sslscan']/m['hasp-scan']:.2f}x |")
EOF
