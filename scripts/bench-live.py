#!/usr/bin/env python3
"""The live-board benchmark's set-up (scripts/bench live).

`fixture FILE` writes a case with a trial at Cardiff today (the real clock: the server runs on
it) for `server import`. `setup PORT` signs in the demo usher (court staff at Cardiff) and the
demo administrator of Smith & Co (an advocate), finds the case and goes on record for its
defendant through the pages, as a user would, and prints: usher's session, advocate's session,
the hearing's id, the defendant's id — the arguments of app/examples/live_bench.rs.
"""
import datetime, http.client, json, re, sys, time, urllib.parse
from importlib import import_module

sys.path.insert(0, __file__.rsplit("/", 1)[0])
cases = import_module("bench-cases")  # code() and the demo password

USHER = "usher@hmcts.example"
ADMIN = "admin@smith-solicitors.example"
URN = "62CF111111126"


def fixture(path):
    today = datetime.datetime.now(datetime.timezone.utc).date()
    doc = {"cases": [{
        "urn": URN, "prosecutor": "CPS", "court": "Cardiff Magistrates' Court",
        "defendants": [{"ref": "D1", "person": {"first_name": "Bench", "last_name": "Defendant",
                                                 "date_of_birth": "1980-01-01"},
                        "offences": [{"ref": "O1", "wording": "Benchmarked.",
                                      "legislation": "None", "date": "2026-01-01"}]}],
        "hearings": [{"ref": "H1", "court": "Cardiff Magistrates' Court", "courtroom": "1",
                      "starts_at": f"{today}T12:00:00Z", "type": "Trial"}],
        "material": [],
    }]}
    with open(path, "w") as f:
        json.dump(doc, f)


class Session:
    def __init__(self, port):
        self.port = port
        self.cookie = None

    def request(self, method, path, fields=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        headers = {"Origin": f"http://127.0.0.1:{self.port}"}
        if self.cookie:
            headers["Cookie"] = f"__Host-session={self.cookie}"
        body = None
        if fields is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            body = urllib.parse.urlencode(fields)
        conn.request(method, path, body, headers)
        r = conn.getresponse()
        text = r.read().decode()
        m = re.match(r"__Host-session=([^;]+)", r.getheader("Set-Cookie") or "")
        if m:
            self.cookie = m.group(1)
        return r.status, r.getheader("Location"), text

    def sign_in(self, email):
        status, to, _ = self.request("POST", "/sign-in", {"email": email,
                                                          "password": cases.PASSWORD})
        assert (status, to) == (303, "/sign-in/verify"), (email, status, to)
        for _ in range(2):
            status, to, _ = self.request("POST", "/sign-in/verify", {"code": cases.code(time.time())})
            if status == 303:
                return
            time.sleep(30 - time.time() % 30 + 0.5)  # that code was used moments ago
        sys.exit(f"signing in {email}: {status}")


def setup(port):
    usher, admin = Session(port), Session(port)
    usher.sign_in(USHER)
    admin.sign_in(ADMIN)
    status, to, _ = admin.request("POST", "/cases/find", {
        "urn": URN, "defendants": "1", "d1-first": "Bench", "d1-last": "Defendant",
        "d1-dob-day": "1", "d1-dob-month": "1", "d1-dob-year": "1980", "declare": "yes"})
    assert status == 303 and to.startswith("/cases/"), (status, to)
    case = to.split("?")[0]
    _, _, page = admin.request("GET", case)
    defendant = re.search(r'id="defendant-([0-9a-f-]{36})"', page).group(1)
    status, to, _ = admin.request("POST", f"{case}/associate",
                                  {"defendant": defendant, "nature": "private"})
    assert status == 303, (status, to)
    _, _, home = admin.request("GET", "/cases")
    hearing = re.search(r'data-hearing="([0-9a-f-]{36})"', home).group(1)
    print(usher.cookie, admin.cookie, hearing, defendant)


if __name__ == "__main__":
    {"fixture": lambda: fixture(sys.argv[2]), "setup": lambda: setup(int(sys.argv[2]))}[sys.argv[1]]()
