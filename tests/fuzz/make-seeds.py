#!/usr/bin/env python3
"""make-seeds.py - build the seed corpora of the fuzz targets.

Seeds come from the captured traffic (every .bin under the vectors folder),
cut to what each target takes (a whole reply, what follows the version
field, an auth section, a body, a token), plus a few hand-made inputs for
the edges the captures do not show, plus every committed regression input
(regress/<target>/*).  Nothing here is committed: the output folder is a
build folder, rebuilt from scratch on each run.

usage: make-seeds.py VECTORS_DIR REGRESS_DIR OUT_DIR
"""
import base64
import hashlib
import json
import os
import shutil
import struct
import sys

VERSIONS = [0x2400, 0x2500, 0x2600, 0x2700, 0x2800,
            0x2900, 0x2A00, 0x2B00, 0x2C00, 0x2D00]
TARGETS = ["reply", "header", "auth", "rc", "config_2011", "config_2108",
           "config_2311", "jwt", "jwt_json", "servers", "name", "conf", "srv"]


def packstr(s):
    if s is None:
        return b"\0\0\0\0"
    if isinstance(s, str):
        s = s.encode()
    return struct.pack(">I", len(s) + 1) + s + b"\0"


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=")


def b64url_decode(s):
    return base64.urlsafe_b64decode(s + b"=" * (-len(s) % 4))


class Frame:
    """One captured frame, cut into its parts (None where it has none)."""

    def __init__(self, data):
        self.data = data
        self.version = self.flags = self.msg_type = None
        self.auth = self.body = None
        self.strings = []
        if len(data) < 10 or data[:4] == b"HTTP":
            return
        (self.version,) = struct.unpack(">H", data[4:6])
        if self.version not in VERSIONS:
            return
        off = 6
        (self.flags,) = struct.unpack(">H", data[off:off + 2])
        off += 2
        if self.version < 0x2600:
            off += 2
        self.msg_type, body_len = struct.unpack(">HI", data[off:off + 6])
        off += 6 + 4  # forward and ret counts: 0 in every capture
        (family,) = struct.unpack(">H", data[off:off + 2])
        off += 2
        if family != 0:
            return
        if not self.flags & 0x40:
            start = off
            (pid,) = struct.unpack(">I", data[off:off + 4])
            off += 4
            for _ in range(2 if pid == 102 else 1):
                (n,) = struct.unpack(">I", data[off:off + 4])
                self.strings.append(data[off + 4:off + 4 + n - 1] if n else None)
                off += 4 + n
            self.auth_id = pid
            self.auth = data[start:off]
        self.body = data[off:]
        if len(self.body) != body_len:
            self.body = None


class Seeds:
    def __init__(self, out):
        self.out = out
        for t in TARGETS:
            os.makedirs(os.path.join(out, t), exist_ok=True)

    def add(self, target, data):
        if isinstance(data, str):
            data = data.encode()
        name = hashlib.sha1(data).hexdigest()
        with open(os.path.join(self.out, target, name), "wb") as f:
            f.write(data)


def config_list(files, version, spool=None, null_list=False):
    execute = version >= 0x2800
    if null_list:
        b = struct.pack(">I", 0xFFFFFFFE)
    else:
        b = struct.pack(">I", len(files))
        for name, exists, exe, content in files:
            b += bytes([exists]) + (bytes([exe]) if execute else b"")
            b += packstr(name) + packstr(content)
    return b + packstr(spool)


