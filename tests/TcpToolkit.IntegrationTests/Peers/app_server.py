# A peer that behaves as the guide's application server (guide-wire-protocol.md, sections 3.1, 3.5, 3.7), written for
# these tests: one request per connection, a search answer for text/json, "First 10 bytes of request: " for anything
# else, then it closes first. A bad request prints "Main: Error: Exception for (addr):" and a traceback and closes
# that connection without an answer. Usage: app_server.py HOST PORT; it prints "PORT <n>" first (tests bind port 0).
# Liberty: falsy requests are answered instead of hanging, and sockets wait for WRITE only with bytes to send.
import selectors
import socket
import sys
import traceback

from app_protocol import frame, json_bytes, json_value, try_parse

SEARCH = {
    "morpheus": "Follow the white rabbit. \U0001f430",
    "ring": "In the caves beneath the Misty Mountains. \U0001f48d",
    "\U0001f436": "\U0001f43e Playing ball! \U0001f3d0",
}

if len(sys.argv) != 3:
    print(f"Usage: {sys.argv[0]} <host> <port>")
    sys.exit(1)

host, port = sys.argv[1], int(sys.argv[2])
sel = selectors.DefaultSelector()
listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind((host, port))
listener.listen()
listener.setblocking(False)
port = listener.getsockname()[1]
print(f"PORT {port}", flush=True)
print(f"Listening on {(host, port)}", flush=True)
sel.register(listener, selectors.EVENT_READ, data=None)


class Connection:
    def __init__(self, sock, addr):
        self.sock, self.addr = sock, addr
        self.inb, self.outb, self.answered = b"", b"", False

    def read(self):
        data = self.sock.recv(4096)
        if not data:
            raise RuntimeError("Peer closed.")
        self.inb += data
        parsed = try_parse(self.inb)
        if parsed is None:
            return
        header, content, _ = parsed  # anything after the first request is ignored
        self.outb = self.respond(header, content)
        self.answered = True
        sel.modify(self.sock, selectors.EVENT_WRITE, data=self)

    def respond(self, header, content):
        if header["content-type"] == "text/json":
            request = json_value(content, header["content-encoding"])
            print(f"Received request {request!r} from {self.addr}", flush=True)
            action = request.get("action")
            if action == "search":
                query = request.get("value")
                result = SEARCH.get(query) or f"No match for '{query}'."
            else:
                result = f"Error: invalid action '{action}'."
            return frame("text/json", "utf-8", json_bytes({"result": result}))
        print(f"Received {header['content-type']} request from {self.addr}", flush=True)
        return frame("binary/custom-server-binary-type", "binary", b"First 10 bytes of request: " + content[:10])

    def write(self):
        print(f"Sending {self.outb!r} to {self.addr}", flush=True)
        sent = self.sock.send(self.outb)
        self.outb = self.outb[sent:]
        if not self.outb:
            self.close()  # the server closes first, right after its answer

    def close(self):
        print(f"Closing connection to {self.addr}", flush=True)
        sel.unregister(self.sock)
        self.sock.close()


try:
    while True:
        for key, mask in sel.select(timeout=None):
            if key.data is None:
                sock, addr = listener.accept()
                print(f"Accepted connection from {addr}", flush=True)
                sock.setblocking(False)
                sel.register(sock, selectors.EVENT_READ, data=Connection(sock, addr))
                continue
            connection = key.data
            try:
                if mask & selectors.EVENT_READ and not connection.answered:
                    connection.read()
                elif mask & selectors.EVENT_WRITE:
                    connection.write()
            except Exception:
                print(f"Main: Error: Exception for {connection.addr}:\n{traceback.format_exc()}", flush=True)
                connection.close()
except KeyboardInterrupt:
    print("Caught keyboard interrupt, exiting", flush=True)
finally:
    sel.close()
