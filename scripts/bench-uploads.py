#!/usr/bin/env python3
"""The upload benchmark's halves, called by `scripts/bench uploads` (docs/benchmarks.md).

  bench-uploads.py prepare DB                  before the server starts: the demo firm (Smith
                                               Solicitors) put on record for a demo case
  bench-uploads.py measure DB PORT PID STORE   with the server running: the figures below
  bench-uploads.py scan DB PORT PID            with clamd scanning: how long the check takes

`measure` signs the demo administrator in, then for 100 MiB and 1 GiB:
  - a raw loopback copy of the same bytes in the same run: this script's sender to a sink
    process that reads and discards them (the ceiling for any HTTP upload on this machine), and
    to a sink that writes them to a file beside the store and syncs it;
  - the same bytes through the no-JavaScript form (`POST /cases/{id}/upload`, one multipart
    request) and through the upload panel's protocol (tus: create, then one PATCH), each timed
    from the first byte to the answer that carries the receipt (the document is then stored,
    hashed, checked and recorded);
  - the server's peak RSS growth during each upload: the kernel's high-water mark (VmHWM) reset
    before it (`/proc/PID/clear_refs`) and read after it, less the RSS before it;
then 20 uploads of 50 MiB at once through tus: the total throughput and the peak RSS growth.
Every document is checked afterwards: its SHA-256 in the database is the one sent.
"""
import hashlib, http.client, os, re, socket, sqlite3, subprocess, sys, threading, time
import base64, urllib.parse

sys.dont_write_bytecode = True  # no __pycache__ in the checkout
sys.path.insert(0, os.path.dirname(__file__))
from importlib import import_module

cases = import_module("bench-cases")  # sign_in and the demo accounts

MiB = 1 << 20
CHUNK = 1 * MiB


def block(seed):
    """1 MiB of bytes that read as a PDF from the start (the content check needs `%PDF-` in the
    first KiB); the rest pseudo-random, so nothing compresses or deduplicates."""
    out = bytearray(b"%PDF-1.7\n%bench\n")
    h = hashlib.sha256(seed).digest()
    while len(out) < CHUNK:
        h = hashlib.sha256(h).digest()
        out += h * 64
    return bytes(out[:CHUNK])


FIRST, REST = block(b"first"), block(b"rest")


def chunks(size):
    """The document's bytes, 1 MiB at a time: FIRST, then REST over and over."""
    sent = 0
    while sent < size:
        part = FIRST if sent == 0 else REST
        n = min(CHUNK, size - sent)
        yield part if n == CHUNK else part[:n]
        sent += n


def digest(size):
    h = hashlib.sha256()
    for c in chunks(size):
        h.update(c)
    return h.hexdigest()


def prepare(path):
    db = sqlite3.connect(path)
    org = db.execute(
        "SELECT organisation_id FROM users WHERE email = ?", (cases.DEMO_ADMIN,)).fetchone()[0]
    case_id = db.execute("SELECT id FROM cases ORDER BY urn LIMIT 1").fetchone()[0]
    now = int(time.time())
    db.execute(
        "INSERT INTO associations (defendant_id, case_id, organisation_id, nature, laa_account, "
        "associated_by, associated_at) SELECT id, case_id, ?, 'private', NULL, NULL, ? "
        "FROM defendants WHERE case_id = ?", (org, now, case_id))
    db.commit()


def target(path):
    db = sqlite3.connect(path)
    org = db.execute(
        "SELECT organisation_id FROM users WHERE email = ?", (cases.DEMO_ADMIN,)).fetchone()[0]
    return db.execute(
        "SELECT case_id, defendant_id FROM associations WHERE organisation_id = ? "
        "ORDER BY case_id, defendant_id LIMIT 1", (org,)).fetchone()


# ---- the server's memory ----

def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        s = f.read()
    return (int(re.search(r"VmRSS:\s+(\d+)", s).group(1)),
            int(re.search(r"VmHWM:\s+(\d+)", s).group(1)))