def from_vectors(seeds, vectors):
    tokens = []
    for root, _, names in sorted(os.walk(vectors)):
        for n in sorted(names):
            if not n.endswith(".bin"):
                continue
            with open(os.path.join(root, n), "rb") as f:
                data = f.read()
            seeds.add("reply", data)
            fr = Frame(data)
            if fr.version is None or fr.version not in VERSIONS:
                continue
            vi = VERSIONS.index(fr.version)
            seeds.add("header", bytes([vi]) + data[6:])
            if fr.auth is not None:
                seeds.add("auth", bytes([vi]) + fr.auth)
                if fr.auth_id == 102 and fr.strings and fr.strings[0]:
                    tokens.append(fr.strings[0])
            if fr.body is None:
                continue
            if fr.msg_type in (8001, 8002):
                seeds.add("rc", bytes([(vi << 1) | (fr.msg_type == 8002)]) + fr.body)
            if fr.msg_type != 2016:
                continue
            if fr.version == 0x2400:
                seeds.add("config_2011", fr.body)
            elif fr.version < 0x2800:
                for k in range(3):
                    seeds.add("config_2108", bytes([k]) + fr.body)
            else:
                for k in range(6):
                    seeds.add("config_2311", bytes([k]) + fr.body)
    for fn in os.listdir(vectors):
        p = os.path.join(vectors, fn, "expected.json")
        if os.path.isfile(p):
            with open(p) as f:
                exp = json.load(f)
            for mode in exp.values():
                for fe in mode.get("files", []):
                    seeds.add("name", fe["name"])
    return tokens


def hand_made(seeds, tokens):
    # Bodies with the shapes the captures lack: NULL list, empty list,
    # exists with NULL content, an executable, a spool dir, odd addresses.
    files = [("slurm.conf", 1, 0, "ClusterName=x\n"), ("plugstack.conf", 1, 0, None),
             ("gres.conf", 0, 0, None), ("cli_filter.lua", 1, 1, "return 0\n")]
    for v, target, k in ((0x2600, "config_2108", 1), (0x2800, "config_2311", 0)):
        seeds.add(target, bytes([k]) + config_list(files, v))
        seeds.add(target, bytes([k]) + config_list(files, v, spool="/var/spool/slurmd"))
        seeds.add(target, bytes([k]) + config_list([], v))
        seeds.add(target, bytes([k]) + config_list([], v, null_list=True))
    seeds.add("config_2011", b"".join(packstr(None) for _ in range(12)))
    seeds.add("config_2011", packstr("ClusterName=x\n") + packstr("") * 10 + packstr("/s"))
    # Header with an IPv4 and an IPv6 source address (layout B, 24.11, no auth, rc 0).
    for addr in (struct.pack(">HIH", 2, 0x7F000001, 6817),
                 struct.pack(">HI", 10, 16) + bytes(16) + struct.pack(">H", 6817)):
        rest = struct.pack(">HHIHH", 0x40, 8001, 4, 0, 0) + addr + bytes(4)
        seeds.add("header", bytes([6]) + rest)
    # RC with a message, in both header layouts.
    for vi in (1, 6):
        seeds.add("rc", bytes([(vi << 1) | 1]) + struct.pack(">I", 2126) +
                  packstr("configless is disabled"))
        seeds.add("rc", bytes([(vi << 1) | 1]) + struct.pack(">I", 0) + packstr(None))
    # Auth sections of each plugin.
    for sect in (struct.pack(">I", 101) + packstr("MUNGE:AwQDAAA=:"),
                 struct.pack(">I", 102) + packstr(None) + packstr(None),
                 struct.pack(">I", 102) + packstr("a.b.c") + packstr("alice"),
                 struct.pack(">I", 103) + packstr("x.y.z")):
        seeds.add("auth", bytes([2]) + sect)
        seeds.add("auth", bytes([0]) + sect)

    hdr = b'{"alg":"HS256","typ":"JWT"}'
    payloads = [b'{"exp":1795000000,"iat":1795000000,"sun":"alice"}',
                b'{"exp":1795000000,"username":"bob"}',
                b'{"exp":-1,"sun":"\\u00e9l\\u00e8ve \\ud83d\\ude00 \\"q\\""}',
                b'{"exp":1.5e9,"sun":"x"}',
                b'{"iat":"x","exp":9223372036854775807,"o":[1,{"a":[true,false,null]},-0.5e-3]}',
                b' { "exp" : 0 , "sun" : "" } ']
    for tok in tokens:
        seeds.add("jwt", tok)
        parts = tok.split(b".")
        try:
            h, p = b64url_decode(parts[0]), b64url_decode(parts[1])
        except (IndexError, ValueError):
            continue  # the captured bad token: only a raw seed
        seeds.add("jwt_json", p)
        seeds.add("jwt_json", h + b"\0" + p)
    for p in payloads:
        seeds.add("jwt", b64url(hdr) + b"." + b64url(p) + b".c2ln")
        seeds.add("jwt_json", p)
        seeds.add("jwt_json", hdr + b"\0" + p)

    # Controller lists; the first byte sets the count limit (1 + b % 8).
    for text in ("127.0.0.1", "127.0.0.1:6817", "ctl1,ctl2:6818", "[::1]:6817,127.0.0.1",
                 " a  b,,c ", "[fe80::1%lo]:7000", "host:65535", "a,A,a:6817",
                 "ctl-1.example.org:1", "[::ffff:127.0.0.1]", ",".join("h%d" % i for i in range(70))):
        seeds.add("servers", b"\x07" + text.encode())
        seeds.add("servers", b"\x00" + text.encode())

    for name in (".", "..", "a/b", "...", "slurm.conf", "caf\xc3\xa9.conf", "\xed\xa0\x80",
                 "\xf4\x90\x80\x80", "\xc0\xaf", "x" * 255, "x" * 256, "tab\there"):
        seeds.add("name", name.encode("latin-1"))


