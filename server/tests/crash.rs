//! `kill -9` of the server in the middle of an upload (docs/uploads.md): the real server binary,
//! on its embedded defaults (SQLite, documents on the filesystem) with the real clock, is killed
//! while an append is streaming. After a restart nothing partial is visible, the upload says how
//! much it has, the clean-up removes what the crash left, the same upload then finishes with the
//! exact bytes, and a document once acknowledged survives another `kill -9`.

use std::{
    collections::HashMap,
    io::{Read, Write},
    net::TcpStream,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

const URN: &str = "45KD123456726";
const ADMIN: &str = "admin@smith-solicitors.example";

struct Server {
    child: Child,
    port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

/// The server binary with the test's data folder, on the real clock.
fn command(data: &Path, site: &Path, port: u16) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_server"));
    for v in [
        "FIXED_NOW",
        "DATABASE_URL",
        "STORAGE",
        "SCANNING",
        "CLAMD_ADDRESS",
    ] {
        c.env_remove(v);
    }
    c.env("DATA_DIR", data)
        .env("LEPTOS_SITE_ROOT", site)
        .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
        .env("PUBLIC_URL", format!("http://localhost:{port}"))
        .env("DEV_TOOLS", "true")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    c
}

fn run(data: &Path, site: &Path, args: &[&str]) {
    let out = command(data, site, 1)
        .args(args)
        .stderr(Stdio::piped())
        .output()
        .expect("the server binary runs");
    assert!(
        out.status.success(),
        "server {args:?}: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}

fn serve(data: &Path, site: &Path) -> Server {
    let port = free_port();
    let child = command(data, site, port)
        .arg("serve")
        .spawn()
        .expect("serve");
    let server = Server { child, port };
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(30) {
        if let Ok((200, _, _)) = request(port, "GET", "/healthz", &[], b"") {
            return server;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("the server did not start");
}

type Answer = (u16, HashMap<String, String>, Vec<u8>);

/// Writes a request's head.
fn head_of(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, String)],
    length: usize,
) -> String {
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: localhost:{port}\r\nConnection: close\r\n\
         Origin: http://localhost:{port}\r\nUser-Agent: crash-test\r\nContent-Length: {length}\r\n"
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    head
}

fn read_answer(mut s: TcpStream) -> std::io::Result<Answer> {
    let mut raw = vec![];
    s.read_to_end(&mut raw)?;
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| std::io::Error::other("no head"))?;
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| std::io::Error::other("no status"))?;
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_lowercase(), v.trim().to_owned()))
        .collect();
    Ok((status, headers, raw[split + 4..].to_vec()))
}

fn request(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, String)],
    body: &[u8],
) -> std::io::Result<Answer> {
    let mut s = TcpStream::connect(("127.0.0.1", port))?;
    s.set_read_timeout(Some(Duration::from_secs(60)))?;
    s.write_all(head_of(port, method, path, headers, body.len()).as_bytes())?;
    s.write_all(body)?;
    read_answer(s)
}

/// Every file under `dir`.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = vec![];
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                todo.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

fn b64(s: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(s)
}

