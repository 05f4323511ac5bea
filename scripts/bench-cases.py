#!/usr/bin/env python3
"""The cases benchmark's two halves, called by `scripts/bench cases` (docs/benchmarks.md).

  bench-cases.py prepare DB          before the server starts: bench firms, users, associations
  bench-cases.py measure DB PORT S   with the server running: sign in, then wrk each address S s

`prepare` copies the demo firm (Smith Solicitors) into FIRMS bench firms with USERS_PER_FIRM
users each (the demo password and authenticator key), and puts each firm on record for
CASES_PER_FIRM cases picked at random, so `/cases` searches a firm's list of realistic size.
`measure` signs every bench user in over HTTP, then runs wrk at 64 connections against each
address in turn, every connection as a different signed-in user: /healthz, /cases/find (reads
nothing but the session), /account, /cases?q= (a firm's cases by a defendant's surname or a
URN's start) and POST /cases/find with a matching URN and every defendant's name and date of
birth (the declaration recorded, the attempt audited). Finds are spread over the firms because
a firm's find allowance counts attempts in flight. Requests that do not get the expected status
are counted and shown; any makes the run fail.
"""
import base64, hashlib, hmac, http.client, os, random, re, sqlite3, struct, subprocess, sys
import tempfile, time, urllib.parse, uuid

FIRMS, USERS_PER_FIRM, CASES_PER_FIRM, FIND_TARGETS = 8, 8, 150, 4096
PASSWORD = "harbour ledger winter 42"  # the published demo password (app/src/accounts/demo.rs)
KEY = base64.b32decode("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")  # demo::TOTP_SECRET
DEMO_ADMIN = "admin@smith-solicitors.example"


def prepare(path):
    db = sqlite3.connect(path)
    db.row_factory = sqlite3.Row
    hash_, org = db.execute(
        "SELECT password_hash, organisation_id FROM users WHERE email = ?", (DEMO_ADMIN,)
    ).fetchone()
    template = dict(db.execute("SELECT * FROM organisations WHERE id = ?", (org,)).fetchone())
    now = int(time.time())
    total = db.execute("SELECT MAX(rowid) FROM cases").fetchone()[0]
    rng = random.Random(2026)
    picked = iter(rng.sample(range(1, total + 1), FIRMS * CASES_PER_FIRM))
    for f in range(FIRMS):
        firm = dict(template, id=str(uuid.uuid4()), name=f"Bench Firm {f + 1} LLP",
                    accountable_user_id=None, accountable_pending_id=None,
                    accountable_pending_at=None, created_at=now)
        cols = ", ".join(firm)
        db.execute(f"INSERT INTO organisations ({cols}) VALUES ({', '.join('?' * len(firm))})",
                   list(firm.values()))
        db.executemany(
            "INSERT INTO users (id, organisation_id, email, first_name, last_name, roles, "
            "status, password_hash, totp_secret, created_at, last_active_at) "
            "VALUES (?, ?, ?, 'Bench', 'User', 'user', 'active', ?, ?, ?, ?)",
            [(str(uuid.uuid4()), firm["id"], f"bench-{f + 1}-{u + 1}@bench.example", hash_,
              "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", now, now) for u in range(USERS_PER_FIRM)])
        for _ in range(CASES_PER_FIRM):
            case_id = db.execute("SELECT id FROM cases WHERE rowid = ?",
                                 (next(picked),)).fetchone()[0]
            db.execute(
                "INSERT INTO associations (defendant_id, case_id, organisation_id, nature, "
                "laa_account, associated_by, associated_at) "
                "SELECT id, case_id, ?, 'private', NULL, NULL, ? FROM defendants "
                "WHERE case_id = ?", (firm["id"], now, case_id))
    db.commit()


