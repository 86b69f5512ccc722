#!/usr/bin/python3
# blackhole.py - a loopback controller that is "unreachable" for bench row 7:
# a listening socket that never accept()s, with a backlog of 0 filled by its
# own connects, so the kernel drops every further SYN and a client's
# connect() hangs in SYN_SENT instead of being refused or completing.
#
# usage: bench/blackhole.py PORT [LIFETIME]
#   Binds 127.0.0.1:PORT, fills the accept queue, then proves the trick works
#   on this kernel (a probe connect must neither complete nor be refused
#   within 0.5 s).  Prints "ready 127.0.0.1:PORT" on stdout once proven and
#   stays until SIGTERM or LIFETIME seconds (default 600) have passed: it
#   always stops by itself.  Exit 1 with a reason on stderr
#   when the trick does not hold here.
import errno
import select
import signal
import socket
import sys
import time


def die(msg):
    print("blackhole.py: " + msg, file=sys.stderr)
    sys.exit(1)


def probe(port, wait):
    """What a client's connect does ('hang', 'connected', 'refused'), and
    the socket while it hangs or once connected (the caller keeps it)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setblocking(False)
    rc = s.connect_ex(("127.0.0.1", port))
    if rc not in (0, errno.EINPROGRESS):
        s.close()
        return "refused" if rc == errno.ECONNREFUSED else "error %d" % rc, None
    _, w, _ = select.select([], [s], [], wait)
    if not w:
        return "hang", s
    err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
    if err == 0:
        return "connected", s
    s.close()
    return "refused" if err == errno.ECONNREFUSED else "error %d" % err, None


def main():
    if len(sys.argv) not in (2, 3):
        die("usage: blackhole.py PORT [LIFETIME]")
    port = int(sys.argv[1])
    lifetime = float(sys.argv[2]) if len(sys.argv) == 3 else 600.0
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))

    lsn = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lsn.bind(("127.0.0.1", port))
    # Backlog 0: the accept queue holds one connection; once it is full the
    # kernel drops new SYNs (it does not answer them with cookies then).
    lsn.listen(0)

    # Fill the queue: connects complete until it is full, then hang.  The
    # completed ones are held open for the listener's whole life.
    held = []
    for _ in range(8):
        what, s = probe(port, 0.3)
        if what == "hang":
            s.close()
            break
        if what != "connected":
            die("filling the accept queue: connect %s" % what)
        held.append(s)
    else:
        die("the accept queue never filled after 8 connects")

    # Prove it: a fresh connect must hang for 0.5 s.
    what, s = probe(port, 0.5)
    if what != "hang":
        die("a connect to the full listener %s instead of hanging" % what)
    s.close()

    print("ready 127.0.0.1:%d" % port, flush=True)
    deadline = time.monotonic() + lifetime
    while time.monotonic() < deadline:
        time.sleep(min(deadline - time.monotonic(), 1.0) + 0.001)
    lsn.close()


if __name__ == "__main__":
    main()
