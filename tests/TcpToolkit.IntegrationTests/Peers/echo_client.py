# A peer that behaves as the guide's echo client (guide-wire-protocol.md, section 1), written for these tests.
# Usage: echo_client.py HOST PORT   (the guide hard-codes 127.0.0.1:65432; the tests need port 0)
import socket
import sys

host, port = sys.argv[1], int(sys.argv[2])
with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
    s.connect((host, port))
    s.sendall(b"Hello, world")
    data = s.recv(1024)  # one recv, no loop, as the guide
print(f"Received {data!r}")
