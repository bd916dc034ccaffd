# shellcheck shell=bash
# Shared by scripts/make-traces, scripts/make-demo and bench/make-capture:
# network namespaces joined by veth pairs, with nginx and named or dnsmasq in
# the server namespace.
#
# Every packet stays inside namespaces this file creates; the addresses
# below exist only there (10.99.0.0/24 and fd00:99::/64, a ULA prefix).
# Callers set LAB_CLIENT_NS, LAB_SERVER_NS, LAB_MTU and LAB_DIR (a temp dir
# the caller owns), call lab_up, then start what they need, and call
# lab_down from their EXIT trap. A caller with a topology of its own sets
# LAB_NETNS to all its namespace names, builds them with lab_netns_add and
# lab_veth, and calls lab_down likewise.

LAB_CLIENT_NS=${LAB_CLIENT_NS:-tt-client}
LAB_SERVER_NS=${LAB_SERVER_NS:-tt-server}
LAB_MTU=${LAB_MTU:-1500}
LAB_CLIENT_V4=10.99.0.1
LAB_SERVER_V4=10.99.0.2
LAB_CLIENT_V6=fd00:99::1
LAB_SERVER_V6=fd00:99::2
LAB_CLIENT_IF=veth-c
LAB_SERVER_IF=veth-s
LAB_ZONE=tattle.test
# What lab_down removes, and what lab_up clears first if an earlier run was killed.
[[ -v LAB_NETNS ]] || LAB_NETNS=("$LAB_CLIENT_NS" "$LAB_SERVER_NS")
# Names nginx serves and its certificate is made for; the first is the subject CN.
[[ -v LAB_WEB_NAMES ]] || LAB_WEB_NAMES=("www.$LAB_ZONE" "$LAB_ZONE" "*.$LAB_ZONE")
LAB_PIDS=()

lab_log() { printf '%s: %s\n' "${0##*/}" "$*" >&2; }

in_client() { ip netns exec "$LAB_CLIENT_NS" "$@"; }
in_server() { ip netns exec "$LAB_SERVER_NS" "$@"; }

