//! The pinning policy: which pins apply to which hosts.
//!
//! A [`Policy`] is an immutable value; a store publishes a new one on every change. Lookup
//! applies only the most specific pattern that covers a host: the exact name, then the `*.`
//! pattern one label up, then `**.` patterns from the longest suffix to the shortest.

use std::collections::HashMap;
use std::sync::Arc;

use crate::host::{HostName, HostPattern, parent};
use crate::limits::CERTPIN_MAX_PINS;
use crate::pin::Pin;
use crate::result::PinError;

/// The pins given for one host pattern. Any one of them on a validated path is enough, which
/// is how backup pins work.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PinSet {
    /// The pattern these pins were given under.
    pub pattern: HostPattern,
    /// The pins, in the order they were added, without duplicates.
    pub pins: Vec<Pin>,
}

impl PinSet {
    /// Whether `pin` is one of this set's pins.
    pub fn contains(&self, pin: &Pin) -> bool {
        self.pins.contains(pin)
    }
}

/// Host patterns and their pins.
#[derive(Clone, Debug, Default)]
pub struct Policy {
    exact: HashMap<HostName, Arc<PinSet>>,
    one_label: HashMap<String, Arc<PinSet>>,
    any_depth: HashMap<String, Arc<PinSet>>,
    pin_count: usize,
}

impl Policy {
    /// The pin set that applies to `host`, if any pattern covers it.
    pub fn lookup(&self, host: &HostName) -> Option<&Arc<PinSet>> {
        if let Some(set) = self.exact.get(host) {
            return Some(set);
        }
        let name = host.dns()?;
        if let Some(set) = parent(name).and_then(|base| self.one_label.get(base)) {
            return Some(set);
        }
        let mut suffix = Some(name);
        while let Some(base) = suffix {
            if let Some(set) = self.any_depth.get(base) {
                return Some(set);
            }
            suffix = parent(base);
        }
        None
    }

    /// This policy with `pin` added under `pattern` (the pattern's earlier pins are kept).
    /// Fails, leaving `self` as it is, when the store would hold more than
    /// [`CERTPIN_MAX_PINS`] pins.
    pub fn with_pin(&self, pattern: &HostPattern, pin: Pin) -> Result<Self, PinError> {
        let mut next = self.clone();
        let empty = || Arc::new(PinSet { pattern: pattern.clone(), pins: Vec::new() });
        let set = match pattern {
            HostPattern::Exact(host) => next.exact.entry(host.clone()).or_insert_with(empty),
            HostPattern::OneLabel(base) => next.one_label.entry(base.clone()).or_insert_with(empty),
            HostPattern::AnyDepth(base) => next.any_depth.entry(base.clone()).or_insert_with(empty),
        };
        if set.contains(&pin) {
            return Ok(next);
        }
        if self.pin_count >= CERTPIN_MAX_PINS {
            return Err(PinError::InvalidArgument);
        }
        Arc::make_mut(set).pins.push(pin);
        next.pin_count += 1;
        Ok(next)
    }

    /// How many pins the policy holds, over all patterns.
    pub fn pin_count(&self) -> usize {
        self.pin_count
    }

    /// Every pin set, in no particular order.
    pub fn pin_sets(&self) -> impl Iterator<Item = &Arc<PinSet>> {
        self.exact.values().chain(self.one_label.values()).chain(self.any_depth.values())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pin(n: u8) -> Pin {
        Pin::of_spki(&[n])
    }

    fn policy(entries: &[(&str, u8)]) -> Policy {
        entries.iter().fold(Policy::default(), |p, (pattern, n)| {
            p.with_pin(&HostPattern::parse(pattern).unwrap(), pin(*n)).unwrap()
        })
    }

    fn applied(policy: &Policy, host: &str) -> Option<String> {
        policy.lookup(&HostName::parse(host).unwrap()).map(|s| s.pattern.to_string())
    }

    #[test]
    fn most_specific_pattern_wins() {
        let p = policy(&[
            ("**.example.com", 1),
            ("**.api.example.com", 2),
            ("*.api.example.com", 3),
            ("v1.api.example.com", 4),
        ]);
        assert_eq!(applied(&p, "v1.api.example.com").as_deref(), Some("v1.api.example.com"));
        assert_eq!(applied(&p, "v2.api.example.com").as_deref(), Some("*.api.example.com"));
        assert_eq!(applied(&p, "a.v2.api.example.com").as_deref(), Some("**.api.example.com"));
        assert_eq!(applied(&p, "api.example.com").as_deref(), Some("**.api.example.com"));
        assert_eq!(applied(&p, "www.example.com").as_deref(), Some("**.example.com"));
        assert_eq!(applied(&p, "example.com").as_deref(), Some("**.example.com"));
        assert_eq!(applied(&p, "example.org"), None);
        assert_eq!(applied(&p, "badexample.com"), None);
    }

    #[test]
    fn pins_accumulate_without_duplicates() {
        let p = policy(&[("api.example.com", 1), ("API.example.com.", 2), ("api.example.com", 1)]);
        let set = p.lookup(&HostName::parse("api.example.com").unwrap()).unwrap();
        assert_eq!(set.pins, vec![pin(1), pin(2)]);
        assert_eq!(p.pin_count(), 2);
    }
}
