#!/usr/bin/env bash
# Starts three EchoServer instances (ports 65441-65443, PROXY protocol required from loopback) and HAProxy in front
# of them on 127.0.0.1:65432. Ctrl+C stops everything. Then, from another terminal:
#   dotnet run --project samples/EchoClient -- "hello through haproxy"
# and each instance prints "Connected by ('127.0.0.1', <the client's own port>)": the client's address, not HAProxy's.
set -euo pipefail
cd "$(dirname "$0")/../.."

if ! command -v haproxy >/dev/null 2>&1 && [ ! -x /usr/sbin/haproxy ]; then
  echo "HAProxy is not installed (Debian/Ubuntu: sudo apt-get install -y haproxy)." >&2
  exit 1
fi
haproxy=$(command -v haproxy || echo /usr/sbin/haproxy)

dotnet build samples/EchoServer -c Release -v quiet -nologo
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

for port in 65441 65442 65443; do
  dotnet samples/EchoServer/bin/Release/net10.0/EchoServer.dll --port "$port" --proxy-protocol --trusted-proxy 127.0.0.1/32 \
    | sed -u "s/^/[echo:$port] /" &
  pids+=($!)
done

"$haproxy" -f samples/ClusterBehindHaproxy/haproxy.cfg -db &
pids+=($!)
wait
