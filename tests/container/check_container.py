#!/usr/bin/env python3
"""check_container.py: checks Dockerfile, docker/docker-entrypoint.sh and docker-compose.yml
against this machine (no Docker engine needed).

  check_container.py --server-bin build/server/fl-server [--source-dir DIR]

1. Entrypoint: each role (coordinatorServer, tabletServer, local, -D..., help, pass-through)
   maps to the right fl-server command line (FL_DRY_RUN=1, FL_SERVER_BIN=fake); FLUSS_PROPERTIES
   lines become -D flags, defaults step aside for keys it sets, bad lines stop it (exit 2).
2. Compose: for every fl-server service and each variable setting the file offers
   (FL_LAKE_FORMAT, FL_COORDINATOR_ROLE), the entrypoint's command line is computed; every
   -D key in it must be a key fl-server reads (a literal in a fl_config_* / FL_CONF_GET call in
   the server's C sources, or a datalake.<format>.* catalog option) and be listed in
   docs/configuration.md. Then the real binary is started with exactly those flags (listener
   hosts -> 127.0.0.1:0, paths -> a temp dir; the tablet server pointed at the coordinator
   started first), must open its port, log no WARN/ERROR line, report the warehouse path when it
   tiers, and stop cleanly on SIGTERM. The Flink services must mount the warehouse volume at the
   path the server writes to, and the files they mount must exist.
3. Dockerfile: both stages are on this machine's Debian release; every package of both
   apt-get lists is known to apt (apt-cache show); the build list covers the build and library
   packages of scripts/install-deps.sh; every shared library of the built binaries (ldd, then
   dpkg -S) comes from a package of the runtime list or libc6; COPY sources exist.
Exit status 0 only when every check passed; each failure is printed.
"""
import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

try:
    import yaml
except ImportError:  # pragma: no cover
    print("check_container: PyYAML is required (python3-yaml or tests/requirements.txt)")
    sys.exit(1)

FAILS = []


def fail(msg):
    FAILS.append(msg)
    print("FAIL: " + msg, flush=True)


def ok(msg):
    print("ok:   " + msg, flush=True)


def check(cond, msg):
    (ok if cond else fail)(msg)
    return cond


# ---- helpers --------------------------------------------------------------------------------

def interpolate(text, env):
    """Compose-style ${VAR}, ${VAR:-default}, ${VAR-default}; $$ -> $."""
    def repl(m):
        if m.group(0) == "$$":
            return "$"
        name, op, dflt = m.group(1), m.group(2), m.group(3) or ""
        val = env.get(name)
        if op == ":-" and not val:
            return dflt
        if op == "-" and val is None:
            return dflt
        return val or ""
    return re.sub(r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?-)([^}]*))?\}", repl, text)


def env_list(service):
    """environment: as a dict, list entries split at the first '='."""
    env = service.get("environment") or {}
    if isinstance(env, dict):
        return {k: "" if v is None else str(v) for k, v in env.items()}
    out = {}
    for item in env:
        k, _, v = str(item).partition("=")
        out[k] = v
    return out


def run_entrypoint(src, args, props=None, extra_env=None):
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "FL_DRY_RUN": "1",
           "FL_SERVER_BIN": "/fake/bin/fl-server", "FL_ADVERTISED_HOST": "fl-host"}
    if props is not None:
        env["FLUSS_PROPERTIES"] = props
    env.update(extra_env or {})
    p = subprocess.run(["bash", os.path.join(src, "docker/docker-entrypoint.sh")] + args,
                       env=env, capture_output=True, text=True, timeout=30)
    return p.returncode, p.stdout.splitlines(), p.stderr


def dflags(argv):
    """-Dkey=value flags of an argv, in order, as (key, value)."""
    out = []
    for a in argv:
        if a.startswith("-D") and "=" in a:
            k, _, v = a[2:].partition("=")
            out.append((k, v))
    return out


def last_values(argv):
    d = {}
    for k, v in dflags(argv):
        d[k] = v
    return d


# ---- 1. entrypoint --------------------------------------------------------------------------