class Peak:
    """The server's peak RSS growth over a `with` block (VmHWM reset at the start)."""

    def __init__(self, pid):
        self.pid = pid

    def __enter__(self):
        with open(f"/proc/{self.pid}/clear_refs", "w") as f:
            f.write("5")  # resets VmHWM to the current RSS
        self.before = rss_kib(self.pid)[0]
        return self

    def __exit__(self, *exc):
        self.growth_mib = (rss_kib(self.pid)[1] - self.before) / 1024
        return False


# ---- raw loopback copies ----

SINK = r"""
import os, socket, sys
to_file = sys.argv[1]
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(1)
print(s.getsockname()[1], flush=True)
c, _ = s.accept()
buf = bytearray(1 << 20); view = memoryview(buf)
out = open(to_file, "wb", buffering=0) if to_file != "-" else None
while True:
    n = c.recv_into(buf)
    if not n:
        break
    if out:
        out.write(view[:n])
if out:
    os.fsync(out.fileno()); out.close(); os.unlink(to_file)
c.sendall(b"k"); c.close()
"""


def raw_copy(size, to_file="-"):
    """Seconds to send `size` bytes over loopback to a sink process (and, with a file, for the
    sink to write and sync them)."""
    sink = subprocess.Popen([sys.executable, "-c", SINK, to_file], stdout=subprocess.PIPE,
                            text=True)
    port = int(sink.stdout.readline())
    s = socket.create_connection(("127.0.0.1", port))
    t = time.perf_counter()
    for c in chunks(size):
        s.sendall(c)
    s.shutdown(socket.SHUT_WR)
    assert s.recv(1) == b"k"
    secs = time.perf_counter() - t
    s.close()
    sink.wait()
    return secs


# ---- uploads ----

class Client:
    def __init__(self, port, cookie, case_id, defendant_id):
        self.port, self.cookie = port, cookie
        self.case_id, self.defendant_id = case_id, defendant_id
        self.origin = f"http://127.0.0.1:{port}"

    def headers(self):
        return {"Origin": self.origin, "Cookie": f"__Host-session={self.cookie}"}

    def form(self, size, title):
        """The no-JavaScript form: one multipart request. The receipt's reference."""
        boundary = "bench" + os.urandom(8).hex()
        fields = {"defendant": self.defendant_id, "section": "statements", "title": title}
        head = b"".join(
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
            .encode() for k, v in fields.items())
        head += (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
                 f"filename=\"{title}.pdf\"\r\nContent-Type: application/pdf\r\n\r\n").encode()
        tail = f"\r\n--{boundary}--\r\n".encode()
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=600)
        conn.putrequest("POST", f"/cases/{self.case_id}/upload")
        for k, v in self.headers().items():
            conn.putheader(k, v)
        conn.putheader("Content-Type", f"multipart/form-data; boundary={boundary}")
        conn.putheader("Content-Length", str(len(head) + size + len(tail)))
        conn.endheaders()
        conn.send(head)
        for c in chunks(size):
            conn.send(c)
        conn.send(tail)
        r = conn.getresponse()
        r.read()
        loc = r.getheader("Location") or ""
        m = re.search(r"/receipts/([A-Z0-9-]+)$", loc)
        if r.status != 303 or not m:
            sys.exit(f"form upload: {r.status} {loc}")
        return m.group(1)

    def tus(self, size, title):
        """The upload panel's way: create, then the whole file in one PATCH. The receipt."""
        meta = ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in {
            "filename": f"{title}.pdf", "title": title, "section": "statements",
            "defendant": self.defendant_id, "send_to_cps": "no"}.items())
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=600)
        conn.request("POST", f"/cases/{self.case_id}/uploads", headers={
            **self.headers(), "Tus-Resumable": "1.0.0", "Upload-Length": str(size),
            "Upload-Metadata": meta})
        r = conn.getresponse()
        r.read()
        if r.status != 201:
            sys.exit(f"tus create: {r.status}")
        url = r.getheader("Location")
        conn.putrequest("PATCH", url)
        for k, v in {**self.headers(), "Tus-Resumable": "1.0.0", "Upload-Offset": "0",
                     "Content-Type": "application/offset+octet-stream",
                     "Content-Length": str(size)}.items():
            conn.putheader(k, v)
        conn.endheaders()
        for c in chunks(size):
            conn.send(c)
        r = conn.getresponse()
        r.read()
        receipt = r.getheader("Upload-Receipt")
        if r.status != 204 or not receipt:
            sys.exit(f"tus append: {r.status}")
        return receipt


