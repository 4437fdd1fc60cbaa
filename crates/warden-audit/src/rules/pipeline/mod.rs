//! CI/CD pipelines: GitHub Actions workflows and actions, GitLab CI. What runs
//! with the pipeline's secrets (untrusted code, injected text, mutable actions,
//! images and includes), and what the token and credentials can reach.

use super::Check;

mod github;
mod gitlab;
mod locate;

mod gha_artipacked;
mod gha_cache_poisoning;
mod gha_curl_pipe_shell;
mod gha_dangerous_triggers;
mod gha_excessive_permissions;
mod gha_github_env;
mod gha_hardcoded_container_credentials;
mod gha_hardcoded_secret;
mod gha_insecure_commands;
mod gha_secrets_inherit;
mod gha_template_injection;
mod gha_unpinned_images;
mod gha_unpinned_uses;
mod gha_untrusted_checkout;
mod gitlab_curl_pipe_shell;
mod gitlab_dind_tls_disabled;
mod gitlab_hardcoded_secret_variable;
mod gitlab_script_injection;
mod gitlab_unpinned_image;
mod gitlab_unpinned_include;

pub static CHECKS: &[Check] = &[
    Check { rule: &gha_dangerous_triggers::RULE, run: gha_dangerous_triggers::check },
    Check { rule: &gha_untrusted_checkout::RULE, run: gha_untrusted_checkout::check },
    Check { rule: &gha_template_injection::RULE, run: gha_template_injection::check },
    Check { rule: &gha_unpinned_uses::RULE, run: gha_unpinned_uses::check },
    Check { rule: &gha_excessive_permissions::RULE, run: gha_excessive_permissions::check },
    Check { rule: &gha_artipacked::RULE, run: gha_artipacked::check },
    Check { rule: &gha_cache_poisoning::RULE, run: gha_cache_poisoning::check },
    Check { rule: &gha_secrets_inherit::RULE, run: gha_secrets_inherit::check },
    Check { rule: &gha_github_env::RULE, run: gha_github_env::check },
    Check { rule: &gha_insecure_commands::RULE, run: gha_insecure_commands::check },
    Check { rule: &gha_hardcoded_container_credentials::RULE, run: gha_hardcoded_container_credentials::check },
    Check { rule: &gha_unpinned_images::RULE, run: gha_unpinned_images::check },
    Check { rule: &gha_curl_pipe_shell::RULE, run: gha_curl_pipe_shell::check },
    Check { rule: &gha_hardcoded_secret::RULE, run: gha_hardcoded_secret::check },
    Check { rule: &gitlab_unpinned_include::RULE, run: gitlab_unpinned_include::check },
    Check { rule: &gitlab_unpinned_image::RULE, run: gitlab_unpinned_image::check },
    Check { rule: &gitlab_script_injection::RULE, run: gitlab_script_injection::check },
    Check { rule: &gitlab_hardcoded_secret_variable::RULE, run: gitlab_hardcoded_secret_variable::check },
    Check { rule: &gitlab_dind_tls_disabled::RULE, run: gitlab_dind_tls_disabled::check },
    Check { rule: &gitlab_curl_pipe_shell::RULE, run: gitlab_curl_pipe_shell::check },
];