def check_entrypoint(src):
    ep = os.path.join(src, "docker/docker-entrypoint.sh")
    check(os.access(ep, os.X_OK), "docker/docker-entrypoint.sh is executable")
    cases = [(["coordinatorServer"], "coordinator"), (["tabletServer"], "tablet"),
             (["local"], "local"), ([], "local"), (["-Dtablet-server.id=3"], "local"),
             (["coordinator"], "coordinator"), (["tablet"], "tablet")]
    for args, role in cases:
        rc, argv, err = run_entrypoint(src, args)
        check(rc == 0 and argv[:4] == ["/fake/bin/fl-server", role, "--configDir",
                                       "/opt/fl-server/conf"],
              "entrypoint %s -> fl-server %s --configDir /opt/fl-server/conf (got %s)"
              % (" ".join(args) or "(no args)", role, argv[:4]))
        vals = last_values(argv)
        check(vals.get("bind.listeners") == "FLUSS://0.0.0.0:9123"
              and vals.get("advertised.listeners") == "FLUSS://fl-host:9123"
              and vals.get("data.dir") == "/var/lib/fl-server/data",
              "entrypoint %s: container defaults (bind 0.0.0.0:9123, advertised fl-host, data "
              "volume)" % (" ".join(args) or "(no args)"))
    rc, argv, _ = run_entrypoint(src, ["tabletServer", "-Dtablet-server.id=3"])
    check(argv[-1] == "-Dtablet-server.id=3", "extra arguments are passed last (they win)")

    props = ("\n# comment\n  \nbind.listeners: FLUSS://coordinator-server:9123\n"
             "datalake.format: \"paimon\"\nnetty.connection.max-idle-time: 10 min\r\n"
             "tablet-server.rack: 'r1'\nadvertised.listeners: FLUSS://a:1")
    rc, argv, _ = run_entrypoint(src, ["coordinatorServer", "-Dx.y=1"], props)
    flags = dflags(argv)
    keys = [k for k, _ in flags]
    check(rc == 0, "FLUSS_PROPERTIES with comments, blanks, quotes and CRLF is accepted")
    check(("bind.listeners", "FLUSS://coordinator-server:9123") in flags
          and ("datalake.format", "paimon") in flags
          and ("netty.connection.max-idle-time", "10 min") in flags
          and ("tablet-server.rack", "r1") in flags
          and ("advertised.listeners", "FLUSS://a:1") in flags,
          "FLUSS_PROPERTIES lines become -Dkey=value (value trimmed, quotes removed): %s" % flags)
    check(keys.count("bind.listeners") == 1 and keys.count("advertised.listeners") == 1,
          "defaults for bind/advertised listeners step aside when FLUSS_PROPERTIES sets them")
    check(keys.index("datalake.format") < keys.index("x.y"),
          "FLUSS_PROPERTIES flags come before the command's own arguments")
    rc, argv, _ = run_entrypoint(src, ["local"], "bind.listeners: FLUSS://h:9123")
    check("advertised.listeners" not in last_values(argv),
          "no default advertised.listeners when FLUSS_PROPERTIES sets bind.listeners")
    for bad in ["no colon here", ": value-without-key", "two words: x"]:
        rc, argv, err = run_entrypoint(src, ["local"], "data.dir: /d\n" + bad)
        check(rc == 2 and not argv and "FLUSS_PROPERTIES line 2" in err,
              "bad FLUSS_PROPERTIES line %r stops the entrypoint with exit 2" % bad)
    rc, argv, _ = run_entrypoint(src, ["help"], extra_env={"FL_DRY_RUN": "0"})
    check(rc == 0 and argv and "coordinatorServer" in argv[0], "help prints the roles")
    rc, argv, _ = run_entrypoint(src, ["fl-admin", "--help"])
    check(argv == ["fl-admin", "--help"], "other commands run as given (pass-through)")
    rc, argv, _ = run_entrypoint(src, ["local"], extra_env={"FL_CONF_DIR": "/etc/fl"})
    check(argv[2:4] == ["--configDir", "/etc/fl"], "FL_CONF_DIR overrides --configDir")


# ---- 2. keys the server reads ---------------------------------------------------------------

def server_keys(src):
    """Literal keys in fl_config_* / FL_CONF_GET calls of the server's non-test C sources."""
    keys = set()
    call = re.compile(r"(?:fl_config_get\w*|FL_CONF_GET)\s*\(([^;]*?)\)", re.S)
    for d in ("server", "coordinator", "tablet", "protocol", "storage", "lake"):
        for root, _, files in os.walk(os.path.join(src, d)):
            for f in files:
                if not f.endswith(".c") or f.startswith("test_"):
                    continue
                text = open(os.path.join(root, f), encoding="utf-8", errors="replace").read()
                for m in call.finditer(text):
                    for lit in re.findall(r'"([a-z][a-z0-9_.\-]*)"', m.group(1)):
                        if "." in lit:
                            keys.add(lit)
    return keys


