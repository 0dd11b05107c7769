//! The pinning policy: which pins apply to which hosts, and how.
//!
//! A [`Policy`] is an immutable value; a store publishes a new one on every change. Lookup
//! applies only the most specific pattern that covers a host: the one with the most fixed
//! labels, and at equal fixed labels the exact name before `*.` before `**.`. In order: the
//! exact name, `**.name` (the name itself, named in full), the `*.` pattern one label up,
//! then `**.` patterns from the longest suffix to the shortest.

use std::sync::Arc;

use crate::host::{HostName, HostPattern, parent};
use crate::limits::{CERTPIN_MAX_PATTERNS, CERTPIN_MAX_PINS};
use crate::pin::Pin;
use crate::result::PinError;
use crate::sharded_map::ShardedMap;

/// What a pin mismatch does.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Enforcement {
    /// Refuse the chain (`PIN_ERR_PIN_MISMATCH`) and report it.
    #[default]
    Enforce,
    /// Accept the chain if it is otherwise valid (`PIN_OK`), and report the mismatch.
    ReportOnly,
}

/// What a pinned chain must satisfy besides its pins.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum TrustMode {
    /// Web PKI validation against the trust anchors, and a pinned key on a validated path.
    #[default]
    CaAndPins,
    /// Only the leaf's key must be pinned: no CA, date or name checks. The pin is the identity
    /// (for servers with self-signed or private certificates).
    PinsOnly,
}

/// How one pattern's pins are applied.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct PinRules {
    /// Enforce or report only.
    pub enforcement: Enforcement,
    /// CA and pins, or pins only.
    pub trust: TrustMode,
    /// From this Unix time on, the pins are no longer enforced (fail open, like TrustKit and
    /// Android): the chain gets plain validation and the verdict says so.
    pub expires_at: Option<u64>,
    /// From this Unix time on (before `expires_at`), verdicts carry a warning that the pins
    /// are about to expire, so that new pins can ship in time.
    pub warn_after: Option<u64>,
    /// The hosts this pattern covers are excluded from any broader pattern: no pinning.
    pub excluded: bool,
    /// Trust on first use: while the set has no pins, verdicts are `PIN_ERR_NOT_PINNED` with
    /// the leaf's pin for the app to show, compare out of band and remember.
    pub tofu: bool,
}

impl PinRules {
    /// Whether the pins have expired at `time` (no longer enforced).
    pub fn expired_at(&self, time: u64) -> bool {
        self.expires_at.is_some_and(|expires| time >= expires)
    }

    /// Whether a verdict at `time` warns that the pins are about to expire.
    pub fn warns_at(&self, time: u64) -> bool {
        self.warn_after.is_some_and(|warn| time >= warn)
    }

    /// The last second, from `time` on, before [`PinRules::expired_at`] or
    /// [`PinRules::warns_at`] next changes (`u64::MAX` when neither will).
    pub fn unchanged_until(&self, time: u64) -> u64 {
        let next = |date: Option<u64>| date.filter(|d| *d > time).map_or(u64::MAX, |d| d - 1);
        next(self.warn_after).min(next(self.expires_at))
    }
}

/// The pins given for one host pattern, and how they apply. Any one of the pins on a
/// validated path is enough, which is how backup pins work.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PinSet {
    /// The pattern these pins were given under.
    pub pattern: HostPattern,
    /// The pins, in the order they were added, without duplicates.
    pub pins: Vec<Pin>,
    /// How they apply.
    pub rules: PinRules,
}

impl PinSet {
    /// Whether `pin` is one of this set's pins.
    pub fn contains(&self, pin: &Pin) -> bool {
        self.pins.contains(pin)
    }

    /// Whether the backup-pin rule applies: an enforced set that is not excluded and not
    /// trust-on-first-use.
    pub fn needs_backup(&self) -> bool {
        let rules = &self.rules;
        !rules.excluded && !rules.tofu && rules.enforcement == Enforcement::Enforce
    }

