//! The staging area of a bulk import whose rows have children (products, orders): each
//! line of the result file is kept under (resource, owner, line), where the owner is the
//! root row's id (its own for a root row, its `__parentId` for a child). Shopify writes a
//! child after its parent but not necessarily right after, so a parent is complete only
//! at the end of the file; reading the staged lines back in key order then yields each
//! root row followed by all its children, one group at a time, with memory bounded by
//! one group rather than by the file.

use super::keys::{self, Kind};
use super::{codec, Batch, Store, StoreError};

fn key(shop: &str, resource: u64, owner: u64, line: u64) -> Vec<u8> {
    let mut k = keys::pair(shop, Kind::ImportStage, resource, owner);
    k.extend_from_slice(&line.to_be_bytes());
    k
}

/// A staged line: its owner, its line number in the file, its text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StagedLine {
    /// The root row's id.
    pub owner: u64,
    /// Line number in the result file (a root row has the smallest of its group).
    pub line: u64,
    /// The JSON text.
    pub text: String,
}

impl Batch {
    /// Stages one line of `resource`'s result file.
    ///
    /// # Errors
    /// When the value cannot be encoded.
    pub fn stage_line(
        &mut self,
        shop: &str,
        resource: u64,
        owner: u64,
        line: u64,
        text: &str,
    ) -> Result<(), StoreError> {
        self.raw_put(key(shop, resource, owner, line), codec::encode(&text)?);
        Ok(())
    }

    /// Removes a staged line (its group is journaled).
    pub fn unstage_line(&mut self, shop: &str, resource: u64, owner: u64, line: u64) {
        self.raw_remove(key(shop, resource, owner, line));
    }
}

impl Store {
    /// Up to `limit` staged lines of `resource` from owner `from` on, in (owner, line)
    /// order.
    ///
    /// # Errors
    /// When sled fails or a value does not decode.
    pub fn staged_lines(
        &self,
        shop: &str,
        resource: u64,
        from: u64,
        limit: usize,
    ) -> Result<Vec<StagedLine>, StoreError> {
        let prefix = keys::record(shop, Kind::ImportStage, resource);
        let start = keys::pair(shop, Kind::ImportStage, resource, from);
        let mut out = Vec::new();
        for kv in self.read_range(&start, &prefix) {
            let (k, v) = kv?;
            if !k.starts_with(&prefix) || out.len() >= limit {
                break;
            }
            let tail = &k[prefix.len()..];
            let (Some(owner), Some(line)) = (
                tail.get(..8)
                    .and_then(|b| b.try_into().ok())
                    .map(u64::from_be_bytes),
                keys::last_u64(&k),
            ) else {
                return Err(StoreError::Corrupt("staged import line key".into()));
            };
            out.push(StagedLine {
                owner,
                line,
                text: codec::decode(&v)?,
            });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn staged_lines_come_back_grouped_by_owner_whatever_the_file_order() {
        let dir = tempfile::tempdir().expect("dir");
        let store = Store::open(dir.path(), 8 << 20).expect("store");
        let mut b = Batch::new();
        for (owner, line, text) in [(7, 1, "p7"), (3, 2, "p3"), (7, 3, "v7"), (3, 4, "v3")] {
            b.stage_line("a.myshopify.com", 2, owner, line, text)
                .expect("stage");
        }
        b.stage_line("a.myshopify.com", 1, 3, 9, "other resource")
            .expect("stage");
        store.commit(b).expect("commit");
        let all = store
            .staged_lines("a.myshopify.com", 2, 0, 10)
            .expect("read");
        let seen: Vec<(u64, u64, &str)> = all
            .iter()
            .map(|l| (l.owner, l.line, l.text.as_str()))
            .collect();
        assert_eq!(
            seen,
            vec![(3, 2, "p3"), (3, 4, "v3"), (7, 1, "p7"), (7, 3, "v7")]
        );
        let from7 = store
            .staged_lines("a.myshopify.com", 2, 7, 1)
            .expect("read");
        assert_eq!(from7[0].text, "p7");
        let mut b = Batch::new();
        b.unstage_line("a.myshopify.com", 2, 3, 2);
        store.commit(b).expect("commit");
        assert_eq!(
            store
                .staged_lines("a.myshopify.com", 2, 0, 10)
                .expect("read")
                .len(),
            3
        );
    }
}