def doc_keys(src):
    keys, patterns = set(), []
    for line in open(os.path.join(src, "docs/configuration.md"), encoding="utf-8"):
        if not line.startswith("| `"):
            continue
        first = line.split("|")[1]
        for k in re.findall(r"`([^`]+)`", first):
            if "<" in k:
                patterns.append(re.compile("^" + re.sub(r"<[^>]+>", r"[a-z]+",
                                                        re.escape(k).replace(r"\*", ".+")
                                                        .replace(r"\<", "<")
                                                        .replace(r"\>", ">")) + "$"))
            else:
                keys.add(k)
    return keys, patterns


LAKE_FORMATS = ("paimon", "iceberg", "lance")


def key_accepted(key, src_keys, docs):
    dkeys, dpats = docs
    in_src = key in src_keys or any(key.startswith("datalake.%s." % f) for f in LAKE_FORMATS)
    in_docs = key in dkeys or any(p.match(key) for p in dpats)
    return in_src, in_docs


# ---- 2b. compose ----------------------------------------------------------------------------

def is_server_service(svc):
    return "build" in svc or str(svc.get("image", "")).startswith("fl-server")


def compose_scenarios(raw):
    """Variable settings the file mentions: defaults, and each non-default value documented."""
    scen = [{}]
    if "FL_LAKE_FORMAT" in raw:
        scen.append({"FL_LAKE_FORMAT": "iceberg"})
    if "FL_COORDINATOR_ROLE" in raw:
        scen.append({"FL_COORDINATOR_ROLE": "coordinatorServer"})
        if "FL_LAKE_FORMAT" in raw:
            scen.append({"FL_COORDINATOR_ROLE": "coordinatorServer", "FL_LAKE_FORMAT": "iceberg"})
    return scen


def free_port_of(log_text):
    m = re.search(r"listening on FLUSS://127\.0\.0\.1:(\d+)", log_text)
    return int(m.group(1)) if m else None


class Started:
    def __init__(self, name, proc, log_path):
        self.name, self.proc, self.log_path = name, proc, log_path

    def log(self):
        with open(self.log_path, encoding="utf-8", errors="replace") as f:
            return f.read()


def start_server(name, argv, log_path, want=r"listening on FLUSS://127\.0\.0\.1:(\d+)",
                 timeout=20.0):
    logf = open(log_path, "w")
    proc = subprocess.Popen(argv, stdout=logf, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL)
    logf.close()
    s = Started(name, proc, log_path)
    deadline = time.time() + timeout
    while time.time() < deadline:
        if re.search(want, s.log()) or proc.poll() is not None:
            break
        time.sleep(0.1)
    return s


def stop_server(s):
    if s.proc.poll() is None:
        s.proc.send_signal(signal.SIGTERM)
        try:
            s.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            s.proc.kill()
            s.proc.wait()
            return None
    return s.proc.returncode


def localize(argv, server_bin, conf_dir, tmp, coordinator_port):
    """The container command line, made runnable here: same -D keys, local hosts and paths."""
    out = [server_bin, argv[1], "--configDir", conf_dir]
    for a in argv[4:]:
        if not a.startswith("-D") or "=" not in a:
            out.append(a)
            continue
        k, _, v = a[2:].partition("=")
        if k in ("bind.listeners", "advertised.listeners"):
            v = ",".join(re.sub(r"://[^:/,]+:\d+$", "://127.0.0.1:0", e) for e in v.split(","))
            if k == "advertised.listeners":
                continue  # port 0 is resolved at bind time; advertise what was bound
        elif k == "server.coordinator-address":
            v = "127.0.0.1:%d" % coordinator_port
        elif v.startswith("/"):
            v = os.path.join(tmp, v.lstrip("/"))
        out.append("-D%s=%s" % (k, v))
    return out


