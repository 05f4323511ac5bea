//! A real S3-compatible server (`s3s-fs`, the one the object-storage tests use) as a process of
//! its own, for the upload benchmark's S3 runs (`scripts/bench uploads`, docs/benchmarks.md):
//!
//!   s3_server ROOT PORT    serves each folder under ROOT as a bucket on 127.0.0.1:PORT,
//!                          access key `bench-key`, secret `bench-secret`
//!
//! Loopback only, and for measuring: never a store for real documents.

use hyper_util::{
    rt::{TokioExecutor, TokioIo},
    server::conn::auto::Builder,
};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(root), Some(port)) = (args.next(), args.next()) else {
        return Err("usage: s3_server ROOT PORT".into());
    };
    let fs = s3s_fs::FileSystem::new(&root).map_err(|e| format!("s3s-fs on {root}: {e:?}"))?;
    let service = {
        let mut b = s3s::service::S3ServiceBuilder::new(fs);
        b.set_auth(s3s::auth::SimpleAuth::from_single(
            "bench-key",
            "bench-secret",
        ));
        b.build()
    };
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port.parse::<u16>()?)).await?;
    let http = Builder::new(TokioExecutor::new());
    loop {
        let (socket, _) = listener.accept().await?;
        let conn = http
            .serve_connection(TokioIo::new(socket), service.clone())
            .into_owned();
        tokio::spawn(async move {
            let _ = conn.await;
        });
    }
}
