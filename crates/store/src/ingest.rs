//! Where ingest got to in each log file. A position is written in the same transaction as
//! the records of the lines before it ([`Store::write_ingested`]), so that a restart resumes
//! after the last committed line: none lost, none written twice.

use crate::Store;
use crate::audit::Actor;
use crate::db::Tx;
use crate::error::Result;
use crate::records::{Mark, NewRecord};
use crate::time;

/// One file's position.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IngestPosition {
    /// What was read: the file's path as given (one position per path; a rotated file is
    /// told apart by its identity and head).
    pub source: String,
    /// The file's device number.
    pub device: i64,
    /// The file's inode number.
    pub inode: i64,
    /// Bytes read and committed: the start of the next line.
    pub offset: i64,
    /// How many of the file's first bytes `head_hash` covers.
    pub head_len: i64,
    /// SHA-256 (hex) of those bytes: a file truncated and written again (copytruncate)
    /// starts differently, or is shorter than the offset.
    pub head_hash: String,
    /// Lines read so far from this file, for line numbers in messages.
    pub lines: i64,
}

pub(crate) async fn put_position(tx: &mut Tx, at: &IngestPosition) -> Result<()> {
    tx.exec(
        "INSERT INTO ingest_positions (source, device, inode, byte_offset, head_len, head_hash, lines, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
         ON CONFLICT (source) DO UPDATE SET device = excluded.device, inode = excluded.inode, \
         byte_offset = excluded.byte_offset, head_len = excluded.head_len, head_hash = excluded.head_hash, \
         lines = excluded.lines, updated_at = excluded.updated_at",
        &[
            at.source.clone().into(),
            at.device.into(),
            at.inode.into(),
            at.offset.into(),
            at.head_len.into(),
            at.head_hash.clone().into(),
            at.lines.into(),
            time::now_us().into(),
        ],
    )
    .await?;
    Ok(())
}

impl Store {
    /// Where reading `source` got to, if it was read before.
    pub async fn ingest_position(&self, source: &str) -> Result<Option<IngestPosition>> {
        let mut tx = self.backend.begin_read().await?;
        let row = tx
            .row(
                "SELECT source, device, inode, byte_offset, head_len, head_hash, lines FROM ingest_positions WHERE source = $1",
                &[source.into()],
            )
            .await?;
        tx.commit().await?;
        let Some(row) = row else { return Ok(None) };
        Ok(Some(IngestPosition {
            source: row.text("source")?,
            device: row.i64("device")?,
            inode: row.i64("inode")?,
            offset: row.i64("byte_offset")?,
            head_len: row.i64("head_len")?,
            head_hash: row.text("head_hash")?,
            lines: row.i64("lines")?,
        }))
    }

    /// Writes the records of a run of lines and, in the same transaction, the position after
    /// them; an empty batch moves the position only.
    pub async fn write_ingested(
        &self,
        actor: &Actor,
        batch: &[NewRecord],
        at: &IngestPosition,
    ) -> Result<u64> {
        self.write_batch(actor, batch, Some(Mark::Ingest(at))).await
    }
}
