//! Files kept outside the database, each under the SHA-256 of its content
//! (`DIR/ab/abcdef…`): written once to a temporary name, flushed to disk and renamed, so a
//! file is either whole or absent and the same content is stored once.

use sha2::{Digest, Sha256};
use std::{
    io::Write,
    path::{Path, PathBuf},
};

/// The hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Where the file with this hash lives.
pub fn path_of(dir: &Path, sha256: &str) -> Option<PathBuf> {
    let ok = sha256.len() == 64 && sha256.bytes().all(|b| b.is_ascii_hexdigit());
    ok.then(|| dir.join(&sha256[..2]).join(sha256))
}

/// Stores `bytes` (if not already stored) and returns their hash.
pub fn put(dir: &Path, bytes: &[u8]) -> std::io::Result<String> {
    let hash = sha256_hex(bytes);
    let Some(path) = path_of(dir, &hash) else {
        return Err(std::io::Error::other("a hash that is not hex"));
    };
    if path.exists() {
        return Ok(hash);
    }
    let folder = path.parent().unwrap_or(dir);
    std::fs::create_dir_all(folder)?;
    let tmp = folder.join(format!(".{hash}.{}", uuid::Uuid::new_v4()));
    let written = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, &path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written.map(|()| hash)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_is_stored_once_under_its_hash() {
        let dir = tempfile::tempdir().unwrap();
        let a = put(dir.path(), b"%PDF-1.4\n").unwrap();
        assert_eq!(a, sha256_hex(b"%PDF-1.4\n"));
        assert_eq!(put(dir.path(), b"%PDF-1.4\n").unwrap(), a);
        let path = path_of(dir.path(), &a).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"%PDF-1.4\n");
        assert_eq!(
            std::fs::read_dir(path.parent().unwrap()).unwrap().count(),
            1,
            "no temporary left"
        );
        assert_eq!(path_of(dir.path(), "../../etc/passwd"), None);
    }
}
