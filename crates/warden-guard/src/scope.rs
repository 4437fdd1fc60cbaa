//! Scopes a credential carries, per-model access lists, and the decision whether
//! a caller may do something with a model.

use std::fmt;
use std::str::FromStr;

/// What a credential may do. Deny by default: an identity with no scope can do
/// nothing but read server metadata and the health endpoints.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Scope {
    /// Everything, on every model.
    Admin,
    /// Inference and metadata for one model (unless its access list says otherwise).
    Infer(String),
    /// Inference and metadata for every model (unless an access list says otherwise).
    InferAll,
    /// A namespaced scope an operator defines, such as `team:ml`, that models'
    /// access lists can name. The namespace keeps typos like `admn` from passing as
    /// scopes.
    Custom(String),
}

impl FromStr for Scope {
    type Err = String;

    fn from_str(s: &str) -> Result<Scope, String> {
        let unknown = || format!("unknown scope '{s}' (expected admin, infer:*, infer:<model> or <namespace>:<name>)");
        match s {
            "admin" => Ok(Scope::Admin),
            "infer:*" => Ok(Scope::InferAll),
            _ => match s.split_once(':') {
                Some(("infer", model)) if valid_name(model) => Ok(Scope::Infer(model.to_string())),
                Some(("infer", _)) => Err(unknown()),
                Some((ns, name)) if valid_name(ns) && valid_name(name) && s.len() <= 128 => {
                    Ok(Scope::Custom(s.to_string()))
                }
                _ => Err(unknown()),
            },
        }
    }
}

fn valid_name(name: &str) -> bool {
    !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scope::Admin => f.write_str("admin"),
            Scope::InferAll => f.write_str("infer:*"),
            Scope::Infer(m) => write!(f, "infer:{m}"),
            Scope::Custom(s) => f.write_str(s),
        }
    }
}

/// Which scopes may run, describe, or even learn of one model. `admin` may always.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModelAccess {
    infer: Vec<Scope>,
    metadata: Vec<Scope>,
    visible: Vec<Scope>,
}

impl ModelAccess {
    /// The default: `infer:<model>` and `infer:*` may do everything with it.
    pub fn default_for(model: &str) -> ModelAccess {
        let infer = vec![Scope::Infer(model.to_string()), Scope::InferAll];
        ModelAccess { metadata: infer.clone(), visible: infer.clone(), infer }
    }

    /// From a model's `[access]` lists. An unset `infer` keeps the default; an unset
    /// `metadata` is `infer`; an unset `visible` is `metadata` and `infer` together.
    pub fn from_lists(
        model: &str,
        infer: Option<&[String]>,
        metadata: Option<&[String]>,
        visible: Option<&[String]>,
    ) -> Result<ModelAccess, String> {
        let parse = |list: &[String]| list.iter().map(|s| s.parse()).collect::<Result<Vec<Scope>, String>>();
        let infer = match infer {
            Some(list) => parse(list)?,
            None => ModelAccess::default_for(model).infer,
        };
        let metadata = match metadata {
            Some(list) => parse(list)?,
            None => infer.clone(),
        };
        let visible = match visible {
            Some(list) => parse(list)?,
            None => infer.iter().chain(&metadata).cloned().collect(),
        };
        Ok(ModelAccess { infer, metadata, visible })
    }
}

/// What a request wants to do with a model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Model metadata and readiness.
    ReadMetadata,
    /// Inference.
    Infer,
}

/// The answer to "may this identity do that". A model the caller may not even see
/// answers exactly like a model that does not exist, so names do not leak; one it
/// may see but not use this way answers 403.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    Allow,
    DenyHidden,
    DenyForbidden,
}

pub fn authorize(scopes: &[Scope], access: &ModelAccess, action: Action) -> Decision {
    let holds = |list: &[Scope]| scopes.iter().any(|s| *s == Scope::Admin || list.contains(s));
    if !holds(&access.visible) {
        return Decision::DenyHidden;
    }
    let allowed = match action {
        Action::ReadMetadata => holds(&access.metadata),
        Action::Infer => holds(&access.infer),
    };
    if allowed { Decision::Allow } else { Decision::DenyForbidden }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints() {
        for s in ["admin", "infer:*", "infer:digits", "infer:my-model.v2", "team:ml", "dept.x:read-only"] {
            assert_eq!(s.parse::<Scope>().unwrap().to_string(), s);
        }
        for bad in ["", "infer:", "infer", "root", "admn", "infer:a/b", "infer:a b", "ADMIN", ":x", "team:", "a:b:c"] {
            assert!(bad.parse::<Scope>().is_err(), "{bad}");
        }
    }

    fn scopes(list: &[&str]) -> Vec<Scope> {
        list.iter().map(|s| s.parse().unwrap()).collect()
    }

    #[test]
    fn deny_by_default() {
        let access = ModelAccess::default_for("m");
        assert_eq!(authorize(&[], &access, Action::Infer), Decision::DenyHidden);
        assert_eq!(authorize(&scopes(&["infer:m"]), &access, Action::Infer), Decision::Allow);
        assert_eq!(authorize(&scopes(&["infer:m2"]), &access, Action::Infer), Decision::DenyHidden);
        assert_eq!(authorize(&scopes(&["infer:*"]), &access, Action::ReadMetadata), Decision::Allow);
        assert_eq!(authorize(&scopes(&["admin"]), &access, Action::Infer), Decision::Allow);
        assert_eq!(authorize(&scopes(&["team:ml"]), &access, Action::Infer), Decision::DenyHidden);
    }

    #[test]
    fn access_lists() {
        let list = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let (infer, meta, visible) = (list(&["team:ml"]), list(&["team:analytics"]), list(&["team:audit"]));
        let access = ModelAccess::from_lists("m", Some(&infer), Some(&meta), None).unwrap();
        assert_eq!(authorize(&scopes(&["team:ml"]), &access, Action::Infer), Decision::Allow);
        assert_eq!(authorize(&scopes(&["team:ml"]), &access, Action::ReadMetadata), Decision::DenyForbidden);
        assert_eq!(authorize(&scopes(&["team:analytics"]), &access, Action::ReadMetadata), Decision::Allow);
        assert_eq!(authorize(&scopes(&["team:analytics"]), &access, Action::Infer), Decision::DenyForbidden);
        // infer:* is not in this model's lists: the model is hidden from it.
        assert_eq!(authorize(&scopes(&["infer:*"]), &access, Action::Infer), Decision::DenyHidden);
        let seen_only = ModelAccess::from_lists("m", Some(&infer), None, Some(&visible)).unwrap();
        assert_eq!(authorize(&scopes(&["team:audit"]), &seen_only, Action::ReadMetadata), Decision::DenyForbidden);
        assert!(ModelAccess::from_lists("m", Some(&list(&["superuser"])), None, None).is_err());
    }
}
