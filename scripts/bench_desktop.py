#!/usr/bin/python3
"""The desktop footprint benchmark's measurements (run by scripts/bench-desktop, which provides
the X display, the D-Bus session and the Secret Service, and builds the binaries). Prints the
figures and a Markdown table; exits non-zero only when something could not be measured."""

import glob
import json
import os
import shutil
import socket
import statistics
import subprocess
import tempfile
import time
import urllib.request

APP = os.environ["BENCH_APP"]
BARE = os.environ["BENCH_BARE"]
SERVER = os.environ["BENCH_SERVER"]
DATA = os.path.join(os.environ["XDG_DATA_HOME"], "chat.confab.desktop")
PASSWORD = "office-pass-42"  # must not contain the user names
SETTLE = 8  # seconds after the first frame before measuring, for start-up work to finish
WAIT = 60  # longest wait for anything


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(base, method, path, token=None, body=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(base + path, data=data, method=method)
    request.add_header("content-type", "application/json")
    if token:
        request.add_header("authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=10) as response:
        text = response.read()
        return json.loads(text) if text else None


def wait_until(check, what):
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise SystemExit(f"timed out waiting for {what}")


def healthy(base):
    try:
        return http(base, "GET", "/api/health")["service"] == "confab"
    except OSError:
        return False


def tree(pid):
    """`pid` and all its descendants."""
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    parents.setdefault(int(f.read().rsplit(")", 1)[1].split()[1]), []).append(int(entry))
            except OSError:
                pass
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        found.append(p)
        todo.extend(parents.get(p, []))
    return found


def pss_mib(pid):
    total = 0
    for p in tree(pid):
        try:
            with open(f"/proc/{p}/smaps_rollup") as f:
                for line in f:
                    if line.startswith("Pss:"):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


def cpu_seconds(pid):
    """User and system CPU time of `pid` and its descendants so far, in seconds: what a memory
    setting that makes WebKit work more often costs."""
    ticks = 0
    for p in tree(pid):
        try:
            with open(f"/proc/{p}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])
        except OSError:
            pass
    return ticks / os.sysconf("SC_CLK_TCK")


def pss_by_process(pid):
    """PSS in MiB of each process in the tree, by name: which one dominates."""
    out = {}
    for p in tree(pid):
        try:
            with open(f"/proc/{p}/comm") as f:
                name = f.read().strip()
            with open(f"/proc/{p}/smaps_rollup") as f:
                kib = sum(int(line.split()[1]) for line in f if line.startswith("Pss:"))
            out[name] = round(out.get(name, 0) + kib / 1024, 1)
        except OSError:
            pass
    return out


def smaps_kinds(pid):
    """PSS in MiB of the process `pid` by kind of mapping: where a process's memory goes."""
    kinds = {}
    kind = None
    try:
        with open(f"/proc/{pid}/smaps") as f:
            for line in f:
                head = line.split(None, 5)
                if len(head) >= 5 and "-" in head[0] and not head[0].endswith(":"):
                    path = head[5].strip() if len(head) > 5 else ""
                    if path == "[heap]" or path == "":
                        kind = "anonymous (heaps: JS, DOM, styles, malloc)"
                    elif path.startswith("/usr/share/fonts") or path.endswith((".ttf", ".ttc", ".otf")):
                        kind = "fonts: " + os.path.basename(path)
                    elif "/dri/" in path or "libLLVM" in path or "libgallium" in path or "mesa" in path.lower():
                        kind = "GL drivers (Mesa)"
                    elif path.startswith(("/memfd:", "/dev/shm", "/dev/dri", "anon_inode")) or "(deleted)" in path:
                        kind = "shared buffers (memfd, shm, dma-buf)"
                    elif ".so" in path:
                        # BENCH_LIBRARIES=1: each library on its own line, to see which the page uses.
                        kind = ("library: " + os.path.basename(path) if os.environ.get("BENCH_LIBRARIES")
                                else "libraries (code and data)")
                    elif os.path.realpath(path) in (os.path.realpath(APP), os.path.realpath(BARE)):
                        kind = "the app's own binary (code and data)"
                    elif path.startswith("["):
                        kind = path
                    else:
                        kind = "other files"
                elif line.startswith("Pss:") and kind:
                    kinds[kind] = kinds.get(kind, 0) + int(line.split()[1]) / 1024
    except OSError:
        pass
    return {k: round(v, 1) for k, v in sorted(kinds.items(), key=lambda kv: -kv[1]) if v >= 0.1}


def kinds_by_process(pid):
    """smaps_kinds of each process in the tree of `pid`, by name: the app's own process (named
    "app"), WebKitWebProcess ("web") and WebKitNetworkProcess ("network")."""
    out = {}
    for p in tree(pid):
        try:
            with open(f"/proc/{p}/comm") as f:
                name = f.read().strip()  # at most 15 characters
        except OSError:
            continue
        role = "web" if name.startswith("WebKitWebProc") else "network" if name.startswith("WebKitNetwork") else "app"
        out[role] = smaps_kinds(p)
    return out


def drawn_window(title):
    """The id of a visible window titled `title` whose contents are not one flat colour."""
    found = subprocess.run(["xdotool", "search", "--onlyvisible", "--name", title], capture_output=True, text=True)
    for wid in found.stdout.split():
        shot = subprocess.run(["import", "-window", wid, "png:-"], capture_output=True)
        # The screenshot is bytes, so no text mode here.
        colours = subprocess.run(["identify", "-format", "%k", "png:-"], input=shot.stdout, capture_output=True)
        count = colours.stdout.decode(errors="replace").strip()
        if shot.returncode == 0 and count.isdigit() and int(count) > 1:
            return wid
    return None


def launch(command, title):
    """Starts `command`; returns the process and the seconds to its first drawn frame."""
    start = time.monotonic()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_until(lambda: drawn_window(title), f"the first frame of {title}")
    return process, time.monotonic() - start


def strangers(pid):
    """WebKit processes on the machine outside the tree of `pid` (other people's apps and tests):
    they share the libraries' pages, so each process's PSS of them shrinks while they run."""
    mine = set(tree(pid))
    count = 0
    for entry in os.listdir("/proc"):
        if entry.isdigit() and int(entry) not in mine:
            try:
                with open(f"/proc/{entry}/comm") as f:
                    count += f.read().startswith(("WebKitWebProc", "WebKitNetwork"))
            except OSError:
                pass
    return count


STRANGERS = []


def measure(process):
    time.sleep(SETTLE)
    samples = []
    for _ in range(3):
        samples.append(pss_mib(process.pid))
        STRANGERS.append(strangers(process.pid))
        time.sleep(1)
    return statistics.median(samples)


def stop(process):
    pids = tree(process.pid)
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    for p in pids[1:]:
        try:
            os.kill(p, 9)
        except OSError:
            pass
    time.sleep(1)


def write_settings(settings):
    os.makedirs(DATA, exist_ok=True)
    with open(os.path.join(DATA, "settings.json"), "w") as f:
        json.dump({"settings": {"version": 1, **settings}}, f)


def fresh_app_data():
    shutil.rmtree(DATA, ignore_errors=True)


def busy_server():
    """A confab-server with one user and 1,000 messages in their first room."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    data = tempfile.mkdtemp()
    server = subprocess.Popen([SERVER, "--bind", f"127.0.0.1:{port}", "--data-dir", data, "--rate-limits", "off"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_until(lambda: healthy(base), "confab-server")
    me = http(base, "POST", "/api/auth/register", body={"username": "bench", "password": PASSWORD})
    room = http(base, "GET", "/api/rooms", token=me["token"])["rooms"][0]["id"]
    for i in range(1000):
        http(base, "POST", f"/api/rooms/{room}/messages", token=me["token"],
             body={"content": f"Message {i + 1} of the busy room: the quarterly numbers, lunch plans and a link or two."})
    return server, base, me["token"], data


CLIENTS = r"""
// `node -e SCRIPT ARGS…`: the arguments follow the node binary directly.
const [base, rate, seconds, ...tokens] = process.argv.slice(1);
const sockets = [];
let sent = 0;
for (const token of tokens) {
  const socket = new WebSocket(base.replace('http', 'ws') + '/ws');
  socket.addEventListener('open', () => socket.send(JSON.stringify({ event: 'auth', data: { token } })));
  socket.addEventListener('message', (m) => {
    const frame = JSON.parse(m.data);
    if (frame.event === 'ready') {
      const room = frame.data.rooms[0].id;
      // Office rates: each person says something every `rate` seconds, at staggered times.
      setTimeout(() => setInterval(() => {
        socket.send(JSON.stringify({ event: 'send_message', data: { room_id: room, content: `note ${++sent}` }, ref: String(sent) }));
      }, rate * 1000), Math.random() * rate * 1000);
    }
  });
  sockets.push(socket);
}
setTimeout(() => { console.log(`sent ${sent}`); process.exit(0); }, seconds * 1000);
"""


def main():
    results = {}

    # (a) the bare window
    fresh_app_data()
    bare, results["bare_start_s"] = launch([BARE], "^Bare window$")
    results["bare_mib"] = measure(bare)
    results["bare_cpu_s"] = cpu_seconds(bare.pid)
    results["bare_processes"] = pss_by_process(bare.pid)
    results["bare_kinds"] = kinds_by_process(bare.pid)
    stop(bare)

    # (b) signed in, busy room open
    server, base, token, data = busy_server()
    fresh_app_data()
    write_settings({"mode": "remote", "server_url": base, "recent_servers": [base], "sessions": {base: token}})
    app, results["confab_start_s"] = launch([APP], "^Confab")
    results["confab_mib"] = measure(app)
    results["confab_cpu_s"] = cpu_seconds(app.pid)
    results["confab_processes"] = pss_by_process(app.pid)
    results["confab_kinds"] = kinds_by_process(app.pid)
    stop(app)
    server.terminate()
    server.wait()
    shutil.rmtree(data, ignore_errors=True)

    # (c) hosting with 50 connected clients at office rates
    fresh_app_data()
    port = free_port()
    host = f"http://127.0.0.1:{port}"
    # The accounts are made beforehand by confab-server on the app's own server data folder, with
    # rate limits off: the built-in server, rightly, admits only a few registrations per address.
    seeder = subprocess.Popen([SERVER, "--bind", f"127.0.0.1:{port}", "--data-dir", os.path.join(DATA, "server"),
                               "--rate-limits", "off"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_until(lambda: healthy(host), "confab-server on the app's data folder")
    owner = http(host, "POST", "/api/auth/register", body={"username": "host", "password": PASSWORD})["token"]
    tokens = [http(host, "POST", "/api/auth/register", body={"username": f"colleague{i}", "password": PASSWORD})["token"]
              for i in range(50)]
    seeder.terminate()
    seeder.wait()
    write_settings({"mode": "host", "host": {"port": port, "lan": False}, "sessions": {host: owner}})
    app, _ = launch([APP], "^Confab")
    wait_until(lambda: healthy(host), "the built-in server again")
    load_seconds = SETTLE + 20
    rate = os.environ.get("BENCH_CLIENT_RATE", "10")  # seconds between one colleague's messages
    clients = subprocess.Popen(["node", "--experimental-websocket", "-e", CLIENTS, host, rate, str(load_seconds), *tokens],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    time.sleep(10)  # everyone connected and talking
    results["hosting_mib"] = measure(app)
    results["hosting_cpu_s"] = cpu_seconds(app.pid)
    results["hosting_processes"] = pss_by_process(app.pid)
    results["hosting_kinds"] = kinds_by_process(app.pid)
    results["hosting_sent"] = clients.communicate(timeout=WAIT)[0].strip()
    stop(app)

    # Installed size of the .deb, when scripts/check-packaging built one.
    target = os.environ.get("BENCH_TARGET", "target")
    debs = sorted(glob.glob(os.path.join(target, "*", "bundle", "deb", "*.deb")), key=os.path.getmtime)
    if debs:
        control = subprocess.run(["dpkg-deb", "-f", debs[-1], "Installed-Size"], capture_output=True, text=True)
        results["installed_kib"] = control.stdout.strip()
        results["deb"] = debs[-1]

    a, b, c = results["bare_mib"], results["confab_mib"], results["hosting_mib"]
    print(json.dumps(results, indent=2))
    print()
    print(f"Build: {os.environ.get('BENCH_PROFILE', 'debug')}")
    if max(STRANGERS):
        print(f"WARNING: up to {max(STRANGERS)} other WebKit processes ran while measuring: the shared "
              "libraries' PSS was split with them, so these figures are low and the ratios unreliable.")
    print("| measure | figure | ratio to the bare window |")
    print("|---|---|---|")
    print(f"| (a) bare Tauri 2 window, PSS | {a:.1f} MiB | 1.00 |")
    print(f"| (b) Confab signed in, room of 1,000 messages, PSS | {b:.1f} MiB | {b / a:.2f} |")
    print(f"| (c) Confab hosting, 50 clients at one message / 10 s each, PSS | {c:.1f} MiB | {c / a:.2f} |")
    print(f"| cold start to first drawn frame, bare | {results['bare_start_s']:.2f} s | 1.00 |")
    print(f"| cold start to first drawn frame, Confab (b) | {results['confab_start_s']:.2f} s | "
          f"{results['confab_start_s'] / results['bare_start_s']:.2f} |")
    print(f"| CPU time of the tree until measured, (a) / (b) / (c) | {results['bare_cpu_s']:.1f} / "
          f"{results['confab_cpu_s']:.1f} / {results['hosting_cpu_s']:.1f} s | |")
    if "installed_kib" in results:
        print(f"| installed size (.deb Installed-Size) | {int(results['installed_kib']) / 1024:.1f} MiB | |")
    print()
    print("| where the PSS goes (MiB) | (a) bare | (b) Confab | (c) hosting |")
    print("|---|---|---|---|")
    scenes = [results["bare_kinds"], results["confab_kinds"], results["hosting_kinds"]]
    for role in ("app", "web", "network"):
        kinds = []
        for scene in scenes:
            kinds += [k for k in scene.get(role, {}) if k not in kinds]
        for kind in kinds:
            figures = [scene.get(role, {}).get(kind, 0.0) for scene in scenes]
            if max(figures) >= 0.5:
                print(f"| {role}: {kind} | " + " | ".join(f"{f:.1f}" for f in figures) + " |")


if __name__ == "__main__":
    main()
