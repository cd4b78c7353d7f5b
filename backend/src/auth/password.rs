//! Password hashes: Argon2id in the standard PHC string form (`$argon2id$v=19$m=19456,t=2,p=1$salt$hash`),
//! computed in memory the caller owns. The hashing workers (`hasher`) each keep one such memory and reuse it,
//! so hashing costs no allocation; the strings are the ones `Argon2::default().hash_password` makes, so hashes
//! stored before keep verifying.

use argon2::password_hash::{Output, PasswordHash, SaltString, rand_core::OsRng};
use argon2::{Algorithm, Argon2, Block, Params, Version};

/// The memory of one hash with the parameters new hashes get: 19 MiB.
pub fn default_memory() -> Vec<Block> {
    vec![Block::new(); Params::DEFAULT.block_count()]
}

/// A new hash of `password` with the default parameters (Argon2id, 19 MiB, 2 passes), as a PHC string.
pub fn hash(password: &str, memory: &mut [Block]) -> Result<String, argon2::password_hash::Error> {
    let salt = SaltString::generate(&mut OsRng);
    let params = Params::DEFAULT;
    let mut salt_bytes = [0u8; 64];
    let salt_bytes = salt.decode_b64(&mut salt_bytes)?;
    let output = Output::init_with(Params::DEFAULT_OUTPUT_LEN, |out| {
        Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone()).hash_password_into_with_memory(
            password.as_bytes(),
            salt_bytes,
            out,
            &mut *memory,
        )?)
    })?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: (&params).try_into()?,
        salt: Some(salt.as_salt()),
        hash: Some(output),
    };
    Ok(phc.to_string())
}

/// Whether `password` matches the PHC string `stored`, recomputed with the stored parameters and salt. A hash
/// that needs more memory than `memory` gets its own for this once (only hashes made with other settings do).
pub fn verify(password: &str, stored: &str, memory: &mut [Block]) -> Result<bool, argon2::password_hash::Error> {
    let parsed = PasswordHash::new(stored)?;
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
        return Err(argon2::password_hash::Error::PhcStringField);
    };
    let algorithm = Algorithm::try_from(parsed.algorithm)?;
    let version = parsed.version.map(Version::try_from).transpose()?.unwrap_or_default();
    let params = Params::try_from(&parsed)?;
    let mut salt_bytes = [0u8; 64];
    let salt_bytes = salt.decode_b64(&mut salt_bytes)?;
    let mut own_memory;
    let memory = if memory.len() >= params.block_count() {
        memory
    } else {
        own_memory = vec![Block::new(); params.block_count()];
        own_memory.as_mut_slice()
    };
    let computed = Output::init_with(expected.len(), |out| {
        Ok(Argon2::new(algorithm, version, params).hash_password_into_with_memory(
            password.as_bytes(),
            salt_bytes,
            out,
            memory,
        )?)
    })?;
    // `Output`'s equality is constant-time: how much of a guess matched does not show in the timing.
    Ok(computed == expected)
}

#[cfg(test)]
mod tests {
    use argon2::password_hash::{PasswordHasher, PasswordVerifier};

    use super::*;

    #[test]
    fn a_hash_made_by_the_argon2_defaults_verifies_here() {
        let salt = SaltString::generate(&mut OsRng);
        let stored = Argon2::default().hash_password(b"correct horse", &salt).unwrap().to_string();
        let mut memory = default_memory();
        assert!(verify("correct horse", &stored, &mut memory).unwrap());
        assert!(!verify("correct hors", &stored, &mut memory).unwrap());
    }

    #[test]
    fn a_hash_made_here_verifies_with_the_argon2_defaults() {
        let mut memory = default_memory();
        let stored = hash("correct horse", &mut memory).unwrap();
        assert!(stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{stored}");
        let parsed = PasswordHash::new(&stored).unwrap();
        assert!(Argon2::default().verify_password(b"correct horse", &parsed).is_ok());
        assert!(Argon2::default().verify_password(b"wrong horse", &parsed).is_err());
    }

    #[test]
    fn reused_memory_gives_the_same_answers() {
        let mut memory = default_memory();
        let first = hash("one password", &mut memory).unwrap();
        let second = hash("another password", &mut memory).unwrap();
        assert!(verify("one password", &first, &mut memory).unwrap());
        assert!(verify("another password", &second, &mut memory).unwrap());
        assert!(!verify("another password", &first, &mut memory).unwrap());
    }

    #[test]
    fn a_hash_with_more_memory_than_the_worker_keeps_still_verifies() {
        let params = Params::new(32 * 1024, 1, 1, None).unwrap();
        let salt = SaltString::generate(&mut OsRng);
        let stored = Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
            .hash_password(b"roomy", &salt)
            .unwrap()
            .to_string();
        let mut memory = default_memory();
        assert!(verify("roomy", &stored, &mut memory).unwrap());
    }

    #[test]
    fn a_malformed_hash_is_an_error_not_a_match() {
        let mut memory = default_memory();
        assert!(verify("x", "not a phc string", &mut memory).is_err());
    }
}
