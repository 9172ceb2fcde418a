"""Run inside the kernel host: an HTTP server and a TLS server that answer DELAY seconds
after a connection's first bytes, as a server farther away than an on-path censor does.
Usage: far_servers.py ADDR HTTP_PORT TLS_PORT CERT KEY DELAY (ADDR IPv4 or IPv6). Prints "ready" when both listen."""
import http.server
import socket
import ssl
import sys
import threading
import time

addr, http_port, tls_port, cert, key, delay = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), \
    sys.argv[4], sys.argv[5], float(sys.argv[6])
family = socket.AF_INET6 if ":" in addr else socket.AF_INET


class Slow(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        time.sleep(delay)
        body = b"hello from the server\n"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *a):
        pass


class Server(http.server.ThreadingHTTPServer):
    address_family = family


def serve_http():
    srv = Server((addr, http_port), Slow)
    srv.serve_forever()


def tls_conn(raw, ctx):
    try:
        raw.settimeout(5)
        raw.recv(1, socket.MSG_PEEK)       # the ClientHello has arrived
        time.sleep(delay)
        s = ctx.wrap_socket(raw, server_side=True)
        s.recv(1024)
        s.close()
    except OSError:
        pass
    finally:
        raw.close()


def serve_tls():
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    ls = socket.create_server((addr, tls_port), family=family)
    while True:
        raw, _ = ls.accept()
        threading.Thread(target=tls_conn, args=(raw, ctx), daemon=True).start()


threading.Thread(target=serve_http, daemon=True).start()
threading.Thread(target=serve_tls, daemon=True).start()
time.sleep(0.2)
print("ready", flush=True)
threading.Event().wait()