def check_compose(src, server_bin):
    path = os.path.join(src, "docker-compose.yml")
    raw = open(path, encoding="utf-8").read()
    src_keys, docs = server_keys(src), doc_keys(src)
    check(len(src_keys) >= 20, "found %d config keys in the server sources" % len(src_keys))
    for scen in compose_scenarios(raw):
        label = ",".join("%s=%s" % kv for kv in sorted(scen.items())) or "defaults"
        comp = yaml.safe_load(interpolate(raw, scen))
        services = comp.get("services", {})
        servers = {n: s for n, s in services.items() if is_server_service(s)}
        check(len(servers) >= 1, "[%s] compose has fl-server services: %s"
              % (label, sorted(servers)))
        active = {n: s for n, s in servers.items()
                  if not s.get("profiles") or scen.get("FL_COORDINATOR_ROLE")}
        cmdlines = {}
        for name, svc in servers.items():
            cmd = svc.get("command") or ["local"]
            cmd = cmd.split() if isinstance(cmd, str) else [str(c) for c in cmd]
            props = env_list(svc).get("FLUSS_PROPERTIES")
            rc, argv, err = run_entrypoint(src, cmd, props)
            if not check(rc == 0 and argv and argv[0] == "/fake/bin/fl-server",
                         "[%s] %s: entrypoint accepts command %s and its FLUSS_PROPERTIES"
                         % (label, name, cmd)):
                print(err)
                continue
            cmdlines[name] = argv
            for k, v in dflags(argv):
                in_src, in_docs = key_accepted(k, src_keys, docs)
                check(in_src and in_docs, "[%s] %s: key %s is read by fl-server%s%s"
                      % (label, name, k, "" if in_src else " -- NOT in the server sources",
                         "" if in_docs else " -- NOT in docs/configuration.md"))
            vals = last_values(argv)
            fmt = vals.get("datalake.format")
            if fmt is not None:
                check(fmt in LAKE_FORMATS, "[%s] %s: datalake.format %s is one the server "
                      "accepts" % (label, name, fmt))
                wh = vals.get("datalake.%s.warehouse" % fmt)
                check(wh is not None, "[%s] %s: datalake.%s.warehouse is set"
                      % (label, name, fmt))
                if wh:
                    check_warehouse_mounts(label, name, svc, services, wh)
        run_services(label, active, cmdlines, server_bin, src)
        check_flink(label, src, services, scen)


def mounts(svc):
    out = []
    for v in svc.get("volumes") or []:
        if isinstance(v, dict):
            out.append((str(v.get("source")), str(v.get("target"))))
        else:
            parts = str(v).split(":")
            out.append((parts[0], parts[1] if len(parts) > 1 else parts[0]))
    return out


def volume_for(svc, path):
    best = None
    for s, t in mounts(svc):
        if path == t or path.startswith(t.rstrip("/") + "/"):
            if best is None or len(t) > len(best[1]):
                best = (s, t)
    return best


def check_warehouse_mounts(label, name, svc, services, wh):
    m = volume_for(svc, wh)
    if not check(m is not None and not m[0].startswith(("/", ".")),
                 "[%s] %s: warehouse %s is on a named volume (%s)" % (label, name, wh, m)):
        return
    for fname, fsvc in services.items():
        if "flink" not in str(fsvc.get("image", "")) or fname == "flink-jars":
            continue
        fm = volume_for(fsvc, wh)
        check(fm == m, "[%s] %s mounts volume %s at %s, where %s writes the warehouse"
              % (label, fname, m[0], m[1], name))