    /// The one check of a configured entry, made by `pin_store_set_domain`, policy documents,
    /// signed updates and `certpin lint` alike:
    ///
    /// - an exclusion takes no pins and no other option (`single_pin`, and `mode` or `trust`
    ///   even at their defaults, included);
    /// - an entry that enforces or reports (anything but an exclusion or trust on first use)
    ///   needs at least one pin: nothing but `exclude` or an expiry unpins a host;
    /// - an enforced entry needs two, the current key and a backup, unless `single_pin` waives
    ///   it (a set `pin_store_add` made, saved and loaded back);
    /// - report-only needs CA validation;
    /// - a warning date must not come after the expiry.
    pub fn check_configured(&self, stated: Stated) -> Result<(), ConfigProblem> {
        let rules = &self.rules;
        let single_pin = stated.single_pin;
        let exclusion = PinRules { excluded: true, ..PinRules::default() };
        let other_option = *rules != exclusion || single_pin || stated.mode_or_trust;
        if rules.excluded && (!self.pins.is_empty() || other_option) {
            return Err(ConfigProblem::ExclusionWithOptions);
        }
        if rules.enforcement == Enforcement::ReportOnly && rules.trust == TrustMode::PinsOnly {
            return Err(ConfigProblem::ReportOnlyWithoutCa);
        }
        if !rules.excluded && !rules.tofu && self.pins.is_empty() {
            return Err(ConfigProblem::NoPins);
        }
        if self.needs_backup() && !single_pin && self.pins.len() < 2 {
            return Err(ConfigProblem::MissingBackup);
        }
        if let (Some(warn), Some(expires)) = (rules.warn_after, rules.expires_at)
            && warn > expires
        {
            return Err(ConfigProblem::WarningAfterExpiry);
        }
        Ok(())
    }
}

/// What an entry states besides its pins and rules, for [`PinSet::check_configured`] (a
/// document can say these; the C API cannot, so it passes the default).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stated {
    /// `single_pin`: the backup-pin rule is waived.
    pub single_pin: bool,
    /// `mode` or `trust` is given, even at its default value.
    pub mode_or_trust: bool,
}

/// A rule of [`PinSet::check_configured`] that an entry breaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConfigProblem {
    /// An exclusion with pins or another option.
    ExclusionWithOptions,
    /// Report-only with pins-only trust: nothing would be checked.
    ReportOnlyWithoutCa,
    /// An entry that enforces or reports, with no pin: it would unpin its hosts.
    NoPins,
    /// An enforced entry with one pin and no `single_pin`.
    MissingBackup,
    /// `warn_after` after `expires`.
    WarningAfterExpiry,
}

impl ConfigProblem {
    /// A short name for the rule (the `check` of a `certpin lint` finding).
    pub fn name(self) -> &'static str {
        match self {
            Self::ExclusionWithOptions => "exclusion-with-options",
            Self::ReportOnlyWithoutCa => "report-only-without-ca",
            Self::NoPins => "no-pins",
            Self::MissingBackup => "missing-backup",
            Self::WarningAfterExpiry => "warning-after-expiry",
        }
    }
}

impl std::fmt::Display for ConfigProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::ExclusionWithOptions => "an excluded domain takes no pins and no other option",
            Self::ReportOnlyWithoutCa => {
                "report-only needs CA validation: with pins only, nothing would be checked"
            }
            Self::NoPins => {
                "an entry that enforces or reports needs at least one pin: with none it would \
                 unpin its hosts (only \"exclude\" or an expiry may)"
            }
            Self::MissingBackup => {
                "an enforced pin set needs at least two pins: the current key and a backup"
            }
            Self::WarningAfterExpiry => "the warning date comes after the expiry date",
        })
    }
}

/// What a store does for hosts that no pattern covers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum UnpinnedHosts {
    /// Plain validation (the default).
    #[default]
    Allow,
    /// Refuse with `PIN_ERR_NOT_PINNED`.
    Refuse,
}

/// The X.509 rules a chain's paths must follow.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum ValidationProfile {
    /// rustls-webpki's Web PKI rules alone (the default).
    #[default]
    WebPki,
    /// Web PKI, and every candidate path also passes the strict profile's checks (RFC 5280
    /// and CA/Browser Forum rules that webpki leaves out; a failure is a
    /// [`crate::verify::StrictFailure`]).
    Strict,
}

