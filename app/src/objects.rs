//! Where uploaded documents' bytes are kept: object storage through the `object_store` crate,
//! the local filesystem by default (under the data folder) or any S3-compatible store, so that
//! several instances can share documents without a shared disk (docs/operations.md).
//!
//! Writes stream: [`Objects::put_stream`] hashes (SHA-256), measures and hands each chunk to the
//! caller's check as it passes, holding at most one part in memory, and an object is complete
//! under its key only once the whole stream was taken (a multipart upload that is abandoned or
//! aborted leaves nothing under the key). Keys are made by the service, never from a user's
//! file name.

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use object_store::{
    GetOptions, GetRange, ObjectStore, WriteMultipart, aws::AmazonS3Builder,
    local::LocalFileSystem, path::Path as Key,
};
use sha2::{Digest, Sha256};
use std::{ops::Range, path::Path, sync::Arc};

/// The bytes held in memory per upload while writing: one part (S3's smallest is 5 MiB).
const PART: usize = 5 << 20;

/// An S3-compatible store's settings (all required: a store half-configured does not start).
#[derive(Clone, Debug)]
pub struct S3Settings {
    /// The endpoint, e.g. `https://s3.eu-west-2.amazonaws.com` or a loopback test server.
    pub endpoint: String,
    /// The bucket.
    pub bucket: String,
    /// The region.
    pub region: String,
    /// The access key id.
    pub access_key_id: String,
    /// The secret access key.
    pub secret_access_key: String,
}

/// Which store is behind [`Objects`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// A folder on this machine.
    FileSystem,
    /// An S3-compatible service.
    S3,
}

/// The document store.
#[derive(Clone, Debug)]
pub struct Objects {
    store: Arc<dyn ObjectStore>,
    /// Which store it is.
    pub backend: Backend,
    /// The folder, for a store on the filesystem (where a write cut off by a crash leaves its
    /// staging file: [`Objects::stale_staging`]).
    root: Option<std::path::PathBuf>,
    /// The same store on the filesystem, to find an object's file ([`Objects::sync`]).
    local: Option<Arc<LocalFileSystem>>,
}

/// What was stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stored {
    /// Its size in bytes.
    pub size: u64,
    /// The hex SHA-256 of its bytes.
    pub sha256: String,
}

/// Why a write did not complete (nothing is left under the key).
#[derive(Debug, thiserror::Error)]
pub enum PutError<E> {
    /// More than the limit arrived.
    #[error("more than {0} bytes")]
    TooLarge(u64),
    /// The caller's check refused the bytes.
    #[error("refused by the check")]
    Refused,
    /// The stream the bytes came from failed (a dropped connection).
    #[error("the upload stream failed: {0}")]
    Source(E),
    /// The store failed.
    #[error("the document store failed: {0}")]
    Store(#[from] object_store::Error),
}

/// A stored object's bytes, or a part of them, as a stream.
pub type ByteStream =
    std::pin::Pin<Box<dyn Stream<Item = Result<Bytes, object_store::Error>> + Send>>;

impl Objects {
    /// A store in the folder `dir` (made if missing).
    pub fn file_system(dir: &Path) -> Result<Objects, object_store::Error> {
        std::fs::create_dir_all(dir).map_err(|e| object_store::Error::Generic {
            store: "LocalFileSystem",
            source: Box::new(e),
        })?;
        let local = Arc::new(LocalFileSystem::new_with_prefix(dir)?);
        Ok(Objects {
            store: local.clone(),
            backend: Backend::FileSystem,
            root: Some(dir.to_path_buf()),
            local: Some(local),
        })
    }

    /// A store in an S3-compatible service. Plain HTTP is allowed only to a loopback endpoint.
    pub fn s3(s: &S3Settings) -> Result<Objects, object_store::Error> {
        let loopback = ["http://127.0.0.1", "http://localhost", "http://[::1]"]
            .iter()
            .any(|p| s.endpoint.starts_with(p));
        let store = AmazonS3Builder::new()
            .with_endpoint(&s.endpoint)
            .with_bucket_name(&s.bucket)
            .with_region(&s.region)
            .with_access_key_id(&s.access_key_id)
            .with_secret_access_key(&s.secret_access_key)
            .with_virtual_hosted_style_request(false)
            .with_allow_http(loopback)
            .build()?;
        Ok(Objects {
            store: Arc::new(store),
            backend: Backend::S3,
            root: None,
            local: None,
        })
    }

