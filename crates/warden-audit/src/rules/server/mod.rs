//! The model server's own settings: Warden configs, and the same settings given as
//! flags or WARDEN_* variables in a systemd unit. Each rule's `assess` judges one
//! [`settings::Settings`], whatever layer it was built from.

use super::Check;

mod audit_fail_open;
mod auth_throttle;
mod insecure_http;
mod limits_off;
mod log_payloads;
mod log_personal_data;
mod metrics_exposed;
mod plaintext_exposed;
pub mod settings;
mod unsigned_models;

pub static CHECKS: &[Check] = &[
    Check { rule: &plaintext_exposed::RULE, run: plaintext_exposed::check },
    Check { rule: &insecure_http::RULE, run: insecure_http::check },
    Check { rule: &log_payloads::RULE, run: log_payloads::check },
    Check { rule: &limits_off::RULE, run: limits_off::check },
    Check { rule: &unsigned_models::RULE, run: unsigned_models::check },
    Check { rule: &metrics_exposed::RULE, run: metrics_exposed::check },
    Check { rule: &auth_throttle::RULE, run: auth_throttle::check },
    Check { rule: &audit_fail_open::RULE, run: audit_fail_open::check },
    Check { rule: &log_personal_data::RULE, run: log_personal_data::check },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_from_another_layer() {
        use crate::rules::host::systemd::Word;
        use crate::yaml::Pos;
        let mut s =
            settings::Settings::new("Deployment/ml/warden container warden", "deploy.yaml", Pos { line: 20, col: 9 });
        let args = ["serve", "--listen", "0.0.0.0:8443", "--insecure-http", "--limits-rate=off"];
        let words: Vec<Word> = args
            .iter()
            .enumerate()
            .map(|(i, a)| Word { text: a.to_string(), pos: Pos { line: 21 + i, col: 11 } })
            .collect();
        s.add_flags("deploy.yaml", &words);
        s.add_env("deploy.yaml", "WARDEN_LOG_PAYLOADS", "true", Pos { line: 30, col: 15 });
        let lines = |found: Vec<settings::Weakness>| found.iter().map(|w| w.pos.line).collect::<Vec<_>>();
        assert_eq!(lines(plaintext_exposed::assess(&s)), [22]);
        assert_eq!(lines(insecure_http::assess(&s)), Vec::<usize>::new());
        assert_eq!(lines(log_payloads::assess(&s)), [30]);
        assert_eq!(lines(limits_off::assess(&s)), [25]);
    }
}
