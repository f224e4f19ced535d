use std::os::unix::fs::PermissionsExt as _;

use charter_engine::Privacy;

use super::*;
use crate::records::Source;

fn record(i: usize) -> NewRecord {
    NewRecord {
        at: jiff::Timestamp::from_second(1_780_000_000 + i as i64).unwrap(),
        user: Some(format!("user{i}").into()),
        source: Source::Web,
        subject: format!("http://example.org/{i}").into(),
        verdict: "allow".into(),
        rule: None,
        check: None,
        severity: None,
        categories: Some("news".into()),
        privacy: Privacy::Full,
        detail: None,
        findings: "[]".into(),
    }
}

fn records(range: std::ops::Range<usize>) -> Vec<NewRecord> {
    range.map(record).collect()
}

fn subjects(batch: &Batch) -> Vec<String> {
    batch
        .records
        .iter()
        .map(|(r, _)| r.subject.to_string())
        .collect()
}

fn urls(range: std::ops::Range<usize>) -> Vec<String> {
    range.map(|i| format!("http://example.org/{i}")).collect()
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn records_read_back_in_order_with_the_position_after_each() {
    let dir = tempfile::tempdir().unwrap();
    let spool = Spool::open(&dir.path().join("spool")).unwrap();
    let mut w = spool.writer().unwrap();
    assert_eq!(w.append(&records(0..3)).unwrap().written, 3);
    assert_eq!(w.append(&records(3..5)).unwrap().written, 2);
    let mut r = spool.reader(None);
    let batch = r.read(w.end(), 100).unwrap();
    assert_eq!(subjects(&batch), urls(0..5));
    assert_eq!(batch.damaged, 0);
    let after: Vec<Position> = batch.records.iter().map(|(_, p)| *p).collect();
    assert!(after.windows(2).all(|p| p[0] < p[1]), "{after:?}");
    assert_eq!(after.last(), Some(&w.end()));
    assert_eq!(r.position(), w.end());
    assert!(r.read(w.end(), 100).unwrap().records.is_empty());
}

#[test]
fn a_read_stops_at_its_maximum_and_the_next_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let spool = Spool::open(dir.path()).unwrap();
    let mut w = spool.writer().unwrap();
    w.append(&records(0..10)).unwrap();
    let mut r = spool.reader(None);
    assert_eq!(subjects(&r.read(w.end(), 4).unwrap()), urls(0..4));
    assert_eq!(subjects(&r.read(w.end(), 100).unwrap()), urls(4..10));
}

#[test]
fn the_reader_never_reads_past_the_writers_end() {
    let dir = tempfile::tempdir().unwrap();
    let spool = Spool::open(dir.path()).unwrap();
    let mut w = spool.writer().unwrap();
    w.append(&records(0..2)).unwrap();
    let end = w.end();
    w.append(&records(2..4)).unwrap();
    let mut r = spool.reader(None);
    assert_eq!(subjects(&r.read(end, 100).unwrap()), urls(0..2));
    assert_eq!(subjects(&r.read(w.end(), 100).unwrap()), urls(2..4));
}

#[test]
fn reading_crosses_segments_and_acknowledged_segments_are_removed() {
    let dir = tempfile::tempdir().unwrap();
    let spool = Spool::open(dir.path()).unwrap();
    let mut w = spool.writer().unwrap();
    w.set_segment_bytes(200);
    for i in 0..10 {
        w.append(&records(i..i + 1)).unwrap();
    }
    assert!(usage(dir.path()).unwrap().segments >= 3);
    let mut r = spool.reader(None);
    let batch = r.read(w.end(), 100).unwrap();
    assert_eq!(subjects(&batch), urls(0..10));
    let acked = batch.records[6].1;
    assert!(spool.remove_before(acked).unwrap() > 0);
    // Every record after the acknowledged one is still there to read.
    let mut again = spool.reader(Some(acked));
    assert_eq!(subjects(&again.read(w.end(), 100).unwrap()), urls(7..10));
    assert_eq!(count_from(dir.path(), Some(acked)).unwrap(), 3);
}

#[test]
fn a_restarted_writer_appends_to_a_new_segment_and_the_old_ones_are_read_first() {
    let dir = tempfile::tempdir().unwrap();
    let spool = Spool::open(dir.path()).unwrap();
    let mut w = spool.writer().unwrap();
    w.append(&records(0..3)).unwrap();
    drop(w);
    let mut w = spool.writer().unwrap();
    assert_eq!(w.end().segment, 2);
    w.append(&records(3..6)).unwrap();
    let mut r = spool.reader(None);
    assert_eq!(subjects(&r.read(w.end(), 100).unwrap()), urls(0..6));
}

#[test]
fn a_torn_frame_at_the_end_of_a_segment_is_skipped_and_counted() {
    let dir = tempfile::tempdir().unwrap();
    let spool = Spool::open(dir.path()).unwrap();
    let mut w = spool.writer().unwrap();
    w.append(&records(0..3)).unwrap();
    drop(w);
    // What a kill in the middle of a write leaves: the first bytes of a frame.
    let mut torn = Vec::new();
    (&record(99)).encode(&mut torn, segment::MAX_FRAME);
    let frame = segment::framed(&torn);
    {
        use std::io::Write as _;
        let mut f = OpenOptions::new()
            .append(true)
            .open(segment::path(dir.path(), 1))
            .unwrap();
        f.write_all(&frame[..frame.len() / 2]).unwrap();
    }
    let mut w = spool.writer().unwrap();
    w.append(&records(3..5)).unwrap();
    let batch = spool.reader(None).read(w.end(), 100).unwrap();
    assert_eq!(subjects(&batch), urls(0..5));
    assert_eq!(batch.damaged, (frame.len() / 2) as u64);
}