    /// Writes `stream` under `key`: at most `limit` bytes, each chunk shown to `check` (which
    /// may refuse) as it passes. On any failure the upload is aborted and nothing is kept.
    pub async fn put_stream<S, E>(
        &self,
        key: &str,
        stream: S,
        limit: u64,
        check: impl FnMut(&[u8]) -> bool,
    ) -> Result<Stored, PutError<E>>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
    {
        match self.put(key, stream, limit, check, false).await {
            Ok((stored, None)) => Ok(stored),
            Ok((_, Some(e))) => Err(PutError::Source(e)),
            Err(e) => Err(e),
        }
    }

    /// Writes `stream` under `key` as [`Objects::put_stream`] does, except that when the
    /// stream breaks (a dropped connection) what arrived before is kept under the key and the
    /// break is returned beside it: a resumable upload's append. Nothing is kept when nothing
    /// arrived (the size is then 0).
    pub async fn put_until_break<S, E>(
        &self,
        key: &str,
        stream: S,
        limit: u64,
    ) -> Result<(Stored, Option<E>), PutError<E>>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
    {
        self.put(key, stream, limit, |_| true, true).await
    }

    async fn put<S, E>(
        &self,
        key: &str,
        mut stream: S,
        limit: u64,
        mut check: impl FnMut(&[u8]) -> bool,
        keep_on_break: bool,
    ) -> Result<(Stored, Option<E>), PutError<E>>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
    {
        let upload = self.store.put_multipart(&Key::from(key)).await?;
        let mut writer = WriteMultipart::new_with_chunk_size(upload, PART);
        let mut hash = Sha256::new();
        let mut size = 0u64;
        let failed = loop {
            let chunk = match stream.next().await {
                None => break None,
                Some(Err(e)) => break Some(PutError::Source(e)),
                Some(Ok(c)) => c,
            };
            size += chunk.len() as u64;
            if size > limit {
                break Some(PutError::TooLarge(limit));
            }
            if !check(&chunk) {
                break Some(PutError::Refused);
            }
            hash.update(&chunk);
            // One part in flight at most: memory stays at about two parts per upload.
            if let Err(e) = writer.wait_for_capacity(1).await {
                break Some(PutError::Store(e));
            }
            writer.write(&chunk);
        };
        let broke = match failed {
            Some(PutError::Source(e)) if keep_on_break && size > 0 => Some(e),
            Some(PutError::Source(e)) if keep_on_break => {
                let _ = writer.abort().await;
                return Ok((
                    Stored {
                        size: 0,
                        sha256: String::new(),
                    },
                    Some(e),
                ));
            }
            Some(e) => {
                let _ = writer.abort().await;
                return Err(e);
            }
            None => None,
        };
        writer.finish().await?;
        if let Err(e) = self.sync(key).await {
            let _ = self.store.delete(&Key::from(key)).await;
            return Err(PutError::Store(e));
        }
        Ok((
            Stored {
                size,
                sha256: hash.finalize().iter().map(|b| format!("{b:02x}")).collect(),
            },
            broke,
        ))
    }

    /// Makes an object just written to the filesystem durable before it is acknowledged (and
    /// recorded): its bytes, then the folder entry that the store's rename into place made. The
    /// filesystem store syncs neither, so a power cut could otherwise lose a document whose
    /// receipt was already given. S3 acknowledges only what it has stored: nothing to do.
    async fn sync(&self, key: &str) -> Result<(), object_store::Error> {
        let Some(local) = &self.local else {
            return Ok(());
        };
        let path = local.path_to_filesystem(&Key::from(key))?;
        let failed = |e: std::io::Error| object_store::Error::Generic {
            store: "LocalFileSystem",
            source: Box::new(e),
        };
        tokio::task::spawn_blocking(move || -> std::io::Result<()> {
            std::fs::File::open(&path)?.sync_all()?;
            if let Some(dir) = path.parent() {
                std::fs::File::open(dir)?.sync_all()?;
            }
            Ok(())
        })
        .await
        .map_err(|e| failed(std::io::Error::other(e)))?
        .map_err(failed)
    }

