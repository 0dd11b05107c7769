//! A budget of signature-checking work per verification, so that no chain can make one call
//! spend more than a few milliseconds in signature checks, whatever its keys.
//!
//! rustls-webpki stops path building after 100 signature checks, but counts them alike: 100
//! checks with RSA-8192 or P-384 keys take many times longer than 100 with P-256 keys. Each
//! check is charged here by its cost, measured with *ring* on this project's machines
//! (`cargo bench --bench hostile_chains -- signature_costs`), in units of one P-256 check;
//! once the budget is spent every further check fails without being made, as a bad signature
//! would (path building then ends quickly, refused).

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};

use rustls_pki_types::{AlgorithmIdentifier, InvalidSignature, SignatureVerificationAlgorithm};

/// The budget per verification, in hundredths of a P-256 signature check (about 70 µs in
/// release on a quiet machine of this project's kind): 150 P-256 checks (about 10 ms), 21
/// with RSA-8192 keys, 10 with P-384 keys. An honest chain needs one check per certificate
/// on each path tried.
const SIGNATURE_BUDGET: u32 = 150 * P256_COST;

/// One P-256 check: the unit.
const P256_COST: u32 = 100;

/// The cost of one check by `algorithm` with `public_key` (the key as webpki passes it: an
/// EC point, an Ed25519 key, or an RSAPublicKey), in hundredths of a P-256 check. Measured
/// relative to P-256 with *ring*: Ed25519 0.9, P-384 13.8, RSA-2048 0.40, RSA-4096 1.49,
/// RSA-8192 7.0 (`cargo bench --bench hostile_chains -- signature_costs`).
fn cost(algorithm: &dyn SignatureVerificationAlgorithm, public_key: &[u8]) -> u32 {
    let key_alg = algorithm.public_key_alg_id();
    if key_alg == webpki::ring::ED25519.public_key_alg_id() {
        return 100;
    }
    if key_alg == webpki::ring::ECDSA_P384_SHA384.public_key_alg_id() {
        return 1400;
    }
    if key_alg == webpki::ring::ECDSA_P256_SHA256.public_key_alg_id() {
        return P256_COST;
    }
    // RSA: a public-key operation costs about the square of the modulus length (*ring* bounds
    // the public exponent); fitted at RSA-8192 (a 1038-byte key: 7.0 P-256 checks), which
    // overestimates smaller keys a little (RSA-2048, 270 bytes: 0.47 for 0.40 measured).
    let units = public_key.len().max(256) as u64;
    let cost = units * units * 47 / (270 * 270);
    u32::try_from(cost).unwrap_or(u32::MAX).max(1)
}

/// What is left of one verification's budget.
#[derive(Debug)]
pub struct SignatureBudget {
    left: AtomicU32,
    spent: AtomicBool,
}

impl SignatureBudget {
    /// A full budget.
    pub fn new() -> Self {
        Self { left: AtomicU32::new(SIGNATURE_BUDGET), spent: AtomicBool::new(false) }
    }

    /// Takes the cost of a check from the budget; `false` (and nothing taken) when too little
    /// is left, which [`SignatureBudget::spent`] then reports.
    fn charge(&self, cost: u32) -> bool {
        let charged = self
            .left
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |left| left.checked_sub(cost))
            .is_ok();
        if !charged {
            self.spent.store(true, Ordering::Relaxed);
        }
        charged
    }

    /// Whether a check was refused for want of budget.
    pub fn spent(&self) -> bool {
        self.spent.load(Ordering::Relaxed)
    }
}

impl Default for SignatureBudget {
    fn default() -> Self {
        Self::new()
    }
}

/// A signature algorithm whose checks are charged to a [`SignatureBudget`].
#[derive(Debug)]
pub struct Budgeted<'b> {
    inner: &'static dyn SignatureVerificationAlgorithm,
    budget: &'b SignatureBudget,
}

impl<'b> Budgeted<'b> {
    /// Each of `algorithms`, charged to `budget`.
    pub fn all(
        algorithms: &[&'static dyn SignatureVerificationAlgorithm],
        budget: &'b SignatureBudget,
    ) -> Vec<Self> {
        algorithms.iter().map(|inner| Self { inner: *inner, budget }).collect()
    }
}

impl SignatureVerificationAlgorithm for Budgeted<'_> {
    fn verify_signature(
        &self,
        public_key: &[u8],
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), InvalidSignature> {
        if !self.budget.charge(cost(self.inner, public_key)) {
            return Err(InvalidSignature);
        }
        self.inner.verify_signature(public_key, message, signature)
    }

    fn public_key_alg_id(&self) -> AlgorithmIdentifier {
        self.inner.public_key_alg_id()
    }

    fn signature_alg_id(&self) -> AlgorithmIdentifier {
        self.inner.signature_alg_id()
    }

    fn fips(&self) -> bool {
        self.inner.fips()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rsa_costs_grow_with_the_square_of_the_key() {
        let rsa = webpki::ring::RSA_PKCS1_2048_8192_SHA256;
        assert_eq!(cost(rsa, &[0; 270]), 47);
        assert_eq!(cost(rsa, &[0; 1038]), 694);
        assert_eq!(cost(webpki::ring::ECDSA_P256_SHA256, &[4; 65]), P256_COST);
    }

    #[test]
    fn a_spent_budget_refuses_every_check() {
        let budget = SignatureBudget::new();
        assert!(budget.charge(SIGNATURE_BUDGET - 1));
        assert!(!budget.charge(2));
        assert!(budget.charge(1));
        assert!(!budget.charge(1));
    }
}
