# A peer that behaves as the guide's echo server (guide-wire-protocol.md, section 1), written for these tests:
# accepts one connection, echoes until EOF, closes, exits 0. It binds port 0 and prints "PORT <n>" first so the
# test knows where to connect (the guide hard-codes 65432).
import socket
import sys

with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
    s.bind(("127.0.0.1", 0))
    s.listen()
    print(f"PORT {s.getsockname()[1]}", flush=True)
    conn, addr = s.accept()
    with conn:
        print(f"Connected by {addr}", flush=True)
        while True:
            data = conn.recv(1024)
            if not data:
                break
            conn.sendall(data)
