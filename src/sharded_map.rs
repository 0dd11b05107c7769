//! A hash map split into shards behind `Arc`s, for policies that are copied on every change.
//!
//! A store publishes each change as a whole new policy (readers never wait), so a policy is
//! cloned for every `pin_store_add`. Cloning a `ShardedMap` copies one pointer per shard, and
//! an insert into the copy copies only the shard it lands in: adding a pin to a policy of `n`
//! patterns costs about `n / SHARDS` entry copies instead of `n`.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::fmt;
use std::hash::{BuildHasher, Hash};
use std::sync::Arc;

use foldhash::fast::RandomState;

/// How many shards a map has once it holds anything.
const SHARDS: usize = 64;

/// One shard: foldhash, randomly seeded per process (fast on the short keys names are, and no
/// fixed seed for crafted names to collide on).
type Shard<K, V> = HashMap<K, V, RandomState>;

/// A map whose clones share unchanged shards.
#[derive(Clone)]
pub struct ShardedMap<K, V> {
    /// Empty until the first insert (an empty map allocates nothing), then `SHARDS` shards.
    shards: Vec<Arc<Shard<K, V>>>,
    /// Picks a key's shard. Kept by clones, so a key stays in the same shard in every copy.
    picker: RandomState,
    len: usize,
}

impl<K, V> Default for ShardedMap<K, V> {
    fn default() -> Self {
        Self { shards: Vec::new(), picker: RandomState::default(), len: 0 }
    }
}

impl<K: Hash + Eq + Clone, V: Clone> ShardedMap<K, V> {
    fn shard_index<Q: Hash + ?Sized>(&self, key: &Q) -> usize {
        (self.picker.hash_one(key) % SHARDS as u64) as usize
    }

    /// The value under `key`, if any.
    pub fn get<Q>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        if self.len == 0 {
            return None;
        }
        self.shards[self.shard_index(key)].get(key)
    }

    /// Puts `value` under `key`, returning what was there. Copies the key's shard first if a
    /// clone still shares it.
    pub fn insert(&mut self, key: K, value: V) -> Option<V> {
        if self.shards.is_empty() {
            self.shards = (0..SHARDS).map(|_| Arc::new(Shard::default())).collect();
        }
        let index = self.shard_index(&key);
        let old = Arc::make_mut(&mut self.shards[index]).insert(key, value);
        if old.is_none() {
            self.len += 1;
        }
        old
    }

    /// How many entries the map holds.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the map holds nothing.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Every entry, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        self.shards.iter().flat_map(|shard| shard.iter())
    }

    /// Every value, in no particular order.
    pub fn values(&self) -> impl Iterator<Item = &V> {
        self.iter().map(|(_, value)| value)
    }
}

/// Equal when they hold the same entries, however they were built (two maps may pick shards
/// differently).
impl<K: Hash + Eq + Clone, V: Clone + PartialEq> PartialEq for ShardedMap<K, V> {
    fn eq(&self, other: &Self) -> bool {
        self.len == other.len && self.iter().all(|(key, value)| other.get(key) == Some(value))
    }
}

impl<K: Hash + Eq + Clone, V: Clone + Eq> Eq for ShardedMap<K, V> {}

impl<K: Hash + Eq + Clone + fmt::Debug, V: Clone + fmt::Debug> fmt::Debug for ShardedMap<K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map_of(range: std::ops::Range<u32>) -> ShardedMap<String, u32> {
        let mut map = ShardedMap::default();
        for i in range {
            assert_eq!(map.insert(format!("host{i}.example"), i), None);
        }
        map
    }

    #[test]
    fn inserts_replace_and_count() {
        let mut map = map_of(0..1000);
        assert_eq!(map.len(), 1000);
        assert_eq!(map.get("host7.example"), Some(&7));
        assert_eq!(map.insert("host7.example".to_owned(), 70), Some(7));
        assert_eq!(map.len(), 1000);
        assert_eq!(map.get("host7.example"), Some(&70));
        assert_eq!(map.get("host1000.example"), None);
        assert_eq!(map.values().count(), 1000);
    }

    #[test]
    fn an_empty_map_allocates_nothing_and_finds_nothing() {
        let map: ShardedMap<String, u32> = ShardedMap::default();
        assert!(map.shards.is_empty());
        assert!(map.is_empty());
        assert_eq!(map.get("anything"), None);
        assert_eq!(map.iter().count(), 0);
    }

    #[test]
    fn a_clone_shares_all_but_the_shard_it_changes() {
        let original = map_of(0..1000);
        let mut copy = original.clone();
        copy.insert("new.example".to_owned(), 1);
        let shared = original.shards.iter().zip(&copy.shards).filter(|(a, b)| Arc::ptr_eq(a, b));
        assert_eq!(shared.count(), SHARDS - 1);
        // The original is untouched.
        assert_eq!(original.len(), 1000);
        assert_eq!(original.get("new.example"), None);
        assert_eq!(copy.get("new.example"), Some(&1));
    }

    #[test]
    fn maps_with_the_same_entries_are_equal_whatever_their_shards() {
        let a = map_of(0..500);
        let mut b = map_of(250..500);
        for i in (0..250).rev() {
            b.insert(format!("host{i}.example"), i);
        }
        assert_eq!(a, b);
        b.insert("host0.example".to_owned(), 99);
        assert_ne!(a, b);
        assert_ne!(a, map_of(0..499));
    }
}
