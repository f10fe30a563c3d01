# A peer that behaves as the guide's multi-connection client (guide-wire-protocol.md, section 2), written for these
# tests: N non-blocking connections, each sends two 22-byte messages (one per writable event), counts the bytes that
# come back and closes (FIN) after 44 of them or at EOF. A refused connection raises in recv and exits with 1.
# Usage: multiconn_client.py HOST PORT NUM_CONNECTIONS
import selectors
import socket
import sys
import types

if len(sys.argv) != 4:
    print(f"Usage: {sys.argv[0]} <host> <port> <num_connections>")
    sys.exit(1)

host, port, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
messages = [b"Message 1 from client.", b"Message 2 from client."]
sel = selectors.DefaultSelector()

for connid in range(1, count + 1):
    print(f"Starting connection {connid} to {(host, port)}", flush=True)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setblocking(False)
    sock.connect_ex((host, port))
    state = types.SimpleNamespace(
        connid=connid, total=sum(len(m) for m in messages), received=0, pending=list(messages), outb=b"")
    sel.register(sock, selectors.EVENT_READ | selectors.EVENT_WRITE, data=state)


def service(key, mask):
    sock, state = key.fileobj, key.data
    if mask & selectors.EVENT_READ:
        data = sock.recv(1024)
        if data:
            print(f"Received {data!r} from connection {state.connid}", flush=True)
            state.received += len(data)
        if not data or state.received == state.total:
            print(f"Closing connection {state.connid}", flush=True)
            sel.unregister(sock)
            sock.close()
            return
    if mask & selectors.EVENT_WRITE:
        if not state.outb and state.pending:
            state.outb = state.pending.pop(0)
        if state.outb:
            print(f"Sending {state.outb!r} to connection {state.connid}", flush=True)
            sent = sock.send(state.outb)
            state.outb = state.outb[sent:]
        if not state.outb and not state.pending:
            sel.modify(sock, selectors.EVENT_READ, data=state)  # all sent: stop waking up for WRITE


while sel.get_map():
    for key, mask in sel.select(timeout=1):
        service(key, mask)
sel.close()