def run_services(label, active, cmdlines, server_bin, src):
    """Start the active fl-server services with their exact keys: coordinators first."""
    tmp = tempfile.mkdtemp(prefix="fl-container-")
    started = []
    try:
        order = sorted(active, key=lambda n: 0 if cmdlines.get(n, ["", "tablet"])[1]
                       != "tablet" else 1)
        coord_port = None
        for name in order:
            if name not in cmdlines:
                continue
            argv = localize(cmdlines[name], server_bin, os.path.join(src, "conf"),
                            os.path.join(tmp, name), coord_port or 1)
            role = argv[1]
            log_path = os.path.join(tmp, name + ".log")
            want = (r"registered with coordinator" if role == "tablet"
                    else r"listening on FLUSS://127\.0\.0\.1:(\d+)")
            s = start_server(name, argv, log_path, want)
            started.append(s)
            text = s.log()
            alive = s.proc.poll() is None
            if not check(alive and re.search(want, text),
                         "[%s] %s: fl-server %s starts with the compose keys" % (label, name,
                                                                                role)):
                print("  argv: %s\n  log:\n%s" % (argv, text[-2000:]))
                continue
            port = free_port_of(text)
            if role != "tablet":
                coord_port = port
            try:
                socket.create_connection(("127.0.0.1", port), timeout=3).close()
                ok("[%s] %s: port %d accepts connections" % (label, name, port))
            except OSError as e:
                fail("[%s] %s: cannot connect to port %s: %s" % (label, name, port, e))
            vals = last_values(argv)
            fmt = vals.get("datalake.format")
            if role == "local" and fmt == "paimon":
                wh = vals.get("datalake.paimon.warehouse")
                check(("lake tiering to paimon under %s" % wh) in text,
                      "[%s] %s: tiers to the configured warehouse %s" % (label, name, wh))
        time.sleep(0.5)
        for s in started:
            text = s.log()
            bad = [l for l in text.splitlines() if re.search(r"\b(WARN|ERROR)\b", l)]
            check(not bad, "[%s] %s: no WARN/ERROR log lines%s" % (label, s.name,
                                                                  "" if not bad else ": %s" % bad))
    finally:
        for s in reversed(started):
            rc = stop_server(s)
            check(rc == 0, "[%s] %s: stops cleanly on SIGTERM (exit %s)" % (label, s.name, rc))
        shutil.rmtree(tmp, ignore_errors=True)


def check_flink(label, src, services, scen):
    flink = {n: s for n, s in services.items() if "flink" in str(s.get("image", ""))}
    for role in ("jobmanager", "taskmanager", "sql-client"):
        check(role in flink, "[%s] Flink service %s exists" % (label, role))
    for n, s in flink.items():
        check(str(s.get("image")).startswith("flink:1.20"), "[%s] %s uses a flink:1.20 image"
              % (label, n))
        for host, _ in mounts(s):
            if host.startswith("./"):
                check(os.path.exists(os.path.join(src, host[2:])), "[%s] %s: mounted %s exists"
                      % (label, n, host))
        ep = s.get("entrypoint") or []
        ep = ep if isinstance(ep, list) else ep.split()
        for part in ep:
            for host, target in mounts(s):
                if host.startswith("./") and part.startswith(target.rstrip("/") + "/"):
                    f = os.path.join(src, host[2:], part[len(target.rstrip("/")) + 1:])
                    check(os.path.isfile(f), "[%s] %s: entrypoint file %s exists"
                          % (label, n, part))
                    if part == ep[0]:
                        check(os.access(f, os.X_OK), "[%s] %s: %s is executable"
                              % (label, n, part))
        if n != "flink-jars" and "FL_LAKE_FORMAT" in env_list(s):
            check(env_list(s)["FL_LAKE_FORMAT"] == scen.get("FL_LAKE_FORMAT", "paimon"),
                  "[%s] %s: FL_LAKE_FORMAT follows the compose variable" % (label, n))
    jm = flink.get("jobmanager", {})
    check(any(str(p).endswith(":8081") for p in jm.get("ports", [])),
          "[%s] jobmanager publishes the Flink web UI" % label)


# ---- 3. Dockerfile --------------------------------------------------------------------------

def dockerfile_stages(src):
    text = open(os.path.join(src, "Dockerfile"), encoding="utf-8").read()
    text = re.sub(r"\\\n", " ", text)
    stages, cur = [], None
    for line in text.splitlines():
        s = line.strip()
        if not s or s.startswith("#"):
            continue
        instr, _, rest = s.partition(" ")
        if instr.upper() == "FROM":
            cur = {"from": rest.split()[0], "name": rest.split()[-1] if " AS " in rest.upper()
                   else "", "lines": []}
            stages.append(cur)
        elif cur is not None:
            cur["lines"].append((instr.upper(), rest))
    return stages


def apt_packages(stage):
    pkgs = []
    for instr, rest in stage["lines"]:
        if instr != "RUN":
            continue
        for m in re.finditer(r"apt-get install ([^&;|]*)", rest):
            pkgs += [w for w in m.group(1).split() if not w.startswith("-")]
    return pkgs


