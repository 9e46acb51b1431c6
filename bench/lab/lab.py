#!/usr/bin/env python3
"""lab.py - cachecluster's membership lab: failure scenarios on one machine.

Creates N "hosts" (network namespaces <prefix>-h1..hN, plus spare hosts for
the recreate scenario) on one Linux bridge that lives in its own namespace
(<prefix>-br), starts one agent per host from an agent profile
(agents/*.json: our agent, Serf, a toy), runs failure scenarios against them
and prints one JSON line per run (stdout and --out) and human summaries
(stderr).  `report` and `compare` turn result files into markdown tables.

All traffic stays inside the namespaces: the bridge namespace has no address,
host namespaces have only their 10.77.0.0/16 address and no default route,
and the root namespace has no route into 10.77.0.0/16 at all.

See README.md for the scenarios and the agent profile.  Needs root, iproute2,
nftables and python3 >= 3.8 (standard library only).
"""
import argparse
import ctypes
import json
import os
import random
import re
import selectors
import shlex
import signal
import socket
import statistics
import struct
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
CLONE_NEWNET = 0x40000000
CLK_TCK = os.sysconf("SC_CLK_TCK")
_libc = ctypes.CDLL(None, use_errno=True)

ALIVE = {"alive"}
FAILED = {"failed", "dead"}
LEFT = {"left"}
ABSENT = "absent"   # pseudo-status: member not in the observer's list


def log(msg):
    sys.stderr.write("[%s] %s\n" % (time.strftime("%H:%M:%S"), msg))
    sys.stderr.flush()


def run(cmd, check=True, timeout=30, input=None, quiet=False):
    """Run a command (list), bounded in time."""
    r = subprocess.run(cmd, input=input, capture_output=True, text=True,
                       timeout=timeout)
    if check and r.returncode != 0:
        raise RuntimeError("command failed (%d): %s\n%s" %
                           (r.returncode, " ".join(cmd), r.stderr.strip()))
    return r


def setns(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        if _libc.setns(fd, CLONE_NEWNET) != 0:
            e = ctypes.get_errno()
            raise OSError(e, "setns(%s): %s" % (path, os.strerror(e)))
    finally:
        os.close(fd)


def stats(vals):
    vals = [v for v in vals if v is not None]
    if not vals:
        return {"n": 0, "median": None, "min": None, "max": None}
    return {"n": len(vals), "median": round(statistics.median(vals), 3),
            "min": round(min(vals), 3), "max": round(max(vals), 3)}


# --------------------------------------------------------------------------
# minimal msgpack (old "raw" spec as used by serf's go-msgpack, plus new types)
# --------------------------------------------------------------------------
class Incomplete(Exception):
    pass


def mp_pack(o):
    if o is None:
        return b"\xc0"
    if o is True:
        return b"\xc3"
    if o is False:
        return b"\xc2"
    if isinstance(o, int):
        if 0 <= o <= 0x7f:
            return bytes([o])
        if 0 <= o <= 0xffffffff:
            return b"\xce" + struct.pack(">I", o)
        return b"\xd3" + struct.pack(">q", o)
    if isinstance(o, str):
        o = o.encode()
    if isinstance(o, bytes):
        n = len(o)
        if n <= 31:
            return bytes([0xa0 | n]) + o
        if n <= 0xffff:
            return b"\xda" + struct.pack(">H", n) + o
        return b"\xdb" + struct.pack(">I", n) + o
    if isinstance(o, dict):
        n = len(o)
        h = bytes([0x80 | n]) if n <= 15 else b"\xde" + struct.pack(">H", n)
        return h + b"".join(mp_pack(k) + mp_pack(v) for k, v in o.items())
    if isinstance(o, (list, tuple)):
        n = len(o)
        h = bytes([0x90 | n]) if n <= 15 else b"\xdc" + struct.pack(">H", n)
        return h + b"".join(mp_pack(v) for v in o)
    raise TypeError(type(o))


def _raw(buf, i, n):
    j = i + n
    if j > len(buf):
        raise Incomplete()
    b = buf[i:j]
    try:
        return b.decode(), j
    except UnicodeDecodeError:
        return b, j


_FIXED = {0xcc: (">B", 1), 0xcd: (">H", 2), 0xce: (">I", 4), 0xcf: (">Q", 8),
          0xd0: (">b", 1), 0xd1: (">h", 2), 0xd2: (">i", 4), 0xd3: (">q", 8),
          0xca: (">f", 4), 0xcb: (">d", 8)}


def mp_unpack(buf, i=0):
    """Decode one object at buf[i:], return (obj, next_index); Incomplete if short."""
    if i >= len(buf):
        raise Incomplete()
    b = buf[i]
    i += 1
    if b <= 0x7f:
        return b, i
    if b >= 0xe0:
        return b - 256, i
    if 0xa0 <= b <= 0xbf:
        return _raw(buf, i, b & 0x1f)
    if 0x80 <= b <= 0x8f:
        return _map(buf, i, b & 0x0f)
    if 0x90 <= b <= 0x9f:
        return _arr(buf, i, b & 0x0f)
    if b == 0xc0:
        return None, i
    if b == 0xc2:
        return False, i
    if b == 0xc3:
        return True, i
    if b in _FIXED:
        fmt, n = _FIXED[b]
        if i + n > len(buf):
            raise Incomplete()
        return struct.unpack_from(fmt, buf, i)[0], i + n
    if b in (0xd9, 0xc4):
        if i + 1 > len(buf):
            raise Incomplete()
        return _raw(buf, i + 1, buf[i])
    if b in (0xda, 0xc5):
        if i + 2 > len(buf):
            raise Incomplete()
        return _raw(buf, i + 2, struct.unpack_from(">H", buf, i)[0])
    if b in (0xdb, 0xc6):
        if i + 4 > len(buf):
            raise Incomplete()
        return _raw(buf, i + 4, struct.unpack_from(">I", buf, i)[0])
    if b == 0xdc:
        if i + 2 > len(buf):
            raise Incomplete()
        return _arr(buf, i + 2, struct.unpack_from(">H", buf, i)[0])
    if b == 0xdd:
        if i + 4 > len(buf):
            raise Incomplete()
        return _arr(buf, i + 4, struct.unpack_from(">I", buf, i)[0])
    if b == 0xde:
        if i + 2 > len(buf):
            raise Incomplete()
        return _map(buf, i + 2, struct.unpack_from(">H", buf, i)[0])
    if b == 0xdf:
        if i + 4 > len(buf):
            raise Incomplete()
        return _map(buf, i + 4, struct.unpack_from(">I", buf, i)[0])
    if 0xd4 <= b <= 0xd8:  # fixext
        n = 1 << (b - 0xd4)
        if i + 1 + n > len(buf):
            raise Incomplete()
        return buf[i + 1:i + 1 + n], i + 1 + n
    raise ValueError("msgpack type 0x%02x not supported" % b)


def _map(buf, i, n):
    d = {}
    for _ in range(n):
        k, i = mp_unpack(buf, i)
        v, i = mp_unpack(buf, i)
        d[k] = v
    return d, i


def _arr(buf, i, n):
    a = []
    for _ in range(n):
        v, i = mp_unpack(buf, i)
        a.append(v)
    return a, i


_SERF_BODY = b"\x81\xa7Members"
_SERF_NAME = re.compile(rb"\xa4Name([\xa0-\xbf])")
_SERF_STATUS = re.compile(rb"\xa6Status([\xa0-\xbf])")
_SERF_END = re.compile(rb"\xabDelegateCur[\x00-\x7f]")


def serf_members_fast(buf, i):
    """Fast path for a serf members body at buf[i:] (regex scan instead of a
    pure-python msgpack walk: ~20x cheaper at N=50).  Returns ({name: status},
    end) or None when the layout is not the expected one or the data is
    incomplete (caller then uses the generic decoder)."""
    p = _SERF_BODY
    if buf[i:i + len(p)] != p or len(buf) < i + len(p) + 3:
        return None
    j = i + len(p)
    b = buf[j]
    if 0x90 <= b <= 0x9f:
        n, j = b & 0x0f, j + 1
    elif b == 0xdc:
        n, j = struct.unpack_from(">H", buf, j + 1)[0], j + 3
    else:
        return None
    if n == 0:
        return {}, j
    end, k = None, 0
    for m in _SERF_END.finditer(buf, j):
        k += 1
        if k == n:
            end = m.end()
            break
    if end is None:
        return None
    names = [buf[m.end():m.end() + (m.group(1)[0] & 0x1f)] for m in _SERF_NAME.finditer(buf, j, end)]
    stats = [buf[m.end():m.end() + (m.group(1)[0] & 0x1f)] for m in _SERF_STATUS.finditer(buf, j, end)]
    if len(names) != n or len(stats) != n:
        return None
    return {nm.decode(errors="replace"): st.decode(errors="replace") for nm, st in zip(names, stats)}, end


# --------------------------------------------------------------------------
# member-list pollers
# --------------------------------------------------------------------------
def _ip_text(a):
    """An address field as text: '10.77.0.5' stays, 'ip:port' loses the port,
    serf's raw net.IP bytes (4 or 16) become dotted quads."""
    if a is None:
        return ""
    if isinstance(a, str) and re.fullmatch(r"[0-9.]+(:\d+)?", a):
        return a.split(":")[0]
    if isinstance(a, str):
        a = a.encode("utf-8", "surrogateescape")
    if isinstance(a, (bytes, bytearray)):
        if len(a) == 16 and a[:12] == b"\0" * 10 + b"\xff\xff":
            a = a[12:]
        if len(a) == 4:
            return ".".join(str(x) for x in a)
        return a.hex()
    return str(a)


# The profile's "held_field": a boolean member field that says the agent holds a
# live member out of the peer list it publishes (flap damping, grey failure).
# Such a member is reported as HELD, a status in neither ALIVE nor peer_states,
# so scenarios count it as removed from the peer list. Set by Lab.__init__.
HELD = "held"
HELD_FIELD = None


def normalize_members(obj, with_addr=False):
    """Agent JSON -> {name: status} (with_addr: {name: "status@ip"}).
    Accepts {"members":[...]} or [...]"""
    if isinstance(obj, dict):
        obj = obj.get("members", obj.get("Members", []))
    out = {}
    for m in obj or []:
        name = m.get("name", m.get("Name"))
        st = m.get("status", m.get("Status", m.get("state", "unknown")))
        if name is not None:
            st = str(st).lower()
            if HELD_FIELD and m.get(HELD_FIELD) is True and st in ("alive", "suspect"):
                st = HELD
            if with_addr:
                st += "@" + _ip_text(m.get("address", m.get("addr", m.get("Addr"))))
            out[str(name)] = st
    return out


def split_addr(st):
    """'alive@10.77.0.5' -> ('alive', '10.77.0.5')"""
    a, _, b = st.partition("@")
    return a, b


class _Conn:
    def __init__(self, sock):
        self.sock = sock
        self.buf = b""
        self.seq = 0
        self.pending = None      # (seq, t_sent)
        self.handshaken = False


class SocketPoller:
    """Persistent connection to each agent's local query endpoint, created
    inside the agent's namespace (sockets keep the netns they were made in).
    kind 'serf-rpc': serf's msgpack RPC (handshake + members[-filtered]).
    kind 'line':     send 'members\\n', read one line of JSON.
    kind 'http':     keep-alive HTTP/1.1 GET of the profile's members_path (JSON body)."""

    def __init__(self, lab, kind, addr):
        self.lab = lab
        self.kind = kind
        host, port = addr.rsplit(":", 1)
        self.addr = (host, int(port))
        self.conns = {}
        self.sel = selectors.DefaultSelector()
        self.rootns = os.open("/proc/self/ns/net", os.O_RDONLY)
        self.supports_filter = (kind == "serf-rpc")

    def close(self):
        for c in list(self.conns.values()):
            self._drop_conn(c)
        self.conns.clear()

    def _drop_conn(self, c):
        try:
            self.sel.unregister(c.sock)
        except Exception:
            pass
        try:
            c.sock.close()
        except Exception:
            pass

    def drop(self, idx):
        c = self.conns.pop(idx, None)
        if c:
            self._drop_conn(c)

    def _connect(self, agent):
        setns(agent.ns_path)
        try:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        finally:
            if _libc.setns(self.rootns, CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), "setns back failed")
        s.setblocking(False)
        try:
            s.connect(self.addr)
        except BlockingIOError:
            pass
        except OSError:
            s.close()
            return None
        c = _Conn(s)
        if self.kind == "serf-rpc":
            c.seq = 1
            c.pending = (0, time.monotonic())
            c.out = mp_pack({"Command": "handshake", "Seq": 0}) + mp_pack({"Version": 1})
        else:
            c.handshaken = True
            c.out = b""
        self.sel.register(s, selectors.EVENT_READ | selectors.EVENT_WRITE, (agent.idx, c))
        self.conns[agent.idx] = c
        return c

    def _request(self, c, mode):
        c.mode = mode
        if self.kind == "serf-rpc":
            seq = c.seq
            c.seq += 1
            if mode == "full":
                msg = mp_pack({"Command": "members", "Seq": seq})
            else:
                body = {"Tags": {}, "Status": "", "Name": ""}
                if mode.startswith("name:") or mode.startswith("addr:"):
                    body["Name"] = "^%s$" % re.escape(mode[5:])
                elif mode == "nonalive":
                    body["Status"] = "(none|leaving|left|failed)"
                msg = mp_pack({"Command": "members-filtered", "Seq": seq}) + mp_pack(body)
        elif self.kind == "http":
            seq = c.seq
            c.seq += 1
            path = self.lab.profile.get("members_socket", {}).get("path", "/v1/members")
            msg = ("GET %s HTTP/1.1\r\nHost: localhost\r\n\r\n" % path).encode()
        else:
            seq = c.seq
            c.seq += 1
            msg = b"members\n"
        c.pending = (seq, time.monotonic())
        c.out += msg
        self.sel.modify(c.sock, selectors.EVENT_READ | selectors.EVENT_WRITE, self.sel.get_key(c.sock).data)

    def _parse(self, c):
        """Return list of (seq, members_dict|None) parsed from c.buf."""
        res = []
        with_addr = getattr(c, "mode", "").startswith("addr:")
        while c.buf:
            if self.kind == "http":
                he = c.buf.find(b"\r\n\r\n")
                if he < 0:
                    break
                head = c.buf[:he].decode("latin-1")
                m = re.search(r"(?im)^content-length:\s*(\d+)", head)
                n = int(m.group(1)) if m else 0
                if len(c.buf) < he + 4 + n:
                    break
                body, c.buf = c.buf[he + 4:he + 4 + n], c.buf[he + 4 + n:]
                try:
                    res.append((c.pending[0] if c.pending else -1, normalize_members(json.loads(body), with_addr)))
                except ValueError:
                    res.append((c.pending[0] if c.pending else -1, None))
                continue
            if self.kind == "line":
                nl = c.buf.find(b"\n")
                if nl < 0:
                    break
                line, c.buf = c.buf[:nl], c.buf[nl + 1:]
                try:
                    res.append((c.pending[0] if c.pending else -1, normalize_members(json.loads(line), with_addr)))
                except ValueError:
                    res.append((c.pending[0] if c.pending else -1, None))
                continue
            try:
                hdr, i = mp_unpack(c.buf, 0)
                seq = hdr.get("Seq")
                if seq == 0 or hdr.get("Error"):
                    c.buf = c.buf[i:]
                    res.append((seq, None))
                    continue
                fast = None if with_addr else serf_members_fast(c.buf, i)
                if fast is not None:
                    ms, j = fast
                else:
                    body, j = mp_unpack(c.buf, i)
                    ms = normalize_members(body.get("Members") or [], with_addr)
            except Incomplete:
                break
            c.buf = c.buf[j:]
            res.append((seq, ms))
        return res

    def poll(self, agents, mode="full", timeout=0.5):
        """One round.  Returns {idx: {member: status}} for agents that answered."""
        if not self.supports_filter and not mode.startswith("addr:"):
            mode = "full"
        out = {}
        now = time.monotonic()
        waiting = set()
        for a in agents:
            c = self.conns.get(a.idx)
            if c is None:
                c = self._connect(a)
                if c is None:
                    continue
            if c.pending is None:
                self._request(c, mode)
            elif now - c.pending[1] > 3.0:      # stuck (e.g. paused agent): reconnect
                self.drop(a.idx)
                c = self._connect(a)
                if c is None:
                    continue
            waiting.add(a.idx)
        deadline = time.monotonic() + timeout
        while waiting:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            for key, ev in self.sel.select(left):
                idx, c = key.data
                if ev & selectors.EVENT_WRITE and c.out:
                    try:
                        n = c.sock.send(c.out)
                        c.out = c.out[n:]
                    except BlockingIOError:
                        pass
                    except OSError:
                        self.drop(idx)
                        waiting.discard(idx)
                        continue
                    if not c.out:
                        self.sel.modify(c.sock, selectors.EVENT_READ, key.data)
                if ev & selectors.EVENT_READ:
                    try:
                        data = c.sock.recv(262144)
                    except BlockingIOError:
                        continue
                    except OSError:
                        data = b""
                    if not data:
                        self.drop(idx)
                        waiting.discard(idx)
                        continue
                    c.buf += data
                    for seq, ms in self._parse(c):
                        if c.pending and seq == c.pending[0]:
                            c.pending = None
                            if seq == 0 and self.kind == "serf-rpc":
                                c.handshaken = True
                                if idx in waiting:
                                    self._request(c, mode)
                                continue
                            if ms is not None and idx in waiting:
                                out[idx] = ms
                                waiting.discard(idx)
        return out


