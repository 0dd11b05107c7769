//! Signed, versioned policy updates: a policy document plus a detached Ed25519 signature over
//! its exact bytes, made with a key whose public half the app embeds.
//!
//! Applying an update checks, in this order: the signature is by a trusted key
//! (`PIN_ERR_BAD_SIGNATURE`); the document is well formed and carries a version and an expiry
//! (`PIN_ERR_BAD_CONFIG`); its version is strictly greater than the store's, and not below the
//! highest version the store ever accepted (`PIN_ERR_STALE_UPDATE`: no rollback to an older
//! signed document, across restarts too); it has not expired (`PIN_ERR_STALE_UPDATE` too: an
//! expired document is stale). Only then is the new policy swapped in, in one atomic step.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ring::signature::{ED25519, UnparsedPublicKey};

use crate::document::{DocumentError, LoadedPolicy, format_time, parse_document};
use crate::result::PinError;

/// Bytes of an Ed25519 public key.
pub const CERTPIN_UPDATE_KEY_LEN: usize = 32;
/// Bytes of an Ed25519 signature.
pub const CERTPIN_SIGNATURE_LEN: usize = 64;

/// An Ed25519 public key trusted to sign policy updates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UpdateKey([u8; CERTPIN_UPDATE_KEY_LEN]);

impl UpdateKey {
    /// Reads a key given as the standard base64 of its 32 raw bytes (what `certpin keygen`
    /// prints for the app to embed).
    pub fn from_base64(text: &str) -> Result<Self, PinError> {
        let mut key = [0u8; CERTPIN_UPDATE_KEY_LEN];
        match STANDARD.decode_slice(text.trim(), &mut key) {
            Ok(CERTPIN_UPDATE_KEY_LEN) if text.trim().len() == 44 => Ok(Self(key)),
            _ => Err(PinError::InvalidArgument),
        }
    }

    fn verifies(&self, document: &[u8], signature: &[u8; CERTPIN_SIGNATURE_LEN]) -> bool {
        UnparsedPublicKey::new(&ED25519, self.0).verify(document, signature).is_ok()
    }
}

/// Reads a detached signature: the 64 raw bytes, or their standard base64 (what
/// `certpin sign` writes) with any ASCII white space around or inside it (as `openssl base64`
/// wraps its output at 64 columns).
pub fn parse_signature(bytes: &[u8]) -> Result<[u8; CERTPIN_SIGNATURE_LEN], PinError> {
    let mut signature = [0u8; CERTPIN_SIGNATURE_LEN];
    if bytes.len() == CERTPIN_SIGNATURE_LEN {
        signature.copy_from_slice(bytes);
        return Ok(signature);
    }
    let text: Vec<u8> = bytes.iter().copied().filter(|b| !b.is_ascii_whitespace()).collect();
    match STANDARD.decode_slice(&text, &mut signature) {
        Ok(CERTPIN_SIGNATURE_LEN) if text.len() == 88 => Ok(signature),
        _ => Err(PinError::BadSignature),
    }
}

/// Why an update was refused: the code and a sentence for the app's log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UpdateError {
    /// `PIN_ERR_BAD_SIGNATURE`, `PIN_ERR_BAD_CONFIG` or `PIN_ERR_STALE_UPDATE`.
    pub error: PinError,
    /// What was wrong.
    pub problem: String,
}

impl std::fmt::Display for UpdateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.problem)
    }
}

impl From<DocumentError> for UpdateError {
    fn from(error: DocumentError) -> Self {
        Self { error: PinError::BadConfig, problem: error.to_string() }
    }
}

fn refuse(error: PinError, problem: impl Into<String>) -> UpdateError {
    UpdateError { error, problem: problem.into() }
}

/// Checks an update's signature and document (the first two checks), giving the policy it
/// carries. The version and expiry are checked against the store by the caller, under its
/// writer lock, with [`check_freshness`].
pub fn open_update(
    keys: &[UpdateKey],
    document: &[u8],
    signature: &[u8],
) -> Result<LoadedPolicy, UpdateError> {
    let signature = parse_signature(signature).map_err(|_| {
        refuse(PinError::BadSignature, "the signature is not 64 bytes or their base64")
    })?;
    if keys.is_empty() {
        return Err(refuse(PinError::BadSignature, "the store has no update key"));
    }
    if !keys.iter().any(|key| key.verifies(document, &signature)) {
        return Err(refuse(PinError::BadSignature, "the signature is not by a trusted update key"));
    }
    let loaded = parse_document(document)?;
    if loaded.version == 0 {
        return Err(refuse(
            PinError::BadConfig,
            "version: an update needs a version number above 0",
        ));
    }
    if loaded.expires_at.is_none() {
        return Err(refuse(PinError::BadConfig, "expires: an update needs an expiry date"));
    }
    Ok(loaded)
}

/// The last two checks: the update is newer than the store's policy (`current_version`), not
/// older than the highest version the store ever accepted (`min_version`, which survives
/// restarts: re-applying that same update after loading an older built-in policy passes),
/// and not expired.
pub fn check_freshness(
    update: &LoadedPolicy,
    current_version: u64,
    min_version: u64,
    unix_time: u64,
) -> Result<(), UpdateError> {
    if update.version <= current_version {
        return Err(refuse(
            PinError::StaleUpdate,
            format!(
                "version {} is not newer than the current version {current_version}",
                update.version
            ),
        ));
    }
    if update.version < min_version {
        return Err(refuse(
            PinError::StaleUpdate,
            format!(
                "version {} is older than version {min_version}, which this store has already \
                 accepted (no rollback)",
                update.version
            ),
        ));
    }
    if let Some(expires) = update.expires_at.filter(|expires| unix_time >= *expires) {
        return Err(refuse(
            PinError::StaleUpdate,
            format!("the update expired at {}", format_time(expires)),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_update_error_displays_its_problem() {
        let error = refuse(PinError::StaleUpdate, "version 3 is not newer than version 4");
        assert_eq!(error.to_string(), "version 3 is not newer than version 4");
        assert_eq!(error.error, PinError::StaleUpdate);
    }
}