def stored(db_path, receipt):
    db = sqlite3.connect(db_path)
    return db.execute("SELECT sha256, size, status FROM material WHERE receipt = ?",
                      (receipt,)).fetchone()


def check(db_path, receipt, size):
    sha, n, _ = stored(db_path, receipt)
    if sha != digest(size) or n != size:
        sys.exit(f"{receipt}: stored {n} bytes with SHA-256 {sha}, not what was sent")


def measure(db_path, port, pid, store):
    case_id, defendant_id = target(db_path)
    client = Client(port, cases.sign_in(port, cases.DEMO_ADMIN), case_id, defendant_id)
    data_dir = os.path.dirname(db_path)
    print(f"## Uploads on the {store} store")
    print("size | raw copy MB/s | raw to file + fsync MB/s | way | MB/s | ratio to raw copy "
          "| ratio to raw to file | peak RSS growth MiB")
    for size in (100 * MiB, 1024 * MiB):
        raw = size / raw_copy(size) / 1e6
        raw_file = size / raw_copy(size, os.path.join(data_dir, "raw-copy")) / 1e6
        for way in ("form", "tus"):
            with Peak(pid) as p:
                t = time.perf_counter()
                receipt = getattr(client, way)(size, f"bench {way} {size >> 20}")
                secs = time.perf_counter() - t
            check(db_path, receipt, size)
            rate = size / secs / 1e6
            print(f"{size >> 20} MiB | {raw:.0f} | {raw_file:.0f} | {way} | {rate:.0f} | "
                  f"{rate / raw:.2f} | {rate / raw_file:.2f} | {p.growth_mib:.1f}", flush=True)
    # 20 at once, 50 MiB each, through tus, each its own connection and session.
    n, size = 20, 50 * MiB
    receipts, errors = [], []

    def one(i):
        try:
            receipts.append(client.tus(size, f"bench concurrent {i}"))
        except SystemExit as e:
            errors.append(str(e))

    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    with Peak(pid) as p:
        t = time.perf_counter()
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        secs = time.perf_counter() - t
    if errors:
        sys.exit(f"concurrent uploads: {errors}")
    for r in receipts:
        check(db_path, r, size)
    print(f"{n} × {size >> 20} MiB at once (tus): {n * size / secs / 1e6:.0f} MB/s in all, "
          f"{secs:.1f} s, peak RSS growth {p.growth_mib:.1f} MiB", flush=True)


def scan(db_path, port, pid):
    case_id, defendant_id = target(db_path)
    client = Client(port, cases.sign_in(port, cases.DEMO_ADMIN), case_id, defendant_id)
    print("## Scanning (clamd, INSTREAM, EICAR-only signature database)")
    print("size | upload MB/s | served to clean s | scan MB/s | peak RSS growth MiB")
    for size in (100 * MiB, 1024 * MiB):
        with Peak(pid) as p:
            t = time.perf_counter()
            receipt = client.tus(size, f"bench scanned {size >> 20}")
            up = time.perf_counter() - t
            while True:
                status = stored(db_path, receipt)[2]
                if status != "scanning":
                    break
                time.sleep(0.05)
            secs = time.perf_counter() - t - up
        if status != "clean":
            sys.exit(f"{receipt}: {status}, not clean")
        check(db_path, receipt, size)
        # The scan pass runs every 2 s: up to 2 s of the wait is the pass's interval.
        print(f"{size >> 20} MiB | {size / up / 1e6:.0f} | {secs:.1f} | "
              f"{size / secs / 1e6:.0f} | {p.growth_mib:.1f}", flush=True)


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "prepare":
        prepare(sys.argv[2])
    elif cmd == "measure":
        measure(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5])
    elif cmd == "scan":
        scan(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    else:
        sys.exit(__doc__)