/// The maps: sharded, so that the copy each change makes shares all but one shard.
type Map<K, V> = ShardedMap<K, V>;

/// Host patterns and their pins, and the store-wide rule for hosts none covers.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Policy {
    exact: Map<HostName, Arc<PinSet>>,
    one_label: Map<String, Arc<PinSet>>,
    any_depth: Map<String, Arc<PinSet>>,
    pin_count: usize,
    /// What happens to hosts no pattern covers.
    pub unpinned_hosts: UnpinnedHosts,
    /// The X.509 rules paths must follow.
    pub validation_profile: ValidationProfile,
}

impl Policy {
    /// The pin set that applies to `host`, if any pattern covers it.
    pub fn lookup(&self, host: &HostName) -> Option<&Arc<PinSet>> {
        if let Some(set) = self.exact.get(host) {
            return Some(set);
        }
        let name = host.dns()?;
        // `**.name` has as many fixed labels as the name itself: more than `*.parent`.
        if let Some(set) = self.any_depth.get(name) {
            return Some(set);
        }
        if !self.one_label.is_empty()
            && let Some(set) = parent(name).and_then(|base| self.one_label.get(base))
        {
            return Some(set);
        }
        if self.any_depth.is_empty() {
            return None;
        }
        let mut suffix = parent(name);
        while let Some(base) = suffix {
            if let Some(set) = self.any_depth.get(base) {
                return Some(set);
            }
            suffix = parent(base);
        }
        None
    }

    /// This policy with `pin` added under `pattern` (the pattern's earlier pins and rules are
    /// kept; a new pattern gets the default rules). Returns `None` when the pin was already
    /// there. Fails, leaving `self` as it is, past [`CERTPIN_MAX_PINS`] pins.
    ///
    /// A pin under an excluded pattern is refused (`PIN_ERR_BAD_CONFIG`: it would be ignored).
    /// A new exact host under a trust-on-first-use pattern takes that pattern's rules, so the
    /// key an app learned keeps the trust mode it was learned under.
    pub fn with_pin(&self, pattern: &HostPattern, pin: Pin) -> Result<Option<Self>, PinError> {
        let existing = self.get(pattern);
        if existing.is_some_and(|set| set.rules.excluded) {
            return Err(PinError::BadConfig);
        }
        let mut pins = existing.map(|set| set.pins.clone()).unwrap_or_default();
        if pins.contains(&pin) {
            return Ok(None);
        }
        pins.push(pin);
        let learned_under = match (existing, pattern) {
            (None, HostPattern::Exact(host)) => self.lookup(host).filter(|set| set.rules.tofu),
            _ => None,
        };
        let rules = existing.or(learned_under).map(|set| set.rules).unwrap_or_default();
        self.with_pin_set(PinSet { pattern: pattern.clone(), pins, rules }).map(Some)
    }

    /// This policy with `set` replacing whatever its pattern had. Fails past
    /// [`CERTPIN_MAX_PINS`] pins or [`CERTPIN_MAX_PATTERNS`] patterns, leaving `self` as it is.
    pub fn with_pin_set(&self, set: PinSet) -> Result<Self, PinError> {
        let mut next = self.clone();
        next.insert_pin_set(set)?;
        Ok(next)
    }

    /// Puts `set` in place of whatever its pattern had, in this policy (for building a policy
    /// that nothing shares yet, such as a document being read). Fails past
    /// [`CERTPIN_MAX_PINS`] pins or [`CERTPIN_MAX_PATTERNS`] patterns, changing nothing.
    pub fn insert_pin_set(&mut self, set: PinSet) -> Result<(), PinError> {
        let old = self.get(&set.pattern).map(|old| old.pins.len());
        let pin_count = self.pin_count - old.unwrap_or(0) + set.pins.len();
        let new_pattern = old.is_none();
        if pin_count > CERTPIN_MAX_PINS
            || (new_pattern && self.pattern_count() >= CERTPIN_MAX_PATTERNS)
        {
            return Err(PinError::InvalidArgument);
        }
        self.pin_count = pin_count;
        let set = Arc::new(set);
        match &set.pattern {
            HostPattern::Exact(host) => self.exact.insert(host.clone(), set),
            HostPattern::OneLabel(base) => self.one_label.insert(base.clone(), set),
            HostPattern::AnyDepth(base) => self.any_depth.insert(base.clone(), set),
        };
        Ok(())
    }