lab_require() {
  local missing=() t
  for t in "$@"; do command -v "$t" >/dev/null 2>&1 || missing+=("$t"); done
  if ((${#missing[@]})); then
    lab_log "missing tools: ${missing[*]} (run scripts/bootstrap)"
    exit 1
  fi
  if [[ $(id -u) -ne 0 ]]; then
    lab_log "must run as root (it creates network namespaces)"
    exit 1
  fi
}

# Offloads make the kernel hand tcpdump 64 KB "super-frames" (TSO/GSO on
# send, GRO on receive) and leave TX checksums unfilled. Turning them off
# makes the capture look like frames on a real wire.
lab_disable_offloads() {
  local ns=$1 dev=$2
  if command -v ethtool >/dev/null 2>&1; then
    ip netns exec "$ns" ethtool -K "$dev" tso off gso off gro off tx off rx off \
      >/dev/null 2>&1 || lab_log "ethtool -K $dev failed; frames may exceed the MTU"
  else
    # Without ethtool, one segment per GSO packet still yields wire-sized
    # frames, but TCP/UDP checksums stay unfilled (CHECKSUM_PARTIAL).
    ip netns exec "$ns" ip link set dev "$dev" gso_max_segs 1 2>/dev/null ||
      lab_log "ethtool missing and gso_max_segs unsupported; frames may exceed the MTU"
    if [[ -z ${LAB_WARNED_ETHTOOL:-} ]]; then
      lab_log "ethtool missing: frames capped by gso_max_segs=1; TCP/UDP checksums will be wrong"
      LAB_WARNED_ETHTOOL=1
    fi
  fi
}

# lab_netns_add NS...: fresh namespaces with loopback up.
lab_netns_add() {
  local ns
  for ns in "$@"; do
    ip netns add "$ns"
    ip netns exec "$ns" ip link set lo up
  done
}

# lab_veth NS_A IF_A NS_B IF_B: a veth pair created straight inside the two
# namespaces (so no name clashes in the root one), MTU $LAB_MTU, offloads off,
# up. Addresses are the caller's to add.
lab_veth() {
  local ns_a=$1 if_a=$2 ns_b=$3 if_b=$4
  ip link add "$if_a" netns "$ns_a" mtu "$LAB_MTU" type veth \
    peer name "$if_b" netns "$ns_b" mtu "$LAB_MTU"
  lab_disable_offloads "$ns_a" "$if_a"
  lab_disable_offloads "$ns_b" "$if_b"
  ip netns exec "$ns_a" ip link set "$if_a" up
  ip netns exec "$ns_b" ip link set "$if_b" up
}

lab_up() {
  lab_down_netns
  lab_netns_add "$LAB_CLIENT_NS" "$LAB_SERVER_NS"
  lab_veth "$LAB_CLIENT_NS" "$LAB_CLIENT_IF" "$LAB_SERVER_NS" "$LAB_SERVER_IF"
  in_client ip addr add "$LAB_CLIENT_V4/24" dev "$LAB_CLIENT_IF"
  in_client ip addr add "$LAB_CLIENT_V6/64" dev "$LAB_CLIENT_IF" nodad
  in_server ip addr add "$LAB_SERVER_V4/24" dev "$LAB_SERVER_IF"
  in_server ip addr add "$LAB_SERVER_V6/64" dev "$LAB_SERVER_IF" nodad
  # Let link-local DAD, MLD and router solicitations settle before capturing.
  local i
  for i in $(seq 50); do
    if ! in_client ip -6 addr show dev "$LAB_CLIENT_IF" | grep -q tentative &&
       ! in_server ip -6 addr show dev "$LAB_SERVER_IF" | grep -q tentative; then
      break
    fi
    sleep 0.1
  done
  sleep "${LAB_SETTLE:-1}"
}

# Self-signed certificate for LAB_WEB_NAMES, made fresh each run.
lab_make_cert() {
  local dir=$1 san n
  san=$(for n in "${LAB_WEB_NAMES[@]}"; do printf 'DNS:%s,' "$n"; done)
  openssl req -x509 -newkey rsa:2048 -nodes -days 30 \
    -keyout "$dir/server.key" -out "$dir/server.crt" \
    -subj "/O=tattle test lab/CN=${LAB_WEB_NAMES[0]}" \
    -addext "subjectAltName=${san%,}" 2>/dev/null
}

# lab_start_nginx WEBROOT WORKERS [DIRECTIVES]: HTTP on 80 and HTTPS on 443 for
# LAB_WEB_NAMES, on every address of the server namespace; DIRECTIVES (nginx
# text) join the server block, LAB_NGINX_MAIN (if set) the main context
# (load_module lines).
lab_start_nginx() {
  local root=$1 workers=${2:-1} extra=${3:-} d=$LAB_DIR/nginx
  mkdir -p "$d/tmp"
  lab_make_cert "$d"
  cat >"$d/nginx.conf" <<CONF
${LAB_NGINX_MAIN:-}
worker_processes $workers;
pid $d/nginx.pid;
error_log $d/error.log warn;
user root;
events { worker_connections 4096; }
http {
  access_log off;
  types {
    text/html html; text/plain txt; text/css css;
    application/javascript js; application/json json; image/png png;
  }
  default_type application/octet-stream;
  client_body_temp_path $d/tmp/body;
  proxy_temp_path $d/tmp/proxy;
  fastcgi_temp_path $d/tmp/fastcgi;
  uwsgi_temp_path $d/tmp/uwsgi;
  scgi_temp_path $d/tmp/scgi;
  sendfile on;
  keepalive_requests 1000;
  keepalive_timeout 10s;
  server {
    listen 80;
    listen [::]:80;
    listen 443 ssl http2;
    listen [::]:443 ssl http2;
    server_name ${LAB_WEB_NAMES[*]};
    ssl_certificate $d/server.crt;
    ssl_certificate_key $d/server.key;
    ssl_protocols TLSv1.2 TLSv1.3;
    root $root;
    location = /api/collect { return 204; }
    location = /api/echo { default_type application/json; return 200 '{"ok":true}\n'; }
    $extra
  }
}
CONF
  in_server nginx -q -t -c "$d/nginx.conf" -p "$d" 2>/dev/null ||
    { in_server nginx -t -c "$d/nginx.conf" -p "$d"; exit 1; }
  # Started with ip netns exec directly (not via a function) so that $! is
  # the server's own pid, not a subshell's.
  ip netns exec "$LAB_SERVER_NS" nginx -c "$d/nginx.conf" -p "$d" -g 'daemon off;' &
  LAB_PIDS+=($!)
  lab_wait_port tcp 80 && lab_wait_port tcp 443
}

# named, authoritative for $LAB_ZONE only, no recursion.
lab_start_named() {
  local d=$LAB_DIR/named
  mkdir -p "$d"
  cat >"$d/named.conf" <<CONF
options {
  directory "$d";
  pid-file "$d/named.pid";
  session-keyfile "$d/session.key";
  managed-keys-directory "$d";
  listen-on port 53 { $LAB_SERVER_V4; };
  listen-on-v6 port 53 { $LAB_SERVER_V6; };
  recursion no;
  dnssec-validation no;
  allow-query { any; };
  max-udp-size 4096;
  edns-udp-size 4096;
  minimal-responses no;
};
controls { };
zone "$LAB_ZONE" { type primary; file "$d/$LAB_ZONE.zone"; };
CONF
  {
    cat <<ZONE
\$TTL 300
@        IN SOA ns1 hostmaster 2024010101 3600 600 86400 300
@        IN NS  ns1
@        IN A    $LAB_SERVER_V4
@        IN AAAA $LAB_SERVER_V6
ns1      IN A    $LAB_SERVER_V4
ns1      IN AAAA $LAB_SERVER_V6
www      IN A    $LAB_SERVER_V4
www      IN AAAA $LAB_SERVER_V6
api      IN A    $LAB_SERVER_V4
api      IN AAAA $LAB_SERVER_V6
cdn      IN A    $LAB_SERVER_V4
cdn      IN AAAA $LAB_SERVER_V6
metrics  IN CNAME api
www      IN TXT  "v=spf1 -all"
ZONE
    # A TXT RRset of ~3 KB: over UDP with +bufsize=4096 its answer is larger
    # than a 1280-byte MTU, so IPv4 and IPv6 both fragment it.
    local i
    for i in $(seq -w 1 12); do
      printf 'big      IN TXT  "%s-%s"\n' "$i" "$(printf 'tattle-fragment-test-%.0s' $(seq 11))"
    done
  } >"$d/$LAB_ZONE.zone"
  in_server named-checkconf "$d/named.conf"
  ip netns exec "$LAB_SERVER_NS" named -f -c "$d/named.conf" -n 1 2>"$d/named.log" &
  LAB_PIDS+=($!)
  lab_wait_port udp 53
}

# Wait until something listens on PORT in the server namespace.
lab_wait_port() {
  local proto=$1 port=$2 i
  for i in $(seq 100); do
    if in_server ss -Hln --"$proto" "sport = :$port" | grep -q .; then
      return 0
    fi
    sleep 0.1
  done
  lab_log "nothing listens on $proto/$port in $LAB_SERVER_NS"
  return 1
}

# lab_start_tcpdump PIDVAR NS OUTFILE TCPDUMP_ARGS...: starts a capture in
# namespace NS and returns once it is listening.
lab_start_tcpdump() {
  local -n pid_ref=$1
  local ns=$2 out=$3
  shift 3
  local log="$out.log"
  ip netns exec "$ns" tcpdump -n -s 0 -w "$out" "$@" 2>"$log" &
  pid_ref=$!
  LAB_PIDS+=("$pid_ref")
  local i
  for i in $(seq 100); do
    grep -q 'listening on' "$log" 2>/dev/null && return 0
    sleep 0.05
  done
  lab_log "tcpdump did not start: $(cat "$log")"
  return 1
}

# Stops a capture cleanly so the file ends on a whole record. SIGTERM, not
# SIGINT: a non-interactive shell starts background jobs with SIGINT ignored.
# The wait first lets libpcap's ring hand over its last block (its timeout is
# 1 s unless --immediate-mode); packets still in the ring at exit are lost.
lab_stop_tcpdump() {
  local pid=$1
  sleep 1.2
  kill -TERM "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

lab_down_netns() {
  local ns
  for ns in "${LAB_NETNS[@]}"; do
    if ip netns list | awk '{print $1}' | grep -qxF -- "$ns"; then
      # Anything still running in a namespace from an earlier, killed run.
      local p
      for p in $(ip netns pids "$ns" 2>/dev/null); do kill "$p" 2>/dev/null || true; done
      ip netns del "$ns" 2>/dev/null || true
    fi
  done
}

lab_down() {
  local p
  for p in "${LAB_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${LAB_PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  LAB_PIDS=()
  lab_down_netns
}
