//! Long-lived event streams on connections of their own.
//!
//! A court board holds one request open all day (`GET /court/live`, server-sent events). Served
//! by hyper, each such connection keeps hyper's 8 KiB read buffer and 8 KiB header buffer, its
//! connection state and the service stack's futures for as long as it is open: about 40 KiB a
//! board (docs/benchmarks.md, "Live boards"). This listener looks at the first bytes of each new
//! connection. One that opens with a request for a stream path is read here (its head only, into
//! a buffer freed once parsed), answered by the same router (every middleware: security headers,
//! client address, session, access gate, metrics), and its response written as it comes, with
//! `Connection: close` so the body runs to the end of the connection and no framing is kept.
//! Every other connection goes to axum's server as before.
//!
//! A stream request that arrives on a connection opened for something else (a browser reusing a
//! kept-alive connection) is served by hyper as any request: the same answer, at hyper's cost.

use axum::{Router, body::Body, extract::ConnectInfo, http};
use http_body_util::BodyExt as _;
use std::{io, net::SocketAddr, time::Duration};
use tokio::{
    io::AsyncWriteExt as _,
    net::{TcpListener, TcpStream},
    sync::mpsc,
};
use tower::ServiceExt as _;

/// The paths served here when a connection opens with them.
const STREAMS: &[&str] = &[app::hearings::LIVE_PATH];

/// The largest request head read (browsers' cookies included); more is refused with `431`.
const MAX_HEAD: usize = 16 * 1024;

/// How long a new connection has to send its request head (hyper's default too).
const HEAD_TIMEOUT: Duration = Duration::from_secs(30);

/// How long one write may wait on a reader that has stopped reading.
const WRITE_TIMEOUT: Duration = Duration::from_secs(60);

/// A listener for axum's server that keeps stream connections for itself.
pub struct Split {
    rx: mpsc::Receiver<(TcpStream, SocketAddr)>,
    local: SocketAddr,
    accepting: tokio::task::JoinHandle<()>,
}

impl Drop for Split {
    /// axum drops its listener when it shuts down: stop accepting then, as it would.
    fn drop(&mut self) {
        self.accepting.abort();
    }
}

