//! Prometheus metrics, so a stuck outbox or a dying job is seen (Common Platform once left about
//! 1% of its notifications unsent, unnoticed for months): requests by route and status with
//! latency, outbox messages waiting and failing and the age of the oldest, background job runs
//! and failures, sign-in failures and throttle blocks. The server serves them on a listen address
//! of their own (`METRICS_ADDR`), never on the public one.

use prometheus_client::{
    encoding::text::encode,
    metrics::{
        counter::Counter,
        family::Family,
        gauge::Gauge,
        histogram::{Histogram, exponential_buckets},
    },
    registry::Registry,
};
use std::sync::LazyLock;

type Labels = Vec<(String, String)>;

fn latency_histogram() -> Histogram {
    // 1 ms to about 16 s.
    Histogram::new(exponential_buckets(0.001, 2.0, 15))
}

/// The service's metrics.
pub struct Metrics {
    registry: Registry,
    requests: Family<Labels, Counter>,
    latency: Family<Labels, Histogram, fn() -> Histogram>,
    job_runs: Family<Labels, Counter>,
    job_failures: Family<Labels, Counter>,
    sign_in_failures: Family<Labels, Counter>,
    throttle_blocks: Family<Labels, Counter>,
    outbox_waiting: Gauge,
    outbox_failing: Gauge,
    outbox_oldest_age: Gauge,
    live_streams: Gauge,
    stream_connections: Gauge,
}

/// Counted in a gauge while it is held.
pub struct Open(&'static Gauge);

impl Drop for Open {
    fn drop(&mut self) {
        self.0.dec();
    }
}

static METRICS: LazyLock<Metrics> = LazyLock::new(Metrics::new);

/// The process's metrics.
pub fn metrics() -> &'static Metrics {
    &METRICS
}

