//! Scopes a credential carries, and the decision whether they allow an action.

use std::fmt;
use std::str::FromStr;

/// What a credential may do. Deny by default: an identity with no scope can do
/// nothing but read the health endpoints, which need no credential at all.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Scope {
    /// Everything, including key management.
    Admin,
    /// Inference and metadata for one model.
    Infer(String),
    /// Inference and metadata for every model.
    InferAll,
}

impl FromStr for Scope {
    type Err = String;

    fn from_str(s: &str) -> Result<Scope, String> {
        match s {
            "admin" => Ok(Scope::Admin),
            "infer:*" => Ok(Scope::InferAll),
            _ => match s.strip_prefix("infer:") {
                Some(model) if valid_model(model) => Ok(Scope::Infer(model.to_string())),
                _ => Err(format!("unknown scope '{s}' (expected admin, infer:*, or infer:<model>)")),
            },
        }
    }
}

fn valid_model(name: &str) -> bool {
    !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scope::Admin => f.write_str("admin"),
            Scope::InferAll => f.write_str("infer:*"),
            Scope::Infer(m) => write!(f, "infer:{m}"),
        }
    }
}

/// What a request wants to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action<'a> {
    /// Server metadata: any authenticated identity.
    ServerMetadata,
    /// Model metadata, readiness, or inference on one model.
    UseModel(&'a str),
}

/// The answer to "may this identity do that". A model the caller may not use is
/// reported by the server exactly like a model that does not exist, so names do not leak.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    Allow,
    DenyHidden,
}

pub fn authorize(scopes: &[Scope], action: Action<'_>) -> Decision {
    let allowed = match action {
        Action::ServerMetadata => true,
        Action::UseModel(model) => scopes.iter().any(|s| match s {
            Scope::Admin | Scope::InferAll => true,
            Scope::Infer(m) => m == model,
        }),
    };
    if allowed { Decision::Allow } else { Decision::DenyHidden }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints() {
        for s in ["admin", "infer:*", "infer:digits", "infer:my-model.v2"] {
            assert_eq!(s.parse::<Scope>().unwrap().to_string(), s);
        }
        for bad in ["", "infer:", "infer", "root", "infer:a/b", "infer:a b", "ADMIN"] {
            assert!(bad.parse::<Scope>().is_err(), "{bad}");
        }
    }

    #[test]
    fn deny_by_default() {
        assert_eq!(authorize(&[], Action::UseModel("m")), Decision::DenyHidden);
        let only_a = [Scope::Infer("a".into())];
        assert_eq!(authorize(&only_a, Action::UseModel("a")), Decision::Allow);
        assert_eq!(authorize(&only_a, Action::UseModel("b")), Decision::DenyHidden);
        assert_eq!(authorize(&only_a, Action::UseModel("a2")), Decision::DenyHidden);
        assert_eq!(authorize(&[Scope::InferAll], Action::UseModel("b")), Decision::Allow);
        assert_eq!(authorize(&[Scope::Admin], Action::UseModel("b")), Decision::Allow);
        assert_eq!(authorize(&[], Action::ServerMetadata), Decision::Allow);
    }
}