def pkg_of(lib_path):
    real = os.path.realpath(lib_path)
    for cand in (real, lib_path, "*/" + os.path.basename(real)):
        p = subprocess.run(["dpkg", "-S", cand], capture_output=True, text=True)
        if p.returncode == 0 and p.stdout:
            return p.stdout.split(":")[0].strip()
    return None


def check_dockerfile(src, bins):
    stages = dockerfile_stages(src)
    check(len(stages) >= 2, "Dockerfile is multi-stage (%d stages)" % len(stages))
    codename = ""
    for line in open("/etc/os-release"):
        if line.startswith("VERSION_CODENAME="):
            codename = line.split("=", 1)[1].strip().strip('"')
    for st in stages:
        check(st["from"].startswith("debian:") and codename and codename in st["from"],
              "stage %s FROM %s is Debian %s like this machine" % (st["name"], st["from"],
                                                                   codename))
    build, runtime = stages[0], stages[-1]
    bpk, rpk = apt_packages(build), apt_packages(runtime)
    check(bool(bpk) and bool(rpk), "build and runtime stages install packages")
    allp = sorted(set(bpk + rpk))
    r = subprocess.run(["apt-cache", "show", "--no-all-versions"] + allp, capture_output=True,
                       text=True)
    known = set(re.findall(r"^Package: (\S+)$", r.stdout, re.M))
    for p in allp:
        check(p in known, "apt-cache show %s" % p)
    # build list covers install-deps.sh's build + library packages
    deps = open(os.path.join(src, "scripts/install-deps.sh"), encoding="utf-8").read()
    m = re.search(r"PACKAGES=\((.*?)\n\)", deps, re.S)
    wanted = []
    if m:
        for line in m.group(1).splitlines():
            line = line.split("#")[0]
            wanted += line.split()
    not_for_image = {"openjdk-17-jdk-headless", "maven", "python3", "procps", "rocksdb-tools"}
    missing = [p for p in wanted if p not in not_for_image and p not in bpk]
    check(bool(wanted) and not missing, "build stage installs install-deps.sh's build and "
          "library packages (missing: %s)" % missing)
    # runtime list covers every shared library of the binaries
    sanitizer = re.compile(r"^lib(asan|ubsan|lsan|tsan)\d*$")
    for b in bins:
        out = subprocess.run(["ldd", b], capture_output=True, text=True).stdout
        for line in out.splitlines():
            mm = re.match(r"\s*(\S+) => (/\S+)", line)
            if not mm:
                continue
            pkg = pkg_of(mm.group(2))
            if pkg and sanitizer.match(pkg):
                continue  # a sanitizer build's runtime; the image is built without them
            check(pkg is not None and (pkg in rpk or pkg == "libc6"),
                  "%s: %s comes from %s, installed in the runtime stage"
                  % (os.path.basename(b), mm.group(1), pkg))
    # COPY sources from the context exist
    for st in stages:
        for instr, rest in st["lines"]:
            if instr == "COPY" and "--from" not in rest:
                for srcpath in rest.split()[:-1]:
                    check(srcpath == "." or os.path.exists(os.path.join(src, srcpath)),
                          "COPY source %s exists" % srcpath)
    exposed = [r for i, r in runtime["lines"] if i == "EXPOSE"]
    check(any("9123" in e.split() for e in exposed), "runtime stage exposes 9123")
    users = [r for i, r in runtime["lines"] if i == "USER"]
    check(bool(users) and users[-1] not in ("root", "0"), "runtime runs as a non-root user")
    eps = [r for i, r in runtime["lines"] if i == "ENTRYPOINT"]
    check(bool(eps) and "/docker-entrypoint.sh" in eps[-1], "ENTRYPOINT is the entrypoint")


def main():
    ap = argparse.ArgumentParser()
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--source-dir", default=os.path.dirname(os.path.dirname(here)))
    ap.add_argument("--server-bin", required=True)
    ap.add_argument("--admin-bin", default=None)
    a = ap.parse_args()
    src = os.path.abspath(a.source_dir)
    bins = [a.server_bin] + ([a.admin_bin] if a.admin_bin else [])
    check_entrypoint(src)
    check_compose(src, os.path.abspath(a.server_bin))
    check_dockerfile(src, bins)
    print("check_container: %d failure(s)" % len(FAILS))
    return 1 if FAILS else 0


if __name__ == "__main__":
    sys.exit(main())
