//! Virus scanning with ClamAV's daemon, `clamd`, over its INSTREAM command (docs/uploads.md).
//!
//! It fails closed: only clamd's own `stream: OK` is [`Verdict::Clean`]. A scanner that refuses
//! the stream (its size limit) or answers anything else gives [`Verdict::Error`]; one that cannot
//! be reached or takes longer than the time-out gives [`Verdict::Unavailable`]. Either way the
//! document stays unserved.

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// Where clamd listens.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Address {
    /// `host:port`.
    Tcp(String),
    /// A Unix socket's path.
    Unix(std::path::PathBuf),
}

impl Address {
    /// `unix:/run/clamav/clamd.ctl` or `host:port`.
    pub fn parse(s: &str) -> Result<Address, String> {
        let s = s.trim();
        if let Some(path) = s.strip_prefix("unix:") {
            return if path.starts_with('/') {
                Ok(Address::Unix(path.into()))
            } else {
                Err(format!(
                    "{s:?}: a Unix socket needs an absolute path (unix:/…)"
                ))
            };
        }
        match s.rsplit_once(':') {
            Some((host, port)) if !host.is_empty() && port.parse::<u16>().is_ok() => {
                Ok(Address::Tcp(s.to_owned()))
            }
            _ => Err(format!("{s:?} is neither host:port nor unix:/path")),
        }
    }
}

/// What the scan found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// clamd answered `OK`.
    Clean,
    /// clamd found this signature.
    Infected(String),
    /// clamd answered, but with no verdict (its size limit, an error): what it said.
    Error(String),
    /// No answer: why (the scanner down, a time-out, the document unreadable).
    Unavailable(String),
}

/// A clamd to scan with.
#[derive(Clone, Debug)]
pub struct Scanner {
    /// Where it listens.
    pub address: Address,
    /// The longest a whole scan may take.
    pub timeout: Duration,
}

/// Bytes per INSTREAM chunk.
const CHUNK: usize = 64 << 10;

impl Scanner {
    /// A scanner at `address` with a time-out that suits documents of up to a few hundred MiB.
    pub fn new(address: Address) -> Scanner {
        Scanner {
            address,
            timeout: Duration::from_secs(300),
        }
    }

    /// Whether clamd answers `PING` with `PONG`.
    pub async fn ping(&self) -> bool {
        let talk = async {
            let mut conn = self.connect().await?;
            conn.write_all(b"zPING\0").await?;
            read_reply(&mut conn).await
        };
        matches!(
            tokio::time::timeout(Duration::from_secs(5), talk).await,
            Ok(Ok(reply)) if reply == "PONG"
        )
    }

    /// Scans the bytes of `stream`.
    pub async fn scan<S, E>(&self, stream: S) -> Verdict
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        match tokio::time::timeout(self.timeout, self.instream(stream)).await {
            Err(_) => Verdict::Unavailable(format!("no answer within {:?}", self.timeout)),
            Ok(Err(e)) => Verdict::Unavailable(e),
            Ok(Ok(reply)) => verdict(&reply),
        }
    }

    async fn instream<S, E>(&self, mut stream: S) -> Result<String, String>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        let mut conn = self
            .connect()
            .await
            .map_err(|e| format!("cannot reach the scanner: {e}"))?;
        let io = |e: std::io::Error| format!("the scanner stopped reading: {e}");
        conn.write_all(b"zINSTREAM\0").await.map_err(io)?;
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| format!("reading the document: {e}"))?;
            for part in chunk.chunks(CHUNK) {
                let len = u32::try_from(part.len()).map_err(|e| e.to_string())?;
                if let Err(e) = conn.write_all(&len.to_be_bytes()).await {
                    // clamd closes the stream past its size limit, and says so first.
                    return read_reply(&mut conn).await.or(Err(io(e)));
                }
                if let Err(e) = conn.write_all(part).await {
                    return read_reply(&mut conn).await.or(Err(io(e)));
                }
            }
        }
        conn.write_all(&[0, 0, 0, 0]).await.map_err(io)?;
        read_reply(&mut conn)
            .await
            .map_err(|e| format!("no answer from the scanner: {e}"))
    }

    async fn connect(&self) -> std::io::Result<Box<dyn Conn>> {
        match &self.address {
            Address::Tcp(a) => Ok(Box::new(tokio::net::TcpStream::connect(a).await?)),
            #[cfg(unix)]
            Address::Unix(p) => Ok(Box::new(tokio::net::UnixStream::connect(p).await?)),
            #[cfg(not(unix))]
            Address::Unix(_) => Err(std::io::Error::other("Unix sockets need a Unix system")),
        }
    }
}

