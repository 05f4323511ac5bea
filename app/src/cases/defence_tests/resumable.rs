//! Resumable uploads against real databases and both document stores: an upload made in
//! pieces, cut off and carried on, raced, refused, abandoned and expired ends as at most one
//! document, with exactly the bytes sent, and leaves nothing else behind.

use super::{
    uploads::{Chunks, body, setup},
    *,
};
use crate::{
    cases::{
        cleanup,
        resumable::{self, Appended},
        upload::{self, Offer, Refused as No},
    },
    objects::{Objects, testing::s3},
};
use bytes::Bytes;

/// The wall clock: the store stamps its objects with it, so the clean-up of objects without a
/// record is tried at a time measured from it.
fn wall_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("time")
        .as_secs() as i64
}

/// A stream that sends `bytes` and then breaks, as a dropped connection does.
fn cut(bytes: &[u8]) -> Chunks {
    let mut parts: Vec<Result<Bytes, std::io::Error>> = bytes
        .chunks(4096)
        .map(|c| Ok(Bytes::copy_from_slice(c)))
        .collect();
    parts.push(Err(std::io::Error::other("connection reset")));
    futures_util::stream::iter(parts)
}

async fn keys(objects: &Objects, prefix: &str) -> Vec<String> {
    let mut k: Vec<String> = objects
        .list(prefix)
        .await
        .expect("list")
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    k.sort();
    k
}

