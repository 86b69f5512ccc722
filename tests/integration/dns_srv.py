#!/usr/bin/env python3
"""dns_srv.py - a tiny DNS responder for the SRV discovery test, loopback only.

usage: dns_srv.py PORTFILE NAME PRIO:WEIGHT:PORT:TARGET...

Answers SRV queries for NAME (case-insensitive, trailing dot optional) with
the records given and NXDOMAIN for anything else, over UDP on 127.0.0.1.
It binds port 53 (it runs in the test's own network namespace), writes
"ready" to PORTFILE, and exits after 60 s or on SIGTERM.
"""
import signal
import socket
import struct
import sys
import time


def encode_name(name):
    out = b""
    for label in name.rstrip(".").split("."):
        out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def parse_question(pkt):
    labels, i = [], 12
    while pkt[i]:
        n = pkt[i]
        labels.append(pkt[i + 1:i + 1 + n].decode("ascii", "replace"))
        i += 1 + n
    qtype, qclass = struct.unpack("!HH", pkt[i + 1:i + 5])
    return ".".join(labels), qtype, qclass, pkt[12:i + 5]


def main():
    portfile, want = sys.argv[1], sys.argv[2].rstrip(".").lower()
    records = [r.split(":", 3) for r in sys.argv[3:]]
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 53))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    with open(portfile, "w") as f:
        f.write("ready\n")
    sock.settimeout(1.0)
    end = time.time() + 60
    while time.time() < end:
        try:
            pkt, peer = sock.recvfrom(512)
        except socket.timeout:
            continue
        if len(pkt) < 17:
            continue
        qid = pkt[:2]
        name, qtype, qclass, question = parse_question(pkt)
        if name.lower() == want and qtype == 33:
            answers = b""
            for prio, weight, port, target in records:
                rdata = struct.pack("!HHH", int(prio), int(weight), int(port)) + encode_name(target)
                answers += b"\xc0\x0c" + struct.pack("!HHIH", 33, 1, 60, len(rdata)) + rdata
            head = qid + struct.pack("!HHHHH", 0x8180, 1, len(records), 0, 0)
            sock.sendto(head + question + answers, peer)
        else:
            head = qid + struct.pack("!HHHHH", 0x8183, 1, 0, 0, 0)
            sock.sendto(head + question, peer)


if __name__ == "__main__":
    main()