#[tokio::test]
async fn kill_9_mid_upload_leaves_nothing_partial_and_the_upload_carries_on() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    // The server needs the browser bundle's manifest to start, not the bundle.
    let site = dir.path().join("site");
    std::fs::create_dir_all(site.join("pkg")).expect("site");
    std::fs::write(
        site.join("pkg/manifest.txt"),
        "js: app.js\nwasm: app.wasm\ncss: app.css\n",
    )
    .expect("manifest");
    run(
        &data,
        &site,
        &["seed", "--demo-accounts", "--demo-cases", "1"],
    );
    let fixture = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../end2end/fixtures/cases.json"
    );
    run(&data, &site, &["import", fixture]);

    // Smith & Co on record for the case's first defendant; a signed-in session for their
    // administrator (both written as the service writes them).
    let db = app::db::Db::connect(
        &format!("sqlite://{}", data.join("caseaccess.db").display()),
        &app::db::DbOptions::default(),
    )
    .await
    .expect("the database");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("time")
        .as_secs() as i64;
    let (user, org): (String, String) =
        sqlx::query_as("SELECT id, organisation_id FROM users WHERE email = $1")
            .bind(ADMIN)
            .fetch_one(&db.pool)
            .await
            .expect("the administrator");
    let (case, defendant): (String, String) = sqlx::query_as(
        "SELECT c.id, d.id FROM cases c JOIN defendants d ON d.case_id = c.id \
         WHERE c.urn = $1 ORDER BY d.ref LIMIT 1",
    )
    .bind(URN)
    .fetch_one(&db.pool)
    .await
    .expect("the case");
    sqlx::query(
        "INSERT INTO associations (defendant_id, case_id, organisation_id, nature, associated_by, \
         associated_at) VALUES ($1, $2, $3, 'private', $4, $5)",
    )
    .bind(&defendant)
    .bind(&case)
    .bind(&org)
    .bind(&user)
    .bind(now)
    .execute(&db.pool)
    .await
    .expect("on record");
    let cookie = {
        let mut conn = db.pool.acquire().await.expect("conn");
        app::accounts::session::create(
            &mut conn,
            &user,
            app::accounts::session::Stage::Full,
            "sign_in",
            "127.0.0.1",
            "crash-test",
            now,
        )
        .await
        .expect("session")
    };
    let cookie = format!("{}={cookie}", app::accounts::session::COOKIE);
    let tus = |extra: &[(&'static str, String)]| {
        let mut h = vec![
            ("Tus-Resumable", "1.0.0".to_owned()),
            ("Cookie", cookie.clone()),
        ];
        h.extend_from_slice(extra);
        h
    };
    let material = |db: app::db::Db| async move {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM material WHERE uploaded_by IS NOT NULL")
            .fetch_one(&db.pool)
            .await
            .expect("count")
    };

    // 12 MiB of PDF.
    let mut pdf = b"%PDF-1.7\n".to_vec();
    pdf.extend((0..12 << 20).map(|i: u32| b'a' + (i % 26) as u8));
    pdf.extend_from_slice(b"\n%%EOF\n");

    let server = serve(&data, &site);
    let metadata = format!(
        "filename {},title {},section {},defendant {}",
        b64("bundle.pdf"),
        b64("Defence bundle"),
        b64("statements"),
        b64(&defendant)
    );
    let (status, h, body) = request(
        server.port,
        "POST",
        &format!("/cases/{case}/uploads"),
        &tus(&[
            ("Upload-Length", pdf.len().to_string()),
            ("Upload-Metadata", metadata),
        ]),
        b"",
    )
    .expect("create");
    assert_eq!(status, 201, "{}", String::from_utf8_lossy(&body));
    let upload = h["location"].clone();

    // An append of the whole file; 7 MiB are sent, then the server is killed.
    let mut s = TcpStream::connect(("127.0.0.1", server.port)).expect("connect");
    s.write_all(
        head_of(
            server.port,
            "PATCH",
            &upload,
            &tus(&[
                ("Content-Type", "application/offset+octet-stream".to_owned()),
                ("Upload-Offset", "0".to_owned()),
            ]),
            pdf.len(),
        )
        .as_bytes(),
    )
    .expect("head");
    s.write_all(&pdf[..7 << 20]).expect("7 MiB");
    s.flush().expect("flush");
    let objects = data.join("objects");
    let staging = |p: &PathBuf| p.to_string_lossy().contains('#');
    let started = Instant::now();
    while !files(&objects).iter().any(staging) {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "no write under way"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(300));
    let mut server = server;
    server.child.kill().expect("kill -9");
    server.child.wait().expect("gone");
    drop(s);

    // Restarted: nothing partial is visible, the upload has nothing recorded, and the crash's
    // leftovers are on disk until the clean-up.
    let server = serve(&data, &site);
    assert_eq!(material(db.clone()).await, 0, "no partial document");
    let (status, h, _) = request(server.port, "HEAD", &upload, &tus(&[]), b"").expect("head");
    assert_eq!(status, 200);
    assert_eq!(h["upload-offset"], "0", "the cut append was never recorded");
    assert!(
        files(&objects).iter().any(staging),
        "the crash left a write"
    );
    std::thread::sleep(Duration::from_millis(1100));
    run(&data, &site, &["clean-up", "--older-than", "0"]);
    assert_eq!(files(&objects), Vec::<PathBuf>::new(), "nothing left over");

    // The same upload carries on (here from 0) and ends as the document, with its exact bytes.
    let (status, h, body) = request(
        server.port,
        "PATCH",
        &upload,
        &tus(&[
            ("Content-Type", "application/offset+octet-stream".to_owned()),
            ("Upload-Offset", "0".to_owned()),
        ]),
        &pdf,
    )
    .expect("append");
    assert_eq!(status, 204, "{}", String::from_utf8_lossy(&body));
    let receipt = h["upload-receipt"].clone();
    let (sha, key): (String, String) =
        sqlx::query_as("SELECT sha256, storage_key FROM material WHERE receipt = $1")
            .bind(&receipt)
            .fetch_one(&db.pool)
            .await
            .expect("the document");
    assert_eq!(sha, app::files::sha256_hex(&pdf));
    assert_eq!(
        std::fs::read(objects.join(&key)).expect("stored"),
        pdf,
        "the bytes sent"
    );

    // Acknowledged: it survives another kill -9 and the clean-up.
    let mut server = server;
    server.child.kill().expect("kill -9");
    server.child.wait().expect("gone");
    let server = serve(&data, &site);
    run(&data, &site, &["clean-up", "--older-than", "0"]);
    let (status, h, _) = request(server.port, "HEAD", &upload, &tus(&[]), b"").expect("head");
    assert_eq!(status, 200);
    assert_eq!(h["upload-receipt"], receipt);
    assert_eq!(files(&objects), vec![objects.join(&key)]);
    assert_eq!(material(db.clone()).await, 1);
}