async fn the_rules(state: &AppState, case_id: &str, objects: &Objects) {
    let name = format!("{:?} on {:?}", state.db.backend, objects.backend);
    let db = &state.db;
    let (a, b, offer) = setup(state, case_id).await;
    // A document of a few parts: a PDF of 300 kB.
    let pdf: Vec<u8> = [
        b"%PDF-1.7\n".as_slice(),
        &(0..300_000)
            .map(|i| b'a' + (i % 26) as u8)
            .collect::<Vec<_>>(),
        b"\n%%EOF\n",
    ]
    .concat();
    let len = pdf.len() as u64;
    let create = |m: &Member, o: &Offer, length: u64| {
        let (m, o) = (m.clone(), o.clone());
        async move {
            resumable::create(db, &m, &o, length, upload::DEFAULT_LIMIT, NOW)
                .await
                .expect("db")
        }
    };
    let append = |m: &Member, id: &str, offset: u64, bytes: Chunks, now: i64| {
        let (m, id) = (m.clone(), id.to_owned());
        async move {
            resumable::append(
                db,
                objects,
                &state.notices,
                &m,
                case_id,
                &id,
                offset,
                bytes,
                true,
                now,
            )
            .await
            .expect("append")
        }
    };
    let received = |id: &str| {
        let (id, user) = (id.to_owned(), a.user.id.clone());
        async move {
            resumable::session(db, &user, case_id, &id)
                .await
                .expect("read")
                .expect("theirs")
        }
    };

    // The offer is checked as the form's is, before a byte is sent.
    let refusals = [
        (
            Offer {
                section: "idpc".into(),
                ..offer.clone()
            },
            len,
            No::Section,
        ),
        (
            Offer {
                file_name: "plea.exe".into(),
                ..offer.clone()
            },
            len,
            No::Extension,
        ),
        (offer.clone(), 0, No::Empty),
        (
            offer.clone(),
            upload::DEFAULT_LIMIT + 1,
            No::TooLarge(upload::DEFAULT_LIMIT),
        ),
    ];
    for (o, length, why) in &refusals {
        assert_eq!(create(&a, o, *length).await, Err(*why), "{why:?} ({name})");
    }
    assert_eq!(
        create(&b, &offer, len).await,
        Err(No::NotOnRecord),
        "the co-defendant's firm ({name})"
    );
    assert_eq!(
        count(db, "SELECT COUNT(*) FROM upload_sessions").await,
        0,
        "{name}"
    );

    let (id, expires) = create(&a, &offer, len).await.expect("made");
    assert_eq!(expires, NOW + resumable::EXPIRY_SECS);
    let s = received(&id).await;
    assert_eq!((s.received, s.length, s.status.as_str()), (0, len, "open"));
    assert_eq!(s.offer.title, "Plea of not guilty");
    // It is its maker's alone.
    assert!(
        resumable::session(db, &b.user.id, case_id, &id)
            .await
            .expect("read")
            .is_none(),
        "{name}"
    );
    assert_eq!(
        append(&b, &id, 0, body(&pdf[..10]), NOW).await,
        Appended::Gone,
        "{name}"
    );

    // Not where the server's bytes end: told where they do.
    assert_eq!(
        append(&a, &id, 5, body(&pdf[..10]), NOW).await,
        Appended::Conflict(0),
        "{name}"
    );
    // A first piece, then one cut off part-way: what arrived is kept.
    assert_eq!(
        append(&a, &id, 0, body(&pdf[..100_000]), NOW).await,
        Appended::Offset(100_000),
        "{name}"
    );
    assert_eq!(
        append(&a, &id, 100_000, cut(&pdf[100_000..150_000]), NOW + 60).await,
        Appended::Interrupted(150_000),
        "{name}"
    );
    let s = received(&id).await;
    assert_eq!(s.received, 150_000, "{name}");
    assert_eq!(
        s.expires_at,
        NOW + 60 + resumable::EXPIRY_SECS,
        "an append extends it"
    );
    // A connection that broke before any byte adds nothing.
    assert_eq!(
        append(&a, &id, 150_000, cut(b""), NOW + 60).await,
        Appended::Interrupted(150_000),
        "{name}"
    );
    // More than the file's declared length: not kept.
    assert_eq!(
        append(
            &a,
            &id,
            150_000,
            body(&[pdf.as_slice(), b"extra"].concat()[150_000..]),
            NOW + 60
        )
        .await,
        Appended::Overrun,
        "{name}"
    );
    assert_eq!(
        keys(objects, "uploads").await.len(),
        2,
        "two parts ({name})"
    );
    // Nothing is visible until the last byte is in.
    assert_eq!(
        count(db, "SELECT COUNT(*) FROM material WHERE section = 'plea'").await,
        0,
        "{name}"
    );

    // Two appends from the same offset at once (a retry racing the original): one is kept.
    let (x, y) = tokio::join!(
        append(&a, &id, 150_000, body(&pdf[150_000..250_000]), NOW + 60),
        append(&a, &id, 150_000, body(&pdf[150_000..250_000]), NOW + 60),
    );
    let mut both = [x, y];
    both.sort_by_key(|r| format!("{r:?}"));
    assert_eq!(
        both,
        [Appended::Conflict(250_000), Appended::Offset(250_000)],
        "{name}"
    );
    assert_eq!(
        keys(objects, "uploads").await.len(),
        3,
        "the loser's part is gone ({name})"
    );

    // The last piece: the document is assembled, checked and recorded, once.
    let Appended::Done(receipt) = append(&a, &id, 250_000, body(&pdf[250_000..]), NOW + 120).await
    else {
        panic!("done ({name})");
    };
    let (size, sha, key, title, status): (i64, String, String, String, String) = sqlx::query_as(
        "SELECT size, sha256, storage_key, title, status FROM material WHERE receipt = $1",
    )
    .bind(&receipt)
    .fetch_one(&db.pool)
    .await
    .expect("recorded");
    assert_eq!(
        (size as u64, sha.as_str(), title.as_str(), status.as_str()),
        (
            len,
            crate::files::sha256_hex(&pdf).as_str(),
            "Plea of not guilty",
            "scanning"
        ),
        "{name}"
    );
    let mut stored = objects.get(&key, None).await.expect("get");
    let mut back = vec![];
    while let Some(c) = futures_util::StreamExt::next(&mut stored).await {
        back.extend_from_slice(&c.expect("chunk"));
    }
    assert!(back == pdf, "the bytes sent, in order ({name})");
    assert_eq!(
        keys(objects, "uploads").await,
        Vec::<String>::new(),
        "{name}"
    );
    assert_eq!(
        count(db, "SELECT COUNT(*) FROM upload_parts").await,
        0,
        "{name}"
    );
    let s = received(&id).await;
    assert_eq!(
        (s.status.as_str(), s.receipt.as_deref()),
        ("done", Some(receipt.as_str()))
    );
    // Asked again (the answer was lost): the same receipt, and still one document.
    assert_eq!(
        append(&a, &id, len, body(b""), NOW + 130).await,
        Appended::Done(receipt.clone()),
        "{name}"
    );
    assert_eq!(
        count(db, "SELECT COUNT(*) FROM material WHERE section = 'plea'").await,
        1,
        "{name}"
    );
    assert_eq!(
        count(
            db,
            "SELECT COUNT(*) FROM audit_events WHERE action = 'case.material.uploaded'"
        )
        .await,
        1,
        "{name}"
    );
    assert!(
        !resumable::terminate(db, objects, &a, case_id, &id)
            .await
            .expect("end")
    );

    // A file that is not what its name says is refused when whole, and nothing is kept.
    let exe = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\xff\xff";
    let (bad, _) = create(&a, &offer, exe.len() as u64).await.expect("made");
    assert_eq!(
        append(&a, &bad, 0, body(&exe[..4]), NOW).await,
        Appended::Offset(4)
    );
    assert_eq!(
        append(&a, &bad, 4, body(&exe[4..]), NOW).await,
        Appended::Refused(No::Content),
        "{name}"
    );
    assert_eq!(
        append(&a, &bad, exe.len() as u64, body(b""), NOW).await,
        Appended::Refused(No::Content),
        "asked again ({name})"
    );
    assert_eq!(received(&bad).await.problem.as_deref(), Some("content"));
    assert_eq!(
        keys(objects, "uploads").await,
        Vec::<String>::new(),
        "{name}"
    );

    // Abandoned: its parts go, and it is gone.
    let (ended, _) = create(&a, &offer, len).await.expect("made");
    append(&a, &ended, 0, body(&pdf[..1000]), NOW).await;
    assert!(
        resumable::terminate(db, objects, &a, case_id, &ended)
            .await
            .expect("end")
    );
    assert_eq!(
        keys(objects, "uploads").await,
        Vec::<String>::new(),
        "{name}"
    );
    assert_eq!(
        append(&a, &ended, 1000, body(&pdf[1000..]), NOW).await,
        Appended::Gone
    );

    // The firm stops acting before the last byte: refused as not on record.
    let (late, _) = create(&a, &offer, len).await.expect("made");
    append(&a, &late, 0, body(&pdf[..1000]), NOW).await;
    // Expires unless appended to; the one above is for the clean-up.
    let (idle, _) = create(&a, &offer, len).await.expect("made");
    append(&a, &idle, 0, body(&pdf[..1000]), NOW).await;
    defence::disassociate(state, &a, case_id, &offer.defendant_id, NOW)
        .await
        .expect("db")
        .expect("disassociated");
    assert_eq!(
        append(&a, &late, 1000, body(&pdf[1000..]), NOW).await,
        Appended::Refused(No::NotOnRecord),
        "{name}"
    );
    assert_eq!(
        count(db, "SELECT COUNT(*) FROM material WHERE section = 'plea'").await,
        1,
        "{name}"
    );

    // The clean-up: nothing yet within the day (the refused one's parts went when it was).
    let r = cleanup::run(db, objects, NOW + 200, cleanup::GRACE_SECS)
        .await
        .expect("clean");
    assert_eq!(r, cleanup::Report::default(), "{name}");
    assert_eq!(
        keys(objects, "uploads").await.len(),
        1,
        "the idle one's ({name})"
    );
    // A day on: it expires, its parts go, and an append finds it gone.
    let day = NOW + 60 + resumable::EXPIRY_SECS;
    let r = cleanup::run(db, objects, day, cleanup::GRACE_SECS)
        .await
        .expect("clean");
    assert_eq!((r.expired, r.parts), (1, 1), "{name}");
    assert_eq!(
        keys(objects, "uploads").await,
        Vec::<String>::new(),
        "{name}"
    );
    assert_eq!(
        append(&a, &idle, 1000, body(&pdf[1000..]), day).await,
        Appended::Gone
    );

    // Objects no record points at (a crash between storing and recording) go once older than
    // the grace period; the served document is never touched.
    objects
        .put_stream(
            "documents/never-recorded",
            body(b"%PDF-1.7\n"),
            1 << 20,
            |_| true,
        )
        .await
        .expect("put");
    objects
        .put_stream("uploads/gone/part", body(b"bytes"), 1 << 20, |_| true)
        .await
        .expect("put");
    let r = cleanup::run(db, objects, wall_now(), cleanup::GRACE_SECS)
        .await
        .expect("clean");
    assert_eq!(r.orphans, 0, "within the grace period ({name})");
    let r = cleanup::run(
        db,
        objects,
        wall_now() + cleanup::GRACE_SECS + 5,
        cleanup::GRACE_SECS,
    )
    .await
    .expect("clean");
    assert_eq!(r.orphans, 2, "{name}");
    assert_eq!(
        keys(objects, "documents").await,
        std::slice::from_ref(&key),
        "{name}"
    );
    assert_eq!(
        keys(objects, "uploads").await,
        Vec::<String>::new(),
        "{name}"
    );
    let again = cleanup::run(
        db,
        objects,
        wall_now() + cleanup::GRACE_SECS + 5,
        cleanup::GRACE_SECS,
    )
    .await
    .expect("clean");
    assert_eq!(again, cleanup::Report::default(), "{name}");
}

#[tokio::test]
async fn an_upload_in_pieces_ends_as_one_document_and_leaves_nothing_behind() {
    for (db, _guard) in testing::all().await {
        let (state, case_id, files) = with_case(db).await;
        let objects = Objects::file_system(&files.path().join("objects")).expect("store");
        the_rules(&state, &case_id, &objects).await;
    }
}

#[tokio::test]
async fn the_same_on_s3() {
    let (db, _guard) = testing::sqlite().await;
    let (state, case_id, _files) = with_case(db).await;
    let server = s3().await;
    the_rules(&state, &case_id, &server.objects).await;
}
