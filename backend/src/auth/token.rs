//! Session tokens: HS256 JWTs whose `sid` names a revocable row in `sessions`.

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    /// The user id.
    pub sub: Uuid,
    /// The session id: logging out revokes it, and with it the token.
    pub sid: Uuid,
    pub iat: i64,
    pub exp: i64,
}

/// The signing keys, built once from the configured secret and kept in the app state.
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
}

impl TokenKeys {
    pub fn new(secret: &[u8]) -> Self {
        // Only HS256: a token that names another algorithm (`none` included) fails validation.
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 5;
        validation.set_required_spec_claims(&["exp", "iat", "sub", "sid"]);
        Self { encoding: EncodingKey::from_secret(secret), decoding: DecodingKey::from_secret(secret), validation }
    }

    pub fn issue(
        &self,
        user_id: Uuid,
        session_id: Uuid,
        expires_at: OffsetDateTime,
    ) -> Result<String, jsonwebtoken::errors::Error> {
        let claims = Claims {
            sub: user_id,
            sid: session_id,
            iat: OffsetDateTime::now_utc().unix_timestamp(),
            exp: expires_at.unix_timestamp(),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
    }

    /// The claims of a well-formed, correctly signed, unexpired token; `None` for anything else.
    pub fn verify(&self, token: &str) -> Option<Claims> {
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation).ok().map(|data| data.claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_verify_only_with_their_secret_and_before_expiry() {
        let keys = TokenKeys::new(&[7; 32]);
        let (user, session) = (Uuid::now_v7(), Uuid::now_v7());
        let token = keys.issue(user, session, OffsetDateTime::now_utc() + time::Duration::hours(1)).unwrap();
        let claims = keys.verify(&token).unwrap();
        assert_eq!((claims.sub, claims.sid), (user, session));

        assert!(TokenKeys::new(&[8; 32]).verify(&token).is_none());
        let expired = keys.issue(user, session, OffsetDateTime::now_utc() - time::Duration::minutes(5)).unwrap();
        assert!(keys.verify(&expired).is_none());
        assert!(keys.verify("not.a.token").is_none());
    }
}
