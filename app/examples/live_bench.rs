//! The live-board benchmark's client (`scripts/bench live`): opens N server-sent event streams
//! to `/court/live` as court staff, spread over the given instances, then checks an advocate in
//! and withdraws them in turn, `rounds` times, on the first instance, and reports the time from
//! each change being posted to its event arriving at every subscriber (p50, p99, max), and the
//! growth of each server's resident memory per subscriber.
//!
//! live_bench PORTS(comma list) PIDS(comma list) USHER_COOKIE ADVOCATE_COOKIE HEARING DEFENDANT N ROUNDS [kept-alive]
//!
//! With `kept-alive`, each subscriber first asks for `/healthz` and then opens its stream on the
//! same connection, as a browser reusing a connection it has open does: the server then serves
//! the stream on hyper's connection rather than on one of its own (server/src/http/streams.rs).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::{
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
    sync::mpsc,
};

fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("server status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS")
}

/// One subscriber: connects, says when it is open, then reports each event id it reads.
async fn subscribe(
    port: u16,
    cookie: String,
    after: i64,
    kept_alive: bool,
    open: Arc<AtomicUsize>,
    tx: mpsc::UnboundedSender<(i64, Instant)>,
) {
    let mut s = loop {
        match TcpStream::connect(("127.0.0.1", port)).await {
            Ok(s) => break s,
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    };
    s.set_nodelay(true).ok();
    if kept_alive {
        let req = format!("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n");
        s.write_all(req.as_bytes()).await.expect("request");
        let mut head = Vec::new();
        let mut b = [0u8; 512];
        while !String::from_utf8_lossy(&head).contains("\r\n\r\n") {
            match s.read(&mut b).await {
                Ok(0) | Err(_) => return,
                Ok(n) => head.extend_from_slice(&b[..n]),
            }
        }
        let head = String::from_utf8_lossy(&head).into_owned();
        assert!(head.starts_with("HTTP/1.1 200"), "{head}");
        // The health check's body is short: read what the head said.
        let len: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length: "))
            .and_then(|v| v.trim().parse().ok())
            .expect("a length");
        let body_read = head.len() - head.find("\r\n\r\n").expect("head") - 4;
        let mut rest = vec![0u8; len.saturating_sub(body_read)];
        s.read_exact(&mut rest).await.expect("body");
    }
    let req = format!(
        "GET /court/live?after={after} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nCookie: __Host-session={cookie}\r\nAccept: text/event-stream\r\n\r\n"
    );
    s.write_all(req.as_bytes()).await.expect("request");
    let mut buf = vec![0u8; 4096];
    let mut text = String::new();
    let mut opened = false;
    loop {
        let n = match s.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        let at = Instant::now();
        text.push_str(&String::from_utf8_lossy(&buf[..n]));
        if !opened && text.contains(": live") {
            assert!(text.starts_with("HTTP/1.1 200"), "{text}");
            opened = true;
            open.fetch_add(1, Ordering::SeqCst);
        }
        while let Some(i) = text.find("\nid: ") {
            let rest = &text[i + 5..];
            let Some(end) = rest.find('\n') else { break };
            if let Ok(id) = rest[..end].parse::<i64>() {
                let _ = tx.send((id, at));
            }
            text = rest[end..].to_owned();
        }
        if text.len() > 8192 {
            let keep = text.len() - 64;
            text.drain(..keep);
        }
    }
}

/// Posts a form to `path` as the advocate; returns when the answer's head is read.
async fn post(port: u16, cookie: &str, path: &str, body: &str) {
    let mut s = TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("connect");
    let req = format!(
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nOrigin: http://127.0.0.1:{port}\r\nCookie: __Host-session={cookie}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).await.expect("post");
    let mut head = vec![0u8; 1024];
    let n = s.read(&mut head).await.expect("answer");
    let head = String::from_utf8_lossy(&head[..n]);
    assert!(head.starts_with("HTTP/1.1 303"), "{path}: {head}");
}

/// The last event number the usher's board page was rendered at.
async fn board_after(port: u16, cookie: &str) -> i64 {
    let mut s = TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("connect");
    let req = format!(
        "GET /court HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nCookie: __Host-session={cookie}\r\nConnection: close\r\n\r\n"
    );
    s.write_all(req.as_bytes()).await.expect("request");
    let mut page = Vec::new();
    s.read_to_end(&mut page).await.expect("page");
    let page = String::from_utf8_lossy(&page).replace("&quot;", "\"");
    let i = page.find("\"after\":").expect("the board's event number") + 8;
    page[i..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .expect("a number")
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let a: Vec<String> = std::env::args().collect();
    let ports: Vec<u16> = a[1].split(',').map(|p| p.parse().unwrap()).collect();
    let pids: Vec<u32> = a[2].split(',').map(|p| p.parse().unwrap()).collect();
    let (usher, advocate, hearing, defendant) = (&a[3], &a[4], &a[5], &a[6]);
    let n: usize = a[7].parse().unwrap();
    let rounds: usize = a[8].parse().unwrap();
    let kept_alive = a.get(9).is_some_and(|m| m == "kept-alive");
    let before: Vec<u64> = pids.iter().map(|p| rss_kib(*p)).collect();
    let open = Arc::new(AtomicUsize::new(0));
    let (tx, mut rx) = mpsc::unbounded_channel();
    let last = board_after(ports[0], usher).await;
    let started = Instant::now();
    for i in 0..n {
        let port = ports[i % ports.len()];
        tokio::spawn(subscribe(
            port,
            usher.clone(),
            last,
            kept_alive,
            open.clone(),
            tx.clone(),
        ));
        if i % 500 == 499 {
            while open.load(Ordering::SeqCst) + 250 < i {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    }
    while open.load(Ordering::SeqCst) < n {
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(
            started.elapsed() < Duration::from_secs(300),
            "{} of {n} open",
            open.load(Ordering::SeqCst)
        );
    }
    let connect_secs = started.elapsed().as_secs_f64();
    // Let the servers settle (allocator, keep-alive timers), then read their memory.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let after: Vec<u64> = pids.iter().map(|p| rss_kib(*p)).collect();
    let mut latencies = Vec::with_capacity(n * rounds);
    for r in 0..rounds {
        let body = if r % 2 == 0 {
            format!("action=check_in&status=solicitor&attendance=in_person&defendant={defendant}")
        } else {
            "action=withdraw".to_owned()
        };
        let t0 = Instant::now();
        post(ports[0], advocate, &format!("/hearings/{hearing}"), &body).await;
        let mut got = 0;
        let mut seq = None;
        while got < n {
            let (id, at) = tokio::time::timeout(Duration::from_secs(20), rx.recv())
                .await
                .unwrap_or_else(|_| panic!("round {r}: {got} of {n} subscribers had the event"))
                .expect("channel");
            match seq {
                None => seq = Some(id),
                Some(s) if s != id => panic!("round {r}: event {id} after {s}"),
                _ => {}
            }
            latencies.push(at - t0);
            got += 1;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    latencies.sort();
    println!(
        "subscribers: {n} over {} instance(s){}, opened in {connect_secs:.1} s",
        ports.len(),
        if kept_alive {
            " on kept-alive connections"
        } else {
            ""
        }
    );
    for (i, (b, a)) in before.iter().zip(&after).enumerate() {
        let each = (*a as f64 - *b as f64) * 1024.0 / (n as f64 / ports.len() as f64);
        println!(
            "instance {i}: RSS {b} KiB before, {a} KiB with its subscribers: {:.1} KiB per subscriber",
            each / 1024.0
        );
    }
    println!(
        "delivery of {rounds} changes to every subscriber: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        percentile(&latencies, 0.5).as_secs_f64() * 1000.0,
        percentile(&latencies, 0.99).as_secs_f64() * 1000.0,
        latencies.last().map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    );
}
