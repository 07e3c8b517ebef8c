//! Article id → slot, without a second copy of the id.
//!
//! A `HashMap<Box<str>, u32>` would hold every id twice (in the entry and as
//! the key): about 48 bytes an article, 48 MB at a million. The table holds
//! slot numbers only, hashed and compared through the entries they point to.

use super::Entry;
use hashbrown::HashTable;
use std::hash::{BuildHasher, RandomState};

#[derive(Debug, Default)]
pub(super) struct IdMap {
    slots: HashTable<u32>,
    hasher: RandomState,
}

fn id_of(entries: &[Option<Entry>], slot: u32) -> &str {
    entries[slot as usize].as_ref().map_or("", |e| &e.id)
}

impl IdMap {
    /// The slot holding `id`.
    pub(super) fn get(&self, entries: &[Option<Entry>], id: &str) -> Option<u32> {
        let hash = self.hasher.hash_one(id);
        self.slots.find(hash, |&s| id_of(entries, s) == id).copied()
    }

    /// Records that `slot` (already filled in `entries`) holds its id.
    pub(super) fn insert(&mut self, entries: &[Option<Entry>], slot: u32) {
        let hasher = &self.hasher;
        let hash = hasher.hash_one(id_of(entries, slot));
        self.slots
            .insert_unique(hash, slot, |&s| hasher.hash_one(id_of(entries, s)));
    }

    /// Forgets `id` (call before its slot is emptied).
    pub(super) fn remove(&mut self, entries: &[Option<Entry>], id: &str) {
        let hash = self.hasher.hash_one(id);
        if let Ok(found) = self.slots.find_entry(hash, |&s| id_of(entries, s) == id) {
            found.remove();
        }
    }

    /// Ids held.
    pub(super) fn len(&self) -> usize {
        self.slots.len()
    }

    /// Bytes of the table itself.
    pub(super) fn table_bytes(&self) -> usize {
        self.slots.capacity() * (std::mem::size_of::<u32>() + 1)
    }
}
