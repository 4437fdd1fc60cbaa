//! Request-path security decisions for Warden. Guard decides, the server records:
//! every function here returns a value (an identity, a rejection, a decision) and
//! does no I/O on the request path, so each rule is testable alone.
#![forbid(unsafe_code)]

mod error;
pub mod extraction;
mod failures;
mod identities;
mod identity;
mod jwt;
mod keys;
pub mod limits;
mod scope;

pub use error::GuardError;
pub use failures::{FailureTracker, Verdict, source_key};
pub use identities::IdentityScopes;
pub use identity::Identity;
pub use jsonwebtoken::jwk::JwkSet;
pub use jwt::{JwtPolicy, JwtRejection, JwtVerifier, MAX_TOKEN_BYTES};
pub use keys::{KeyIndex, KeyRecord, KeyRejection, KeyStore, read_usage, usage_path, write_private, write_usage};
pub use scope::{Action, Decision, ModelAccess, Scope, authorize};
