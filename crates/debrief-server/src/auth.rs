//! API tokens: made here, shown once, stored only as a SHA-256 hash.
//!
//! A token is 32 random bytes from the operating system, written as `dbt_` and 64 hex
//! digits. With that much randomness a fast hash is enough (there is nothing to guess);
//! a slow password hash would only slow every request.

use sha2::{Digest, Sha256};

/// A new token: the secret to hand to its user once, its hash to store, and its first
/// characters to tell it apart in a list.
pub struct NewToken {
    pub secret: String,
    pub hash: String,
    pub prefix: String,
}

/// Makes a new token from the operating system's randomness.
pub fn new_token() -> std::io::Result<NewToken> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| std::io::Error::other(e.to_string()))?;
    let secret = format!("dbt_{}", hex(&bytes));
    Ok(NewToken {
        hash: hash(&secret),
        prefix: secret[..12].to_string(),
        secret,
    })
}

/// The hash the store keeps of a token.
pub fn hash(secret: &str) -> String {
    hex(&Sha256::digest(secret.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_hash_to_what_is_stored() {
        let a = new_token().unwrap();
        let b = new_token().unwrap();
        assert_ne!(a.secret, b.secret);
        assert!(a.secret.starts_with("dbt_") && a.secret.len() == 68);
        assert_eq!(hash(&a.secret), a.hash);
        assert!(a.secret.starts_with(&a.prefix));
        assert_ne!(a.hash, b.hash);
        // The hash of the empty string, as published for SHA-256.
        assert_eq!(
            hash(""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}