    /// Carries over the keys `current` learned by trust on first use into this policy, which
    /// is about to replace it (a document loaded, an update applied): a trust-on-first-use
    /// entry that this policy keeps keeps its learned pins beside any it gives, and a host
    /// learned under a wildcard trust-on-first-use pattern keeps its key while a
    /// trust-on-first-use pattern still covers it. Keys go only with their entry. Fails past
    /// the store's limits, changing nothing that matters (the caller drops `self`).
    pub fn keep_learned_keys(&mut self, current: &Policy) -> Result<(), PinError> {
        for learned in current.pin_sets() {
            if !learned.rules.tofu || learned.pins.is_empty() {
                continue;
            }
            let kept = match (self.get(&learned.pattern), &learned.pattern) {
                (Some(entry), _) if entry.rules.tofu => {
                    let mut pins = entry.pins.clone();
                    pins.extend(learned.pins.iter().filter(|pin| !entry.pins.contains(pin)));
                    PinSet { pattern: entry.pattern.clone(), pins, rules: entry.rules }
                }
                (None, HostPattern::Exact(host)) => match self.lookup(host) {
                    Some(under) if under.rules.tofu => PinSet {
                        pattern: learned.pattern.clone(),
                        pins: learned.pins.clone(),
                        rules: under.rules,
                    },
                    _ => continue,
                },
                _ => continue,
            };
            self.insert_pin_set(kept)?;
        }
        Ok(())
    }

    /// How many host patterns the policy holds.
    pub fn pattern_count(&self) -> usize {
        self.exact.len() + self.one_label.len() + self.any_depth.len()
    }

    /// The set given under exactly `pattern`, if any.
    pub fn get(&self, pattern: &HostPattern) -> Option<&Arc<PinSet>> {
        match pattern {
            HostPattern::Exact(host) => self.exact.get(host),
            HostPattern::OneLabel(base) => self.one_label.get(base),
            HostPattern::AnyDepth(base) => self.any_depth.get(base),
        }
    }

    /// How many pins the policy holds, over all patterns.
    pub fn pin_count(&self) -> usize {
        self.pin_count
    }