trait Conn: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Conn for T {}

/// clamd's reply up to its NUL (`z` commands), at most 4 KiB.
async fn read_reply(conn: &mut Box<dyn Conn>) -> std::io::Result<String> {
    let mut out = vec![];
    let mut byte = [0u8; 1];
    while out.len() < 4096 {
        match conn.read(&mut byte).await? {
            0 => break,
            _ if byte[0] == 0 => break,
            _ => out.push(byte[0]),
        }
    }
    Ok(String::from_utf8_lossy(&out).trim().to_owned())
}

/// What clamd's reply to INSTREAM means.
fn verdict(reply: &str) -> Verdict {
    if reply == "stream: OK" {
        Verdict::Clean
    } else if let Some(name) = reply
        .strip_prefix("stream: ")
        .and_then(|r| r.strip_suffix(" FOUND"))
    {
        Verdict::Infected(name.to_owned())
    } else {
        Verdict::Error(format!("the scanner answered {reply:?}"))
    }
}

/// Test helpers: a real clamd, started with a signature database of its own (the EICAR test
/// string only), on a loopback port, for as long as the guard lives.
#[cfg(test)]
pub(crate) mod testing {
    use super::*;

    /// The EICAR anti-virus test file (harmless; every scanner knows it).
    pub(crate) const EICAR: &[u8] =
        br"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*";

    pub(crate) struct Clamd {
        pub(crate) scanner: Scanner,
        child: std::process::Child,
        _dir: tempfile::TempDir,
    }

    impl Drop for Clamd {
        fn drop(&mut self) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }

    fn free_port() -> u16 {
        std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("a free port")
    }