    /// The staging files a write cut off by a crash (`kill -9`) left in a store on the
    /// filesystem, last changed before `before` (Unix seconds): the filesystem store writes an
    /// object beside its key as `key#N` and renames it into place only when it is whole, and
    /// never lists those. An S3 store keeps no such files (an upload that was never completed
    /// is removed by the bucket's lifecycle rule, docs/operations.md): none.
    pub fn stale_staging(&self, before: i64) -> Vec<std::path::PathBuf> {
        let Some(root) = &self.root else {
            return vec![];
        };
        let mut out = vec![];
        let mut folders = vec![root.clone()];
        while let Some(dir) = folders.pop() {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for entry in entries.flatten() {
                let path = entry.path();
                let Ok(meta) = entry.metadata() else { continue };
                if meta.is_dir() {
                    folders.push(path);
                    continue;
                }
                let staging = path
                    .file_name()
                    .and_then(|n| n.to_str())
                    .and_then(|n| n.rsplit_once('#'))
                    .is_some_and(|(_, n)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
                let changed = meta
                    .modified()
                    .ok()
                    .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                    .map_or(0, |d| d.as_secs() as i64);
                if staging && changed < before {
                    out.push(path);
                }
            }
        }
        out
    }

    /// The object's size, or none if there is no object under `key`.
    pub async fn size(&self, key: &str) -> Result<Option<u64>, object_store::Error> {
        match self.store.head(&Key::from(key)).await {
            Ok(meta) => Ok(Some(meta.size)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The object's bytes, or those in `range` only.
    pub async fn get(
        &self,
        key: &str,
        range: Option<Range<u64>>,
    ) -> Result<ByteStream, object_store::Error> {
        let options = GetOptions {
            range: range.map(GetRange::Bounded),
            ..GetOptions::default()
        };
        let got = self.store.get_opts(&Key::from(key), options).await?;
        let range = got.range.clone();
        Ok(match got.payload {
            // object_store reads a local file 8 KiB at a time, each read a blocking task of its
            // own (about 100 MB/s here); 1 MiB reads go at the disk's pace.
            object_store::GetResultPayload::File(file, _) => file_stream(file, range),
            object_store::GetResultPayload::Stream(s) => s,
        })
    }

    /// Removes the object (none there is no error).
    pub async fn delete(&self, key: &str) -> Result<(), object_store::Error> {
        match self.store.delete(&Key::from(key)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// The keys under `prefix` with when each was last written (Unix seconds).
    pub async fn list(&self, prefix: &str) -> Result<Vec<(String, i64)>, object_store::Error> {
        let mut out = vec![];
        let mut items = self.store.list(Some(&Key::from(prefix)));
        while let Some(meta) = items.next().await {
            let meta = meta?;
            out.push((meta.location.to_string(), meta.last_modified.timestamp()));
        }
        Ok(out)
    }
}

/// How much of a local file one read takes.
const READ_CHUNK: u64 = 1 << 20;

/// `range` of a local file as a stream of reads of up to [`READ_CHUNK`], each on the blocking
/// pool.
fn file_stream(file: std::fs::File, range: Range<u64>) -> ByteStream {
    let failed = |e: std::io::Error| object_store::Error::Generic {
        store: "LocalFileSystem",
        source: Box::new(e),
    };
    futures_util::stream::try_unfold(
        (file, range.start, range.end),
        move |(file, at, end)| async move {
            if at >= end {
                return Ok(None);
            }
            let read = tokio::task::spawn_blocking(move || {
                use std::io::{Read as _, Seek as _};
                let mut file = file;
                file.seek(std::io::SeekFrom::Start(at))?;
                let want = (end - at).min(READ_CHUNK);
                let mut buf = Vec::with_capacity(want as usize);
                (&mut file).take(want).read_to_end(&mut buf)?;
                Ok::<_, std::io::Error>((file, buf))
            })
            .await
            .map_err(|e| failed(std::io::Error::other(e)))?;
            let (file, buf) = read.map_err(failed)?;
            if buf.is_empty() {
                // The file is shorter than its listing said (cut meanwhile): say so.
                return Err(failed(std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    "the file ended before the range",
                )));
            }
            let next = at + buf.len() as u64;
            Ok(Some((Bytes::from(buf), (file, next, end))))
        },
    )
    .boxed()
}

/// Test helpers: a real S3-compatible server (`s3s-fs`) on a loopback port, in a temporary
/// folder, for as long as the returned guard lives.
#[cfg(test)]
pub(crate) mod testing {
    use super::*;
    use hyper_util::{
        rt::{TokioExecutor, TokioIo},
        server::conn::auto::Builder,
    };

    /// A running test S3 server and a store on a bucket of its own.
    pub(crate) struct S3Server {
        pub(crate) objects: Objects,
        pub(crate) settings: S3Settings,
        _dir: tempfile::TempDir,
        task: tokio::task::JoinHandle<()>,
    }

    impl Drop for S3Server {
        fn drop(&mut self) {
            self.task.abort();
        }
    }

    pub(crate) async fn s3() -> S3Server {
        let dir = tempfile::tempdir().expect("tempdir");
        // s3s-fs serves each folder under its root as a bucket.
        std::fs::create_dir(dir.path().join("documents")).expect("bucket");
        let fs = s3s_fs::FileSystem::new(dir.path()).expect("s3s-fs");
        let service = {
            let mut b = s3s::service::S3ServiceBuilder::new(fs);
            b.set_auth(s3s::auth::SimpleAuth::from_single(
                "test-key",
                "test-secret",
            ));
            b.build()
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let task = tokio::spawn(async move {
            let http = Builder::new(TokioExecutor::new());
            while let Ok((socket, _)) = listener.accept().await {
                let conn = http
                    .serve_connection(TokioIo::new(socket), service.clone())
                    .into_owned();
                tokio::spawn(async move {
                    let _ = conn.await;
                });
            }
        });
        let settings = S3Settings {
            endpoint: format!("http://127.0.0.1:{port}"),
            bucket: "documents".into(),
            region: "eu-west-2".into(),
            access_key_id: "test-key".into(),
            secret_access_key: "test-secret".into(),
        };
        S3Server {
            objects: Objects::s3(&settings).expect("store"),
            settings,
            _dir: dir,
            task,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunks(
        data: &[u8],
        size: usize,
    ) -> impl Stream<Item = Result<Bytes, std::io::Error>> + Unpin {
        let parts: Vec<Result<Bytes, std::io::Error>> = data
            .chunks(size)
            .map(|c| Ok(Bytes::copy_from_slice(c)))
            .collect();
        futures_util::stream::iter(parts)
    }

    async fn read_all(objects: &Objects, key: &str, range: Option<Range<u64>>) -> Vec<u8> {
        let mut s = objects.get(key, range).await.expect("get");
        let mut out = vec![];
        while let Some(c) = s.next().await {
            out.extend_from_slice(&c.expect("chunk"));
        }
        out
    }

    /// The same suite on the filesystem and on a real S3-compatible server.
    async fn suite(objects: &Objects) {
        let name = format!("{:?}", objects.backend);
        // Larger than one part, in uneven chunks.
        let data: Vec<u8> = (0..(PART + PART / 2 + 17))
            .map(|i| (i % 251) as u8)
            .collect();
        let stored = objects
            .put_stream("documents/a", chunks(&data, 65_521), 64 << 20, |_| true)
            .await
            .expect("put");
        assert_eq!(stored.size, data.len() as u64, "{name}");
        assert_eq!(stored.sha256, crate::files::sha256_hex(&data), "{name}");
        assert_eq!(
            objects.size("documents/a").await.expect("head"),
            Some(data.len() as u64)
        );
        assert_eq!(read_all(objects, "documents/a", None).await, data, "{name}");
        assert_eq!(
            read_all(objects, "documents/a", Some(1000..2000)).await,
            data[1000..2000],
            "a range ({name})"
        );

        // Over the limit: refused, and nothing under the key.
        let err = objects
            .put_stream("documents/big", chunks(&data, 65_521), 100_000, |_| true)
            .await
            .expect_err("too large");
        assert!(matches!(err, PutError::TooLarge(100_000)), "{name}");
        assert_eq!(
            objects.size("documents/big").await.expect("head"),
            None,
            "{name}"
        );

        // The caller's check refuses: nothing kept.
        let mut seen = 0;
        let err = objects
            .put_stream("documents/refused", chunks(&data, 65_521), 64 << 20, |c| {
                seen += c.len();
                seen < 200_000
            })
            .await
            .expect_err("refused");
        assert!(matches!(err, PutError::Refused), "{name}");
        assert_eq!(objects.size("documents/refused").await.expect("head"), None);

        // The connection drops part-way: nothing kept.
        let mut parts: Vec<Result<Bytes, std::io::Error>> =
            vec![Ok(Bytes::copy_from_slice(&data[..PART + 10]))];
        parts.push(Err(std::io::Error::other("connection reset")));
        let err = objects
            .put_stream(
                "documents/cut",
                futures_util::stream::iter(parts),
                64 << 20,
                |_| true,
            )
            .await
            .expect_err("cut");
        assert!(matches!(err, PutError::Source(_)), "{name}");
        assert_eq!(
            objects.size("documents/cut").await.expect("head"),
            None,
            "{name}"
        );

        // A resumable upload's append: what arrived before the break is kept (across a part
        // boundary), the break is reported beside it; nothing at all is kept when nothing came.
        let parts: Vec<Result<Bytes, std::io::Error>> = vec![
            Ok(Bytes::copy_from_slice(&data[..PART])),
            Ok(Bytes::copy_from_slice(&data[PART..PART + 10])),
            Err(std::io::Error::other("connection reset")),
        ];
        let (kept, broke) = objects
            .put_until_break("uploads/s/1", futures_util::stream::iter(parts), 64 << 20)
            .await
            .expect("kept");
        assert!(broke.is_some(), "{name}");
        assert_eq!(kept.size, PART as u64 + 10, "{name}");
        assert_eq!(
            read_all(objects, "uploads/s/1", None).await,
            data[..PART + 10],
            "{name}"
        );
        let (kept, broke) = objects
            .put_until_break(
                "uploads/s/2",
                futures_util::stream::iter(vec![Err::<Bytes, _>(std::io::Error::other("reset"))]),
                64 << 20,
            )
            .await
            .expect("nothing");
        assert!(broke.is_some() && kept.size == 0, "{name}");
        assert_eq!(objects.size("uploads/s/2").await.expect("head"), None);
        let (kept, broke) = objects
            .put_until_break("uploads/s/3", chunks(&data[..1000], 300), 64 << 20)
            .await
            .expect("whole");
        assert!(broke.is_none() && kept.size == 1000, "{name}");
        // More than the upload has room for: refused, nothing kept.
        let err = objects
            .put_until_break("uploads/s/4", chunks(&data[..1000], 300), 999)
            .await
            .expect_err("overrun");
        assert!(matches!(err, PutError::TooLarge(999)), "{name}");
        assert_eq!(objects.size("uploads/s/4").await.expect("head"), None);
        let mut uploads: Vec<String> = objects
            .list("uploads")
            .await
            .expect("list")
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        uploads.sort();
        assert_eq!(uploads, ["uploads/s/1", "uploads/s/3"], "{name}");
        // Nothing a finished write leaves is taken for a crash's leftovers.
        assert_eq!(
            objects.stale_staging(i64::MAX),
            Vec::<std::path::PathBuf>::new()
        );

        let listed = objects.list("documents").await.expect("list");
        assert_eq!(
            listed.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>(),
            ["documents/a"],
            "{name}"
        );
        objects.delete("documents/a").await.expect("delete");
        objects.delete("documents/a").await.expect("delete again");
        assert_eq!(
            objects.size("documents/a").await.expect("head"),
            None,
            "{name}"
        );
    }

    #[tokio::test]
    async fn the_store_on_the_filesystem() {
        let dir = tempfile::tempdir().expect("tempdir");
        suite(&Objects::file_system(&dir.path().join("objects")).expect("store")).await;
    }

    /// A write cut off by `kill -9` leaves the filesystem store's staging file (`key#N`)
    /// behind; only such files, and only old enough ones, are reported.
    #[test]
    fn a_crashs_staging_files_are_found_and_nothing_else() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().join("objects");
        let objects = Objects::file_system(&root).expect("store");
        std::fs::create_dir_all(root.join("uploads/s")).expect("dirs");
        for name in [
            "uploads/s/part#3",
            "uploads/s/part",
            "uploads/s/a#b",
            "uploads/s/c#",
            "x#12",
        ] {
            std::fs::write(root.join(name), b"bytes").expect("write");
        }
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("time")
            .as_secs() as i64;
        let mut found = objects.stale_staging(now + 10);
        found.sort();
        assert_eq!(found, [root.join("uploads/s/part#3"), root.join("x#12")]);
        assert!(objects.stale_staging(now - 3600).is_empty(), "too recent");
    }

    #[tokio::test]
    async fn the_store_on_s3() {
        let server = testing::s3().await;
        suite(&server.objects).await;
        assert!(!server.settings.endpoint.is_empty());
    }
}