    /// Every pin set, sorted by pattern (a stable order for export).
    pub fn pin_sets(&self) -> Vec<&Arc<PinSet>> {
        let mut sets: Vec<_> = self
            .exact
            .values()
            .chain(self.one_label.values())
            .chain(self.any_depth.values())
            .collect();
        sets.sort_by(|a, b| a.pattern.cmp(&b.pattern));
        sets
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_config_problem_has_its_documented_lint_check_name() {
        // `certpin lint` reports these names (README, "certpin lint"); they are an interface.
        let names = [
            (ConfigProblem::NoPins, "no-pins"),
            (ConfigProblem::MissingBackup, "missing-backup"),
            (ConfigProblem::ExclusionWithOptions, "exclusion-with-options"),
            (ConfigProblem::ReportOnlyWithoutCa, "report-only-without-ca"),
            (ConfigProblem::WarningAfterExpiry, "warning-after-expiry"),
        ];
        for (problem, name) in names {
            assert_eq!(problem.name(), name, "{problem:?}");
        }
    }

    #[test]
    fn a_verdict_is_unchanged_until_the_second_before_the_next_date() {
        let rules =
            PinRules { warn_after: Some(100), expires_at: Some(200), ..PinRules::default() };
        assert_eq!(rules.unchanged_until(0), 99);
        assert_eq!(rules.unchanged_until(99), 99);
        // At a date, that date has passed: the next one bounds the verdict.
        assert_eq!(rules.unchanged_until(100), 199);
        assert_eq!(rules.unchanged_until(199), 199);
        assert_eq!(rules.unchanged_until(200), u64::MAX);
        assert_eq!(PinRules::default().unchanged_until(0), u64::MAX);
        assert!(!rules.warns_at(99) && rules.warns_at(100));
        assert!(!rules.expired_at(199) && rules.expired_at(200));
    }

    fn pin(n: u8) -> Pin {
        Pin::of_spki(&[n])
    }

    fn policy(entries: &[(&str, u8)]) -> Policy {
        entries.iter().fold(Policy::default(), |p, (pattern, n)| {
            p.with_pin(&HostPattern::parse(pattern).unwrap(), pin(*n)).unwrap().unwrap_or(p)
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
        // More fixed labels win: `**.api.example.com` names api.example.com in full, so it
        // beats `*.example.com` there; at equal fixed labels `*.` beats `**.`.
        let p = policy(&[("*.example.com", 1), ("**.api.example.com", 2), ("**.example.com", 3)]);
        assert_eq!(applied(&p, "api.example.com").as_deref(), Some("**.api.example.com"));
        assert_eq!(applied(&p, "www.example.com").as_deref(), Some("*.example.com"));
        assert_eq!(applied(&p, "a.api.example.com").as_deref(), Some("**.api.example.com"));
        assert_eq!(applied(&p, "a.www.example.com").as_deref(), Some("**.example.com"));
    }

    #[test]
    fn pins_accumulate_without_duplicates() {
        let p = policy(&[("api.example.com", 1), ("API.example.com.", 2), ("api.example.com", 1)]);
        let set = p.lookup(&HostName::parse("api.example.com").unwrap()).unwrap();
        assert_eq!(set.pins, vec![pin(1), pin(2)]);
        assert_eq!(p.pin_count(), 2);
    }

    #[test]
    fn replacing_a_set_keeps_the_count_right() {
        let p = policy(&[("a.example", 1), ("a.example", 2), ("b.example", 3)]);
        let pattern = HostPattern::parse("a.example").unwrap();
        let set = PinSet { pattern, pins: vec![pin(9)], rules: PinRules::default() };
        assert_eq!(p.with_pin_set(set).unwrap().pin_count(), 2);
    }

    #[test]
    fn configured_sets_need_a_backup_pin() {
        const SINGLE: Stated = Stated { single_pin: true, mode_or_trust: false };
        let pattern = HostPattern::parse("a.example").unwrap();
        let mut set = PinSet { pattern, pins: vec![pin(1)], rules: PinRules::default() };
        assert!(set.check_configured(Stated::default()).is_err());
        assert!(set.check_configured(SINGLE).is_ok(), "waived for a set pin_store_add made");
        set.rules.enforcement = Enforcement::ReportOnly;
        assert!(set.check_configured(Stated::default()).is_ok());
        set.rules.trust = TrustMode::PinsOnly;
        assert!(
            set.check_configured(Stated::default()).is_err(),
            "report-only needs CA validation"
        );
        set.rules.trust = TrustMode::CaAndPins;
        set.pins.clear();
        assert_eq!(
            set.check_configured(Stated::default()),
            Err(ConfigProblem::NoPins),
            "report-only"
        );
        set.rules.enforcement = Enforcement::Enforce;
        assert_eq!(set.check_configured(SINGLE), Err(ConfigProblem::NoPins), "single_pin");
        set.rules.tofu = true;
        assert!(
            set.check_configured(Stated::default()).is_ok(),
            "trust on first use learns its pin"
        );
        set.rules = PinRules { excluded: true, ..PinRules::default() };
        assert!(set.check_configured(Stated::default()).is_ok());
        assert!(set.check_configured(SINGLE).is_err(), "an exclusion takes no other option");
        set.rules.enforcement = Enforcement::ReportOnly;
        assert!(
            set.check_configured(Stated::default()).is_err(),
            "an exclusion takes no other option"
        );
        set.rules.enforcement = Enforcement::Enforce;
        let mode = Stated { single_pin: false, mode_or_trust: true };
        assert!(set.check_configured(mode).is_err(), "not even an explicit default");
        set.rules = PinRules::default();
        set.pins = vec![pin(1), pin(2)];
        assert!(set.check_configured(Stated::default()).is_ok());
        set.rules.warn_after = Some(10);
        set.rules.expires_at = Some(5);
        assert!(set.check_configured(Stated::default()).is_err());
    }
}