    /// clamd with the EICAR signature, or none if clamd is not installed (then the test says
    /// so; with `REQUIRE_CLAMD` set, as the test command sets it, it fails instead).
    pub(crate) async fn clamd(stream_max: &str) -> Option<Clamd> {
        let bin = ["/usr/sbin/clamd", "/usr/bin/clamd"]
            .into_iter()
            .find(|p| std::path::Path::new(p).exists());
        let Some(bin) = bin else {
            assert!(
                std::env::var_os("REQUIRE_CLAMD").is_none(),
                "REQUIRE_CLAMD is set but clamd is not installed (Debian: clamav-daemon)"
            );
            eprintln!("clamd is not installed: the scanner tests against it are skipped");
            return None;
        };
        let dir = tempfile::tempdir().expect("tempdir");
        let db = dir.path().join("db");
        std::fs::create_dir(&db).expect("db dir");
        let hex: String = EICAR.iter().map(|b| format!("{b:02x}")).collect();
        std::fs::write(db.join("test.ndb"), format!("Test.EICAR:0:*:{hex}\n")).expect("sig");
        let port = free_port();
        let conf = dir.path().join("clamd.conf");
        std::fs::write(
            &conf,
            format!(
                "DatabaseDirectory {}\nTCPSocket {port}\nTCPAddr 127.0.0.1\nForeground yes\n\
                 LogFile {}\nPidFile {}\nStreamMaxLength {stream_max}\n",
                db.display(),
                dir.path().join("clamd.log").display(),
                dir.path().join("clamd.pid").display(),
            ),
        )
        .expect("conf");
        let child = std::process::Command::new(bin)
            .arg("-c")
            .arg(&conf)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("start clamd");
        let scanner = Scanner::new(Address::Tcp(format!("127.0.0.1:{port}")));
        let clamd = Clamd {
            scanner,
            child,
            _dir: dir,
        };
        for _ in 0..300 {
            if clamd.scanner.ping().await {
                return Some(clamd);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let log = std::fs::read_to_string(clamd._dir.path().join("clamd.log")).unwrap_or_default();
        panic!("clamd did not start within 30 s: {log}");
    }
}

#[cfg(test)]
mod tests {
    use super::{testing::EICAR, *};

    fn stream(bytes: &[u8]) -> impl Stream<Item = Result<Bytes, std::io::Error>> + Unpin {
        let parts: Vec<Result<Bytes, std::io::Error>> = bytes
            .chunks(100_000)
            .map(|c| Ok(Bytes::copy_from_slice(c)))
            .collect();
        futures_util::stream::iter(parts)
    }

    #[test]
    fn replies_and_addresses() {
        assert_eq!(verdict("stream: OK"), Verdict::Clean);
        assert_eq!(
            verdict("stream: Test.EICAR FOUND"),
            Verdict::Infected("Test.EICAR".into())
        );
        assert!(matches!(
            verdict("INSTREAM size limit exceeded. ERROR"),
            Verdict::Error(_)
        ));
        assert!(matches!(verdict(""), Verdict::Error(_)));
        assert_eq!(
            Address::parse("127.0.0.1:3310"),
            Ok(Address::Tcp("127.0.0.1:3310".into()))
        );
        assert_eq!(
            Address::parse("unix:/run/clamav/clamd.ctl"),
            Ok(Address::Unix("/run/clamav/clamd.ctl".into()))
        );
        assert!(Address::parse("unix:relative").is_err());
        assert!(Address::parse("no-port").is_err());
    }

    #[tokio::test]
    async fn a_scanner_that_is_not_there_fails_closed() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("port");
        // Nothing listens there now.
        let s = Scanner::new(Address::Tcp(format!("127.0.0.1:{port}")));
        assert!(!s.ping().await);
        assert!(matches!(
            s.scan(stream(b"hello")).await,
            Verdict::Unavailable(_)
        ));
        // A listener that accepts and never answers: the time-out decides.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let held = tokio::spawn(async move {
            let mut kept = vec![];
            while let Ok((c, _)) = listener.accept().await {
                kept.push(c);
            }
        });
        let s = Scanner {
            address: Address::Tcp(addr.to_string()),
            timeout: Duration::from_millis(300),
        };
        assert!(matches!(
            s.scan(stream(b"hello")).await,
            Verdict::Unavailable(_)
        ));
        held.abort();
    }

    #[tokio::test]
    async fn clamd_finds_eicar_passes_a_clean_file_and_refuses_past_its_limit() {
        let Some(clamd) = testing::clamd("1M").await else {
            return;
        };
        let s = &clamd.scanner;
        assert_eq!(s.scan(stream(b"%PDF-1.7\na plea\n")).await, Verdict::Clean);
        assert_eq!(
            s.scan(stream(EICAR)).await,
            Verdict::Infected("Test.EICAR.UNOFFICIAL".into())
        );
        // EICAR inside a larger document, across chunks.
        let mut inside = vec![b'a'; 150_000];
        inside.extend_from_slice(EICAR);
        inside.extend(vec![b'b'; 150_000]);
        assert!(matches!(
            s.scan(stream(&inside)).await,
            Verdict::Infected(_)
        ));
        // Past clamd's StreamMaxLength: no verdict, so never clean.
        let big = vec![b'x'; 3 << 20];
        assert!(
            matches!(
                s.scan(stream(&big)).await,
                Verdict::Error(_) | Verdict::Unavailable(_)
            ),
            "never clean"
        );
    }
}