def dns_name(name):
    out = b""
    for label in name.split("."):
        if label:
            out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def srv_answer(records, extra_type=None):
    """A DNS answer for _slurmctld._tcp.example.org with these SRV records."""
    q = dns_name("_slurmctld._tcp.example.org")
    msg = struct.pack(">HHHHHH", 0x1234, 0x8180, 1, len(records) + (extra_type is not None), 0, 0)
    msg += q + struct.pack(">HH", 33, 1)
    for prio, weight, port, target in records:
        # A target in example.org points back at "example.org" in the question (offset 28).
        if target.endswith(".example.org"):
            t = dns_name(target[:-len(".example.org")])[:-1] + struct.pack(">H", 0xC000 | (12 + 11 + 5))
        else:
            t = dns_name(target)
        rd = struct.pack(">HHH", prio, weight, port) + t
        msg += struct.pack(">HHHIH", 0xC00C, 33, 1, 300, len(rd)) + rd
    if extra_type is not None:
        msg += struct.pack(">HHHIH", 0xC00C, extra_type, 1, 300, 4) + bytes([127, 0, 0, 1])
    return msg


def conf_and_srv(seeds):
    seeds.add("conf", "# straw.conf\nservers = ctl1:6817,ctl2\nauth = jwt\nprotocol = 22.05\n")
    seeds.add("conf", "ttl = 60\nmax_stale = 86400\nconnect_timeout = 0.25\ntimeout = 3\n"
              "deadline = 10 # whole fetch\n")
    seeds.add("conf", "cache_dir = /var/cache/straw#1\r\njwt_file=/run/user/1000/token\r\n"
              "munge_socket = /run/munge/munge.socket.2\n\toverride = yes\ndns_srv = off\n"
              "local_configs = /etc/slurm/slurm.conf:/run/slurm/conf/slurm.conf\n")
    seeds.add("conf", "protocol = auto\nauth = auto\n\n   \n#x = y\n")
    seeds.add("conf", "bogus = 1\n")
    seeds.add("conf", "ttl = -1\n")
    seeds.add("srv", srv_answer([(10, 5, 6817, "ctl1.example.org"), (20, 0, 6818, "ctl2.other.net")]))
    seeds.add("srv", srv_answer([(0, 0, 0, "."), (1, 1, 6817, "a.example.org")], extra_type=1))
    seeds.add("srv", srv_answer([(5, 9, 6817, "h%d.example.org" % i) for i in range(8)]))


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__.strip().splitlines()[-1])
    vectors, regress, out = sys.argv[1:]
    if os.path.isdir(out):
        shutil.rmtree(out)
    seeds = Seeds(out)
    tokens = from_vectors(seeds, vectors)
    hand_made(seeds, tokens)
    conf_and_srv(seeds)
    if os.path.isdir(regress):
        for t in os.listdir(regress):
            d = os.path.join(regress, t)
            if t in TARGETS and os.path.isdir(d):
                for n in os.listdir(d):
                    with open(os.path.join(d, n), "rb") as f:
                        seeds.add(t, f.read())
    for t in TARGETS:
        print("%-12s %4d seeds" % (t, len(os.listdir(os.path.join(out, t)))))


if __name__ == "__main__":
    main()
