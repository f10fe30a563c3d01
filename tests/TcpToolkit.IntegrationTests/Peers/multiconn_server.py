# A peer that behaves as the guide's multi-connection server (guide-wire-protocol.md, section 2), written for these
# tests: a selectors loop that echoes every byte, never closes first, and closes a connection after the client's EOF.
# Usage: multiconn_server.py HOST PORT. It prints "PORT <n>" first so the tests can bind port 0. Like the guide's,
# a reset from a client is not caught and ends the whole process with a traceback (exit status 1).
# One liberty: a socket waits for WRITE only while it has bytes to echo, so an idle connection does not spin the CPU;
# the bytes on the wire are the same.
import selectors
import socket
import sys

if len(sys.argv) != 3:
    print(f"Usage: {sys.argv[0]} <host> <port>")
    sys.exit(1)

host, port = sys.argv[1], int(sys.argv[2])
sel = selectors.DefaultSelector()
listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
listener.bind((host, port))
listener.listen()
listener.setblocking(False)
port = listener.getsockname()[1]
print(f"PORT {port}", flush=True)
print(f"Listening on {(host, port)}", flush=True)
sel.register(listener, selectors.EVENT_READ, data=None)


class Peer:
    def __init__(self, addr):
        self.addr = addr
        self.outb = b""


def accept():
    conn, addr = listener.accept()
    print(f"Accepted connection from {addr}", flush=True)
    conn.setblocking(False)
    sel.register(conn, selectors.EVENT_READ, data=Peer(addr))


def service(key, mask):
    conn, peer = key.fileobj, key.data
    if mask & selectors.EVENT_READ:
        data = conn.recv(1024)  # ConnectionResetError is not caught, as in the guide
        if not data:
            print(f"Closing connection to {peer.addr}", flush=True)
            sel.unregister(conn)
            conn.close()
            return
        peer.outb += data
    if peer.outb and mask & selectors.EVENT_WRITE:
        print(f"Echoing {peer.outb!r} to {peer.addr}", flush=True)
        sent = conn.send(peer.outb)
        peer.outb = peer.outb[sent:]
    events = selectors.EVENT_READ | (selectors.EVENT_WRITE if peer.outb else 0)
    sel.modify(conn, events, data=peer)


try:
    while True:
        for key, mask in sel.select(timeout=None):
            if key.data is None:
                accept()
            else:
                service(key, mask)
except KeyboardInterrupt:
    print("Caught keyboard interrupt, exiting", flush=True)
finally:
    sel.close()