/// Accepts on `listener`: connections that open with a stream request are served from
/// `router` here; the rest are handed to whoever accepts from the returned listener.
pub fn split(listener: TcpListener, router: Router) -> io::Result<Split> {
    let local = listener.local_addr()?;
    let (tx, rx) = mpsc::channel(1024);
    let accepting = tokio::spawn(async move {
        loop {
            let (tcp, addr) = match listener.accept().await {
                Ok(c) => c,
                Err(e) => {
                    // Out of file descriptors, or a connection reset before it was accepted:
                    // wait a moment, as axum's own listener does.
                    tracing::warn!(error = %e, "accepting a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            };
            // Without TCP_NODELAY, responses written in parts wait on delayed ACKs (~40 ms).
            let _ = tcp.set_nodelay(true);
            let tx = tx.clone();
            let router = router.clone();
            tokio::spawn(async move {
                match tokio::time::timeout(HEAD_TIMEOUT, opens_a_stream(&tcp)).await {
                    Ok(Ok(true)) => serve(tcp, addr, router).await,
                    Ok(Ok(false)) => {
                        let _ = tx.send((tcp, addr)).await;
                    }
                    // Closed, failed or silent before a byte: nothing to answer.
                    Ok(Err(_)) | Err(_) => {}
                }
            });
        }
    });
    Ok(Split {
        rx,
        local,
        accepting,
    })
}

impl axum::serve::Listener for Split {
    type Io = TcpStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (TcpStream, SocketAddr) {
        match self.rx.recv().await {
            Some(c) => c,
            // The accepting task is gone (it does not end by itself): accept nothing more.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        Ok(self.local)
    }
}

/// Whether the connection's first bytes are a `GET` of a stream path, without reading them.
async fn opens_a_stream(tcp: &TcpStream) -> io::Result<bool> {
    let mut buf = [0u8; 64];
    loop {
        let n = tcp.peek(&mut buf).await?;
        if n == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        match classify(&buf[..n]) {
            Some(v) => return Ok(v),
            // Only part of the request line so far: look again shortly.
            None => tokio::time::sleep(Duration::from_millis(5)).await,
        }
    }
}

/// `Some(true)` for a request line of a stream path, `Some(false)` for anything else, `None`
/// while too little has arrived to tell.
fn classify(bytes: &[u8]) -> Option<bool> {
    let mut undecided = false;
    for path in STREAMS {
        let line = [b"GET ".as_slice(), path.as_bytes()].concat();
        let n = bytes.len().min(line.len());
        if bytes[..n] != line[..n] {
            continue;
        }
        match bytes.get(line.len()) {
            Some(b' ' | b'?') => return Some(true),
            Some(_) => {}
            None => undecided = true,
        }
    }
    if undecided { None } else { Some(false) }
}

/// Reads the request head, answers it from the router and writes the response until either
/// side ends.
async fn serve(mut tcp: TcpStream, addr: SocketAddr, router: Router) {
    let _open = app::metrics::metrics().stream_connection();
    let request = match tokio::time::timeout(HEAD_TIMEOUT, read_head(&mut tcp)).await {
        Ok(Ok(r)) => r,
        Ok(Err(status)) => {
            let _ = write_all(&mut tcp, &plain(status)).await;
            return;
        }
        Err(_) => {
            let _ = write_all(&mut tcp, &plain(http::StatusCode::REQUEST_TIMEOUT)).await;
            return;
        }
    };
    let mut request = request;
    request.extensions_mut().insert(ConnectInfo(addr));
    let Ok(response) = router.oneshot(request).await;
    let (parts, mut body) = response.into_parts();
    if write_all(&mut tcp, &head(&parts)).await.is_err() {
        return;
    }
    let mut probe = [0u8; 256];
    loop {
        tokio::select! {
            frame = body.frame() => match frame {
                Some(Ok(frame)) => {
                    if let Ok(data) = frame.into_data()
                        && write_all(&mut tcp, &data).await.is_err()
                    {
                        return;
                    }
                }
                Some(Err(_)) | None => break,
            },
            // The reader hung up (or sent something it should not): stop at once, so the
            // stream's memory goes with the connection.
            ready = tcp.readable() => {
                if ready.is_err() {
                    return;
                }
                match tcp.try_read(&mut probe) {
                    Ok(0) => return,
                    Ok(_) => {}
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                    Err(_) => return,
                }
            }
        }
    }
    let _ = tcp.shutdown().await;
}

async fn write_all(tcp: &mut TcpStream, bytes: &[u8]) -> io::Result<()> {
    match tokio::time::timeout(WRITE_TIMEOUT, tcp.write_all(bytes)).await {
        Ok(r) => r,
        Err(_) => Err(io::ErrorKind::TimedOut.into()),
    }
}

/// Reads up to the end of the request head and parses it: a `GET` with no body.
async fn read_head(tcp: &mut TcpStream) -> Result<http::Request<Body>, http::StatusCode> {
    use http::StatusCode;
    use tokio::io::AsyncReadExt as _;
    let mut buf = Vec::with_capacity(2048);
    loop {
        if buf.len() >= MAX_HEAD {
            return Err(StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE);
        }
        let mut chunk = [0u8; 2048];
        let want = chunk.len().min(MAX_HEAD - buf.len());
        let n = tcp
            .read(&mut chunk[..want])
            .await
            .map_err(|_| StatusCode::BAD_REQUEST)?;
        if n == 0 {
            return Err(StatusCode::BAD_REQUEST);
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(r) = parse(&buf)? {
            return Ok(r);
        }
    }
}

/// The request in `buf`, `None` if its head is not all there yet.
fn parse(buf: &[u8]) -> Result<Option<http::Request<Body>>, http::StatusCode> {
    use http::StatusCode;
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut req = httparse::Request::new(&mut headers);
    let end = match req.parse(buf) {
        Ok(httparse::Status::Complete(end)) => end,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(httparse::Error::TooManyHeaders) => {
            return Err(StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE);
        }
        Err(_) => return Err(StatusCode::BAD_REQUEST),
    };
    // A stream is a GET: nothing may follow the head (no body, no second request).
    let has_body = req.headers.iter().any(|h| {
        h.name.eq_ignore_ascii_case("transfer-encoding")
            || (h.name.eq_ignore_ascii_case("content-length") && h.value != b"0")
    });
    if req.method != Some("GET") || has_body || end != buf.len() {
        return Err(StatusCode::BAD_REQUEST);
    }
    let mut builder = http::Request::builder()
        .method(http::Method::GET)
        .uri(req.path.unwrap_or("/"))
        .version(if req.version == Some(0) {
            http::Version::HTTP_10
        } else {
            http::Version::HTTP_11
        });
    for h in req.headers.iter() {
        builder = builder.header(h.name, h.value);
    }
    builder
        .body(Body::empty())
        .map(Some)
        .map_err(|_| StatusCode::BAD_REQUEST)
}

/// The status line and headers, delimited by the end of the connection.
fn head(parts: &http::response::Parts) -> Vec<u8> {
    let mut out = Vec::with_capacity(1024);
    out.extend_from_slice(
        format!(
            "HTTP/1.1 {} {}\r\n",
            parts.status.as_u16(),
            parts.status.canonical_reason().unwrap_or("")
        )
        .as_bytes(),
    );
    for (name, value) in &parts.headers {
        if name == http::header::CONNECTION || name == http::header::TRANSFER_ENCODING {
            continue;
        }
        out.extend_from_slice(name.as_str().as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"date: ");
    out.extend_from_slice(httpdate::fmt_http_date(std::time::SystemTime::now()).as_bytes());
    out.extend_from_slice(b"\r\nconnection: close\r\n\r\n");
    out
}

/// A bare answer to a request that could not be read.
fn plain(status: http::StatusCode) -> Vec<u8> {
    format!(
        "HTTP/1.1 {} {}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
        status.as_u16(),
        status.canonical_reason().unwrap_or("")
    )
    .into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_get_of_a_stream_path_is_kept() {
        assert_eq!(
            classify(b"GET /court/live?after=3 HTTP/1.1\r\n"),
            Some(true)
        );
        assert_eq!(classify(b"GET /court/live HTTP/1.1\r\n"), Some(true));
        assert_eq!(classify(b"GET /court/lively HTTP/1.1\r\n"), Some(false));
        assert_eq!(classify(b"GET /court HTTP/1.1\r\n"), Some(false));
        assert_eq!(classify(b"POST /court/live HTTP/1.1\r\n"), Some(false));
        assert_eq!(classify(b"PRI * HTTP/2.0\r\n"), Some(false));
        assert_eq!(classify(b"GET /co"), None);
        assert_eq!(classify(b"GET /court/live"), None);
        assert_eq!(classify(b"G"), None);
    }

    #[test]
    fn a_head_is_parsed_whole_or_refused() {
        let ok = parse(b"GET /court/live?after=2 HTTP/1.1\r\nHost: x\r\nCookie: a=b\r\n\r\n")
            .expect("parsed")
            .expect("whole");
        assert_eq!(ok.uri(), "/court/live?after=2");
        assert_eq!(ok.headers()["cookie"], "a=b");
        assert!(
            parse(b"GET /court/live HTTP/1.1\r\nHost: x\r\n")
                .expect("parsed")
                .is_none()
        );
        for bad in [
            b"GET /court/live HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello".as_slice(),
            b"GET /court/live HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n",
            b"GET /court/live HTTP/1.1\r\n\r\nGET / HTTP/1.1\r\n\r\n",
            b"GET /court/live HTTP/1.1\r\nBad Header\r\n\r\n",
        ] {
            assert_eq!(
                parse(bad).map(|r| r.is_some()),
                Err(http::StatusCode::BAD_REQUEST)
            );
        }
    }

    #[test]
    fn the_response_runs_to_the_end_of_the_connection() {
        let (parts, ()) = http::Response::builder()
            .status(200)
            .header("content-type", "text/event-stream")
            .header("transfer-encoding", "chunked")
            .body(())
            .expect("response")
            .into_parts();
        let text = String::from_utf8(head(&parts)).expect("text");
        assert!(text.starts_with("HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"));
        assert!(!text.contains("transfer-encoding"));
        assert!(text.ends_with("connection: close\r\n\r\n"));
    }

    /// Reads from `s` until `text` has arrived (or the connection ends), returning all read.
    async fn read_until(s: &mut TcpStream, text: &str) -> String {
        use tokio::io::AsyncReadExt as _;
        let mut got = Vec::new();
        let mut buf = [0u8; 1024];
        let until = tokio::time::Instant::now() + Duration::from_secs(10);
        while !String::from_utf8_lossy(&got).contains(text) {
            match tokio::time::timeout_at(until, s.read(&mut buf)).await {
                Ok(Ok(0)) | Ok(Err(_)) => break,
                Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
                Err(_) => panic!(
                    "timed out waiting for {text:?} in {:?}",
                    String::from_utf8_lossy(&got)
                ),
            }
        }
        String::from_utf8_lossy(&got).into_owned()
    }

    #[tokio::test]
    async fn a_stream_is_served_on_a_connection_of_its_own_and_ends_with_it() {
        use axum::{
            response::sse::{Event, Sse},
            routing::get,
        };
        use std::sync::{
            Arc,
            atomic::{AtomicUsize, Ordering},
        };
        // Counts the streams dropped: a stream whose reader hangs up must be dropped at once.
        struct Guard(Arc<AtomicUsize>);
        impl Drop for Guard {
            fn drop(&mut self) {
                self.0.fetch_add(1, Ordering::SeqCst);
            }
        }
        let dropped = Arc::new(AtomicUsize::new(0));
        let d = dropped.clone();
        let app = Router::new()
            .route(
                app::hearings::LIVE_PATH,
                get(move |ConnectInfo(from): ConnectInfo<SocketAddr>| {
                    let guard = Guard(d.clone());
                    async move {
                        let events =
                            futures_util::stream::unfold((0, guard), move |(n, g)| async move {
                                if n > 0 {
                                    tokio::time::sleep(Duration::from_millis(20)).await;
                                }
                                let e = Event::default().data(format!("{n} from {}", from.ip()));
                                Some((Ok::<_, std::convert::Infallible>(e), (n + 1, g)))
                            });
                        Sse::new(events)
                    }
                }),
            )
            .route(
                "/page",
                get(|ConnectInfo(from): ConnectInfo<SocketAddr>| async move {
                    format!("a page for {}", from.ip())
                }),
            );
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let at = listener.local_addr().expect("address");
        let listener = split(listener, app.clone()).expect("split");
        assert_eq!(
            axum::serve::Listener::local_addr(&listener).expect("address"),
            at
        );
        let served = axum::serve(
            axum::serve::ListenerExt::tap_io(listener, |_| {}),
            app.into_make_service_with_connect_info::<SocketAddr>(),
        );
        tokio::spawn(async move { served.await.expect("serve") });

        // A stream, its request line in two parts: served here, the body running to the end of
        // the connection (no chunks), events as they come, with the client's address.
        let mut s = TcpStream::connect(at).await.expect("connect");
        s.write_all(b"GET /cou").await.expect("write");
        tokio::time::sleep(Duration::from_millis(30)).await;
        s.write_all(b"rt/live?after=1 HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n")
            .await
            .expect("write");
        let text = read_until(&mut s, "data: 2 from").await;
        assert!(text.starts_with("HTTP/1.1 200 OK\r\n"), "{text}");
        assert!(
            text.contains("content-type: text/event-stream\r\n"),
            "{text}"
        );
        assert!(text.contains("connection: close\r\n"), "{text}");
        assert!(!text.contains("transfer-encoding"), "{text}");
        assert!(
            text.contains("\r\n\r\ndata: 0 from 127.0.0.1\n\n"),
            "{text}"
        );
        assert_eq!(dropped.load(Ordering::SeqCst), 0);
        // The reader hangs up: the stream is dropped with the connection.
        drop(s);
        let until = tokio::time::Instant::now() + Duration::from_secs(5);
        while dropped.load(Ordering::SeqCst) == 0 {
            assert!(
                tokio::time::Instant::now() < until,
                "the stream outlived its connection"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }

        // Anything else is axum's, with the client's address too; a stream asked for on a
        // connection kept alive after it is served there, in chunks.
        let mut p = TcpStream::connect(at).await.expect("connect");
        p.write_all(b"GET /page HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .expect("write");
        let text = read_until(&mut p, "a page for 127.0.0.1").await;
        assert!(text.contains("content-length: 20\r\n"), "{text}");
        p.write_all(b"GET /court/live HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .expect("write");
        let text = read_until(&mut p, "data: 1 from").await;
        assert!(text.contains("transfer-encoding: chunked"), "{text}");
        drop(p);

        // A head that is not a plain GET is refused, and the connection closed.
        let mut b = TcpStream::connect(at).await.expect("connect");
        b.write_all(b"GET /court/live HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc")
            .await
            .expect("write");
        let text = read_until(&mut b, "never").await;
        assert!(text.starts_with("HTTP/1.1 400 Bad Request\r\n"), "{text}");
    }
}
