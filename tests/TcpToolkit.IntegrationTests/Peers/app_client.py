# A peer that behaves as the guide's application client (guide-wire-protocol.md, sections 3.1, 3.4, 3.6), written for
# these tests: sends one request (text/json for "search", binary action+value otherwise), reads one response frame,
# prints it, closes (FIN). Errors print "Main: Error: Exception for (addr):" and a traceback; the exit status is 0
# except for a usage error. Usage: app_client.py HOST PORT ACTION VALUE
import selectors
import socket
import sys
import traceback

from app_protocol import frame, json_bytes, json_value, try_parse

if len(sys.argv) != 5:
    print(f"Usage: {sys.argv[0]} <host> <port> <action> <value>")
    sys.exit(1)

host, port, action, value = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
addr = (host, port)
if action == "search":
    request = frame("text/json", "utf-8", json_bytes({"action": action, "value": value}))
else:
    request = frame("binary/custom-client-binary-type", "binary", (action + value).encode("utf-8"))

print(f"Starting connection to {addr}", flush=True)
sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
sock.setblocking(False)
sock.connect_ex(addr)
sel = selectors.DefaultSelector()
sel.register(sock, selectors.EVENT_READ | selectors.EVENT_WRITE)
outb, inb, sent_once, done = request, b"", False, False

try:
    while not done:
        for _, mask in sel.select(timeout=1):
            if mask & selectors.EVENT_READ:
                data = sock.recv(4096)
                if not data:
                    raise RuntimeError("Peer closed.")
                inb += data
                parsed = try_parse(inb)
                if parsed is not None:
                    header, content, _ = parsed
                    if header["content-type"] == "text/json":
                        response = json_value(content, header["content-encoding"])
                        print(f"Received response {response!r} from {addr}", flush=True)
                        print(f"Got result: {response.get('result')}", flush=True)
                    else:
                        print(f"Received {header['content-type']} response from {addr}", flush=True)
                        print(f"Got response: {content!r}", flush=True)
                    done = True
            elif mask & selectors.EVENT_WRITE and outb:
                if not sent_once:
                    print(f"Sending {outb!r} to {addr}", flush=True)
                    sent_once = True
                outb = outb[sock.send(outb):]
                if not outb:
                    sel.modify(sock, selectors.EVENT_READ)
except Exception:
    print(f"Main: Error: Exception for {addr}:\n{traceback.format_exc()}", flush=True)
finally:
    print(f"Closing connection to {addr}", flush=True)
    sel.close()
    sock.close()