fn labels(pairs: &[(&str, &str)]) -> Labels {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

impl Metrics {
    fn new() -> Metrics {
        let mut registry = Registry::with_prefix("caseaccess");
        let m = Metrics {
            requests: Family::default(),
            latency: Family::new_with_constructor(latency_histogram),
            job_runs: Family::default(),
            job_failures: Family::default(),
            sign_in_failures: Family::default(),
            throttle_blocks: Family::default(),
            outbox_waiting: Gauge::default(),
            outbox_failing: Gauge::default(),
            outbox_oldest_age: Gauge::default(),
            live_streams: Gauge::default(),
            stream_connections: Gauge::default(),
            registry: Registry::default(),
        };
        registry.register(
            "http_requests",
            "HTTP requests answered, by route, method and status",
            m.requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "Time to answer an HTTP request, by route and method",
            m.latency.clone(),
        );
        registry.register(
            "job_runs",
            "Background job runs, by job",
            m.job_runs.clone(),
        );
        registry.register(
            "job_failures",
            "Background job runs that failed, by job",
            m.job_failures.clone(),
        );
        registry.register(
            "sign_in_failures",
            "Wrong passwords, codes and passkeys at sign-in, by factor",
            m.sign_in_failures.clone(),
        );
        registry.register(
            "throttle_blocks",
            "Attempts refused by a throttle, by kind of key",
            m.throttle_blocks.clone(),
        );
        registry.register(
            "outbox_waiting",
            "Emails not yet sent",
            m.outbox_waiting.clone(),
        );
        registry.register(
            "outbox_failing",
            "Emails not yet sent whose delivery has failed at least once",
            m.outbox_failing.clone(),
        );
        registry.register(
            "outbox_oldest_waiting_age_seconds",
            "Age of the oldest email not yet sent (0 when none waits)",
            m.outbox_oldest_age.clone(),
        );
        registry.register(
            "live_streams",
            "Court boards' event streams open",
            m.live_streams.clone(),
        );
        registry.register(
            "stream_connections",
            "Event streams served on connections of their own (the rest share a kept-alive \
             connection, at more memory each: docs/operations.md)",
            m.stream_connections.clone(),
        );
        Metrics { registry, ..m }
    }

    /// A court board's event stream, counted while the result is held.
    pub fn live_stream(&'static self) -> Open {
        self.live_streams.inc();
        Open(&self.live_streams)
    }

    /// A connection serving one event stream by itself, counted while the result is held.
    pub fn stream_connection(&'static self) -> Open {
        self.stream_connections.inc();
        Open(&self.stream_connections)
    }

    /// One HTTP request answered.
    pub fn request(&self, route: &str, method: &str, status: u16, seconds: f64) {
        self.requests
            .get_or_create(&labels(&[
                ("route", route),
                ("method", method),
                ("status", &status.to_string()),
            ]))
            .inc();
        self.latency
            .get_or_create(&labels(&[("route", route), ("method", method)]))
            .observe(seconds);
    }

    /// One run of a background job.
    pub fn job(&self, job: &str, ok: bool) {
        let l = labels(&[("job", job)]);
        self.job_runs.get_or_create(&l).inc();
        if !ok {
            self.job_failures.get_or_create(&l).inc();
        }
    }

    /// A failed sign-in factor: `password`, `totp` or `passkey`.
    pub fn sign_in_failed(&self, factor: &str) {
        self.sign_in_failures
            .get_or_create(&labels(&[("factor", factor)]))
            .inc();
    }

    /// An attempt refused by the throttle on `key` (labelled by the key's kind, never the key).
    pub fn throttled(&self, key: &str) {
        let kind = key.split(':').next().unwrap_or("other");
        self.throttle_blocks
            .get_or_create(&labels(&[("kind", kind)]))
            .inc();
    }

    /// The metrics in Prometheus's text format, with the outbox read from the database now.
    pub async fn render(&self, db: &crate::db::Db, now: i64) -> Result<String, sqlx::Error> {
        let (waiting, failing, oldest): (i64, i64, Option<i64>) = sqlx::query_as(
            "SELECT COUNT(*), CAST(COALESCE(SUM(CASE WHEN attempts > 0 THEN 1 ELSE 0 END), 0) AS BIGINT), \
             MIN(created_at) FROM outbox WHERE sent_at IS NULL",
        )
        .fetch_one(&db.pool)
        .await?;
        self.outbox_waiting.set(waiting);
        self.outbox_failing.set(failing);
        self.outbox_oldest_age
            .set(oldest.map_or(0, |o| (now - o).max(0)));
        let mut out = String::new();
        encode(&mut out, &self.registry)
            .map_err(|e| sqlx::Error::Protocol(format!("encoding metrics: {e}")))?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::testing;

    #[tokio::test]
    async fn the_outbox_is_measured_from_the_database() {
        for (db, _guard) in testing::all().await {
            let name = format!("{:?}", db.backend);
            let settings = crate::email::MailSettings {
                from_address: "no-reply@test.example".into(),
                from_name: "Test".into(),
                public_url: "https://caseaccess.test".into(),
            };
            let mut tx = db.begin().await.unwrap();
            for kind in ["activation", "password_reset"] {
                crate::email::enqueue(
                    &mut tx,
                    &settings,
                    &crate::email::Email {
                        kind,
                        to: "a@example.com".into(),
                        user_id: None,
                        subject: "s".into(),
                        text: "t".into(),
                        html: "h".into(),
                    },
                    1000,
                )
                .await
                .unwrap();
            }
            tx.commit().await.unwrap();
            sqlx::query("UPDATE outbox SET attempts = 3 WHERE kind = 'activation'")
                .execute(&db.pool)
                .await
                .unwrap();
            let job = format!("test_job_{name}");
            metrics().job(&job, true);
            metrics().job(&job, false);
            metrics().throttled("email:someone@example.com");
            let open = (metrics().live_stream(), metrics().stream_connection());
            let text = metrics().render(&db, 1600).await.unwrap();
            assert!(text.contains("caseaccess_live_streams "), "{text}");
            assert!(text.contains("caseaccess_stream_connections "), "{text}");
            drop(open);
            for line in [
                "caseaccess_outbox_waiting 2",
                "caseaccess_outbox_failing 1",
                "caseaccess_outbox_oldest_waiting_age_seconds 600",
                &format!("caseaccess_job_runs_total{{job=\"{job}\"}} 2"),
                &format!("caseaccess_job_failures_total{{job=\"{job}\"}} 1"),
                "caseaccess_throttle_blocks_total{kind=\"email\"}",
            ] {
                let line: &str = line;
                assert!(text.contains(line), "{name}: {line} not in\n{text}");
            }
            assert!(!text.contains("someone@example.com"), "no key in a label");
        }
    }
}
