//! The courts list in memory: every visitor to `/courts` reads it and it changes only when an
//! operator imports a new list, so it is read from the database at most once a minute.

use super::{Court, store};
use crate::db::Db;
use std::sync::{Arc, RwLock};

/// How long a loaded list is used before it is read again (so an import shows within a minute).
pub const TTL_SECS: i64 = 60;

/// A short-lived copy of the courts list.
#[derive(Debug, Default)]
pub struct CourtsCache {
    slot: RwLock<Option<(i64, Arc<Vec<Court>>)>>,
}

impl CourtsCache {
    /// The list, from memory if it was loaded less than [`TTL_SECS`] ago (by the injected
    /// clock's `now_unix`), otherwise from the database.
    pub async fn get(&self, db: &Db, now_unix: i64) -> Result<Arc<Vec<Court>>, sqlx::Error> {
        if let Ok(slot) = self.slot.read()
            && let Some((loaded, courts)) = slot.as_ref()
            && (0..TTL_SECS).contains(&(now_unix - loaded))
        {
            return Ok(courts.clone());
        }
        let courts = Arc::new(store::list(db).await?);
        if let Ok(mut slot) = self.slot.write() {
            *slot = Some((now_unix, courts.clone()));
        }
        Ok(courts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{courts::Region, db::testing};

    #[tokio::test]
    async fn reloads_after_the_ttl() {
        let (db, _dir) = testing::sqlite().await;
        let court = |name: &str| Court {
            name: name.into(),
            region: Region::Wales,
            go_live: "2026-01-01".parse().unwrap(),
        };
        store::upsert_all(&db, &[court("A")], 0, "cli", "test")
            .await
            .unwrap();
        let cache = CourtsCache::default();
        assert_eq!(cache.get(&db, 100).await.unwrap().len(), 1);
        store::upsert_all(&db, &[court("B")], 0, "cli", "test")
            .await
            .unwrap();
        assert_eq!(
            cache.get(&db, 100 + TTL_SECS - 1).await.unwrap().len(),
            1,
            "still cached"
        );
        assert_eq!(
            cache.get(&db, 100 + TTL_SECS).await.unwrap().len(),
            2,
            "reloaded"
        );
        assert_eq!(
            cache.get(&db, 50).await.unwrap().len(),
            2,
            "a clock that went back reloads"
        );
    }
}
