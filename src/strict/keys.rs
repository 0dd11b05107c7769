//! Subject keys (CA/Browser Forum Baseline Requirements 6.1.5): RSA moduli of at least 2048
//! bits and a multiple of 8, no P-192 curve, no DSA. webpki limits only the keys that sign a
//! path's certificates; the leaf's own key is never used there.

use x509_parser::oid_registry::{
    OID_KEY_TYPE_DSA, OID_KEY_TYPE_EC_PUBLIC_KEY, OID_PKCS1_RSAENCRYPTION,
};
use x509_parser::public_key::PublicKey;

use super::{Check, PathCert, fail};

const RULE: &str = "CA/B Forum BR 6.1.5";
/// secp192r1 (NIST P-192, prime192v1).
const P192: &str = "1.2.840.10045.3.1.1";

/// The subject key's algorithm and size.
pub(super) fn key(c: &PathCert<'_>) -> Check {
    let spki = c.cert.public_key();
    let algorithm = &spki.algorithm;
    if algorithm.algorithm == OID_KEY_TYPE_DSA {
        return fail("has a DSA key", RULE);
    }
    if algorithm.algorithm == OID_KEY_TYPE_EC_PUBLIC_KEY {
        let curve = algorithm.parameters.as_ref().and_then(|p| p.as_oid().ok());
        if curve.is_some_and(|curve| curve.to_id_string() == P192) {
            return fail("has a P-192 key", RULE);
        }
    }
    if algorithm.algorithm == OID_PKCS1_RSAENCRYPTION {
        let Ok(PublicKey::RSA(rsa)) = spki.parsed() else {
            return fail("has a malformed RSA key", RULE);
        };
        let bits = modulus_bits(rsa.modulus);
        if bits < 2048 {
            return fail(format!("has an RSA key of {bits} bits (at least 2048)"), RULE);
        }
        if !bits.is_multiple_of(8) {
            return fail(format!("has an RSA key of {bits} bits (not a multiple of 8)"), RULE);
        }
    }
    Ok(())
}

/// The size in bits of an unsigned big-endian integer (leading zero bytes and bits ignored).
fn modulus_bits(modulus: &[u8]) -> usize {
    let significant = match modulus.iter().position(|byte| *byte != 0) {
        Some(first) => &modulus[first..],
        None => return 0,
    };
    significant.len() * 8 - significant[0].leading_zeros() as usize
}

#[cfg(test)]
mod tests {
    use super::modulus_bits;

    #[test]
    fn modulus_sizes_ignore_leading_zeros() {
        assert_eq!(modulus_bits(&[]), 0);
        assert_eq!(modulus_bits(&[0, 0]), 0);
        assert_eq!(modulus_bits(&[0x00, 0x80, 0x00]), 16);
        assert_eq!(modulus_bits(&[0x01, 0xff]), 9);
        assert_eq!(modulus_bits(&[0x0f; 256]), 2044);
    }
}
