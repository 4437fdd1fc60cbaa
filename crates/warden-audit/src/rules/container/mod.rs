//! Dockerfiles and Containerfiles: the image's user, base images, what is
//! downloaded and how, secrets and models baked in, and how Warden is started.
//! Rules about the shipped image look at the final stage and the stages it
//! builds on; rules about the build look at every stage.

use super::Check;

mod add_instead_of_copy;
mod add_remote_url;
mod curl_pipe_shell;
mod expose_ssh;
mod from_latest;
mod from_unpinned_digest;
pub(super) mod image;
mod model_baked_in;
mod no_healthcheck;
mod package_signature_disabled;
mod password_set;
mod secret_file_copied;
mod secret_in_env;
pub(super) mod secrets;
pub(super) mod shell;
mod sudo;
mod tls_verification_disabled;
mod unpinned_packages;
mod user_root;
mod warden;
mod warden_insecure_http;
mod warden_limits_off;
mod warden_log_payloads;
mod warden_metrics_public;
mod warden_signatures_off;

pub static CHECKS: &[Check] = &[
    Check { rule: &user_root::RULE, run: user_root::check },
    Check { rule: &from_latest::RULE, run: from_latest::check },
    Check { rule: &from_unpinned_digest::RULE, run: from_unpinned_digest::check },
    Check { rule: &add_instead_of_copy::RULE, run: add_instead_of_copy::check },
    Check { rule: &add_remote_url::RULE, run: add_remote_url::check },
    Check { rule: &sudo::RULE, run: sudo::check },
    Check { rule: &unpinned_packages::RULE, run: unpinned_packages::check },
    Check { rule: &curl_pipe_shell::RULE, run: curl_pipe_shell::check },
    Check { rule: &tls_verification_disabled::RULE, run: tls_verification_disabled::check },
    Check { rule: &package_signature_disabled::RULE, run: package_signature_disabled::check },
    Check { rule: &secret_in_env::RULE, run: secret_in_env::check },
    Check { rule: &password_set::RULE, run: password_set::check },
    Check { rule: &secret_file_copied::RULE, run: secret_file_copied::check },
    Check { rule: &model_baked_in::RULE, run: model_baked_in::check },
    Check { rule: &no_healthcheck::RULE, run: no_healthcheck::check },
    Check { rule: &expose_ssh::RULE, run: expose_ssh::check },
    Check { rule: &warden_insecure_http::RULE, run: warden_insecure_http::check },
    Check { rule: &warden_log_payloads::RULE, run: warden_log_payloads::check },
    Check { rule: &warden_limits_off::RULE, run: warden_limits_off::check },
    Check { rule: &warden_signatures_off::RULE, run: warden_signatures_off::check },
    Check { rule: &warden_metrics_public::RULE, run: warden_metrics_public::check },
];