class CmdPoller:
    """Generic: run the profile's members_cmd inside each namespace (one
    process per agent per round, all in parallel).  Slow but universal."""
    supports_filter = False

    def __init__(self, lab, template):
        self.lab = lab
        self.template = template

    def close(self):
        pass

    def drop(self, idx):
        pass

    def poll(self, agents, mode="full", timeout=2.0):
        # a process per agent cannot answer within a 0.1 s round on a loaded
        # machine (python CLIs take ~50-100 ms to start): allow 2 s; resolution
        # is then the round time, not --interval
        timeout = max(timeout, 2.0)
        procs = {}
        for a in agents:
            argv = shlex.split(self.template.format(**a.vars()))
            procs[a.idx] = subprocess.Popen(["ip", "netns", "exec", a.ns] + argv,
                                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                            stdin=subprocess.DEVNULL)
        out = {}
        deadline = time.monotonic() + timeout
        for idx, p in procs.items():
            try:
                so, _ = p.communicate(timeout=max(0.01, deadline - time.monotonic()))
                if p.returncode == 0:
                    out[idx] = normalize_members(json.loads(so), mode.startswith("addr:"))
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
            except ValueError:
                pass
        return out


# --------------------------------------------------------------------------
# the lab: network + agents
# --------------------------------------------------------------------------
class Host:
    """One network namespace <prefix>-hI with eth0 = 10.77.I/16 on the bridge."""

    def __init__(self, lab, idx):
        self.idx = idx
        self.ns = "%s-h%d" % (lab.prefix, idx)
        self.ns_path = "/run/netns/" + self.ns
        self.ip = "%s.%d.%d" % (lab.base, idx // 256, idx % 256)
        self.mac = "02:77:00:00:%02x:%02x" % (idx // 256, idx % 256)


class Agent:
    """Agent hI: its name is fixed, its host starts as host I and changes only
    in the recreate scenario (same name, another namespace and address)."""

    def __init__(self, lab, idx, host):
        self.lab = lab
        self.idx = idx
        self.name = "h%d" % idx
        self.host = host
        self.proc = None
        self.logf = None
        self.log_path = os.path.join(lab.workdir, self.name + ".log")
        self.dir = os.path.join(lab.workdir, self.name)
        self.state = "down"

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    @property
    def ns(self):
        return self.host.ns

    @property
    def ns_path(self):
        return self.host.ns_path

    @property
    def ip(self):
        return self.host.ip

    def vars(self, join=True):
        lab = self.lab
        seed = lab.agents[lab.seed_idx(self)]
        v = {"name": self.name, "ip": self.ip, "port": lab.port, "index": self.idx,
             "n": lab.n, "seed_ip": seed.ip, "seed_name": seed.name,
             "workdir": self.dir, "extra": lab.extra, "join": "",
             "agent_dir": lab.profile.get("_dir", HERE)}
        if join and seed is not self:
            v["join"] = lab.profile.get("join", "").format(**v)
        return v

    def start(self, join=True):
        """join=False only for the very first agent of a fresh cluster"""
        os.makedirs(self.dir, exist_ok=True)
        argv = shlex.split(self.lab.profile["start"].format(**self.vars(join)))
        self.logf = open(self.log_path, "ab")
        self.logf.write(("\n### lab start %s t=%.3f argv=%s\n" %
                         (self.name, time.time(), " ".join(argv))).encode())
        self.logf.flush()
        self.proc = subprocess.Popen(["ip", "netns", "exec", self.ns] + argv,
                                     stdout=self.logf, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, cwd=self.dir,
                                     start_new_session=True)
        self.state = "running"

    def signal(self, sig):
        if self.proc and self.proc.poll() is None:
            os.kill(self.proc.pid, sig)

    def wait_exit(self, timeout):
        if not self.proc:
            return True
        try:
            self.proc.wait(timeout=timeout)
            return True
        except subprocess.TimeoutExpired:
            return False

    def kill(self):
        if self.proc and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)
        if self.logf:
            self.logf.close()
            self.logf = None
        self.state = "down"

    def alive_proc(self):
        return self.proc is not None and self.proc.poll() is None

    def log_size(self):
        try:
            return os.path.getsize(self.log_path)
        except OSError:
            return 0

    def cpu_seconds(self):
        with open("/proc/%d/stat" % self.pid) as f:
            rest = f.read().rsplit(")", 1)[1].split()
        return (int(rest[11]) + int(rest[12])) / CLK_TCK   # utime, stime

    def rss_kb(self):
        with open("/proc/%d/status" % self.pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return None

    def netdev(self, ifname="eth0"):
        """(rx_bytes, rx_packets, tx_bytes, tx_packets) of the host's veth,
        read through /proc/PID/net/dev (the agent's namespace)."""
        with open("/proc/%d/net/dev" % self.pid) as f:
            for line in f:
                if ":" in line:
                    name, data = line.split(":", 1)
                    if name.strip() == ifname:
                        d = data.split()
                        return int(d[0]), int(d[1]), int(d[8]), int(d[9])
        return None


class Lab:
    def __init__(self, n, profile, extra="", prefix="cclab", base="10.77",
                 workdir=None, interval=0.1, poller="auto", seed=1, spares=0):
        if not 1 <= n or n + spares > 250:
            raise SystemExit("N + spares must be in 1..250")
        self.n = n
        self.profile = profile
        self.extra = extra
        self.prefix = prefix
        self.base = base
        self.port = int(profile.get("port", 7946))
        self.workdir = workdir or "/tmp/cclab-%s" % prefix
        self.interval = interval
        self.brns = prefix + "-br"
        # hosts 1..n carry agents h1..hN; hosts n+1..n+spares start empty
        self.hosts = {i: Host(self, i) for i in range(1, n + spares + 1)}
        self.agents = {i: Agent(self, i, self.hosts[i]) for i in range(1, n + 1)}
        self.rng = random.Random(seed)
        self.poller_kind = poller
        self.poller = None
        self.net_up = False
        self.blackholed = set()        # host indexes with set_blackhole on
        # statuses in which a member is still in the list applications get
        # (our agent keeps a suspect member as a peer; Serf shows only alive)
        self.peer_states = set(profile.get("peer_states", ["alive"]))
        global HELD_FIELD
        HELD_FIELD = profile.get("held_field")

    # ---- network ---------------------------------------------------------
    def seed_idx(self, agent):
        if agent.idx != 1 or self.n == 1:
            return 1
        return 2     # when h1 itself (re)starts it joins via h2

    @staticmethod
    def leftovers(prefix):
        r = run(["ip", "netns", "list"], check=False)
        out = []
        for line in r.stdout.splitlines():
            name = line.split()[0] if line.split() else ""
            if name == prefix + "-br" or re.fullmatch(re.escape(prefix) + r"-h\d+", name):
                out.append(name)
        return out

    @staticmethod
    def cleanup(prefix):
        """Remove namespaces <prefix>-* left by a previous (crashed) run,
        killing by PID only processes running inside them (all started by us)."""
        nss = Lab.leftovers(prefix)
        for ns in nss:
            r = run(["ip", "netns", "pids", ns], check=False)
            for p in r.stdout.split():
                try:
                    os.kill(int(p), signal.SIGCONT)
                    os.kill(int(p), signal.SIGKILL)
                except (ProcessLookupError, ValueError):
                    pass
        for ns in nss:
            for _ in range(20):
                if run(["ip", "netns", "del", ns], check=False).returncode == 0:
                    break
                time.sleep(0.1)
        return nss

    def lock(self):
        """One lab per prefix at a time: flock held for the process lifetime."""
        import fcntl
        self._lockf = open("/run/cclab-%s.lock" % self.prefix, "w")
        try:
            fcntl.flock(self._lockf, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise SystemExit("another lab with prefix %r is running (use --prefix)" % self.prefix)

    def setup_net(self):
        self.lock()
        old = Lab.cleanup(self.prefix)
        if old:
            log("removed %d leftover namespaces of prefix %s" % (len(old), self.prefix))
        if os.path.isdir(self.workdir):       # fresh logs for every lab
            for f in os.listdir(self.workdir):
                if re.fullmatch(r"h\d+\.log", f):
                    os.unlink(os.path.join(self.workdir, f))
        os.makedirs(self.workdir, exist_ok=True)
        self.net_up = True
        t = time.monotonic()
        run(["ip", "netns", "add", self.brns])
        run(["ip", "-n", self.brns, "link", "add", "br0", "type", "bridge", "stp_state", "0",
             "forward_delay", "0"])
        run(["ip", "-n", self.brns, "link", "set", "br0", "up"])
        run(["ip", "-n", self.brns, "link", "set", "lo", "up"])
        batch = []
        for h in self.hosts.values():
            run(["ip", "netns", "add", h.ns])
            # no IPv6 (no DAD/RS noise in the counters)
            run(["ip", "netns", "exec", h.ns, "sysctl", "-q", "-w",
                 "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1"])
            batch.append("link add eth0 address %s netns %s type veth peer name v%d netns %s"
                         % (h.mac, h.ns, h.idx, self.brns))
        run(["ip", "-batch", "-"], input="\n".join(batch) + "\n")
        brbatch = []
        for h in self.hosts.values():
            # Static (permanent) ARP entries for all peers: the kernel's ARP table is
            # shared by all namespaces and overflows at gc_thresh3=1024 entries
            # (~N=33 full mesh), which silently drops packets (ENOBUFS) and causes
            # false suspicions.  Permanent entries are exempt from that limit.
            neigh = "".join("neigh replace %s lladdr %s dev eth0 nud permanent\n" % (b.ip, b.mac)
                            for b in self.hosts.values() if b is not h)
            run(["ip", "-n", h.ns, "-batch", "-"], input=(
                "link set lo up\naddr add %s/16 dev eth0\nlink set eth0 up\n" % h.ip) + neigh)
            brbatch.append("link set v%d master br0 up" % h.idx)
            nft = ("add table inet cclab\n"
                   "add chain inet cclab input { type filter hook input priority 0; policy accept; }\n"
                   "add chain inet cclab output { type filter hook output priority 0; policy accept; }\n")
            run(["ip", "netns", "exec", h.ns, "nft", "-f", "-"], input=nft)
        run(["ip", "-n", self.brns, "-batch", "-"], input="\n".join(brbatch) + "\n")
        log("network up: %d hosts (%d spare) on %s.0.0/16 bridge in netns %s (%.1fs)" %
            (len(self.hosts), len(self.hosts) - self.n, self.base, self.brns, time.monotonic() - t))

    def free_hosts(self):
        """hosts no agent occupies (spares, and hosts vacated by a recreate)"""
        used = {a.host.idx for a in self.agents.values()}
        return [h for h in self.hosts.values() if h.idx not in used]

    def teardown(self):
        if self.poller:
            self.poller.close()
            self.poller = None
        for a in self.agents.values():
            try:
                if a.proc and a.proc.poll() is None:
                    os.kill(a.proc.pid, signal.SIGCONT)
                a.kill()
            except Exception as e:
                log("kill %s: %s" % (a.name, e))
        if self.net_up:
            Lab.cleanup(self.prefix)
            self.net_up = False

    # ---- loss ------------------------------------------------------------
    def set_loss(self, pct, proto="udp", agents=None):
        """Inbound random loss on the host's eth0 (not lo).  pct=0 removes it."""
        for a in (agents or self.agents.values()):
            cmds = "flush chain inet cclab input\n"
            if pct > 0:
                l4 = "meta l4proto udp " if proto == "udp" else ""
                cmds += ("add rule inet cclab input iifname != lo %scounter\n" % l4 +
                         "add rule inet cclab input iifname != lo %snumgen random mod 1000 lt %d counter drop\n"
                         % (l4, int(round(pct * 10))))
            run(["ip", "netns", "exec", a.ns, "nft", "-f", "-"], input=cmds)

    def set_blackhole(self, host, on):
        """Drop every packet into and out of a host's eth0 (a silent host), or stop doing so."""
        (self.blackholed.add if on else self.blackholed.discard)(host.idx)
        cmds = "flush chain inet cclab input\nflush chain inet cclab output\n"
        if on:
            cmds += ("add rule inet cclab input iifname != lo counter drop\n"
                     "add rule inet cclab output oifname != lo counter drop\n")
        run(["ip", "netns", "exec", host.ns, "nft", "-f", "-"], input=cmds)

    def loss_counters(self, agents=None):
        seen = dropped = 0
        for a in (agents or self.agents.values()):
            r = run(["ip", "netns", "exec", a.ns, "nft", "-j", "list", "chain", "inet", "cclab", "input"],
                    check=False)
            try:
                rules = [x["rule"] for x in json.loads(r.stdout)["nftables"] if "rule" in x]
            except (ValueError, KeyError):
                continue
            for rule in rules:
                cnt = [e["counter"] for e in rule["expr"] if "counter" in e]
                if not cnt:
                    continue
                if any("drop" in e for e in rule["expr"]):
                    dropped += cnt[0]["packets"]
                else:
                    seen += cnt[0]["packets"]
        return seen, dropped

    # ---- agents ----------------------------------------------------------
    def make_poller(self):
        p = self.profile
        kind = self.poller_kind
        if kind == "auto":
            kind = "socket" if p.get("members_socket") else "cmd"
        if kind == "socket":
            ms = p["members_socket"]
            self.poller = SocketPoller(self, ms["type"], ms["addr"])
        else:
            self.poller = CmdPoller(self, p["members_cmd"])
        log("poller: %s" % (kind if kind == "cmd" else "socket/" + p["members_socket"]["type"]))

    def running(self, exclude=()):
        return [a for a in self.agents.values() if a.state == "running" and a.idx not in exclude]

    def start_all(self, timeout=30):
        """Start the seed, wait until it answers, then start everyone else.
        Returns (t_seed_ready, t_all_launched) relative to the call."""
        t0 = time.monotonic()
        seed = self.agents[1]
        seed.start(join=False)
        ok = False
        while time.monotonic() - t0 < timeout:
            r = self.poller.poll([seed], timeout=0.2)
            if seed.idx in r:
                ok = True
                break
            if not seed.alive_proc():
                raise RuntimeError("seed agent exited, see %s" % seed.log_path)
            time.sleep(0.02)
        if not ok:
            raise RuntimeError("seed agent did not answer within %ds, see %s" % (timeout, seed.log_path))
        t_seed = time.monotonic() - t0
        for a in self.agents.values():
            if a.idx != 1:
                a.start()
        return t_seed, time.monotonic() - t0

    def stop_all(self):
        if self.poller:
            self.poller.close()
        for a in self.agents.values():
            a.signal(signal.SIGCONT)
            a.kill()

    def restart(self, a):
        self.poller.drop(a.idx)
        a.kill()
        a.start()

    def graceful_stop(self, a):
        lv = self.profile.get("leave", {"signal": "SIGINT"})
        if "cmd" in lv:
            argv = shlex.split(lv["cmd"].format(**a.vars()))
            run(["ip", "netns", "exec", a.ns] + argv, check=False, timeout=30)
        else:
            a.signal(getattr(signal, lv.get("signal", "SIGINT")))

    # ---- observation -----------------------------------------------------
    def snapshot(self, observers, mode="full", timeout=None):
        t = time.monotonic()
        r = self.poller.poll(observers, mode=mode,
                             timeout=timeout if timeout is not None else max(0.05, self.interval * 0.9))
        return t, r

    def converged(self, views, agents):
        """every given agent answered and sees every given agent alive"""
        names = [a.name for a in agents]
        for a in agents:
            v = views.get(a.idx)
            if v is None:
                return False
            for nm in names:
                if v.get(nm) not in ALIVE:
                    return False
        return True

    def wait_converged(self, timeout=60, agents=None, stable=0.0):
        """Wait until every agent sees every agent alive, continuously for
        `stable` seconds.  Returns when that state began (s after the call),
        or None on timeout."""
        agents = agents or self.running()
        t0 = time.monotonic()
        since = None
        while time.monotonic() - t0 < timeout + stable:
            t, views = self.snapshot(agents)
            if self.converged(views, agents):
                if since is None:
                    since = t
                if t - since >= stable:
                    return since - t0
            else:
                since = None
            self.sleep_until(t + self.interval)
        return None

    def sleep_until(self, t):
        d = t - time.monotonic()
        if d > 0:
            time.sleep(d)


# --------------------------------------------------------------------------
# scenarios
# --------------------------------------------------------------------------
def count_log_events(lab, offsets, patterns):
    """Count regex matches in agent logs written since offsets."""
    counts = {k: 0 for k in patterns}
    about = {k: {} for k in patterns}
    for a in lab.agents.values():
        try:
            with open(a.log_path, "rb") as f:
                f.seek(offsets.get(a.idx, 0))
                text = f.read().decode(errors="replace")
        except OSError:
            continue
        for k, rx in patterns.items():
            for m in re.finditer(rx, text):
                counts[k] += 1
                node = m.groupdict().get("node") if m.groupdict() else None
                if node:
                    about[k][node] = about[k].get(node, 0) + 1
    return counts, about


def log_offsets(lab):
    return {a.idx: a.log_size() for a in lab.agents.values()}


def log_events_by_agent(lab, offsets, patterns):
    """{agent name: {pattern: {member or '': count}}} for log lines written since offsets."""
    out = {}
    for a in lab.agents.values():
        try:
            with open(a.log_path, "rb") as f:
                f.seek(offsets.get(a.idx, 0))
                text = f.read().decode(errors="replace")
        except OSError:
            continue
        d = out.setdefault(a.name, {})
        for k, rx in patterns.items():
            for m in re.finditer(rx, text):
                node = (m.groupdict() or {}).get("node") or ""
                d.setdefault(k, {})
                d[k][node] = d[k].get(node, 0) + 1
    return out


def ns_http_get(agent, addr, path, timeout=2.0):
    """GET http://addr/path inside the agent's namespace (its loopback); body or None."""
    host, port = addr.rsplit(":", 1)
    root = os.open("/proc/self/ns/net", os.O_RDONLY)
    try:
        setns(agent.ns_path)
        try:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        finally:
            if _libc.setns(root, CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), "setns back failed")
    finally:
        os.close(root)
    s.settimeout(timeout)
    try:
        s.connect((host, int(port)))
        s.sendall(("GET %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n" % path).encode())
        buf = b""
        while True:
            d = s.recv(65536)
            if not d:
                break
            buf += d
    except OSError:
        return None
    finally:
        s.close()
    head, _, body = buf.partition(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.1 200"):
        return None
    return body.decode(errors="replace")


def read_counters(lab, agents):
    """The profile's metrics counters, {agent name: {key: value}} (agents that answer)."""
    spec = lab.profile.get("metrics")
    out = {}
    if not spec:
        return out
    for a in agents:
        body = ns_http_get(a, spec["addr"], spec.get("path", "/metrics"))
        if body is None:
            continue
        vals = {}
        for key, metric in spec.get("counters", {}).items():
            m = re.search(r"(?m)^%s(?:\{[^}]*\})? ([0-9.e+]+)$" % re.escape(metric), body)
            if m:
                vals[key] = float(m.group(1))
        out[a.name] = vals
    return out


def counter_deltas(before, after, names):
    """sum over `names` of after - before, per counter key"""
    tot = {}
    for nm in names:
        b, a = before.get(nm), after.get(nm)
        if b is None or a is None:
            continue
        for k, v in a.items():
            if k in b:
                tot[k] = tot.get(k, 0) + int(round(v - b[k]))
    return tot


class Subscriber:
    """The profile's `subscribe` command (e.g. a peer-list watcher) run in one
    host; every output line is kept with its arrival time."""

    def __init__(self, lab, agent):
        spec = lab.profile["subscribe"]
        argv = shlex.split(spec["cmd"].format(**agent.vars()))
        self.count_rx = re.compile(spec["count"]) if spec.get("count") else None
        self.lines = []
        self.proc = subprocess.Popen(["ip", "netns", "exec", agent.ns] + argv, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
                                     start_new_session=True)
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.append((time.monotonic(), line.decode(errors="replace").rstrip("\n")))

    def stop(self):
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)
        self.thread.join(timeout=5)

    def window(self, t_from, t_to):
        """lines counted (those matching `count`, or all) that arrived in [t_from, t_to]"""
        return [ln for t, ln in self.lines if t_from <= t <= t_to
                and (self.count_rx is None or self.count_rx.search(ln))]


def peer_set(line):
    """the member names in a JSON snapshot line (None if it is not one)"""
    try:
        d = json.loads(line)
    except ValueError:
        return None
    peers = d.get("peers") if isinstance(d, dict) else None
    if not isinstance(peers, list):
        return None
    return tuple(sorted(str(p.get("name")) for p in peers if isinstance(p, dict)))


class Runner:
    def __init__(self, lab, out, label, meta, settle=2.0, observe=10.0):
        self.settle = settle          # required stable convergence before each run
        self.observe = observe        # observation after SIGCONT / after loss removal
        self.lab = lab
        self.out = out
        self.label = label
        self.meta = meta
        self.cluster_restarts = 0     # whole-cluster restarts ensure_healthy needed

    _last = None

    def emit(self, rec):
        now, ct = time.monotonic(), os.times()
        if self._last:
            # harness's own CPU (poller etc.) since the previous record, % of one core
            rec["harness_cpu_pct"] = round(100 * ((ct.user + ct.system) - self._last[1]) / max(1e-3, now - self._last[0]), 1)
        self._last = (now, ct.user + ct.system)
        if self.cluster_restarts:
            rec["cluster_restarts_so_far"] = self.cluster_restarts
        rec = dict({"agent": self.label, "n": self.lab.n, "ts": round(time.time(), 3)}, **self.meta, **rec)
        line = json.dumps(rec, sort_keys=False)
        print(line, flush=True)
        if self.out:
            with open(self.out, "a") as f:
                f.write(line + "\n")

    def mark(self):
        ct = os.times()
        self._last = (time.monotonic(), ct.user + ct.system)

    def victim(self):
        cands = [a for a in self.lab.running() if a.idx != 1] or self.lab.running()
        return self.lab.rng.choice(cands)

    def ensure_healthy(self, timeout=90):
        lab = self.lab
        for idx in list(lab.blackholed):       # left over by a failed run
            lab.set_blackhole(lab.hosts[idx], False)
        for a in lab.agents.values():
            if a.state == "running" and not a.alive_proc():
                log("%s died unexpectedly (rc=%s); restarting" % (a.name, a.proc.returncode))
                lab.restart(a)
            elif a.state != "running":
                lab.restart(a)
        # stable for `settle` s so that a suspicion left over from the previous run
        # (invisible in agents that do not expose 'suspect') has time to surface
        t = lab.wait_converged(timeout, stable=self.settle)
        if t is None:
            # e.g. a name left at a stale address after a recreate: start over
            log("cluster did not converge within %ds; restarting every agent" % timeout)
            self.cluster_restarts += 1
            lab.stop_all()
            time.sleep(0.5)
            lab.start_all()
            t = lab.wait_converged(60 + lab.n, stable=self.settle)
            if t is None:
                raise RuntimeError("cluster did not converge within %ds, nor after a restart" % timeout)
        return t

    def restore(self, a, timeout=90):
        """restart a victim and wait until everybody sees everybody alive"""
        t0 = time.monotonic()
        self.lab.restart(a)
        t = self.lab.wait_converged(timeout)
        return None if t is None else round(time.monotonic() - t0, 3)

    # a. join convergence
    def join(self, run_no, timeout=None):
        lab = self.lab
        timeout = timeout or (60 + lab.n)
        lab.stop_all()
        time.sleep(0.5)
        t0 = time.monotonic()
        t_seed, t_launched = lab.start_all()
        agents = list(lab.agents.values())
        names = [a.name for a in agents]
        full_at = {}
        t_conv = None
        rounds = 0
        missing = []          # (observer:member) pairs still not alive in the last incomplete round
        while time.monotonic() - t0 < timeout:
            t, views = lab.snapshot(agents)
            rounds += 1
            miss = []
            for a in agents:
                v = views.get(a.idx)
                if a.idx not in full_at and v is not None and all(v.get(nm) in ALIVE for nm in names):
                    full_at[a.idx] = t - t0
                elif a.idx not in full_at and v is not None:
                    miss += ["%s:%s" % (a.name, nm) for nm in names if v.get(nm) not in ALIVE]
            if miss:
                missing = miss
            if len(full_at) == len(agents):
                t_conv = t - t0
                break
            lab.sleep_until(t + lab.interval)
        per = list(full_at.values())
        rec = {"scenario": "join", "run": run_no, "converged": t_conv is not None,
               "t_converged_s": None if t_conv is None else round(t_conv, 3),
               "t_after_last_launch_s": None if t_conv is None else round(t_conv - t_launched, 3),
               "t_seed_ready_s": round(t_seed, 3), "t_all_launched_s": round(t_launched, 3),
               "per_agent_full_view_s": stats(per), "agents_converged": len(full_at),
               "last_missing_pairs": missing[:20], "n_last_missing_pairs": len(missing),
               "poll_rounds": rounds}
        self.emit(rec)
        log("join   N=%d run %d: all %d agents see all alive after %s s (%s s after last launch); "
            "launch took %.2fs" % (lab.n, run_no, lab.n, rec["t_converged_s"],
                                    rec["t_after_last_launch_s"], t_launched))
        return rec

    def _watch_victim(self, victim, t0, done_fn, timeout, include_victim=False, mode=None):
        """Poll observers about the victim until done_fn(statuses) or timeout.
        Returns (first_time_per_status_class, end_time, timeline)."""
        lab = self.lab
        mode = mode or "name:" + victim.name
        timeline = []
        last = {}
        while True:
            obs = lab.running(exclude=() if include_victim else (victim.idx,))
            t, views = lab.snapshot(obs, mode=mode)
            cur = {}
            for o in obs:
                v = views.get(o.idx)
                if v is None:
                    continue
                st = v.get(victim.name, ABSENT)
                cur[o.idx] = st
                if last.get(o.idx) != st:
                    timeline.append((round(t - t0, 3), o.name, st))
                    last[o.idx] = st
            if done_fn(cur, obs, t - t0):
                return t - t0, timeline
            if t - t0 > timeout:
                return None, timeline
            lab.sleep_until(t + lab.interval)

    @staticmethod
    def _first(timeline, pred):
        for t, o, st in timeline:
            if pred(st):
                return t
        return None

    @staticmethod
    def _per_observer_first(timeline, pred):
        d = {}
        for t, o, st in timeline:
            if pred(st) and o not in d:
                d[o] = t
        return d

    # b. crash detection; silent: the host drops every packet too (no RST, no ICMP)
    def crash(self, run_no, timeout=120, silent=False):
        lab = self.lab
        self.ensure_healthy()
        v = self.victim()
        offs = log_offsets(lab)
        t0 = time.monotonic()
        if silent:
            lab.set_blackhole(v.host, True)
        v.signal(signal.SIGKILL)
        v.proc.wait(timeout=10)
        v.state = "dead"
        lab.poller.drop(v.idx)

        def done(cur, obs, _):
            return len(cur) == len(obs) and all(s in FAILED or s == ABSENT for s in cur.values())
        t_all, tl = self._watch_victim(v, t0, done, timeout)
        nonalive = self._per_observer_first(tl, lambda s: s not in ALIVE)
        failed = self._per_observer_first(tl, lambda s: s in FAILED or s == ABSENT)
        counts, _ = count_log_events(lab, offs, self.lab.profile.get("log_patterns", {}))
        rec = {"scenario": "silent-crash" if silent else "crash", "run": run_no, "victim": v.name,
               "detected_by_all": t_all is not None,
               "t_first_not_alive_s": self._first(tl, lambda s: s not in ALIVE),
               "t_all_not_alive_s": max(nonalive.values()) if len(nonalive) == lab.n - 1 else None,
               "t_first_failed_s": self._first(tl, lambda s: s in FAILED or s == ABSENT),
               "t_all_failed_s": None if t_all is None else round(t_all, 3),
               "per_observer_failed_s": stats(list(failed.values())),
               "statuses_seen": sorted({st for _, _, st in tl}),
               "log_events": counts}
        if silent:
            lab.set_blackhole(v.host, False)
        rec["t_rejoin_after_restart_s"] = self.restore(v)
        self.emit(rec)
        log("%s N=%d run %d: %s SIGKILLed%s; first observer %.2fs, all %d observers show failed at %s s; "
            "restart+reconverge %s s" % (rec["scenario"], lab.n, run_no, v.name, " and silenced" if silent else "",
                                          rec["t_first_failed_s"] or -1, lab.n - 1,
                                          rec["t_all_failed_s"], rec["t_rejoin_after_restart_s"]))
        return rec

    # c. graceful leave
    def leave(self, run_no, timeout=60):
        lab = self.lab
        self.ensure_healthy()
        v = self.victim()
        t0 = time.monotonic()
        lab.graceful_stop(v)
        exit_t = [None]

        def done(cur, obs, t):
            if exit_t[0] is None and not v.alive_proc():
                exit_t[0] = t
            return len(cur) == len(obs) and all(s in LEFT or s == ABSENT for s in cur.values())
        t_all, tl = self._watch_victim(v, t0, done, timeout)
        if not v.wait_exit(15):
            log("%s did not exit after leave; killing" % v.name)
        if exit_t[0] is None and v.proc.poll() is not None:
            exit_t[0] = time.monotonic() - t0
        v.state = "dead"
        lab.poller.drop(v.idx)
        left = self._per_observer_first(tl, lambda s: s in LEFT or s == ABSENT)
        rec = {"scenario": "leave", "run": run_no, "victim": v.name, "all_saw_left": t_all is not None,
               "t_first_not_alive_s": self._first(tl, lambda s: s not in ALIVE),
               "t_first_left_s": self._first(tl, lambda s: s in LEFT or s == ABSENT),
               "t_all_left_s": None if t_all is None else round(t_all, 3),
               "per_observer_left_s": stats(list(left.values())),
               "t_process_exit_s": None if exit_t[0] is None else round(exit_t[0], 3),
               "victim_rc": v.proc.returncode,
               "statuses_seen": sorted({st for _, _, st in tl}),
               "failed_seen": any(st in FAILED for _, _, st in tl),
               "observers_that_showed_failed": len(self._per_observer_first(tl, lambda s: s in FAILED))}
        rec["t_rejoin_after_restart_s"] = self.restore(v)
        self.emit(rec)
        log("leave  N=%d run %d: %s left gracefully; all observers show left at %s s (process exited at %s s)"
            % (lab.n, run_no, v.name, rec["t_all_left_s"], rec["t_process_exit_s"]))
        return rec

    # e. process pause
    def pause(self, run_no, pause_s=5.0, timeout=60):
        lab = self.lab
        self.ensure_healthy()
        v = self.victim()
        offs = log_offsets(lab)
        everyone = list(lab.agents.values())
        names = [a.name for a in everyone]
        t0 = time.monotonic()
        v.signal(signal.SIGSTOP)
        v.state = "paused"

        def done_pause(cur, obs, t):
            return t >= pause_s
        _, tl1 = self._watch_victim(v, t0, done_pause, pause_s + 1)
        t_cont = time.monotonic() - t0
        v.signal(signal.SIGCONT)
        v.state = "running"
        # after resume: watch full views of everyone (victim included)
        # after resume: watch full views of everyone (victim included) for at least
        # self.observe s, until the cluster has been converged since some time T
        tl2 = []
        last = {}
        for t_, o_, st_ in tl1:
            last[o_] = st_
        victim_view_bad = False
        since = None
        t_reconv = None
        while True:
            t, views = lab.snapshot(everyone)
            rel = t - t0
            for o in everyone:
                vw = views.get(o.idx)
                if vw is None:
                    continue
                if o.idx == v.idx:
                    if any(vw.get(nm) not in ALIVE for nm in names if nm != v.name):
                        victim_view_bad = True
                    continue
                st = vw.get(v.name, ABSENT)
                if last.get(o.name, "alive") != st:
                    tl2.append((round(rel, 3), o.name, st))
                    last[o.name] = st
            if lab.converged(views, everyone):
                since = rel if since is None else since
            else:
                since = None
            if rel >= t_cont + self.observe and since is not None:
                t_reconv = since
                break
            if rel > t_cont + timeout:
                break
            lab.sleep_until(t + lab.interval)
        tl = tl1 + tl2
        bad = self._per_observer_first(tl, lambda s: s in FAILED or s == ABSENT)
        counts, about = count_log_events(lab, offs, lab.profile.get("log_patterns", {}))
        rec = {"scenario": "pause", "run": run_no, "victim": v.name, "pause_s": pause_s,
               "declared_failed": bool(bad), "observers_that_marked_failed": len(bad),
               "t_first_failed_s": self._first(tl, lambda s: s in FAILED or s == ABSENT),
               "t_first_not_alive_s": self._first(tl, lambda s: s not in ALIVE),
               "t_all_failed_s": max(bad.values()) if len(bad) == lab.n - 1 else None,
               "t_cont_s": round(t_cont, 3),
               "rejoined": t_reconv is not None,
               "t_reconverged_after_cont_s": None if t_reconv is None else round(max(0.0, t_reconv - t_cont), 3),
               "t_first_failed_after_cont_s": (lambda x: None if x is None else round(x - t_cont, 3))(
                   self._first(tl2, lambda s: s in FAILED or s == ABSENT)),
               "observed_after_cont_s": round(time.monotonic() - t0 - t_cont, 1),
               "victim_saw_others_not_alive": victim_view_bad,
               "statuses_seen": sorted({st for _, _, st in tl}),
               "log_events": counts,
               "log_events_about_victim": {k: d.get(v.name, 0) for k, d in about.items()}}
        if t_reconv is None:
            rec["t_rejoin_after_restart_s"] = self.restore(v)
        self.emit(rec)
        log("pause  N=%d run %d: %s stopped %.1fs; declared failed: %s (first at %s s, by %d observers); "
            "reconverged %s s after SIGCONT" % (lab.n, run_no, v.name, pause_s, rec["declared_failed"],
                                                 rec["t_first_failed_s"], len(bad),
                                                 rec["t_reconverged_after_cont_s"]))
        return rec

    # d. false positives under loss
    def loss(self, run_no, pct, window=120, proto="udp", full_every=10):
        lab = self.lab
        self.ensure_healthy()
        agents = list(lab.agents.values())
        names = [a.name for a in agents]
        offs = log_offsets(lab)
        lab.set_loss(pct, proto)
        t0 = time.monotonic()
        last = {}             # (obs, member) -> status
        mode = "nonalive" if lab.poller.supports_filter else "full"
        ph = {p: {"transitions": 0, "to_failed": 0, "to_left": 0, "to_removed": 0, "affected": set(),
                  "max_concurrent": 0, "rounds": 0, "nonalive_rounds": 0} for p in ("window", "tail")}
        peer = lab.peer_states
        ctr0 = read_counters(lab, agents)

        def observe(phase, until):
            c = ph[phase]
            while time.monotonic() < until:
                full = c["rounds"] % full_every == 0 or mode == "full"
                t, views = lab.snapshot(agents, mode="full" if full else mode)
                c["rounds"] += 1
                concurrent = 0
                for o in agents:
                    vw = views.get(o.idx)
                    if vw is None:
                        continue
                    for nm in names:
                        if nm not in vw and not full:
                            st = "alive"          # filtered query lists only non-alive members
                        else:
                            st = vw.get(nm, ABSENT)
                        key = (o.idx, nm)
                        prev = last.get(key, "alive")
                        if st not in ALIVE:
                            concurrent += 1
                        if st != prev:
                            if prev in ALIVE and st not in ALIVE:
                                c["transitions"] += 1
                                c["affected"].add(nm)
                            if st in FAILED and prev not in FAILED:
                                c["to_failed"] += 1
                            if st in LEFT and prev not in LEFT:
                                c["to_left"] += 1
                            if prev in peer and st not in peer:
                                c["to_removed"] += 1
                            last[key] = st
                c["max_concurrent"] = max(c["max_concurrent"], concurrent)
                if concurrent:
                    c["nonalive_rounds"] += 1
                lab.sleep_until(t + lab.interval)
        try:
            observe("window", t0 + window)
            seen, dropped = lab.loss_counters()
        finally:
            lab.set_loss(0)
        t_end = time.monotonic()
        ctr1 = read_counters(lab, agents)
        offs_tail = log_offsets(lab)
        observe("tail", t_end + self.observe)     # late consequences of the loss window
        counts, about = count_log_events(lab, offs, lab.profile.get("log_patterns", {}))
        counts_tail, _ = count_log_events(lab, offs_tail, lab.profile.get("log_patterns", {}))
        counts = {k: counts[k] - counts_tail.get(k, 0) for k in counts}   # window only
        t_rec = lab.wait_converged(90)
        w, tl = ph["window"], ph["tail"]
        transitions, to_failed, to_left, affected = w["transitions"], w["to_failed"], w["to_left"], w["affected"]
        max_concurrent, rounds, nonalive_rounds = w["max_concurrent"], w["rounds"], w["nonalive_rounds"]
        deaths = [a.name for a in agents if not a.alive_proc()]
        rec = {"scenario": "loss", "run": run_no, "loss_pct": pct, "loss_proto": proto,
               "window_s": round(t_end - t0, 1), "measured_drop_pct": round(100.0 * dropped / seen, 2) if seen else None,
               "packets_seen": seen, "packets_dropped": dropped,
               "false_nonalive_transitions": transitions, "false_failed_transitions": to_failed,
               "false_left_transitions": to_left, "false_removed_transitions": w["to_removed"],
               "members_affected": len(affected),
               "max_concurrent_nonalive_pairs": max_concurrent, "rounds_with_nonalive": nonalive_rounds,
               "poll_rounds": rounds, "poll_mode": mode,
               "log_events": counts,
               "tail_s": self.observe, "tail_nonalive_transitions": tl["transitions"],
               "tail_failed_transitions": tl["to_failed"], "tail_removed_transitions": tl["to_removed"],
               "tail_log_events": counts_tail,
               "counters": counter_deltas(ctr0, ctr1, [a.name for a in agents]),
               "t_reconverged_after_tail_s": None if t_rec is None else round(t_rec, 3),
               "agents_exited": deaths}
        self.emit(rec)
        log("loss   N=%d run %d: %.0f%% %s loss for %.0fs (measured %s%%): %d alive->non-alive transitions "
            "(%d to failed) over %d members; log events %s" % (lab.n, run_no, pct, proto, rec["window_s"],
                                                           rec["measured_drop_pct"], transitions, to_failed,
                                                           len(affected), counts))
        return rec

    # g. many crashes at once
    def burst(self, run_no, k=10, timeout=180, tail=5.0, silent=False):
        """SIGKILL k members at the same moment (silent: their hosts drop every
        packet too); time until every survivor has removed all of them, and
        what one subscriber (in h1) saw meanwhile."""
        lab = self.lab
        self.ensure_healthy()
        cands = [a for a in lab.running() if a.idx != 1]
        k = max(1, min(k, len(cands) - 1))
        victims = sorted(lab.rng.sample(cands, k), key=lambda a: a.idx)
        vnames = [v.name for v in victims]
        sub = Subscriber(lab, lab.agents[1]) if lab.profile.get("subscribe") else None
        if sub:
            time.sleep(1.0)                    # its first (current) list, and any backlog
        offs = log_offsets(lab)
        if silent:          # the rules first, so that all k go quiet within one poll round
            for v in victims:
                lab.set_blackhole(v.host, True)
        t0 = time.monotonic()
        for v in victims:
            v.signal(signal.SIGKILL)
        for v in victims:
            v.proc.wait(timeout=10)
            v.state = "dead"
            lab.poller.drop(v.idx)
        obs = lab.running()
        first_nonalive, first_failed, pair_done = None, None, {}
        t_all = None
        while True:
            t, views = lab.snapshot(obs)
            rel = t - t0
            for o in obs:
                vw = views.get(o.idx)
                if vw is None:
                    continue
                for nm in vnames:
                    st = vw.get(nm, ABSENT)
                    if st not in ALIVE and first_nonalive is None:
                        first_nonalive = rel
                    if st in FAILED or st == ABSENT:
                        if first_failed is None:
                            first_failed = rel
                        pair_done.setdefault((o.name, nm), rel)
            if len(pair_done) == len(obs) * len(vnames):
                t_all = rel
                break
            if rel > timeout:
                break
            lab.sleep_until(t + lab.interval)
        per_victim = {}
        for nm in vnames:
            ts = [tt for (o, n2), tt in pair_done.items() if n2 == nm]
            per_victim[nm] = max(ts) if len(ts) == len(obs) else None
        rec = {"scenario": "silent-burst" if silent else "burst", "run": run_no, "victims": vnames, "k": k,
               "detected_by_all": t_all is not None,
               "t_first_not_alive_s": None if first_nonalive is None else round(first_nonalive, 3),
               "t_first_failed_s": None if first_failed is None else round(first_failed, 3),
               "t_all_failed_s": None if t_all is None else round(t_all, 3),
               "per_victim_all_failed_s": stats(list(per_victim.values())),
               "pairs_failed": len(pair_done), "pairs": len(obs) * len(vnames)}
        if sub:
            t_end = t0 + (t_all if t_all is not None else timeout)
            lab.sleep_until(t_end + tail)
            sub.stop()
            until_done = sub.window(t0, t_end)
            lines = sub.window(t0, t_end + tail)
            sets = [ps for ps in (peer_set(ln) for ln in lines) if ps is not None]
            rec.update({"subscriber": lab.agents[1].name,
                        "subscriber_updates": len(lines),
                        "subscriber_updates_until_all_failed": len(until_done),
                        "subscriber_tail_s": tail})
            if sets:
                rec["subscriber_distinct_member_lists"] = len(set(sets))
                rec["subscriber_list_sizes"] = [len(x) for x in sets]
        rec["log_events"], _ = count_log_events(lab, offs, lab.profile.get("log_patterns", {}))
        t_r = time.monotonic()
        for v in victims:
            if silent:
                lab.set_blackhole(v.host, False)
            lab.restart(v)
        t = lab.wait_converged(120)
        rec["t_rejoin_after_restart_s"] = None if t is None else round(time.monotonic() - t_r, 3)
        self.emit(rec)
        log("%s N=%d run %d: %d SIGKILLed at once; all %d survivors removed all of them at %s s; "
            "subscriber saw %s updates (%s distinct lists)" % (
                rec["scenario"], lab.n, run_no, k, len(obs), rec["t_all_failed_s"], rec.get("subscriber_updates"),
                rec.get("subscriber_distinct_member_lists")))
        return rec

    # h. the same name comes back from another address
    def recreate(self, run_no, stop="kill", gap=0.0, restart=-1.0, timeout=240, silent=False):
        """A member's VM is re-created: its agent stops (SIGKILL, or a graceful
        leave), and `gap` s later an agent with the same name starts on a spare
        host (new address).  Time until every member lists the name alive at
        the new address; name-conflict log lines meanwhile and in a tail.
        restart >= 0: a new agent that exits is started again after that many
        seconds, as a service manager would (Restart=always).  silent: the old
        host also drops every packet from the moment of the kill, as a deleted
        VM's address does."""
        lab = self.lab
        self.ensure_healthy()
        free = lab.free_hosts()
        if not free:
            raise RuntimeError("recreate needs a spare host (--spares)")
        v = self.victim()
        # a host no agent has used yet if there is one: the new address is new to everyone
        fresh = [h for h in free if h.idx > lab.n]
        old_host, new_host = v.host, (fresh or free)[0]
        offs = log_offsets(lab)
        t0 = time.monotonic()
        if silent:
            stop = "kill"
            lab.set_blackhole(old_host, True)
        if stop == "leave":
            lab.graceful_stop(v)
            if not v.wait_exit(15):
                v.kill()
        else:
            v.signal(signal.SIGKILL)
            v.proc.wait(timeout=10)
        t_stopped = time.monotonic() - t0
        v.kill()                                # closes the log; the process is gone already
        v.state = "dead"
        lab.poller.drop(v.idx)
        if gap > 0:
            time.sleep(gap)
        v.host = new_host
        v.start()
        t_started = time.monotonic() - t0
        new_ip = new_host.ip
        peer = lab.peer_states

        def good(st):
            s_, ip = split_addr(st)
            return s_ in ALIVE and ip == new_ip

        exits = []                              # (t, rc) of the new agent's exits
        restarts = []                           # t of each restart

        def done(cur, obs, t):
            if v.proc.poll() is not None:
                if len(exits) == len(restarts):     # an exit not seen yet
                    exits.append((t, v.proc.returncode))
                    log("recreate: the new %s exited (rc=%s) at %.1f s" % (v.name, v.proc.returncode, t))
                if restart >= 0 and t - exits[-1][0] >= restart:
                    v.kill()
                    v.start()
                    restarts.append(t)
            return len(cur) == len(obs) and all(good(x) for x in cur.values())
        t_all, tl = self._watch_victim(v, t0, done, timeout, mode="addr:" + v.name)
        t_done = time.monotonic()
        offs_tail = log_offsets(lab)
        # tail: does the view stay put, do conflict messages go on?
        t_tail_end = t_done + self.observe
        tail_bad = set()
        while time.monotonic() < t_tail_end:
            t, views = lab.snapshot(lab.running(exclude=(v.idx,)), mode="addr:" + v.name)
            for idx, vw in views.items():
                if not good(vw.get(v.name, ABSENT)):
                    tail_bad.add(idx)
            lab.sleep_until(t + lab.interval)
        pats = lab.profile.get("log_patterns", {})
        counts, _ = count_log_events(lab, offs, pats)
        counts_tail, _ = count_log_events(lab, offs_tail, pats)
        good_at = self._per_observer_first(tl, good)
        removed = self._per_observer_first(tl, lambda st: split_addr(st)[0] not in peer)
        if silent:
            lab.set_blackhole(old_host, False)
        rec = {"scenario": "silent-recreate" if silent else "recreate", "run": run_no, "victim": v.name,
               "stop": stop, "gap_s": gap,
               "old_ip": old_host.ip, "new_ip": new_ip,
               "t_stopped_s": round(t_stopped, 3), "t_new_agent_started_s": round(t_started, 3),
               "converged": t_all is not None,
               "t_first_new_addr_s": self._first(tl, lambda st: split_addr(st)[1] == new_ip),
               "t_all_new_addr_alive_s": None if t_all is None else round(t_all, 3),
               "per_observer_new_addr_alive_s": stats(list(good_at.values())),
               "observers_that_removed_it": len(removed),
               "t_first_removed_s": self._first(tl, lambda st: split_addr(st)[0] not in peer),
               "statuses_seen": sorted({split_addr(st)[0] + ("@new" if split_addr(st)[1] == new_ip else
                                                            "@old" if split_addr(st)[1] == old_host.ip else "")
                                        for _, _, st in tl}),
               "new_agent_exits": len(exits), "new_agent_exit_codes": [rc for _, rc in exits],
               "t_new_agent_first_exit_s": round(exits[0][0], 3) if exits else None,
               "restart_after_exit_s": restart if restart >= 0 else None,
               "new_agent_alive_at_end": v.alive_proc(),
               "name_conflict_lines": counts.get("name_conflict", 0),
               "name_conflict_lines_tail": counts_tail.get("name_conflict", 0),
               "tail_s": self.observe, "tail_observers_not_at_new_addr": len(tail_bad),
               "log_events": counts}
        # the agent now lives on new_host; old_host becomes a spare
        t = lab.wait_converged(90)
        rec["t_reconverged_after_s"] = None if t is None else round(t, 3)
        self.emit(rec)
        log("%s N=%d run %d: %s moved %s -> %s (%s); all observers list it alive at the new address "
            "at %s s; %s name-conflict lines (%s in the %gs tail)" % (
                rec["scenario"], lab.n, run_no, v.name, old_host.ip, new_ip, stop, rec["t_all_new_addr_alive_s"],
                rec["name_conflict_lines"], rec["name_conflict_lines_tail"], self.observe))
        return rec

    # i. one sick member: heavy inbound loss on one host only
    def grey(self, run_no, pct=80, window=120, full_every=10):
        lab = self.lab
        self.ensure_healthy()
        sick = self.victim()
        agents = list(lab.agents.values())
        names = [a.name for a in agents]
        healthy = [a for a in agents if a is not sick]
        peer = lab.peer_states
        mode = "nonalive" if lab.poller.supports_filter else "full"
        ctr0 = read_counters(lab, agents)
        offs = log_offsets(lab)
        lab.set_loss(pct, "all", [sick])
        t0 = time.monotonic()
        last = {}
        per_obs = {o.name: {"flips_nonalive": 0, "flips_removed": 0, "back_alive": 0, "removed": False,
                            "t_first_removed_s": None, "t_first_not_alive_s": None, "nonalive_rounds": 0,
                            "answered_rounds": 0}
                   for o in healthy}
        healthy_false = {"nonalive": 0, "removed": 0, "failed": 0}       # healthy observers about healthy members
        sick_view = {"nonalive": 0, "removed": 0, "failed": 0}           # the sick member about the healthy ones
        rounds = [0]

        def observe(until, in_window):
            while time.monotonic() < until:
                full = rounds[0] % full_every == 0 or mode == "full"
                t, views = lab.snapshot(agents, mode="full" if full else mode)
                rounds[0] += 1
                rel = t - t0
                for o in agents:
                    vw = views.get(o.idx)
                    if vw is None:
                        continue
                    for nm in names:
                        st = "alive" if (nm not in vw and not full) else vw.get(nm, ABSENT)
                        key = (o.name, nm)
                        prev = last.get(key, "alive")
                        if nm == sick.name and o is not sick:
                            po = per_obs[o.name]
                            if in_window:
                                po["answered_rounds"] += 1
                                if st not in ALIVE:
                                    po["nonalive_rounds"] += 1
                            if st != prev:
                                if prev in ALIVE and st not in ALIVE:
                                    po["flips_nonalive"] += in_window
                                    if po["t_first_not_alive_s"] is None:
                                        po["t_first_not_alive_s"] = round(rel, 3)
                                if prev not in ALIVE and st in ALIVE:
                                    po["back_alive"] += in_window
                                if prev in peer and st not in peer:
                                    po["flips_removed"] += in_window
                                    if in_window:
                                        po["removed"] = True
                                        if po["t_first_removed_s"] is None:
                                            po["t_first_removed_s"] = round(rel, 3)
                        elif nm != sick.name and nm != o.name and st != prev and in_window:
                            d = sick_view if o is sick else healthy_false
                            if prev in ALIVE and st not in ALIVE:
                                d["nonalive"] += 1
                            if prev in peer and st not in peer:
                                d["removed"] += 1
                            if st in FAILED and prev not in FAILED:
                                d["failed"] += 1
                        last[key] = st
                lab.sleep_until(t + lab.interval)
        try:
            observe(t0 + window, True)
            seen, dropped = lab.loss_counters([sick])
            end_state = {o.name: last.get((o.name, sick.name), "alive") for o in healthy}
        finally:
            lab.set_loss(0, agents=[sick])
        t_end = time.monotonic()
        ctr1 = read_counters(lab, agents)
        ev = log_events_by_agent(lab, offs, lab.profile.get("log_patterns", {}))
        observe(t_end + self.observe, False)
        t_rec = lab.wait_converged(90)

        def about(pattern, raisers, target_pred):
            if pattern not in lab.profile.get("log_patterns", {}):
                return None
            return sum(cnt for r in raisers for node, cnt in ev.get(r, {}).get(pattern, {}).items()
                       if target_pred(node))
        hn = [a.name for a in healthy]
        is_healthy = lambda node: node != sick.name and node != ""
        obs_list = [dict(observer=k, final=end_state[k], **v) for k, v in sorted(per_obs.items())]
        rec = {"scenario": "grey", "run": run_no, "victim": sick.name, "loss_pct": pct, "loss_proto": "all",
               "window_s": round(t_end - t0, 1),
               "measured_drop_pct": round(100.0 * dropped / seen, 2) if seen else None,
               "observers": len(healthy),
               "observers_that_removed": sum(1 for v in per_obs.values() if v["removed"]),
               "observers_removed_at_end": sum(1 for st in end_state.values() if st not in peer),
               "observers_not_alive_at_end": sum(1 for st in end_state.values() if st not in ALIVE),
               "t_first_removed_s": min([v["t_first_removed_s"] for v in per_obs.values()
                                         if v["t_first_removed_s"] is not None] or [None]),
               "t_all_removed_s": (max(v["t_first_removed_s"] for v in per_obs.values())
                                   if all(v["removed"] for v in per_obs.values()) else None),
               "flips_nonalive": stats([v["flips_nonalive"] for v in per_obs.values()]),
               "flips_nonalive_sum": sum(v["flips_nonalive"] for v in per_obs.values()),
               "flips_removed": stats([v["flips_removed"] for v in per_obs.values()]),
               "flips_removed_sum": sum(v["flips_removed"] for v in per_obs.values()),
               "healthy_false_nonalive_transitions": healthy_false["nonalive"],
               "healthy_false_removed_transitions": healthy_false["removed"],
               "healthy_false_failed_transitions": healthy_false["failed"],
               "sick_view_nonalive_transitions": sick_view["nonalive"],
               "sick_view_removed_transitions": sick_view["removed"],
               "suspect_lines_about_healthy_by_healthy": about("suspect", hn, is_healthy),
               "suspect_lines_about_healthy_by_sick": about("suspect", [sick.name], is_healthy),
               "suspect_lines_about_sick": about("suspect", hn, lambda node: node == sick.name),
               # members entering suspect in an agent's own view, raised or heard (when the log says so)
               "suspect_state_entries_about_healthy_at_healthy": about("suspect_state", hn, is_healthy),
               "suspect_state_entries_about_healthy_at_sick": about("suspect_state", [sick.name], is_healthy),
               "suspect_state_entries_about_sick": about("suspect_state", hn, lambda node: node == sick.name),
               "failed_lines_about_healthy": about("failed", names, is_healthy),
               "counters_healthy": counter_deltas(ctr0, ctr1, hn),
               "counters_sick": counter_deltas(ctr0, ctr1, [sick.name]),
               "t_reconverged_after_tail_s": None if t_rec is None else round(t_rec, 3),
               "per_observer": obs_list}
        self.emit(rec)
        log("grey   N=%d run %d: %s at %g%% inbound loss for %.0fs (measured %s%%): removed by %d/%d observers "
            "(%d at the end); flips alive<->not-alive median %s, removals median %s; false non-alive of "
            "healthy members: %d by healthy observers, %d by the sick one" % (
                lab.n, run_no, sick.name, pct, rec["window_s"], rec["measured_drop_pct"],
                rec["observers_that_removed"], len(healthy), rec["observers_removed_at_end"],
                rec["flips_nonalive"]["median"], rec["flips_removed"]["median"],
                healthy_false["nonalive"], sick_view["nonalive"]))
        return rec

    # f. resources
    def resources(self, run_no, window=60):
        lab = self.lab
        self.ensure_healthy()
        agents = list(lab.agents.values())
        lab.poller.close()        # no RPC load on the agents during the window
        time.sleep(1.0)
        t0 = time.monotonic()
        c0 = {a.idx: a.cpu_seconds() for a in agents}
        n0 = {a.idx: a.netdev() for a in agents}
        os_t0 = os.times()
        time.sleep(window)
        dt = time.monotonic() - t0
        c1 = {a.idx: a.cpu_seconds() for a in agents}
        n1 = {a.idx: a.netdev() for a in agents}
        rss = {a.idx: a.rss_kb() for a in agents}
        cpu_total_s = {a.idx: c1[a.idx] for a in agents}
        per = []
        for a in agents:
            d = [y - x for x, y in zip(n0[a.idx], n1[a.idx])]
            per.append({"name": a.name, "pid": a.pid, "rss_kb": rss[a.idx],
                        "cpu_s_window": round(c1[a.idx] - c0[a.idx], 3),
                        "cpu_pct": round(100 * (c1[a.idx] - c0[a.idx]) / dt, 3),
                        "cpu_s_total": round(cpu_total_s[a.idx], 3),
                        "rx_Bps": round(d[0] / dt, 1), "rx_pps": round(d[1] / dt, 2),
                        "tx_Bps": round(d[2] / dt, 1), "tx_pps": round(d[3] / dt, 2)})
        rec = {"scenario": "resources", "run": run_no, "window_s": round(dt, 1),
               "rss_kb": stats([p["rss_kb"] for p in per]),
               "cpu_pct": stats([p["cpu_pct"] for p in per]),
               "cpu_s_window": stats([p["cpu_s_window"] for p in per]),
               "rx_Bps": stats([p["rx_Bps"] for p in per]), "tx_Bps": stats([p["tx_Bps"] for p in per]),
               "rx_pps": stats([p["rx_pps"] for p in per]), "tx_pps": stats([p["tx_pps"] for p in per]),
               "sum_cpu_pct": round(sum(p["cpu_pct"] for p in per), 2),
               "sum_rss_mb": round(sum(p["rss_kb"] for p in per) / 1024.0, 1),
               "per_agent": per}
        self.emit(rec)
        log("resources N=%d: idle %.0fs: RSS median %s kB, CPU median %s%% (sum %s%%), tx median %s B/s %s pkt/s"
            % (lab.n, dt, rec["rss_kb"]["median"], rec["cpu_pct"]["median"], rec["sum_cpu_pct"],
               rec["tx_Bps"]["median"], rec["tx_pps"]["median"]))
        return rec


# --------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------
def load_profile(path):
    if not os.path.exists(path) and os.path.exists(os.path.join(HERE, "agents", path + ".json")):
        path = os.path.join(HERE, "agents", path + ".json")
    with open(path) as f:
        prof = json.load(f)
    prof["_dir"] = os.path.dirname(os.path.abspath(path))
    return prof


def install_signal_handlers():
    def h(sig, frame):
        raise SystemExit(128 + sig)
    for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, h)


SCENARIOS = ("join", "crash", "silent-crash", "leave", "pause", "loss", "grey", "recreate", "silent-recreate",
             "burst", "silent-burst", "resources")
REPEATED = ("crash", "silent-crash", "leave", "pause", "recreate", "silent-recreate")


def repro_argv(argv):
    """the command line without --out/--tag (what reproduces a record)"""
    out, skip = [], False
    for a in argv:
        if skip:
            skip = False
            continue
        if a in ("--out", "--tag"):
            skip = True
            continue
        if a.startswith("--out=") or a.startswith("--tag="):
            continue
        out.append(a)
    return out


def cmd_run(args):
    prof = load_profile(args.agent)
    label = args.label or prof.get("name", "agent")
    scen = [s.strip() for s in args.scenarios.split(",") if s.strip()]
    for s in scen:
        if s not in SCENARIOS:
            raise SystemExit("unknown scenario %s (known: %s)" % (s, ", ".join(SCENARIOS)))
    spares = args.spares if args.spares is not None else \
        args.repeat * sum(1 for s in scen if s in ("recreate", "silent-recreate"))
    lab = Lab(args.n, prof, extra=args.extra, prefix=args.prefix, workdir=args.workdir,
              interval=args.interval, poller=args.poller, seed=args.seed, spares=spares)
    meta = {"profile": prof.get("name"), "extra": args.extra, "argv": repro_argv(sys.argv[1:])}
    for t in args.tag:
        k, _, v = t.partition("=")
        meta[k] = v
    r = Runner(lab, args.out, label, meta, settle=args.settle, observe=args.observe)
    install_signal_handlers()
    t_start = time.monotonic()
    deadline = t_start + args.max_time
    try:
        lab.setup_net()
        lab.make_poller()
        lab.start_all()
        t = lab.wait_converged(60 + lab.n)
        log("initial cluster of %d %s converged in %s s" % (lab.n, label, t))
        for s in scen:
            reps = (args.join_repeat or args.repeat) if s == "join" else args.repeat if s in REPEATED else 1
            for i in range(1, reps + 1):
                if time.monotonic() > deadline:
                    log("--max-time reached, stopping")
                    return 2
                r.mark()
                try:
                    if s == "join":
                        r.join(i)
                    elif s == "crash":
                        r.crash(i)
                    elif s == "silent-crash":
                        r.crash(i, silent=True)
                    elif s == "leave":
                        r.leave(i)
                    elif s == "pause":
                        r.pause(i, pause_s=args.pause)
                    elif s == "loss":
                        for item in args.loss.split(","):
                            proto, _, pct = item.rpartition(":")
                            r.mark()
                            r.loss(i, float(pct), window=args.loss_window, proto=proto or args.loss_proto)
                    elif s == "grey":
                        r.grey(i, pct=args.grey_loss, window=args.grey_window)
                    elif s in ("recreate", "silent-recreate"):
                        r.recreate(i, stop=args.recreate_stop, gap=args.recreate_gap,
                                   restart=args.recreate_restart, silent=(s == "silent-recreate"))
                    elif s == "burst":
                        r.burst(i, k=args.burst)
                    elif s == "silent-burst":
                        r.burst(i, k=args.burst, silent=True)
                    elif s == "resources":
                        r.resources(i, window=args.idle)
                except RuntimeError as e:
                    log("scenario %s run %d failed: %s" % (s, i, e))
                    r.emit({"scenario": s, "run": i, "error": str(e)})
        return 0
    finally:
        log("tearing down (%s)" % lab.prefix)
        lab.teardown()
        log("total %.0fs" % (time.monotonic() - t_start))


def cmd_up(args):
    prof = load_profile(args.agent)
    lab = Lab(args.n, prof, extra=args.extra, prefix=args.prefix, workdir=args.workdir,
              interval=args.interval, poller=args.poller)
    install_signal_handlers()
    try:
        lab.setup_net()
        lab.make_poller()
        lab.start_all()
        t = lab.wait_converged(60 + lab.n)
        log("cluster converged in %s s; holding for %ds (Ctrl-C to tear down)" % (t, args.hold))
        for a in lab.agents.values():
            log("  %s pid=%d ns=%s ip=%s log=%s" % (a.name, a.pid, a.ns, a.ip, a.log_path))
        log("e.g.: ip netns exec %s-h1 serf members" % lab.prefix)
        time.sleep(args.hold)
    finally:
        lab.teardown()


def cmd_cleanup(args):
    import fcntl
    lf = open("/run/cclab-%s.lock" % args.prefix, "w")
    try:
        fcntl.flock(lf, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        raise SystemExit("a lab with prefix %r is running; not touching it" % args.prefix)
    nss = Lab.cleanup(args.prefix)
    log("removed: %s" % (" ".join(nss) or "nothing"))


def cmd_report(args):
    recs = []
    for p in args.files:
        with open(p) as f:
            recs += [json.loads(l) for l in f if l.strip()]
    print(report_markdown(recs))


def _m(recs, key):
    vals = []
    for r in recs:
        v = r
        for k in key.split("."):
            v = v.get(k) if isinstance(v, dict) else None
        if isinstance(v, bool):
            v = int(v)
        if v is not None:
            vals.append(v)
    s = stats(vals)
    if not s["n"]:
        return "-"
    if s["min"] == s["max"]:
        return "%g" % s["median"]
    return "%g (%g..%g)" % (s["median"], s["min"], s["max"])


SCEN_COLS = {
    "join": ["t_converged_s", "t_after_last_launch_s", "t_all_launched_s", "per_agent_full_view_s.median"],
    "crash": ["t_first_not_alive_s", "t_first_failed_s", "t_all_failed_s", "per_observer_failed_s.median",
              "t_rejoin_after_restart_s"],
    "silent-crash": ["t_first_not_alive_s", "t_first_failed_s", "t_all_failed_s", "per_observer_failed_s.median",
                     "t_rejoin_after_restart_s"],
    "leave": ["t_first_left_s", "t_all_left_s", "t_process_exit_s", "failed_seen", "observers_that_showed_failed",
              "t_rejoin_after_restart_s"],
    "pause": ["declared_failed", "observers_that_marked_failed", "t_first_failed_s", "t_first_failed_after_cont_s",
              "t_reconverged_after_cont_s", "victim_saw_others_not_alive", "log_events_about_victim.suspect"],
    "loss": ["measured_drop_pct", "false_nonalive_transitions", "false_failed_transitions",
             "false_removed_transitions", "members_affected", "log_events.suspect", "log_events.suspect_state",
             "log_events.refute", "log_events.failed", "counters.suspicions_raised", "counters.refutations",
             "tail_failed_transitions"],
    "grey": ["measured_drop_pct", "observers_that_removed", "observers_removed_at_end", "t_first_removed_s",
             "flips_nonalive.median", "flips_removed.median", "healthy_false_nonalive_transitions",
             "healthy_false_failed_transitions", "sick_view_nonalive_transitions",
             "suspect_lines_about_healthy_by_healthy", "suspect_lines_about_healthy_by_sick",
             "suspect_state_entries_about_healthy_at_healthy", "counters_healthy.suspicions_raised",
             "counters_sick.suspicions_raised"],
    "recreate": ["t_new_agent_started_s", "t_first_new_addr_s", "t_all_new_addr_alive_s",
                 "observers_that_removed_it", "name_conflict_lines", "name_conflict_lines_tail",
                 "tail_observers_not_at_new_addr", "t_reconverged_after_s"],
    "burst": ["k", "t_first_failed_s", "t_all_failed_s", "per_victim_all_failed_s.median", "subscriber_updates",
              "subscriber_distinct_member_lists", "t_rejoin_after_restart_s"],
    "silent-burst": ["k", "t_first_failed_s", "t_all_failed_s", "per_victim_all_failed_s.median",
                     "subscriber_updates", "subscriber_distinct_member_lists", "t_rejoin_after_restart_s"],
    "silent-recreate": ["t_new_agent_started_s", "t_first_new_addr_s", "t_all_new_addr_alive_s",
                        "observers_that_removed_it", "name_conflict_lines", "name_conflict_lines_tail",
                        "tail_observers_not_at_new_addr", "t_reconverged_after_s"],
    "resources": ["rss_kb.median", "cpu_pct.median", "sum_cpu_pct", "tx_Bps.median", "tx_pps.median",
                  "rx_Bps.median", "rx_pps.median"],
}


def _variant(r):
    """what besides agent/args/N separates runs of one scenario"""
    sc = r["scenario"]
    if sc in ("loss", "grey"):
        return "%g%% %s" % (r.get("loss_pct") or 0, r.get("loss_proto") or "")
    if sc == "pause":
        return "%g s" % (r.get("pause_s") or 0)
    if sc in ("recreate", "silent-recreate"):
        return "%s, gap %g s" % (r.get("stop"), r.get("gap_s") or 0)
    if sc in ("burst", "silent-burst"):
        return "%s at once" % r.get("k")
    return ""


def report_markdown(recs):
    out = []
    groups = {}
    for r in recs:
        if "error" in r:
            continue
        key = (r["scenario"], r.get("agent"), r.get("extra", ""), r["n"], _variant(r))
        groups.setdefault(key, []).append(r)
    for scen in SCEN_COLS:
        keys = sorted([k for k in groups if k[0] == scen], key=lambda k: (str(k[1]), k[2], k[3], k[4]))
        if not keys:
            continue
        cols = SCEN_COLS[scen]
        out.append("\n### %s (median (min..max) over runs)\n" % scen)
        hdr = ["agent", "args", "N", "variant", "runs"] + cols
        out.append("| " + " | ".join(hdr) + " |")
        out.append("|" + "---|" * len(hdr))
        for k in keys:
            rs = groups[k]
            row = [str(k[1]), k[2] or "(default)", str(k[3]), k[4] or "-", str(len(rs))]
            row += [_m(rs, c) for c in cols]
            out.append("| " + " | ".join(row) + " |")
    errs = [r for r in recs if "error" in r]
    if errs:
        out.append("\nErrors: " + "; ".join("%s %s N=%s run %s: %s" % (r.get("agent"), r["scenario"], r["n"],
                                                                         r["run"], r["error"]) for r in errs))
    return "\n".join(out)


# The side-by-side table: (row, scenario, field or {agent profile name: field}, lower is better).
# A field missing for an agent prints "n/a".
COMPARE_ROWS = [
    ("crash: all members show it failed/gone (s)", "crash", "t_all_failed_s"),
    ("crash: first member shows it not alive, suspect included (s)", "crash", "t_first_not_alive_s"),
    ("silent crash: all members show it failed/gone (s)", "silent-crash", "t_all_failed_s"),
    ("silent crash: first member shows it not alive, suspect included (s)", "silent-crash",
     "t_first_not_alive_s"),
    ("loss: measured drop (%)", "loss", "measured_drop_pct"),
    ("loss: false alive→failed/gone (pairs)", "loss", "false_failed_transitions"),
    ("loss: false removals from the peer list (pairs)", "loss", "false_removed_transitions"),
    ("loss: false alive→not-alive, suspect included (pairs)", "loss", "false_nonalive_transitions"),
    ("loss: members affected (of N)", "loss", "members_affected"),
    ("loss: suspicions raised (log lines / counter)", "loss",
     {"serf": "log_events.suspect", "*": "counters.suspicions_raised"}),
    ("grey: observers that removed the sick member (of N-1)", "grey", "observers_that_removed"),
    ("grey: observers with it removed at the end", "grey", "observers_removed_at_end"),
    ("grey: first removal (s)", "grey", "t_first_removed_s"),
    ("grey: flips alive→not-alive per observer (median)", "grey", "flips_nonalive.median"),
    ("grey: flips alive→not-alive per observer (max)", "grey", "flips_nonalive.max"),
    ("grey: removals from the peer list per observer (median)", "grey", "flips_removed.median"),
    ("grey: healthy members seen not alive by healthy ones (pairs)", "grey", "healthy_false_nonalive_transitions"),
    ("grey: healthy members seen failed by healthy ones (pairs)", "grey", "healthy_false_failed_transitions"),
    ("grey: suspicions of healthy members raised by the sick one", "grey",
     {"serf": "suspect_lines_about_healthy_by_sick", "*": "counters_sick.suspicions_raised"}),
    ("grey: suspicions raised by healthy members (any target)", "grey",
     {"serf": "suspicions_by_healthy_any", "*": "counters_healthy.suspicions_raised"}),
    ("grey: suspicions of healthy members raised by healthy ones", "grey",
     {"serf": "suspect_lines_about_healthy_by_healthy"}),
    ("grey: healthy members entering suspect at healthy ones (log)", "grey",
     {"serf": None, "*": "suspect_state_entries_about_healthy_at_healthy"}),
    ("recreate: all members list the name alive at the new address (s)", "recreate", "t_all_new_addr_alive_s"),
    ("recreate: name-conflict log lines (all members)", "recreate", "name_conflict_lines"),
    ("recreate: name-conflict log lines in the tail after convergence", "recreate", "name_conflict_lines_tail"),
    ("recreate: members that dropped the name meanwhile", "recreate", "observers_that_removed_it"),
    ("silent recreate: all members list the name alive at the new address (s)", "silent-recreate",
     "t_all_new_addr_alive_s"),
    ("silent recreate: name-conflict log lines (all members)", "silent-recreate", "name_conflict_lines"),
    ("silent recreate: name-conflict log lines in the tail", "silent-recreate", "name_conflict_lines_tail"),
    ("silent recreate: members that dropped the name meanwhile", "silent-recreate", "observers_that_removed_it"),
    ("burst: all victims gone at all survivors (s)", "burst", "t_all_failed_s"),
    ("burst: first removal (s)", "burst", "t_first_failed_s"),
    ("burst: updates one subscriber received", "burst", "subscriber_updates"),
    ("burst: distinct member lists one subscriber received", "burst",
     {"serf": None, "*": "subscriber_distinct_member_lists"}),
    ("silent burst: all victims gone at all survivors (s)", "silent-burst", "t_all_failed_s"),
    ("silent burst: first removal (s)", "silent-burst", "t_first_failed_s"),
    ("silent burst: updates one subscriber received", "silent-burst", "subscriber_updates"),
    ("silent burst: distinct member lists one subscriber received", "silent-burst",
     {"serf": None, "*": "subscriber_distinct_member_lists"}),
    ("leave: all members show it left/gone (s)", "leave", "t_all_left_s"),
    ("leave: runs in which every member saw it left/gone", "leave", "#all_saw_left"),
    ("leave: members that showed it failed/dead instead", "leave", "observers_that_showed_failed"),
    ("leave: process exit (s)", "leave", "t_process_exit_s"),
]


def _derive(r):
    if r.get("scenario") == "grey":
        r = dict(r)
        a, b = r.get("suspect_lines_about_healthy_by_healthy"), r.get("suspect_lines_about_sick")
        r["suspicions_by_healthy_any"] = None if a is None or b is None else a + b
    return r


def _medians(recs, field):
    vals = []
    for r in recs:
        v = r
        for k in field.split("."):
            v = v.get(k) if isinstance(v, dict) else None
        if isinstance(v, bool):
            v = int(v)
        vals.append(v)
    return vals


def _cell(vals):
    got = [v for v in vals if v is not None]
    if not vals:
        return "-", None
    if not got:
        return "none of %d" % len(vals), None
    s = stats(got)
    txt = "%g" % s["median"] if s["min"] == s["max"] else "%g (%g..%g)" % (s["median"], s["min"], s["max"])
    if len(got) < len(vals):
        txt += " [%d/%d]" % (len(got), len(vals))
    return txt, s["median"]


def _ratio(x, base):
    if x is None or base is None:
        return "-"
    if base == 0:
        return "=" if x == 0 else "∞"
    return "%.2f" % (x / base)


def compare_markdown(recs, base, labels):
    by = {}
    for r in recs:
        if "error" in r:
            continue
        by.setdefault((r.get("agent"), r["scenario"]), []).append(_derive(r))
    present = []
    for r in recs:
        if r.get("agent") not in present:
            present.append(r.get("agent"))
    labels = labels or [a for a in present if a != base]
    hdr = ["", base] + sum([[lb, "%s / %s" % (lb, base)] for lb in labels], [])
    out = ["| " + " | ".join(hdr) + " |", "|---" * len(hdr) + "|"]
    runs = {}
    for row, scen, field in COMPARE_ROWS:
        cells = []
        base_med = None
        for i, lb in enumerate([base] + labels):
            rs = by.get((lb, scen), [])
            f = field
            if isinstance(field, dict):
                prof = rs[0].get("profile", lb) if rs else lb
                f = field.get(prof, field.get(lb, field.get("*")))
            if not rs:
                txt, med = "-", None
            elif f is None:
                txt, med = "n/a", None
            elif f.startswith("#"):             # a yes/no field: how many runs said yes
                vals = _medians(rs, f[1:])
                txt, med = "%d/%d" % (sum(1 for v in vals if v), len(vals)), None
            else:
                txt, med = _cell(_medians(rs, f))
                runs.setdefault((scen, lb), len(rs))
            if i == 0:
                base_med = med
                cells.append(txt)
            else:
                cells += [txt, _ratio(med, base_med)]
        if all(c in ("-", "n/a") for c in cells):
            continue
        out.append("| " + " | ".join([row] + cells) + " |")
    # how each row was produced
    out.append("")
    out.append("Runs per scenario and the command that reproduces them (as root, from the repository root):")
    out.append("")
    seen = set()
    for _, scen, _ in COMPARE_ROWS:
        for lb in [base] + labels:
            rs = by.get((lb, scen), [])
            if not rs or (scen, lb) in seen:
                continue
            seen.add((scen, lb))
            argv = list(rs[0].get("argv") or [])
            if "--scenarios" in argv:
                argv[argv.index("--scenarios") + 1] = scen
            argv = ["--extra=" + a[len("--extra="):] if a.startswith("--extra=") else a for a in argv]
            out.append("- %s, %s (%d run%s, N=%s): `python3 bench/lab/lab.py %s`" % (
                scen, lb, len(rs), "" if len(rs) == 1 else "s", rs[0]["n"], shlex.join(argv)))
    errs = [r for r in recs if "error" in r]
    if errs:
        out.append("")
        out.append("Errors: " + "; ".join("%s %s run %s: %s" % (r.get("agent"), r["scenario"], r["run"], r["error"])
                                           for r in errs))
    return "\n".join(out)


def cmd_compare(args):
    recs = []
    for p in args.files:
        with open(p) as f:
            recs += [json.loads(l) for l in f if l.strip()]
    labels = [x for x in args.labels.split(",") if x] if args.labels else None
    print(compare_markdown(recs, args.base, labels))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)

    def common(p):
        p.add_argument("--agent", default="serf", help="agent profile JSON (default agents/serf.json)")
        p.add_argument("-n", type=int, default=10, help="number of hosts (default 10)")
        p.add_argument("--extra", default="", help="extra agent args substituted into {extra}")
        p.add_argument("--prefix", default="cclab", help="namespace name prefix (default cclab)")
        p.add_argument("--workdir", default=None, help="agent dirs/logs (default /tmp/cclab-PREFIX)")
        p.add_argument("--interval", type=float, default=0.1, help="poll interval s (default 0.1)")
        p.add_argument("--poller", default="auto", choices=["auto", "socket", "cmd"])

    p = sub.add_parser("run", help="run scenarios")
    common(p)
    p.add_argument("--scenarios", default="join,crash,leave,pause,loss,resources",
                   help="comma list of: " + ", ".join(SCENARIOS) + " (default join,crash,leave,pause,loss,resources)")
    p.add_argument("--repeat", type=int, default=3,
                   help="runs of join/crash/silent-crash/leave/pause/recreate (default 3)")
    p.add_argument("--repeat-join", dest="join_repeat", type=int, default=0, help="runs of join (default --repeat)")
    p.add_argument("--loss", default="10", help="comma list of [udp:|all:]PCT, e.g. udp:10,all:30 (default 10)")
    p.add_argument("--loss-window", type=float, default=120)
    p.add_argument("--loss-proto", default="udp", choices=["udp", "all"])
    p.add_argument("--pause", type=float, default=5.0, help="SIGSTOP duration s (default 5)")
    p.add_argument("--idle", type=float, default=60, help="resources idle window s (default 60)")
    p.add_argument("--grey-loss", type=float, default=80, help="grey: inbound loss %% on the sick member (default 80)")
    p.add_argument("--grey-window", type=float, default=120, help="grey: loss window s (default 120)")
    p.add_argument("--burst", type=int, default=10, help="burst, silent-burst: members SIGKILLed at once (default 10)")
    p.add_argument("--recreate-stop", default="kill", choices=["kill", "leave"],
                   help="recreate: how the old agent stops (default kill)")
    p.add_argument("--recreate-gap", type=float, default=0.0,
                   help="recreate: s between the old agent's stop and the new agent's start (default 0)")
    p.add_argument("--recreate-restart", type=float, default=-1,
                   help="recreate: start the new agent again this many s after it exits, as a service "
                        "manager would (default -1: never)")
    p.add_argument("--spares", type=int, default=None,
                   help="spare hosts for recreate (default: --repeat for each recreate scenario that runs)")
    p.add_argument("--tag", action="append", default=[], metavar="KEY=VALUE",
                   help="add KEY=VALUE to every record (e.g. the agent build); repeatable")
    p.add_argument("--settle", type=float, default=2.0, help="stable convergence required before each run (s)")
    p.add_argument("--observe", type=float, default=10.0,
                   help="observation after SIGCONT (pause) and after loss removal (loss tail) (s)")
    p.add_argument("--label", default=None, help="agent label in results (default profile name)")
    p.add_argument("--out", default=None, help="append JSON lines here too")
    p.add_argument("--seed", type=int, default=1, help="victim selection RNG seed")
    p.add_argument("--max-time", type=float, default=3600, help="stop starting new runs after this many s")
    p.set_defaults(fn=cmd_run)

    p = sub.add_parser("up", help="start a lab and hold it (interactive poking)")
    common(p)
    p.add_argument("--hold", type=float, default=600)
    p.set_defaults(fn=cmd_up)

    p = sub.add_parser("cleanup", help="remove leftovers of a crashed run")
    p.add_argument("--prefix", default="cclab")
    p.set_defaults(fn=cmd_cleanup)

    p = sub.add_parser("report", help="markdown tables from JSON-lines results")
    p.add_argument("files", nargs="+")
    p.set_defaults(fn=cmd_report)

    p = sub.add_parser("compare", help="one side-by-side markdown table (medians and ratios to a base agent)")
    p.add_argument("--base", default="serf", help="label of the agent the others are divided by (default serf)")
    p.add_argument("--labels", default="", help="comma list of the other labels, in column order (default: all)")
    p.add_argument("files", nargs="+")
    p.set_defaults(fn=cmd_compare)

    args = ap.parse_args()
    if args.cmd not in ("report", "compare") and os.geteuid() != 0:
        raise SystemExit("needs root (network namespaces)")
    sys.exit(args.fn(args) or 0)


if __name__ == "__main__":
    main()
