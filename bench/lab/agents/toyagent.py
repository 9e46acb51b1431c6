#!/usr/bin/env python3
"""toyagent - a deliberately trivial membership agent that implements the
lab's agent contract (see ../README.md).  It exists to test the harness
(the 'line' socket poller and the members_cmd path) and to show, in ~150
lines, what a real agent must expose.  NOT a failure detector to compare
against: full-mesh UDP heartbeats, fixed timeout, no suspicion, O(N^2)
traffic - use it only for small N (<= 10).

  toyagent.py agent --name h1 --bind 10.77.0.1:7946 [--join 10.77.0.2:7946]
  toyagent.py members            # JSON member list of the local agent
"""
import argparse
import json
import selectors
import signal
import socket
import sys
import time

QUERY = ("127.0.0.1", 7374)


def agent(args):
    ip, port = args.bind.rsplit(":", 1)
    me = "%s:%s" % (ip, port)
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind((ip, int(port)))
    udp.setblocking(False)
    q = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    q.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    q.bind(QUERY)
    q.listen(16)
    q.setblocking(False)
    sel = selectors.DefaultSelector()
    sel.register(udp, selectors.EVENT_READ, "udp")
    sel.register(q, selectors.EVENT_READ, "listen")
    # name -> {"addr": "ip:port", "status": alive|failed|left, "seen": t}
    members = {args.name: {"addr": me, "status": "alive", "seen": time.monotonic()}}
    stop = []

    def on_signal(sig, frame):
        stop.append(sig)
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)

    def send(addr, msg):
        h, p = addr.rsplit(":", 1)
        try:
            udp.sendto(json.dumps(msg).encode(), (h, int(p)))
        except OSError:
            pass

    def heartbeat():
        view = {n: m["addr"] for n, m in members.items() if m["status"] == "alive"}
        targets = {m["addr"] for n, m in members.items() if n != args.name and m["status"] != "left"}
        if args.join:
            targets.add(args.join)
        for addr in targets:
            send(addr, {"t": "hb", "from": args.name, "addr": me, "view": view})

    print("toyagent %s listening on %s" % (args.name, me), flush=True)
    next_hb = 0.0
    while not stop:
        now = time.monotonic()
        if now >= next_hb:
            heartbeat()
            next_hb = now + args.hb
            for n, m in members.items():
                if n != args.name and m["status"] == "alive" and now - m["seen"] > args.fail_after:
                    m["status"] = "failed"
                    print("member %s failed" % n, flush=True)
        for key, _ in sel.select(max(0.0, next_hb - time.monotonic())):
            if key.data == "udp":
                try:
                    data, _ = udp.recvfrom(65535)
                    msg = json.loads(data)
                except (OSError, ValueError):
                    continue
                frm = msg.get("from")
                if frm == args.name or not frm:
                    continue
                if msg.get("t") == "leave":
                    if frm in members:
                        members[frm]["status"] = "left"
                        print("member %s left" % frm, flush=True)
                    continue
                m = members.setdefault(frm, {"addr": msg["addr"], "status": "alive", "seen": now})
                if m["status"] != "alive":
                    print("member %s alive again" % frm, flush=True)
                m.update(addr=msg["addr"], status="alive", seen=time.monotonic())
                for n, addr in msg.get("view", {}).items():
                    if n not in members:
                        members[n] = {"addr": addr, "status": "alive", "seen": time.monotonic()}
            elif key.data == "listen":
                try:
                    c, _ = q.accept()
                    c.setblocking(False)
                    sel.register(c, selectors.EVENT_READ, ["conn", b""])
                except OSError:
                    pass
            else:
                c = key.fileobj
                try:
                    data = c.recv(4096)
                except OSError:
                    data = b""
                if not data:
                    sel.unregister(c)
                    c.close()
                    continue
                key.data[1] += data
                while b"\n" in key.data[1]:
                    line, key.data[1] = key.data[1].split(b"\n", 1)
                    if line.strip() == b"members":
                        out = {"members": [{"name": n, "addr": m["addr"], "status": m["status"]}
                                           for n, m in sorted(members.items())]}
                        try:
                            c.setblocking(True)
                            c.sendall(json.dumps(out).encode() + b"\n")
                            c.setblocking(False)
                        except OSError:
                            pass
    # graceful leave: tell everybody, then exit 0
    for n, m in members.items():
        if n != args.name:
            send(m["addr"], {"t": "leave", "from": args.name})
    print("left", flush=True)
    return 0


def members(args):
    s = socket.create_connection(QUERY, timeout=2)
    s.sendall(b"members\n")
    buf = b""
    while b"\n" not in buf:
        d = s.recv(65536)
        if not d:
            break
        buf += d
    sys.stdout.write(buf.decode())
    return 0


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("agent")
    p.add_argument("--name", required=True)
    p.add_argument("--bind", required=True)
    p.add_argument("--join", default=None)
    p.add_argument("--hb", type=float, default=0.2)
    p.add_argument("--fail-after", type=float, default=1.5)
    p.set_defaults(fn=agent)
    p = sub.add_parser("members")
    p.set_defaults(fn=members)
    a = ap.parse_args()
    sys.exit(a.fn(a))


if __name__ == "__main__":
    main()