#[test]
fn a_damaged_frame_ends_its_segment_and_reading_goes_on_with_the_next() {
    let dir = tempfile::tempdir().unwrap();
    let spool = Spool::open(dir.path()).unwrap();
    let mut w = spool.writer().unwrap();
    w.append(&records(0..2)).unwrap();
    let cut = w.end();
    w.append(&records(2..4)).unwrap();
    drop(w);
    let path = segment::path(dir.path(), 1);
    let mut bytes = std::fs::read(&path).unwrap();
    // A bit flipped in the third record's payload.
    bytes[usize::try_from(cut.offset).unwrap() + segment::FRAME_HEAD + 3] ^= 0x10;
    std::fs::write(&path, &bytes).unwrap();
    let mut w = spool.writer().unwrap();
    w.append(&records(4..5)).unwrap();
    let batch = spool.reader(None).read(w.end(), 100).unwrap();
    assert_eq!(subjects(&batch), [urls(0..2), urls(4..5)].concat());
    assert_eq!(batch.damaged, bytes.len() as u64 - cut.offset);
}

#[test]
fn a_mark_in_a_removed_segment_reads_from_the_next() {
    let dir = tempfile::tempdir().unwrap();
    let spool = Spool::open(dir.path()).unwrap();
    let mut w = spool.writer().unwrap();
    w.append(&records(0..2)).unwrap();
    let old = w.end();
    drop(w);
    let mut w = spool.writer().unwrap();
    w.append(&records(2..4)).unwrap();
    std::fs::remove_file(segment::path(dir.path(), 1)).unwrap();
    let batch = spool.reader(Some(old)).read(w.end(), 100).unwrap();
    assert_eq!(subjects(&batch), urls(2..4));
}

#[test]
fn a_second_process_cannot_open_a_spool_in_use() {
    let dir = tempfile::tempdir().unwrap();
    let spool = Spool::open(dir.path()).unwrap();
    assert!(matches!(Spool::open(dir.path()), Err(SpoolError::InUse(_))));
    drop(spool);
    assert!(Spool::open(dir.path()).is_ok());
}

#[test]
fn the_id_is_made_once_and_kept() {
    let dir = tempfile::tempdir().unwrap();
    let first = Spool::open(dir.path()).unwrap().id().to_string();
    assert_eq!(first.len(), 16);
    assert_eq!(Spool::open(dir.path()).unwrap().id(), first);
    let other = tempfile::tempdir().unwrap();
    assert_ne!(Spool::open(other.path()).unwrap().id(), first);
}

#[test]
fn the_directory_is_private_and_every_file_in_it_owner_only() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("a/spool");
    let spool = Spool::open(&root).unwrap();
    let mut w = spool.writer().unwrap();
    w.append(&records(0..1)).unwrap();
    spool.set_aside(&record(1), "bad").unwrap();
    write_stats(&root, &Counters::default().snapshot(true)).unwrap();
    assert_eq!(mode(&root), 0o700);
    for entry in std::fs::read_dir(&root).unwrap() {
        let path = entry.unwrap().path();
        assert_eq!(mode(&path), 0o600, "{}", path.display());
    }
    assert!(root.join("rejects.jsonl").exists() && root.join("stats.json").exists());
}

#[test]
fn a_set_aside_record_is_kept_whole_with_its_reason() {
    let dir = tempfile::tempdir().unwrap();
    let spool = Spool::open(dir.path()).unwrap();
    spool.set_aside(&record(7), "bad `verdict`").unwrap();
    let text = std::fs::read_to_string(dir.path().join("rejects.jsonl")).unwrap();
    let line: serde_json::Value = serde_json::from_str(text.trim()).unwrap();
    assert_eq!(line["reason"], "bad `verdict`");
    assert_eq!(line["subject"], "http://example.org/7");
    assert_eq!(line["user"], "user7");
}

#[test]
fn stats_carry_over_to_the_next_process() {
    let dir = tempfile::tempdir().unwrap();
    let c = Counters::default();
    c.stored.fetch_add(5, std::sync::atomic::Ordering::Relaxed);
    c.set_store(false, Some("connection refused".into()));
    c.set_acked(Position {
        segment: 3,
        offset: 80,
    });
    write_stats(dir.path(), &c.snapshot(false)).unwrap();
    let read = read_stats(dir.path()).unwrap().unwrap();
    assert_eq!(read.stored, 5);
    assert!(!read.store.up);
    let resumed = Counters::resume(&read).snapshot(true);
    assert_eq!(resumed.stored, 5);
    assert_eq!(resumed.acked, read.acked);
    assert_eq!(resumed.store.since, read.store.since);
}

#[test]
fn the_store_state_says_since_when_it_changed() {
    let c = Counters::default();
    assert!(c.set_store(false, Some("down".into())));
    let since = c.snapshot(true).store.since;
    assert!(!c.set_store(false, Some("still down".into())));
    assert_eq!(c.snapshot(true).store.since, since);
    assert!(c.set_store(true, None));
}

#[test]
fn sync_newest_covers_an_empty_spool_and_a_written_one() {
    let dir = tempfile::tempdir().unwrap();
    assert!(sync_newest(dir.path()).is_ok(), "no segment yet");
    let spool = Spool::open(dir.path()).unwrap();
    let mut writer = spool.writer().unwrap();
    writer.append(&records(0..3)).unwrap();
    sync_newest(dir.path()).unwrap();
    assert_eq!(count_from(dir.path(), None).unwrap(), 3);
}
