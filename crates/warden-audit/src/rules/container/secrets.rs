//! Which variable names hold secrets, and which values are literal: shared by the
//! Dockerfile `ENV`/`ARG` rule and the GitLab `variables:` rule. Names are read as
//! words (`HF_TOKEN` is TOKEN, `TOKENIZERS_PARALLELISM` is not), and a name that
//! says where a secret is (`PASSWORD_FILE`, `TOKEN_URL`) is not one.

/// Words that make a name secret on their own.
const SECRET_WORDS: &[&str] =
    &["password", "passwd", "pass", "secret", "token", "apikey", "credential", "credentials", "pat", "passphrase"];

/// `<word> KEY` pairs that name a secret key (`API_KEY`, `PRIVATE_KEY`).
const KEY_QUALIFIERS: &[&str] =
    &["api", "private", "access", "secret", "signing", "encryption", "master", "client", "service", "account"];

/// Last words that make a name a reference or a setting, not a secret.
const NOT_SECRET_LAST: &[&str] = &[
    "file",
    "path",
    "dir",
    "url",
    "uri",
    "endpoint",
    "host",
    "port",
    "user",
    "username",
    "name",
    "id",
    "type",
    "length",
    "limit",
    "count",
    "ttl",
    "timeout",
    "expiry",
    "expires",
    "header",
    "field",
    "env",
    "var",
    "enabled",
    "required",
    "mode",
    "issuer",
    "audience",
    "algorithm",
    "scope",
    "prefix",
    "region",
    "ref",
    "arn",
    "format",
];

/// The words of a variable name, lower-cased: `HF_TOKEN` → [hf, token],
/// `apiKey` → [api, key].
fn words(name: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut prev_lower = false;
    for c in name.chars() {
        if !c.is_ascii_alphanumeric() {
            out.push(std::mem::take(&mut current));
            prev_lower = false;
            continue;
        }
        if c.is_ascii_uppercase() && prev_lower {
            out.push(std::mem::take(&mut current));
        }
        prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        current.push(c.to_ascii_lowercase());
    }
    out.push(current);
    out.retain(|w| !w.is_empty());
    out
}

/// True for names such as `DB_PASSWORD`, `HF_TOKEN`, `WANDB_API_KEY`,
/// `AWS_SECRET_ACCESS_KEY`; false for `TOKENIZERS_PARALLELISM`, `MAX_TOKENS`,
/// `PASSWORD_FILE`, `AWS_ACCESS_KEY_ID`.
pub fn secret_name(name: &str) -> bool {
    let words = words(name);
    let Some(last) = words.last() else { return false };
    if NOT_SECRET_LAST.contains(&last.as_str()) {
        return false;
    }
    let keyed = words.windows(2).any(|w| w[1] == "key" && KEY_QUALIFIERS.contains(&w[0].as_str()));
    keyed || words.iter().any(|w| SECRET_WORDS.contains(&w.as_str()))
}

/// True for a value written out in the file: not empty, not a reference to
/// another variable (`$X`, `${X}`, `${{ secrets.X }}`, `$(cat ...)`), and not a
/// switch (`true`, `0`, `none`).
pub fn literal_value(value: &str) -> bool {
    let v = value.trim().trim_matches(|c| c == '"' || c == '\'');
    if v.is_empty() || v.starts_with('$') || v.contains("${{") {
        return false;
    }
    let switch = ["true", "false", "yes", "no", "on", "off", "0", "1", "none", "null", "~"];
    !switch.iter().any(|s| v.eq_ignore_ascii_case(s))
}

/// True for a URL with a password in it: `https://ml:s3cret@pypi.example.com/simple`
/// (a password that is a variable, `https://ml:$TOKEN@...`, is not written out).
pub fn url_with_password(value: &str) -> bool {
    let Some((_, rest)) = value.split_once("://") else { return false };
    let authority = rest.split('/').next().unwrap_or(rest);
    let Some((userinfo, _)) = authority.rsplit_once('@') else { return false };
    userinfo.split_once(':').is_some_and(|(_, password)| !password.is_empty() && !password.starts_with('$'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_names_by_word() {
        for name in [
            "DB_PASSWORD",
            "HF_TOKEN",
            "WANDB_API_KEY",
            "AWS_SECRET_ACCESS_KEY",
            "privateKey",
            "GH_PAT",
            "MLFLOW_TRACKING_PASSWORD",
        ] {
            assert!(secret_name(name), "{name}");
        }
        for name in [
            "TOKENIZERS_PARALLELISM",
            "MAX_TOKENS",
            "PASSWORD_FILE",
            "AWS_ACCESS_KEY_ID",
            "HF_TOKEN_PATH",
            "PATH",
            "PWD",
            "SORT_KEY",
            "BYPASS_CACHE",
        ] {
            assert!(!secret_name(name), "{name}");
        }
    }

    #[test]
    fn passwords_in_urls() {
        assert!(url_with_password("https://ml:s3cret@pypi.example.com/simple"));
        assert!(!url_with_password("https://ml:$PIP_TOKEN@pypi.example.com/simple"));
        assert!(!url_with_password("https://git@github.com/x"));
        assert!(!url_with_password("https://example.com/a@b:c"));
        assert!(!url_with_password("not a url"));
    }

    #[test]
    fn literal_values() {
        assert!(literal_value("hf_abcdef"));
        assert!(literal_value("\"changeme\""));
        for v in ["", "$TOKEN", "${TOKEN}", "${{ secrets.TOKEN }}", "true", "0"] {
            assert!(!literal_value(v), "{v}");
        }
    }
}
