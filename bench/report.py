#!/usr/bin/python3
"""report.py - turn the raw results of bench/measure.sh into the details and
the one table of `make bench` (Markdown, so BENCHMARKS.md can take it as is).

usage: bench/report.py WORKDIR

Goals are reported against, never enforced: the exit status is 0 whenever
the results could be read.
"""
import collections
import glob
import json
import math
import os
import re
import statistics
import sys

# What the dynamic linker does to load one more library: open it, read its
# header, map its segments, protect its RELRO, close it.
LOADING = {"openat", "open", "read", "pread64", "fstat", "newfstatat", "mmap",
           "mprotect", "munmap", "close"}


def pct(xs, p):
    """Nearest-rank percentile (p in 0..100) of a non-empty list."""
    s = sorted(xs)
    k = max(1, math.ceil(p / 100.0 * len(s)))
    return s[k - 1]


def ms(ns):
    return ns / 1e6


def fmt_ms(x):
    return "%.2f ms" % x if x < 100 else "%.0f ms" % x


class Report:
    def __init__(self, work):
        self.w = work
        self.rows = []
        self.details = []

    def path(self, name):
        return os.path.join(self.w, name)

    def read(self, name):
        with open(self.path(name)) as f:
            return f.read()

    def row(self, num, what, value, base, ratio, goal, met):
        mark = {True: "yes", False: "**no**", None: "n/a"}[met]
        self.rows.append((num, what, value, base, ratio, goal, mark))

    def note(self, text):
        self.details.append(text)

    # ---- rows 1, 2 and 8 (brun seq lines: NAME ROUND WALL_NS MAXRSS STATUS)

    def seq(self, name):
        """Wall times per round and variant, CPU times per variant, failures."""
        runs = collections.defaultdict(dict)
        cpu = collections.defaultdict(list)
        bad = collections.Counter()
        for line in self.read(name).splitlines():
            n, r, ns, _rss, st, cpu_ns = line.split()
            runs[int(r)][n] = int(ns)
            cpu[n].append(ms(int(cpu_ns)))
            if st != "0":
                bad[n] += 1
        self.cpu = cpu
        return runs, bad

    def rows_1_2(self):
        runs, bad = self.seq("r12.tsv")
        cpu = {n: statistics.median(v) for n, v in self.cpu.items()}
        by = collections.defaultdict(list)
        for r in runs.values():
            for n, ns in r.items():
                by[n].append(ms(ns))
        med = {n: statistics.median(v) for n, v in by.items()}
        p10 = {n: pct(v, 10) for n, v in by.items()}
        paired_local = statistics.median(r["loader"] / r["local"] for r in runs.values())
        paired_stock = statistics.median(r["loader"] / r["stock"] for r in runs.values())
        got, expect = self.read("r12.rpcs").split()
        n = len(runs)
        r1 = med["loader"] / med["local"]
        r2 = med["loader"] / med["stock"]
        self.row("1", "`sinfo` through the loader, warm cache (median of %d interleaved)" % n,
                 fmt_ms(med["loader"]), "%s `sinfo` with a local file" % fmt_ms(med["local"]),
                 "%.3f×" % r1, "≤ 1.03×", r1 <= 1.03)
        self.row("2", "the same", fmt_ms(med["loader"]),
                 "%s stock `SLURM_CONF_SERVER` + `SLURM_JWT`" % fmt_ms(med["stock"]),
                 "%.3f×" % r2, "≤ 0.75×", r2 <= 0.75)
        self.note("Rows 1-2: %d rounds, each running local / loader / stock once (order "
                  "rotating). Medians %s / %s / %s; 10th percentiles %s / %s / %s; "
                  "median of the per-round ratios loader/local %.3f, loader/stock %.3f. "
                  "CPU time (user + system) medians %s / %s / %s. "
                  "REQUEST_CONFIG counted by slurmctld over these runs: %s, for %s stock "
                  "runs (warm-up included): the loader asked for none. Failed runs: %s."
                  % (n, fmt_ms(med["local"]), fmt_ms(med["loader"]), fmt_ms(med["stock"]),
                     fmt_ms(p10["local"]), fmt_ms(p10["loader"]), fmt_ms(p10["stock"]),
                     paired_local, paired_stock,
                     fmt_ms(cpu["local"]), fmt_ms(cpu["loader"]), fmt_ms(cpu["stock"]), got, expect,
                     dict(bad) if bad else "none"))

    def row_1_instructions(self):
        ir = {v: self.callgrind_files("r1-sinfo-%s-*.cg" % v) for v in ("local", "empty", "loader")}
        d = (ir["loader"] - ir["local"]) / ir["local"] * 100.0
        e = (ir["empty"] - ir["local"]) / ir["local"] * 100.0
        self.row("1b", "the same, instructions of one `sinfo` (callgrind; wall time's "
                 "load-independent part)", "%d Ir" % ir["loader"],
                 "%d Ir with a local file; %d Ir with it and an empty library preloaded"
                 % (ir["local"], ir["empty"]),
                 "%+.2f %% (LD_PRELOAD of any library: %+.2f %%)" % (d, e), "(≤ 1.03×)",
                 d <= 3.0)

    def row_3(self):
        loader, stock = (int(x) for x in self.read("r3.rpcs").split())
        _, bad_l = self.seq("r3-loader.tsv")
        _, bad_s = self.seq("r3-stock.tsv")
        self.row("3", "REQUEST_CONFIG per 100 `sinfo` (`sdiag` delta)",
                 str(loader), "stock: %d" % stock, "%+d" % (loader - stock), "≤ 1", loader <= 1)
        if bad_l or bad_s:
            self.note("Row 3: failed runs: loader %d, stock %d." % (bad_l["loader"], bad_s["stock"]))

    def row_8(self):
        kb = collections.defaultdict(list)
        for line in self.read("r8.tsv").splitlines():
            v, _, k = line.split()
            kb[v].append(int(k))
        ml, mb = statistics.median(kb["loader"]), statistics.median(kb["local"])
        d = ml - mb
        self.row("8", "peak RSS of a warm-cache `sinfo` through the loader (GNU time, median of %d)"
                 % len(kb["loader"]), "%.0f KiB" % ml, "%.0f KiB with a local file" % mb,
                 "%+.0f KiB" % d, "≤ +1 MiB", d <= 1024)

    # ---- rows 4 and 7 (hyperfine JSON)

    def hyperfine(self, name):
        """Run times (ms) by command label, pooled over hf's batches NAME-b*.json."""
        out = collections.defaultdict(list)
        files = sorted(glob.glob(self.path(name + "-b*.json")))
        if not files:
            raise SystemExit("report.py: no %s-b*.json in %s" % (name, self.w))
        for path in files:
            with open(path) as f:
                for r in json.load(f)["results"]:
                    out[r["command"]] += [1000.0 * t for t in r["times"]]
        self.batches = len(files)
        return out

    @staticmethod
    def hmed(times):
        return statistics.median(times)

    def row_4(self):
        h = self.hyperfine("r4")
        sl, sc, sv = (self.hmed(h[k]) for k in ("sinfo-local", "straw-cold", "straw-cold-version"))
        r = sc / sl
        self.row("4", "cold `straw -o DIR` (JWT; protocol negotiated)", fmt_ms(sc),
                 "%s one `sinfo` with a local file" % fmt_ms(sl), "%.2f×" % r, "≤ 1.0×", r <= 1.0)
        self.row("4b", "the same with the version given (`straw -o DIR SERVER 22.05`)", fmt_ms(sv),
                 "%s the same `sinfo`" % fmt_ms(sl), "%.2f×" % (sv / sl), "(≤ 1.0×)", sv / sl <= 1.0)
        self.note("Row 4: hyperfine, medians of %d runs each, in %d batches with the order "
                  "rotating; the output folder removed before every run. `sinfo` runs with "
                  "SLURM_CONF naming the local copy; `straw` ignores it."
                  % (len(h["straw-cold"]), self.batches))

    def row_7(self):
        a = self.hyperfine("r7-auto")
        alive, aref, aunr = (self.hmed(a[k]) for k in ("live", "refused", "unreachable"))
        h = self.hyperfine("r7-version")
        live, ref, unr = (self.hmed(h[k]) for k in ("live", "refused", "unreachable"))
        check = self.read("blackhole.check").strip()
        self.row("7", "`straw -o DIR PRIMARY LIVE 22.05` with a refused primary", fmt_ms(ref),
                 "%s a single live controller" % fmt_ms(live), "%+.1f ms" % (ref - live),
                 "+ ≤ 10 ms", ref - live <= 10)
        self.row("7b", "`straw` with an unreachable primary (full-backlog listener)", fmt_ms(unr),
                 "%s the same live controller" % fmt_ms(live), "%+.1f ms" % (unr - live),
                 "+ ≤ 300 ms", unr - live <= 300)
        self.note("Row 7: hyperfine, medians of %d runs each in %d rotating batches, the version given so a fetch is "
                  "one round trip and the difference is the failover alone. Negotiated "
                  "(no version: a ping in every version from 21.08 up at once, waiting for the "
                  "controller's ~10 ms refusal of each newer version, then one request): "
                  "live %s, refused %s (%+.1f ms), "
                  "unreachable %s (%+.1f ms). The unreachable primary is a "
                  "loopback listener with backlog 0 whose queue is full, so a connect hangs "
                  "in SYN_SENT (checked before and after the runs: %s)."
                  % (len(h["live"]), self.batches, fmt_ms(alive), fmt_ms(aref), aref - alive,
                     fmt_ms(aunr), aunr - alive, check))

    # ---- row 5 (brun herd + firstconf lines)

    def herd(self, stem):
        """Start-up latencies (release to config, ms) and in-process getenv times."""
        releases = [int(l.split()[1]) for l in self.read(stem + ".brun").splitlines()
                    if l.startswith("release ")]
        statuses = [l.split()[3] for l in self.read(stem + ".brun").splitlines()
                    if l.startswith("child ")]
        lines = self.read(stem + ".out").splitlines()
        per = len(lines) // max(1, len(releases))
        lat, inproc, unset = [], [], 0
        self.last_main = 0.0
        for i, line in enumerate(lines):
            t_main, t_conf, conf = line.split(" ", 2)
            if conf == "-":
                unset += 1
            t0 = releases[min(i // max(1, per), len(releases) - 1)]
            lat.append(ms(int(t_conf) - t0))
            inproc.append(ms(int(t_conf) - int(t_main)))
            self.last_main = max(self.last_main, ms(int(t_main) - t0))
        failed = sum(1 for s in statuses if s != "0")
        return lat, inproc, unset, failed, len(statuses)

    def row_5(self):
        trials = [l.split() for l in self.read("r5.rpcs").splitlines()]
        rpcs = [int(t[1]) for t in trials]
        lat, inproc, unset, failed, n = [], [], 0, 0, 0
        last_main = []
        for t in trials:
            a, b, u, f, k = self.herd("r5-cold%s" % t[0])
            last_main.append(self.last_main)
            lat += a
            inproc += b
            unset += u
            failed += f
            n += k
        v_lat, v_in, v_unset, v_failed, v_n = self.herd("r5-version")
        v_rpcs = int(self.read("r5-version.rpcs").strip())
        w_lat, w_in, _, w_failed, w_n = self.herd("r5-warm1")
        h_lat, h_in, _, _, h_n = self.herd("r5-warmherd")
        h_last = self.last_main
        warm_p50 = statistics.median(w_lat)
        p50, p99 = pct(lat, 50), pct(lat, 99)
        per_trial = n // max(1, len(trials))
        ok_rpc = all(r == 1 for r in rpcs)
        self.row("5", "%d processes at once, cold cache: REQUEST_CONFIG per trial" % per_trial,
                 ", ".join(str(r) for r in rpcs), "stock: 1 per process", "", "1 RPC", ok_rpc)
        self.row("5b", "the same: start-up to first config, p50 / p99 (%d trials pooled)" % len(trials),
                 "%s / %s" % (fmt_ms(p50), fmt_ms(p99)),
                 "%s one warm process (p50 of %d)" % (fmt_ms(warm_p50), len(w_lat)),
                 "p99 = %.1f× warm p50" % (p99 / warm_p50), "p99 ≤ 3× warm p50",
                 p99 <= 3 * warm_p50)
        self.row("5c", "the same herd, protocol version given (`STRAW_PROTOCOL=22.05`): "
                 "REQUEST_CONFIG; p50 / p99", "%d; %s / %s" % (v_rpcs, fmt_ms(pct(v_lat, 50)),
                                                              fmt_ms(pct(v_lat, 99))),
                 "%s one warm process" % fmt_ms(warm_p50),
                 "p99 = %.1f× warm p50" % (pct(v_lat, 99) / warm_p50), "(as 5)",
                 v_rpcs == 1 and pct(v_lat, 99) <= 3 * warm_p50)
        self.row("5d", "control: the same herd on the warm cache (nothing to fetch), p50 / p99",
                 "%s / %s" % (fmt_ms(pct(h_lat, 50)), fmt_ms(pct(h_lat, 99))),
                 "%s one warm process" % fmt_ms(warm_p50),
                 "p99 = %.1f× warm p50" % (pct(h_lat, 99) / warm_p50), "", None)
        self.note("Row 5: %d children per trial are forked first, blocked on one pipe and "
                  "released together; each runs `firstconf` (bench/firstconf.c) under the "
                  "loader, which calls getenv(\"SLURM_CONF\") once and reports when it returned. "
                  "Start-up = release to that moment (exec, dynamic linking, the loader, and "
                  "waiting for a CPU: %d processes on %d CPUs). Cold: in-process getenv p50 %s, "
                  "p99 %s. Same herd on the warm cache: start-up p50 %s, p99 %s (in-process "
                  "p99 %s); that is the cost of %d simultaneous starts alone. One warm "
                  "process: start-up p50 %s, in-process p50 %s. The last of the %d "
                  "processes entered main() %s after the release (cold trials: %s; warm "
                  "herd: %s). Processes left without "
                  "SLURM_CONF: %d; failed: %d of %d (warm: %d of %d; 5c: %d and %d of %d). "
                  "slurmctld counts one REQUEST_CONFIG per cold herd; without a version the "
                  "one fetching process first pings every version from 21.08 up at once and "
                  "waits for the 7 newer than the controller's to be refused (slurmctld logs "
                  "\"Incompatible versions\" and closes each ~10 ms later)."
                  % (per_trial, per_trial, os.cpu_count() or 0,
                     fmt_ms(pct(inproc, 50)), fmt_ms(pct(inproc, 99)),
                     fmt_ms(pct(h_lat, 50)), fmt_ms(pct(h_lat, 99)), fmt_ms(pct(h_in, 99)),
                     h_n, fmt_ms(warm_p50), fmt_ms(statistics.median(w_in)), per_trial,
                     "up to " + fmt_ms(max(last_main + [h_last])),
                     ", ".join(fmt_ms(x) for x in last_main), fmt_ms(h_last),
                     unset, failed, n, w_failed, w_n, v_unset, v_failed, v_n))
        self.herd_p99 = (p99, pct(h_lat, 99), warm_p50)

    # ---- row 6 (callgrind totals, strace -c, strace -f)

    def callgrind(self, prog, v):
        return self.callgrind_files("r6-%s-%s-*.cg" % (prog, v))

    def callgrind_files(self, pattern):
        """Median of the instruction totals of the callgrind files matching."""
        tot = []
        for f in sorted(glob.glob(self.path(pattern))):
            with open(f) as fh:
                for line in fh:
                    if line.startswith("totals:") or line.startswith("summary:"):
                        tot.append(int(line.split()[1]))
                        break
        return statistics.median(tot)

    def strace_counts(self, prog, v):
        counts = {}
        for line in self.read("r6-%s-%s.strace-c" % (prog, v)).splitlines():
            f = line.split()
            if len(f) < 5 or not f[-1].isidentifier() or f[-1] == "total" or f[0] == "%":
                continue
            try:
                counts[f[-1]] = int(f[3])
            except ValueError:
                continue
        return counts

    def preload_calls(self, prog):
        """The lines of the loader's strace that touch the library's file."""
        text = self.read("r6-%s-loader.strace" % prog)
        out = []
        fd = None
        for line in text.splitlines():
            m = re.search(r'openat\(.*"([^"]*libstraw-preload\.so)".*= (\d+)$', line)
            if m:
                fd = m.group(2)
                out.append("openat")
                continue
            if fd is None:
                continue
            call = re.match(r"^\d+\s+(\w+)\((\d+)?", line)
            if not call:
                continue
            out.append(call.group(1))
            if call.group(1) == "close" and call.group(2) == fd:
                break
        return out

    def row_6(self):
        for num, prog, label in (("6", "true", "/bin/true"), ("6b", "python", "python3 -c pass")):
            plain, loader = self.callgrind(prog, "plain"), self.callgrind(prog, "loader")
            empty = self.callgrind(prog, "empty")
            d = (loader - plain) / plain * 100.0
            de = (empty - plain) / plain * 100.0
            cp, cl = self.strace_counts(prog, "plain"), self.strace_counts(prog, "loader")
            extra = {k: cl.get(k, 0) - cp.get(k, 0) for k in set(cp) | set(cl)}
            extra = {k: n for k, n in extra.items() if n}
            n_extra = sum(extra.values())
            foreign = {k: n for k, n in extra.items() if k not in LOADING or n < 0}
            self.row(num, "`%s` with the loader (SLURM_CONF never asked for): instructions "
                     "(callgrind), syscalls (strace -c -f)" % label,
                     "%d Ir; %d syscalls" % (loader, sum(cl.values())),
                     "%d Ir; %d syscalls without the loader" % (plain, sum(cp.values())),
                     "%+.2f %% Ir (an empty preloaded library: %+.2f %%); %+d syscalls, %s"
                     % (d, de, n_extra,
                                                       "all the library's loading" if not foreign
                                                       else "some NOT from loading it"),
                     "≤ 1 % Ir; no syscalls beyond loading it", d <= 1.0 and not foreign)
            self.note("Row 6, %s: callgrind instructions (median of 3) %d without, %d with the "
                      "loader (%+d, %+.2f %%), %d with an empty library preloaded instead "
                      "(%+d, %+.2f %%: the floor for any LD_PRELOAD). Syscalls (strace -c -f): %d without, %d with; "
                      "the difference: %s%s. The library's own load, as strace -f shows it: %s."
                      % (label, plain, loader, loader - plain, d, empty, empty - plain, de,
                         sum(cp.values()),
                         sum(cl.values()),
                         ", ".join("%s %+d" % kv for kv in sorted(extra.items())) or "none",
                         ("; NOT from loading the library: %s" % foreign) if foreign else "",
                         " ".join(self.preload_calls(prog)) or "(not found)"))

    def header(self):
        m = dict(l.split("=", 1) for l in self.read("machine").splitlines() if "=" in l)
        load = dict(l.split("=", 1) for l in self.read("load").splitlines() if "=" in l)
        print("## Run")
        print()
        print("- machine: %s CPUs, %s; kernel %s; %s" % (m.get("nproc"), m.get("cpu"),
                                                         m.get("kernel"), m.get("os")))
        print("- Debian packages: slurm-client %s, libc6 %s, hyperfine %s, valgrind %s; "
              "python3 %s" % (m.get("slurm"), m.get("glibc"), m.get("hyperfine"),
                             m.get("valgrind"), m.get("python3")))
        print("- straw: %s" % m.get("straw"))
        print("- load average (1/5/15 min, /proc/loadavg) at the start: %s; at the end: %s; "
              "measuring took %s s" % (" ".join(load.get("start", "").split()[:3]),
                                       " ".join(load.get("end", "").split()[:3]),
                                       load.get("seconds", "?")))
        print()

    def run(self):
        self.rows_1_2()
        self.row_1_instructions()
        self.row_3()
        self.row_4()
        self.row_5()
        self.row_6()
        self.row_7()
        self.row_8()
        order = {k: i for i, k in enumerate(["1", "1b", "2", "3", "4", "4b", "5", "5b", "5c", "5d", "6", "6b", "7", "7b", "8"])}
        self.rows.sort(key=lambda r: order.get(r[0], 99))
        self.header()
        print("## Details")
        print()
        for d in self.details:
            print("- " + d)
        print()
        print("## Table")
        print()
        print("| # | measurement | value | baseline | ratio/delta | goal | met? |")
        print("|---|---|---|---|---|---|---|")
        for r in self.rows:
            print("| " + " | ".join(r) + " |")


def main():
    if len(sys.argv) != 2:
        print("usage: report.py WORKDIR", file=sys.stderr)
        sys.exit(2)
    Report(sys.argv[1]).run()


if __name__ == "__main__":
    main()