def code(now):
    """The RFC 6238 code (SHA-1, 6 digits, 30 s) for the server's clock (the same real clock)."""
    mac = hmac.new(KEY, struct.pack(">Q", int(now) // 30), hashlib.sha1).digest()
    o = mac[-1] & 15
    return f"{(struct.unpack('>I', mac[o:o + 4])[0] & 0x7FFFFFFF) % 1_000_000:06d}"


def sign_in(port, email):
    """Signs `email` in (password, then the authenticator code) and returns the session."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    origin = f"http://127.0.0.1:{port}"

    def post(path, fields, cookie=None):
        headers = {"Origin": origin, "Content-Type": "application/x-www-form-urlencoded"}
        if cookie:
            headers["Cookie"] = f"__Host-session={cookie}"
        conn.request("POST", path, urllib.parse.urlencode(fields), headers)
        r = conn.getresponse()
        r.read()
        return r

    r = post("/sign-in", {"email": email, "password": PASSWORD})
    m = re.match(r"__Host-session=([^;]+)", r.getheader("Set-Cookie") or "")
    if r.status != 303 or r.getheader("Location") != "/sign-in/verify" or not m:
        sys.exit(f"sign-in of {email}: {r.status} {r.getheader('Location')}")
    r = post("/sign-in/verify", {"code": code(time.time())}, m.group(1))
    if r.status == 200:  # this code was used already (a run moments ago): wait for the next
        time.sleep(30 - time.time() % 30 + 0.5)
        r = post("/sign-in/verify", {"code": code(time.time())}, m.group(1))
    # The session gets a new token when it is fully signed in.
    m = re.match(r"__Host-session=([^;]+)", r.getheader("Set-Cookie") or "")
    if r.status != 303 or r.getheader("Location") != "/cases" or not m:
        sys.exit(f"sign-in code of {email}: {r.status} {r.getheader('Location')}")
    return m.group(1)


# Each wrk thread takes every THREADS-th line of the file (cookie, path, body), so each of its
# connections is a different user, and cycles through them; statuses other than the expected
# one are counted per thread and added up at the end.
LUA = r"""
local threads, next_id = {}, 0
function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end
function init(args)
  local file, nthreads, method = args[1], tonumber(args[2]), args[3]
  expected, bad = tonumber(args[4]), 0
  reqs = {}
  local i = 0
  for line in io.lines(file) do
    if i % nthreads == id then
      local cookie, path, body = line:match("^([^\t]*)\t([^\t]*)\t(.*)$")
      local headers = { Origin = args[5] }
      if cookie ~= "" then headers["Cookie"] = "__Host-session=" .. cookie end
      if body == "" then body = nil else
        headers["Content-Type"] = "application/x-www-form-urlencoded"
      end
      table.insert(reqs, wrk.format(method, path, headers, body))
    end
    i = i + 1
  end
  n = 0
end
function request()
  n = n % #reqs + 1
  return reqs[n]
end
function response(status, headers, body)
  if status ~= expected then bad = bad + 1 end
end
function done(summary, latency, requests)
  local total = 0
  for _, t in ipairs(threads) do total = total + t:get("bad") end
  io.write(string.format("BAD %d\n", total))
end
"""


def wrk(port, secs, lines, method, expected, work):
    """wrk -t2 -c64 over `lines`; returns (requests/s, p50 ms, p99 ms, unexpected statuses)."""
    data = os.path.join(work, "requests.tsv")
    with open(data, "w") as f:
        f.writelines(f"{c}\t{p}\t{b}\n" for c, p, b in lines)
    script = os.path.join(work, "rotate.lua")
    with open(script, "w") as f:
        f.write(LUA)
    origin = f"http://127.0.0.1:{port}"
    out = subprocess.run(
        ["wrk", "-t2", "-c64", f"-d{secs}s", "--latency", "-s", script, origin, "--",
         data, "2", method, str(expected), origin],
        capture_output=True, text=True, check=True).stdout

    def ms(pct):
        value, unit = re.search(rf"^\s*{pct}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M).groups()
        return float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    bad = int(re.search(r"^BAD (\d+)$", out, re.M).group(1))
    errors = re.search(r"Socket errors:.*", out)
    return rps, ms(50), ms(99), bad + (1 if errors else 0)


def measure(path, port, secs):
    db = sqlite3.connect(path)
    firms = [r[0] for r in db.execute(
        "SELECT id FROM organisations WHERE name LIKE 'Bench Firm %' ORDER BY name")]
    users = []  # (firm, email), interleaved so neighbouring lines are different firms
    for u in range(USERS_PER_FIRM):
        for f in range(len(firms)):
            users.append((firms[f], f"bench-{f + 1}-{u + 1}@bench.example"))
    cookies = [(firm, sign_in(port, email)) for firm, email in users]

    # Searches: a defendant's surname or the first six characters of a URN, from the firm's
    # own cases (what a user looks for), each firm's users searching their own list.
    searches = {}
    for firm in firms:
        rows = db.execute(
            "SELECT c.urn, d.last_name FROM associations a JOIN cases c ON c.id = a.case_id "
            "JOIN defendants d ON d.id = a.defendant_id WHERE a.organisation_id = ?",
            (firm,)).fetchall()
        searches[firm] = [u[:6] if i % 2 else (l or u[:6]) for i, (u, l) in enumerate(rows)]
    # Finds: random cases anywhere in the service, every defendant typed as a user would.
    total = db.execute("SELECT MAX(rowid) FROM cases").fetchone()[0]
    rng = random.Random(7)
    bodies = []
    for rowid in rng.sample(range(1, total + 1), min(FIND_TARGETS, total)):
        urn, case_id = db.execute("SELECT urn, id FROM cases WHERE rowid = ?",
                                  (rowid,)).fetchone()
        fields = [("urn", urn)]
        defendants = db.execute(
            "SELECT kind, first_name, last_name, date_of_birth, company_name FROM defendants "
            "WHERE case_id = ? ORDER BY position", (case_id,)).fetchall()
        fields.append(("defendants", str(len(defendants))))
        for i, (kind, first, last, dob, company) in enumerate(defendants, 1):
            if kind == "company":
                fields.append((f"d{i}-company", company))
            else:
                y, m, d = dob.split("-")
                fields += [(f"d{i}-first", first), (f"d{i}-last", last),
                           (f"d{i}-dob-day", d), (f"d{i}-dob-month", m), (f"d{i}-dob-year", y)]
        fields.append(("declare", "yes"))
        bodies.append(urllib.parse.urlencode(fields))

    def rotate(make, count):
        return [make(i, *cookies[i % len(cookies)]) for i in range(count)]

    q = lambda s: urllib.parse.quote(s)
    runs = [
        ("/healthz", "GET", 200, [("", "/healthz", "")]),
        ("/cases/find (the session only)", "GET", 200,
         rotate(lambda i, f, c: (c, "/cases/find", ""), len(cookies))),
        ("/account", "GET", 200, rotate(lambda i, f, c: (c, "/account", ""), len(cookies))),
        ("/cases?q= (a firm's cases)", "GET", 200,
         rotate(lambda i, f, c: (c, f"/cases?q={q(searches[f][i % len(searches[f])])}", ""),
                len(cookies) * 32)),
        ("POST /cases/find (a match)", "POST", 303,
         rotate(lambda i, f, c: (c, "/cases/find", bodies[i % len(bodies)]), len(bodies))),
    ]
    results = {}
    with tempfile.TemporaryDirectory() as work:
        for label, method, expected, lines in runs:
            rps, p50, p99, bad = wrk(port, secs, lines, method, expected, work)
            results[label] = rps
            print(f"{label:34} {rps:9,.0f} req/s   p50 {p50:6.2f} ms   p99 {p99:6.2f} ms"
                  + (f"   UNEXPECTED {bad}" if bad else ""), flush=True)
            if bad:
                sys.exit(f"{label}: {bad} responses without status {expected}")
    base = results["/cases/find (the session only)"]
    find = results["POST /cases/find (a match)"]
    print(f"find-case : signed-in baseline = {find / base:.2f}")


if __name__ == "__main__":
    if sys.argv[1:2] == ["prepare"] and len(sys.argv) == 3:
        prepare(sys.argv[2])
    elif sys.argv[1:2] == ["measure"] and len(sys.argv) == 5:
        measure(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    else:
        sys.exit(__doc__)
